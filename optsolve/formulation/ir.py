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

from dataclasses import dataclass, field
from typing import Literal, Union

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
    """One user variable (``x`` indexed by ``[P, T]``): ids of its instances in element order."""

    name: str
    index_sets: tuple[str, ...]
    ids: list[int]


@dataclass
class GroundModel:
    name: str
    vars: list[VarInfo]
    constraints: list[GroundConstraint]
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
