"""The grounded model: what every solver backend consumes.

Grounding (:mod:`optsolve.formulation.ground`) expands sets, parameters, ``forall`` and ``sum`` into
scalar pieces:

* every variable instance is a :class:`VarInfo`, identified by its position (its *id*) in
  ``GroundModel.vars``;
* every expression is affine (:class:`Lin`), quadratic (:class:`Quad`) or a general nonlinear tree
  (:class:`NL`) whose leaves are ``Lin``;
* every constraint instance holds one *formula*: a relation (:class:`Rel`, :class:`Range`), a logic
  combination (:class:`And`, :class:`Or`, :class:`Not`, :class:`Implies`), a boolean literal
  (:class:`BoolLit`), a constant (:class:`BoolConst`) or :class:`AllDifferent`.

Backends never see the user's expressions, only these; results come back as one value per variable id
and are mapped to the user's names by :mod:`optsolve.solvers`.
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Literal, Union, overload

import numpy as np
import numpy.typing as npt

Elem = Union[int, str]
VarKind = Literal["continuous", "integer", "binary", "boolean"]
Sense = Literal["<=", ">=", "=="]


def label(name: str, index: tuple[Elem, ...]) -> str:
    """``x`` or ``x[a,3]``: how a variable or constraint instance is named to the user."""
    if not index:
        return name
    return f"{name}[{','.join(str(e) for e in index)}]"


@dataclass(slots=True)
class VarInfo:
    name: str
    index: tuple[Elem, ...]
    kind: VarKind
    lb: float | None
    ub: float | None

    @property
    def label(self) -> str:
        return label(self.name, self.index)

    @property
    def is_integral(self) -> bool:
        return self.kind != "continuous"


# --- expressions -----------------------------------------------------------------------------

@dataclass(slots=True)
class Lin:
    """Affine expression: ``sum(coefs[v] * var_v) + const``."""

    coefs: dict[int, float] = field(default_factory=dict)
    const: float = 0.0

    @property
    def is_const(self) -> bool:
        return not self.coefs


@dataclass(slots=True)
class Quad:
    """Quadratic expression: ``sum(quad[(i, j)] * var_i * var_j) + lin`` with keys ordered ``i <= j``."""

    quad: dict[tuple[int, int], float]
    lin: Lin


@dataclass(slots=True)
class NL:
    """General expression tree. ``op`` is one of

    ``add`` (n-ary), ``mul`` (binary), ``div`` (binary), ``pow`` (base, constant exponent as Lin const),
    ``neg``, ``abs``, ``min`` (n-ary), ``max`` (n-ary), ``exp``, ``log``, ``sqrt``.
    """

    op: str
    args: tuple[Expr, ...]


Expr = Union[Lin, Quad, NL]


# --- formulas --------------------------------------------------------------------------------

@dataclass(slots=True)
class Rel:
    """``expr <sense> rhs`` with every variable on the left and a constant right-hand side."""

    expr: Expr
    sense: Sense
    rhs: float


@dataclass(slots=True)
class Range:
    """``lo <= expr <= hi``."""

    expr: Expr
    lo: float
    hi: float


@dataclass(slots=True)
class BoolLit:
    """A boolean/binary variable used as a proposition (``negated`` for ``not x``)."""

    var: int
    negated: bool = False


@dataclass(slots=True)
class BoolConst:
    value: bool


@dataclass(slots=True)
class And:
    args: tuple[Formula, ...]


@dataclass(slots=True)
class Or:
    args: tuple[Formula, ...]


@dataclass(slots=True)
class Not:
    arg: Formula


@dataclass(slots=True)
class Implies:
    a: Formula
    b: Formula


@dataclass(slots=True)
class AllDifferent:
    exprs: tuple[Expr, ...]


Formula = Union[Rel, Range, BoolLit, BoolConst, And, Or, Not, Implies, AllDifferent]


@dataclass(slots=True)
class GroundConstraint:
    name: str
    index: tuple[Elem, ...]
    formula: Formula
    weight: float | None = None  # soft constraint: penalty when violated

    @property
    def label(self) -> str:
        return label(self.name, self.index)


@dataclass(slots=True)
class GroundObjective:
    sense: Literal["minimize", "maximize"]
    expr: Expr


@dataclass(slots=True)
class VarGroup:
    """One user variable (``x`` indexed by ``[P, T]``): ids of its instances in element order.

    Instances are laid out in the product order of the index sets, so the ids of a group are the
    contiguous range ``base .. base + size - 1`` (``ids``).
    """

    name: str
    index_sets: tuple[str, ...]
    ids: Sequence[int]
    elements: tuple[tuple[Elem, ...], ...] = ()   # the elements of each index set (optional)


@dataclass(slots=True)
class _VarBlock:
    name: str
    base: int
    elements: tuple[tuple[Elem, ...], ...]
    shape: tuple[int, ...]
    kind: VarKind
    lb: float | None
    ub: float | None


class VarTable(Sequence[VarInfo]):
    """The variables of a grounded model, stored per user variable (block) and built on access.

    Indexing and iteration give :class:`VarInfo` objects exactly like a list would; array accessors
    (:meth:`lower`, :meth:`upper`, :meth:`kinds`) let fast backends skip the per-variable objects.
    """

    def __init__(self) -> None:
        self._blocks: list[_VarBlock] = []
        self._bases: list[int] = []
        self._n = 0

    def add_block(self, name: str, elements: tuple[tuple[Elem, ...], ...], kind: VarKind,
                  lb: float | None, ub: float | None) -> range:
        shape = tuple(len(e) for e in elements)
        size = 1
        for k in shape:
            size *= k
        blk = _VarBlock(name, self._n, elements, shape, kind, lb, ub)
        self._blocks.append(blk)
        self._bases.append(self._n)
        self._n += size
        return range(blk.base, blk.base + size)

    def __len__(self) -> int:
        return self._n

    @overload
    def __getitem__(self, i: int) -> VarInfo: ...
    @overload
    def __getitem__(self, i: slice) -> list[VarInfo]: ...

    def __getitem__(self, i: int | slice) -> VarInfo | list[VarInfo]:
        if isinstance(i, slice):
            return [self[k] for k in range(*i.indices(self._n))]
        if i < 0:
            i += self._n
        if not 0 <= i < self._n:
            raise IndexError(i)
        blk = self._blocks[bisect.bisect_right(self._bases, i) - 1]
        off = i - blk.base
        if blk.shape:
            pos = np.unravel_index(off, blk.shape)
            index = tuple(e[int(p)] for e, p in zip(blk.elements, pos))
        else:
            index = ()
        return VarInfo(blk.name, index, blk.kind, blk.lb, blk.ub)

    def __iter__(self) -> Iterator[VarInfo]:
        for blk in self._blocks:
            keys = itertools.product(*blk.elements) if blk.shape else iter([()])
            for key in keys:
                yield VarInfo(blk.name, key, blk.kind, blk.lb, blk.ub)

    def blocks(self) -> list[_VarBlock]:
        return list(self._blocks)

    def _fill(self, attr: str, none: float) -> npt.NDArray[np.float64]:
        out = np.empty(self._n, dtype=np.float64)
        for blk in self._blocks:
            size = int(np.prod(blk.shape)) if blk.shape else 1
            v = getattr(blk, attr)
            out[blk.base:blk.base + size] = none if v is None else v
        return out

    def lower(self) -> npt.NDArray[np.float64]:
        return self._fill("lb", -np.inf)

    def upper(self) -> npt.NDArray[np.float64]:
        return self._fill("ub", np.inf)

    def kinds(self) -> list[VarKind]:
        out: list[VarKind] = []
        for blk in self._blocks:
            size = int(np.prod(blk.shape)) if blk.shape else 1
            out.extend([blk.kind] * size)
        return out


@dataclass
class LinearBlock:
    """Many linear constraint instances of one user constraint, in CSR form.

    Row ``r`` is ``row_lo[r] <= sum(data[k] * x[indices[k]] for k in indptr[r]..indptr[r+1]) <= row_hi[r]``
    (``-inf``/``inf`` for a missing side). ``sense`` keeps the user's relation for rendering.
    """

    name: str
    index: list[tuple[Elem, ...]]
    indptr: npt.NDArray[np.int64]
    indices: npt.NDArray[np.int64]
    data: npt.NDArray[np.float64]
    row_lo: npt.NDArray[np.float64]
    row_hi: npt.NDArray[np.float64]
    sense: list[str]            # per row: "<=", ">=", "==" or "range"
    weight: float | None = None

    def __len__(self) -> int:
        return len(self.index)

    def materialize(self) -> list[GroundConstraint]:
        out: list[GroundConstraint] = []
        ind = self.indices.tolist()
        dat = self.data.tolist()
        ptr = self.indptr.tolist()
        lo = self.row_lo.tolist()
        hi = self.row_hi.tolist()
        for r, idx in enumerate(self.index):
            lin = Lin(dict(zip(ind[ptr[r]:ptr[r + 1]], dat[ptr[r]:ptr[r + 1]])), 0.0)
            s = self.sense[r]
            f: Formula
            if s == "<=":
                f = Rel(lin, "<=", hi[r])
            elif s == ">=":
                f = Rel(lin, ">=", lo[r])
            elif s == "==":
                f = Rel(lin, "==", lo[r])
            else:
                f = Range(lin, lo[r], hi[r])
            out.append(GroundConstraint(self.name, idx, f, self.weight))
        return out


class ConstraintList(Sequence[GroundConstraint]):
    """The constraint instances of a grounded model: a list, whose linear parts may be held as
    :class:`LinearBlock` s and turned into :class:`GroundConstraint` objects only when accessed."""

    def __init__(self, parts: Sequence[LinearBlock | GroundConstraint] = ()) -> None:
        self._parts: list[LinearBlock | GroundConstraint] = list(parts)
        self._flat: list[GroundConstraint] | None = None
        self._n = sum(len(p) if isinstance(p, LinearBlock) else 1 for p in self._parts)

    def _materialize(self) -> list[GroundConstraint]:
        if self._flat is None:
            flat: list[GroundConstraint] = []
            for p in self._parts:
                if isinstance(p, LinearBlock):
                    flat.extend(p.materialize())
                else:
                    flat.append(p)
            self._flat = flat
        return self._flat

    def __len__(self) -> int:
        return self._n

    @overload
    def __getitem__(self, i: int) -> GroundConstraint: ...
    @overload
    def __getitem__(self, i: slice) -> list[GroundConstraint]: ...

    def __getitem__(self, i: int | slice) -> GroundConstraint | list[GroundConstraint]:
        return self._materialize()[i]

    def __iter__(self) -> Iterator[GroundConstraint]:
        return iter(self._materialize())

    def parts(self) -> list[LinearBlock | GroundConstraint]:
        return list(self._parts)

    def linear_blocks(self) -> list[LinearBlock] | None:
        """The blocks, when every instance is held in one (the fast path for LP/MILP backends)."""
        if all(isinstance(p, LinearBlock) for p in self._parts):
            return [p for p in self._parts if isinstance(p, LinearBlock)]
        return None


@dataclass
class GroundModel:
    name: str
    vars: Sequence[VarInfo]
    constraints: Sequence[GroundConstraint]
    objective: GroundObjective | None
    groups: dict[str, VarGroup]
    features: frozenset[str] = frozenset()

    @property
    def n_vars(self) -> int:
        return len(self.vars)

    @property
    def n_constraints(self) -> int:
        return len(self.constraints)


# Feature names (computed by ground.features()); backends declare which they support.
FEATURES = (
    "continuous",             # a continuous variable
    "integer",                # an integer (non-binary) variable
    "binary",                 # a binary or boolean variable
    "unbounded_integer",      # an integer variable without finite bounds on both sides
    "linear",                 # linear constraints / objective
    "quadratic_objective",    # quadratic objective
    "nonconvex_objective",    # quadratic objective that is not convex (for its sense)
    "quadratic_constraints",  # a quadratic term in a constraint
    "nonlinear",              # a general NL node (exp, log, abs, min, max, division by a variable...)
    "logic",                  # and/or/not/implies, boolean literals as constraints
    "all_different",
    "soft",                   # a soft constraint
    "no_objective",           # a satisfaction problem
    "pure_boolean",           # every variable binary/boolean
    "clausal",                # every constraint is logic over boolean literals (CNF-able without PB)
)
