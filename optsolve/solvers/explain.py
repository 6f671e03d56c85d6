"""Infeasibility explanation: a small, ideally irreducible, set of conflicting constraints.

:func:`explain_infeasible` works with any backend: it only needs a function that solves a
:class:`GroundModel` and returns its :class:`Status`. In order:

1. **bounds**: a variable whose bounds are empty (``lb > ub``; for integers ``ceil(lb) > floor(ub)``)
   is the whole explanation;
2. **constants**: a constraint without variables that does not hold is the whole explanation;
3. **HiGHS IIS** (fast path, linear models): HiGHS extracts an infeasible subsystem of the LP
   (relaxation) from its dual ray, and makes it irreducible itself when it is small (its method
   solves one LP per row and bound); the subsystem is verified by solving it with the caller's
   solver; for MILPs, and for large subsystems, the deletion filter then shrinks it further (an
   LP-relaxation IIS need not be irreducible for the MILP);
4. **deletion filter**: the objective and soft constraints are dropped; constraints are removed in
   chunks, first whole user constraints (by name), then single instances; a removal that leaves the
   model infeasible is kept. Chunks halve on failure, so a conflict of k constraints among n costs
   about ``k log n`` solves, not n. Every kept constraint was shown necessary by a solve, which makes
   the result irreducible when every solve gave a definite answer and the budget did not run out.

5. **bounds**: for a small conflict found by the filter, the variables whose bounds it needs (widening
   them by 1e6 makes it feasible), by the same filter over variables.

The result is a :class:`Conflict`: a ``list[int]`` of indices into ``model.constraints`` that also
carries ``variables`` (ids whose bounds take part), ``irreducible``, ``method`` and ``solves``.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Sequence
from typing import TypeVar

from optsolve.formulation.ir import (
    BoolConst,
    BoolLit,
    Formula,
    GroundConstraint,
    GroundModel,
    Lin,
    Quad,
    Range,
    Rel,
    VarInfo,
)
from optsolve.solvers.result import Status

T = TypeVar("T")

SolveFn = Callable[[GroundModel], Status]


class Conflict(list[int]):
    """Indices of conflicting constraint instances, with what is known about them."""

    def __init__(self, indices: Iterable[int] = (), *, variables: Iterable[int] = (), irreducible: bool = False,
                 method: str = "", solves: int = 0, note: str = "") -> None:
        super().__init__(indices)
        self.variables: list[int] = list(variables)
        self.irreducible = irreducible
        self.method = method
        self.solves = solves
        self.note = note

    def labels(self, model: GroundModel) -> list[str]:
        """The user's names: constraint instances, then ``bounds of x[i]`` for variables."""
        out = [model.constraints[i].label for i in self]
        out += [f"bounds of {model.vars[v].label}" for v in self.variables]
        return out


class _Budget(Exception):
    """Raised inside the filter when the solve budget or the time limit runs out."""


class _Oracle:
    """Answers 'is this subset of constraints infeasible?' with a bounded number of solves."""

    def __init__(self, model: GroundModel, solve_fn: SolveFn, max_solves: int, deadline: float | None) -> None:
        self.model = model
        self.solve_fn = solve_fn
        self.max_solves = max_solves
        self.deadline = deadline
        self.solves = 0
        self.unknown = False
        self._features: Callable[[GroundModel], frozenset[str]] | None
        try:
            from optsolve.formulation.ground import features

            self._features = features
        except ImportError:  # pragma: no cover - grounding not importable
            self._features = None

    def submodel(self, indices: Sequence[int], vars_: list[VarInfo] | None = None) -> GroundModel:
        m = self.model
        sub = GroundModel(m.name, vars_ if vars_ is not None else m.vars,
                          [m.constraints[i] for i in indices], None, m.groups)
        sub.features = self._features(sub) if self._features else m.features | {"no_objective"}
        return sub

    def infeasible(self, indices: Sequence[int], vars_: list[VarInfo] | None = None) -> bool | None:
        """True: infeasible; False: feasible; None: unknown (time limit, error)."""
        if self.solves >= self.max_solves or (self.deadline is not None and time.monotonic() > self.deadline):
            raise _Budget
        self.solves += 1
        try:
            st = self.solve_fn(self.submodel(indices, vars_))
        except Exception:  # a backend that cannot take a submodel: no answer
            self.unknown = True
            return None
        if st in (Status.INFEASIBLE, Status.INFEASIBLE_OR_UNBOUNDED):
            return True
        if st.has_solution or st is Status.UNBOUNDED:
            return False
        self.unknown = True
        return None


def deletion_filter(items: list[T], test: Callable[[list[T]], bool | None], *,
                    empty_is_feasible: bool = True) -> tuple[list[T], bool]:
    """Shrink ``items`` (an infeasible set) by chunked deletion.

    ``test(subset)`` says whether ``subset`` is still infeasible (None: unknown, treated as feasible);
    an empty subset is taken as feasible without a test unless ``empty_is_feasible`` is False.
    The chunk doubles after a successful removal and halves after a failed one, so a conflict of k
    among n costs about ``k log(n / k)`` tests when it is sparse and about ``n`` when almost every item
    is needed. Returns (kept items, whether every test was definite). Raises :class:`_Budget` through.
    """
    keep = list(items)
    definite = True
    i = 0
    k = max(1, len(keep) // 2)
    while i < len(keep):
        k = max(1, min(k, len(keep) - i))
        trial = keep[:i] + keep[i + k:]
        verdict = test(trial) if trial or not empty_is_feasible else False
        if verdict:
            keep = trial
            k *= 2
            continue
        if k > 1:
            k //= 2
            continue
        if verdict is None:
            definite = False
        i += 1  # keep[i] is needed: without it the rest is feasible
    return keep, definite


def _empty(kind: str, lb_: float | None, ub_: float | None) -> bool:
    lb = -math.inf if lb_ is None else lb_
    ub = math.inf if ub_ is None else ub_
    if kind in ("binary", "boolean"):
        lb, ub = max(lb, 0.0), min(ub, 1.0)
    if kind != "continuous":  # integral: round the finite sides inwards (an infinite side stays)
        if math.isfinite(lb):
            lb = math.ceil(lb - 1e-9)
        if math.isfinite(ub):
            ub = math.floor(ub + 1e-9)
    return lb > ub + 1e-9


def _empty_bounds(model: GroundModel) -> list[int]:
    blocks_fn = getattr(model.vars, "blocks", None)
    if blocks_fn is not None:  # one check per user variable: instances of a block share bounds
        return [blk.base for blk in blocks_fn() if _empty(blk.kind, blk.lb, blk.ub)]
    return [vid for vid, v in enumerate(model.vars) if _empty(v.kind, v.lb, v.ub)]


def _false_constants(model: GroundModel) -> list[int]:
    out = []
    for ci, c in enumerate(model.constraints):
        if c.weight is not None:
            continue
        f = c.formula
        if isinstance(f, BoolConst) and not f.value:
            out.append(ci)
        elif isinstance(f, (Rel, Range)) and isinstance(f.expr, Lin) and not f.expr.coefs:
            v = f.expr.const
            if isinstance(f, Range):
                ok = f.lo - 1e-9 <= v <= f.hi + 1e-9
            elif f.sense == "<=":
                ok = v <= f.rhs + 1e-9
            elif f.sense == ">=":
                ok = v >= f.rhs - 1e-9
            else:
                ok = abs(v - f.rhs) <= 1e-9
            if not ok:
                out.append(ci)
    return out


def lp_row(f: Formula) -> bool:
    """Whether HiGHS takes the hard formula ``f`` as an LP row (``build_arrays``): a linear relation, a
    boolean literal or a constant."""
    if isinstance(f, (Rel, Range)):
        e = f.expr
        return isinstance(e, Lin) or (isinstance(e, Quad) and not e.quad)
    return isinstance(f, (BoolLit, BoolConst))


def _is_linear(model: GroundModel, hard: list[int]) -> bool:
    return all(lp_row(model.constraints[ci].formula) for ci in hard)


#: HiGHS's own irreducible IIS solves one LP per row and column bound; above this many it is left to
#: the (chunked) deletion filter over rows
IRREDUCIBLE_LIMIT = 300
#: HiGHS's IIS extraction itself grows fast with the model (18 s at 25,000 columns); above this many
#: rows + columns only the deletion filter runs
HIGHS_IIS_MAX_SIZE = 10_000
#: overall wall-clock budget of an explanation when the caller gives none
DEFAULT_TIME_LIMIT = 30.0


def _highs_iis_once(model: GroundModel, rows_in: list[int], strategy: int, time_limit: float | None
                    ) -> tuple[list[int], list[int]] | None:
    import highspy

    from optsolve.solvers.highs_backend import build_arrays, new_highs, pass_arrays

    sub = GroundModel(model.name, model.vars, [model.constraints[i] for i in rows_in], None, model.groups)
    a = build_arrays(sub, relax_integrality=True, with_objective=False)
    if a.false_constraints or a.n_col == 0:
        return None
    h = new_highs()
    if time_limit is not None:
        h.setOptionValue("time_limit", max(0.01, float(time_limit)))
    h.setOptionValue("iis_strategy", strategy)
    pass_arrays(h, a)
    h.run()
    if h.getModelStatus() != highspy.HighsModelStatus.kInfeasible:
        return None
    st, iis = h.getIis()
    if st != highspy.HighsStatus.kOk or not iis.valid_:
        return None
    rows = [rows_in[int(a.row_of[r])] for r in iis.row_index_]
    free = int(highspy.IisBoundStatus.kIisBoundStatusFree)
    cols = [int(c) for c, bnd in zip(iis.col_index_, iis.col_bound_) if int(bnd) != free]
    if not rows and not cols:
        return None
    return sorted(set(rows)), sorted(set(cols))


def highs_iis(model: GroundModel, hard: list[int], time_limit: float | None = None, *,
              irreducible: bool = True) -> tuple[list[int], list[int], bool] | None:
    """An infeasible subsystem of the LP relaxation of the hard constraints from HiGHS:
    (constraint indices, variable ids whose bounds take part, irreducible?), or None when HiGHS finds
    the relaxation feasible or cannot compute one.

    HiGHS first extracts a subsystem from the LP's dual ray (fast). When it is small, HiGHS's
    irreducible strategy runs on that subsystem alone (one small LP per row and bound); ``irreducible=False``
    skips that second step."""
    try:
        import highspy
    except ImportError:  # pragma: no cover
        return None
    strat = highspy.IisStrategy
    t0 = time.monotonic()
    first = _highs_iis_once(model, hard, int(strat.kIisStrategyFromLp), time_limit)
    if first is None:
        return None
    rows, cols = first
    if not irreducible or len(rows) + len(cols) > IRREDUCIBLE_LIMIT:
        return rows, cols, False
    left = None if time_limit is None else time_limit - (time.monotonic() - t0)
    if left is not None and left <= 0:
        return rows, cols, False
    exact = _highs_iis_once(model, rows, int(strat.kIisStrategyFromLp) | int(strat.kIisStrategyIrreducible),
                            left)
    if exact is None:
        return rows, cols, False
    return exact[0], exact[1], True


def explain_infeasible(model: GroundModel, solve_fn: SolveFn, max_solves: int = 200,
                       time_limit: float | None = None, *, use_highs_iis: bool = True) -> Conflict:
    """A small conflicting set of constraint instances (indices into ``model.constraints``).

    ``solve_fn`` solves a model and returns its status; it is called on submodels without objective
    and without soft constraints (soft constraints cannot cause infeasibility). At most ``max_solves``
    solves and about ``time_limit`` seconds (default :data:`DEFAULT_TIME_LIMIT`; ``math.inf`` for no
    limit) are spent; when either runs out, the set returned still conflicts but may be reducible
    (``irreducible`` is False and ``note`` says why).
    """
    empty = _empty_bounds(model)
    if empty:
        return Conflict([], variables=empty[:1], irreducible=True, method="bounds")
    false = _false_constants(model)
    if false:
        return Conflict(false[:1], irreducible=True, method="constant")

    budget = DEFAULT_TIME_LIMIT if time_limit is None else time_limit
    deadline = time.monotonic() + budget if math.isfinite(budget) else None
    oracle = _Oracle(model, solve_fn, max_solves, deadline)
    hard = [ci for ci, c in enumerate(model.constraints) if c.weight is None]  # soft ones never conflict
    has_integers = any(v.kind != "continuous" for v in model.vars)

    # --- fast path: HiGHS IIS on the LP (relaxation) ------------------------------------------------
    if use_highs_iis and hard and model.n_vars + len(hard) <= HIGHS_IIS_MAX_SIZE and _is_linear(model, hard):
        try:
            found = highs_iis(model, hard, _left(deadline))
        except Exception:  # pragma: no cover - a HiGHS failure falls back to the filter
            found = None
        if found is not None:
            rows, cols, exact = found
            try:
                verdict = oracle.infeasible(rows)
            except _Budget:
                verdict = None
            if verdict:
                if exact and not has_integers:
                    return Conflict(rows, variables=cols, irreducible=True, method="highs_iis",
                                    solves=oracle.solves)
                # MILP (the relaxation's IIS need not be irreducible for it) or a large subsystem
                return _filter(oracle, rows, model, method="highs_iis+deletion",
                               start_vars=cols if exact else None)

    # --- generic: is the model (without objective and soft constraints) infeasible at all? ---------
    try:
        verdict = oracle.infeasible(hard)
    except _Budget:
        verdict = None
    if not verdict:
        return Conflict([], method="none", solves=oracle.solves,
                        note="the constraints alone are feasible (the objective makes the model "
                             "unbounded or the solver stopped early)" if verdict is False else
                             "the solver could not decide feasibility of the constraints alone")
    return _filter(oracle, hard, model, method="deletion", start_vars=None)


def _left(deadline: float | None) -> float | None:
    return None if deadline is None else max(0.0, deadline - time.monotonic())


def _filter(oracle: _Oracle, start: list[int], model: GroundModel, method: str,
            start_vars: list[int] | None) -> Conflict:
    keep = list(start)
    definite = True
    note = ""
    try:
        # 1. whole user constraints (by name)
        groups: dict[str, list[int]] = {}
        for ci in keep:
            groups.setdefault(model.constraints[ci].name, []).append(ci)
        if len(groups) > 1:
            names = list(groups)
            kept_names, d1 = deletion_filter(
                names, lambda ns: oracle.infeasible([ci for n in ns for ci in groups[n]]))
            definite = definite and d1
            keep = [ci for n in kept_names for ci in groups[n]]
        # 2. single instances within the remaining constraints
        keep, d2 = deletion_filter(keep, lambda cs: oracle.infeasible(cs))
        definite = definite and d2
    except _Budget:
        definite = False
        note = (f"stopped after {oracle.solves} solves (budget {oracle.max_solves} or time limit): "
                "the set conflicts but may not be minimal")
    variables = start_vars if start_vars is not None else []
    if start_vars is not None:
        variables = [v for v in start_vars if any(v in _vars_of(model.constraints[ci]) for ci in keep)]
    elif definite and not note:
        variables = _bound_filter(oracle, keep, model)
    return Conflict(keep, variables=variables, irreducible=definite and not note, method=method,
                    solves=oracle.solves, note=note or ("" if definite else "some solves were inconclusive"))


#: bounds are analysed (one solve or so per variable) only for conflicts this small
MAX_BOUND_VARS = 30
_WIDEN = 1e6


def _bound_filter(oracle: _Oracle, keep: list[int], model: GroundModel) -> list[int]:
    """Which variables' bounds the conflict needs: a bound is needed when widening it (by 1e6, so
    that backends needing finite integer bounds still take the model) makes the conflict feasible.
    Binary variables are left out (their bounds are their domain). Returns [] when the test is too
    large or inconclusive."""
    cand = sorted({v for ci in keep for v in _vars_deep(model.constraints[ci].formula)})
    cand = [v for v in cand if model.vars[v].kind not in ("binary", "boolean")
            and (model.vars[v].lb is not None or model.vars[v].ub is not None)]
    if not cand or len(cand) > MAX_BOUND_VARS:
        return []
    base = list(model.vars)

    def widened(kept_bounds: list[int]) -> list[VarInfo]:
        out = list(base)
        kept = set(kept_bounds)
        for v in cand:
            if v not in kept:
                b = base[v]
                out[v] = VarInfo(b.name, b.index, b.kind, None if b.lb is None else b.lb - _WIDEN,
                                 None if b.ub is None else b.ub + _WIDEN)
        return out

    try:
        needed, definite = deletion_filter(cand, lambda vs: oracle.infeasible(keep, widened(vs)),
                                           empty_is_feasible=False)
    except _Budget:
        return []
    return needed if definite else []


def _vars_deep(f: object) -> set[int]:
    """Variable ids in a formula or expression (any depth)."""
    from optsolve.formulation.ir import NL, AllDifferent, And, BoolLit, Implies, Not, Or

    out: set[int] = set()
    stack: list[object] = [f]
    while stack:
        x = stack.pop()
        if isinstance(x, Lin):
            out.update(x.coefs)
        elif isinstance(x, Quad):
            out.update(x.lin.coefs)
            for i, j in x.quad:
                out.update((i, j))
        elif isinstance(x, NL):
            stack.extend(x.args)
        elif isinstance(x, (Rel, Range)):
            stack.append(x.expr)
        elif isinstance(x, BoolLit):
            out.add(x.var)
        elif isinstance(x, (And, Or)):
            stack.extend(x.args)
        elif isinstance(x, Not):
            stack.append(x.arg)
        elif isinstance(x, Implies):
            stack.extend((x.a, x.b))
        elif isinstance(x, AllDifferent):
            stack.extend(x.exprs)
    return out


def _vars_of(c: GroundConstraint) -> set[int]:
    f = c.formula
    if isinstance(f, (Rel, Range)):
        e = f.expr
        if isinstance(e, Lin):
            return set(e.coefs)
        if isinstance(e, Quad):
            return set(e.lin.coefs) | {i for p in e.quad for i in p}
    from optsolve.formulation.ir import BoolLit

    if isinstance(f, BoolLit):
        return {f.var}
    return set()
