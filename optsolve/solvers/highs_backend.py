"""HiGHS through highspy, built directly from numpy arrays (LP, MILP, convex QP).

The grounded model is turned into one row-wise sparse matrix and handed to HiGHS with one
``passModel`` call; there are no per-row or per-column Python calls into HiGHS. The linear constraint
blocks that grounding produces in CSR form (``LinearBlock``) are concatenated as numpy arrays; other
constraint instances are appended to flat lists in one pass (their coefficient dicts extended at C
speed) and converted once; column bounds and integrality are filled per user variable from the
``VarTable``. On the 100,000-variable transportation LP of ``benchmarks/bench_build_solve.py`` the
arrays take under 0.03 s.

Mapping of the IR:

* ``Rel(expr, sense, rhs)`` with an affine ``expr`` -> one row with bounds ``rhs - const`` on the
  relevant side(s); ``Range`` -> ``[lo - const, hi - const]``;
* a top-level ``BoolLit`` -> the row ``x == 1`` (``x == 0`` when negated), so that it shows up in an IIS;
* ``BoolConst(True)`` -> nothing; ``BoolConst(False)`` or a constant relation that does not hold ->
  the model is infeasible without calling HiGHS, and that constraint is the explanation;
* a quadratic objective -> the Hessian (HiGHS minimises ``c'x + 1/2 x'Qx``; ``Q`` lower triangular).
"""

from __future__ import annotations

import math
import os
import sys
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from optsolve.errors import SolverError, UnsupportedModelError
from optsolve.formulation.ir import (
    BoolConst,
    BoolLit,
    GroundConstraint,
    GroundModel,
    Lin,
    Quad,
    Range,
    Rel,
)
from optsolve.solvers.base import Backend
from optsolve.solvers.result import RawSolution, SolveOptions, Status

if TYPE_CHECKING:
    import highspy

INF = math.inf
_INTEGRAL_KINDS = frozenset({"integer", "binary", "boolean"})
_BINARY_KINDS = frozenset({"binary", "boolean"})
_TOL = 1e-9

F64 = npt.NDArray[np.float64]
I32 = npt.NDArray[np.int32]


@dataclass
class HighsArrays:
    """The grounded model as HiGHS arrays (row-wise matrix)."""

    n_col: int
    n_row: int
    sense: int                      # 1 minimise, -1 maximise (HiGHS ObjSense values)
    offset: float
    col_cost: F64
    col_lower: F64
    col_upper: F64
    integrality: I32
    row_lower: F64
    row_upper: F64
    a_start: I32                    # length n_row + 1
    a_index: I32
    a_value: F64
    row_of: npt.NDArray[np.int64]   # HiGHS row -> index into GroundModel.constraints
    q_start: I32 | None = None      # Hessian, column-wise lower triangle (length n_col + 1)
    q_index: I32 | None = None
    q_value: F64 | None = None
    false_constraints: list[int] = field(default_factory=list)  # constant constraints that fail

    @property
    def is_mip(self) -> bool:
        return bool(self.integrality.any())


def _unsupported(model: GroundModel, ci: int, what: str) -> UnsupportedModelError:
    c = model.constraints[ci]
    return UnsupportedModelError(
        f"constraint {c.label}: {what} is not supported by the highs backend",
        hint="use --solver scip (nonlinear) or --solver cpsat / z3 (logic)", where=c.label)


def _columns(model: GroundModel, relax_integrality: bool) -> tuple[F64, F64, I32]:
    """Column bounds and integrality. Uses the IR's per-block variable table when it has one
    (slices per user variable, no per-instance objects), else one pass over the VarInfo objects."""
    gvars = model.vars
    n = len(gvars)
    blocks_fn = getattr(gvars, "blocks", None)
    if blocks_fn is not None:
        lower = np.empty(n, dtype=np.float64)
        upper = np.empty(n, dtype=np.float64)
        integrality = np.zeros(n, dtype=np.int32)
        for blk in blocks_fn():
            size = int(np.prod(blk.shape)) if blk.shape else 1
            sl = slice(blk.base, blk.base + size)
            lb = -INF if blk.lb is None else float(blk.lb)
            ub = INF if blk.ub is None else float(blk.ub)
            if blk.kind in _BINARY_KINDS:
                lb, ub = max(lb, 0.0), min(ub, 1.0)
            lower[sl] = lb
            upper[sl] = ub
            if blk.kind in _INTEGRAL_KINDS and not relax_integrality:
                integrality[sl] = 1
        return lower, upper, integrality
    lower = np.array([-INF if v.lb is None else v.lb for v in gvars], dtype=np.float64)
    upper = np.array([INF if v.ub is None else v.ub for v in gvars], dtype=np.float64)
    kinds = [v.kind for v in gvars]
    if relax_integrality:
        integrality = np.zeros(n, dtype=np.int32)
    else:
        integrality = np.fromiter((k in _INTEGRAL_KINDS for k in kinds), dtype=np.int32, count=n)
    binmask = np.fromiter((k in _BINARY_KINDS for k in kinds), dtype=bool, count=n)
    if binmask.any():
        lower[binmask] = np.maximum(lower[binmask], 0.0)
        upper[binmask] = np.minimum(upper[binmask], 1.0)
    return lower, upper, integrality


class _Rows:
    """Row segments: numpy blocks taken as they are, single constraints gathered in flat lists."""

    def __init__(self) -> None:
        self.idx: list[int] = []
        self.val: list[float] = []
        self.lens: list[int] = []
        self.lo: list[float] = []
        self.hi: list[float] = []
        self.row_of: list[int] = []
        self.segments: list[tuple[Any, Any, Any, Any, Any, Any]] = []

    def flush(self) -> None:
        if self.lens:
            self.segments.append((np.array(self.idx, dtype=np.int32), np.array(self.val, dtype=np.float64),
                                  np.array(self.lens, dtype=np.int32), np.array(self.lo, dtype=np.float64),
                                  np.array(self.hi, dtype=np.float64), np.array(self.row_of, dtype=np.int64)))
            self.idx, self.val, self.lens, self.lo, self.hi, self.row_of = [], [], [], [], [], []

    def block(self, blk: Any, first: int) -> None:
        self.flush()
        n = len(blk)
        self.segments.append((np.asarray(blk.indices, dtype=np.int32), np.asarray(blk.data, dtype=np.float64),
                              np.diff(np.asarray(blk.indptr)).astype(np.int32),
                              np.asarray(blk.row_lo, dtype=np.float64), np.asarray(blk.row_hi, dtype=np.float64),
                              np.arange(first, first + n, dtype=np.int64)))

    def arrays(self) -> tuple[I32, I32, F64, F64, F64, npt.NDArray[np.int64], npt.NDArray[np.int32]]:
        self.flush()
        if not self.segments:
            z32 = np.zeros(0, dtype=np.int32)
            zf = np.zeros(0, dtype=np.float64)
            return np.zeros(1, dtype=np.int32), z32, zf, zf, zf, np.zeros(0, dtype=np.int64), z32
        idx, val, lens, lo, hi, row_of = (np.concatenate(parts) for parts in zip(*self.segments))
        start = np.zeros(len(lens) + 1, dtype=np.int32)
        np.cumsum(lens, out=start[1:])
        return start, idx, val, lo, hi, row_of, lens


def build_arrays(model: GroundModel, *, relax_integrality: bool = False,
                 with_objective: bool = True, skip_soft: bool = False) -> HighsArrays:
    """Turn a linear/quadratic-objective GroundModel into HiGHS arrays.

    Raises :class:`UnsupportedModelError` for logic, soft, nonlinear or quadratic constraints.
    """
    n = len(model.vars)
    lower, upper, integrality = _columns(model, relax_integrality)

    # --- rows: CSR blocks as they come, other instances in one pass over flat lists -------------
    rows = _Rows()
    idx, val, lens, rlo, rhi, row_of = rows.idx, rows.val, rows.lens, rows.lo, rows.hi, rows.row_of
    false_constraints: list[int] = []
    parts_fn = getattr(model.constraints, "parts", None)
    parts: Any = parts_fn() if parts_fn is not None else model.constraints
    ci = -1
    for c in parts:
        if type(c) is not GroundConstraint:  # a LinearBlock of many instances
            first = ci + 1
            ci += len(c)
            if c.weight is not None:
                if skip_soft:
                    continue
                raise _unsupported(model, first, "a soft constraint")
            rows.block(c, first)
            idx, val, lens, rlo, rhi, row_of = rows.idx, rows.val, rows.lens, rows.lo, rows.hi, rows.row_of
            continue
        ci += 1
        if c.weight is not None:
            if skip_soft:
                continue
            raise _unsupported(model, ci, "a soft constraint")
        f = c.formula
        t = type(f)
        if t is Rel or t is Range:
            e = f.expr  # type: ignore[union-attr]
            if type(e) is Quad:
                if e.quad:  # type: ignore[union-attr]
                    raise _unsupported(model, ci, "a quadratic term")
                e = e.lin  # type: ignore[union-attr]
            if type(e) is not Lin:
                raise _unsupported(model, ci, "a nonlinear expression")
            coefs = e.coefs  # type: ignore[union-attr]
            const = e.const  # type: ignore[union-attr]
            if t is Rel:
                r = f.rhs - const  # type: ignore[union-attr]
                s = f.sense  # type: ignore[union-attr]
                lo = r if s != "<=" else -INF
                hi = r if s != ">=" else INF
            else:
                lo = f.lo - const  # type: ignore[union-attr]
                hi = f.hi - const  # type: ignore[union-attr]
            if not coefs:
                if lo > _TOL or hi < -_TOL:
                    false_constraints.append(ci)
                continue
            idx.extend(coefs.keys())
            val.extend(coefs.values())
            lens.append(len(coefs))
        elif t is BoolLit:
            v = 0.0 if f.negated else 1.0  # type: ignore[union-attr]
            idx.append(f.var)  # type: ignore[union-attr]
            val.append(1.0)
            lens.append(1)
            lo = hi = v
        elif t is BoolConst:
            if not f.value:  # type: ignore[union-attr]
                false_constraints.append(ci)
            continue
        else:
            raise _unsupported(model, ci, f"a logic formula ({t.__name__})")
        rlo.append(lo)
        rhi.append(hi)
        row_of.append(ci)

    a_start, a_index, a_value, row_lo, row_hi, row_map, row_lens = rows.arrays()
    empty = row_lens == 0
    if empty.any():  # rows of blocks without variables: 0 must lie within the bounds
        bad = empty & ((row_lo > _TOL) | (row_hi < -_TOL))
        false_constraints.extend(int(k) for k in row_map[bad])
        false_constraints.sort()
    n_row = len(row_map)

    # --- objective ---------------------------------------------------------------------------------
    cost = np.zeros(n, dtype=np.float64)
    offset = 0.0
    sense = 1
    q_start = q_index = q_value = None
    obj = model.objective if with_objective else None
    if obj is not None:
        sense = -1 if obj.sense == "maximize" else 1
        e = obj.expr
        quad: dict[tuple[int, int], float] = {}
        if type(e) is Quad:
            quad = e.quad  # type: ignore[union-attr]
            e = e.lin  # type: ignore[union-attr]
        if type(e) is not Lin:
            raise UnsupportedModelError("the objective is nonlinear; the highs backend takes linear and "
                                        "quadratic objectives only", hint="use --solver scip")
        if e.coefs:  # type: ignore[union-attr]
            cost[np.fromiter(e.coefs.keys(), dtype=np.int64)] = np.fromiter(  # type: ignore[union-attr]
                e.coefs.values(), dtype=np.float64)  # type: ignore[union-attr]
        offset = float(e.const)  # type: ignore[union-attr]
        if quad:
            q_start, q_index, q_value = _hessian(quad, n)
    return HighsArrays(n_col=n, n_row=n_row, sense=sense, offset=offset, col_cost=cost,
                       col_lower=lower, col_upper=upper, integrality=integrality, row_lower=row_lo,
                       row_upper=row_hi, a_start=a_start, a_index=a_index, a_value=a_value,
                       row_of=row_map, q_start=q_start, q_index=q_index, q_value=q_value,
                       false_constraints=false_constraints)


def _hessian(quad: dict[tuple[int, int], float], n: int) -> tuple[I32, I32, F64]:
    """``sum q_ij x_i x_j`` (i <= j) as HiGHS's lower-triangular column-wise Q with 1/2 x'Qx."""
    keys = np.array(list(quad.keys()), dtype=np.int64).reshape(-1, 2)
    vals = np.fromiter(quad.values(), dtype=np.float64, count=len(quad))
    i, j = keys[:, 0], keys[:, 1]
    col = np.minimum(i, j)
    row = np.maximum(i, j)
    vals = np.where(i == j, 2.0 * vals, vals)
    order = np.lexsort((row, col))
    col, row, vals = col[order], row[order], vals[order]
    start = np.zeros(n + 1, dtype=np.int32)
    np.cumsum(np.bincount(col, minlength=n), out=start[1:])
    return start, row.astype(np.int32), vals


_BANNER_DONE = False


def new_highs(verbose: bool = False) -> highspy.Highs:
    """A fresh Highs instance; the once-per-process banner HiGHS prints on stdout is swallowed
    (it would corrupt ``--json`` output)."""
    global _BANNER_DONE
    import highspy

    if _BANNER_DONE or verbose:
        h = highspy.Highs()
    else:
        sys.stdout.flush()
        saved = os.dup(1)
        try:
            with open(os.devnull, "wb") as null:
                os.dup2(null.fileno(), 1)
                h = highspy.Highs()
        finally:
            os.dup2(saved, 1)
            os.close(saved)
    _BANNER_DONE = True
    h.setOptionValue("output_flag", bool(verbose))
    return h


def pass_arrays(h: highspy.Highs, a: HighsArrays) -> None:
    """One passModel call (LP/MILP or QP)."""
    import highspy

    rowwise = int(highspy.MatrixFormat.kRowwise)
    if a.q_start is not None:
        assert a.q_index is not None and a.q_value is not None
        st = h.passModel(a.n_col, a.n_row, len(a.a_index), len(a.q_index), rowwise,
                         int(highspy.HessianFormat.kTriangular), a.sense, a.offset, a.col_cost,
                         a.col_lower, a.col_upper, a.row_lower, a.row_upper, a.a_start[:-1], a.a_index,
                         a.a_value, a.q_start[:-1], a.q_index, a.q_value, a.integrality)
    else:
        st = h.passModel(a.n_col, a.n_row, len(a.a_index), rowwise, a.sense, a.offset, a.col_cost,
                         a.col_lower, a.col_upper, a.row_lower, a.row_upper, a.a_start[:-1], a.a_index,
                         a.a_value, a.integrality)
    if st == highspy.HighsStatus.kError:
        raise SolverError("HiGHS rejected the model (passModel failed)",
                          hint="check for NaN or infinite coefficients in the parameters")


# HiGHS keeps one process-wide thread scheduler, sized by the first solve; a later solve asking for
# another thread count fails unless the scheduler is reset, which is only safe while no solve runs.
_SCHED_LOCK = threading.Lock()
_ACTIVE = 0
_SCHED_THREADS: int | None = None


def set_options(h: highspy.Highs, options: SolveOptions) -> dict[str, Any]:
    """Apply the options; returns notes for ``RawSolution.extra``."""
    global _SCHED_THREADS
    notes: dict[str, Any] = {}
    if options.time_limit is not None:
        h.setOptionValue("time_limit", float(options.time_limit))
    h.setOptionValue("random_seed", int(options.seed))
    want = int(options.threads) if options.threads is not None else 0
    with _SCHED_LOCK:
        if _SCHED_THREADS is None:
            # first solve through this module: HiGHS may already have sized its pool elsewhere in the
            # process (a direct highspy run), so size it explicitly when a count is asked for
            if want != 0 and _ACTIVE == 0:
                import highspy

                highspy.Highs.resetGlobalScheduler(True)
            _SCHED_THREADS = want
        elif want != _SCHED_THREADS:
            if _ACTIVE == 0:
                import highspy

                highspy.Highs.resetGlobalScheduler(True)
                _SCHED_THREADS = want
            else:
                notes["threads_ignored"] = "another HiGHS solve is running in this process"
                want = _SCHED_THREADS
        h.setOptionValue("threads", want)
    return notes


def _run(h: highspy.Highs) -> None:
    global _ACTIVE
    with _SCHED_LOCK:
        _ACTIVE += 1
    try:
        h.run()
    finally:
        with _SCHED_LOCK:
            _ACTIVE -= 1


class HighsBackend(Backend):
    name = "highs"
    modules = ("highspy",)
    supports = frozenset({"continuous", "integer", "binary", "unbounded_integer", "linear",
                          "quadratic_objective", "no_objective", "pure_boolean", "clausal"})

    def accepts(self, features: frozenset[str]) -> bool:
        # HiGHS solves QPs only without integer variables.
        if "quadratic_objective" in features and features & {"integer", "binary"}:
            return False
        return super().accepts(features)

    def version(self) -> str:
        import highspy

        return f"{highspy.HIGHS_VERSION_MAJOR}.{highspy.HIGHS_VERSION_MINOR}.{highspy.HIGHS_VERSION_PATCH}"

    def solve(self, model: GroundModel, options: SolveOptions) -> RawSolution:
        arrays = build_arrays(model)
        if arrays.q_start is not None and arrays.is_mip:
            raise UnsupportedModelError("HiGHS cannot solve a quadratic objective with integer variables",
                                        hint="use --solver scip")
        return solve_arrays(arrays, options)


def _status_of(h: highspy.Highs) -> tuple[Status, bool]:
    """(status, has a primal feasible solution)."""
    import highspy

    ms = h.getModelStatus()
    info = h.getInfo()
    feasible = int(info.primal_solution_status) == int(highspy.SolutionStatus.kSolutionStatusFeasible)
    M = highspy.HighsModelStatus
    if ms == M.kOptimal:
        return Status.OPTIMAL, True
    if ms == M.kInfeasible:
        return Status.INFEASIBLE, False
    if ms == M.kUnbounded:
        return Status.UNBOUNDED, feasible
    if ms == M.kUnboundedOrInfeasible:
        return Status.INFEASIBLE_OR_UNBOUNDED, False
    if ms == M.kTimeLimit:
        return Status.TIME_LIMIT, feasible
    if ms in (M.kIterationLimit, M.kSolutionLimit, M.kObjectiveBound, M.kObjectiveTarget, M.kInterrupt):
        return (Status.FEASIBLE, True) if feasible else (Status.ERROR, False)
    return Status.ERROR, False


#: MILPs up to this many columns skip HiGHS's feasibility-jump heuristic
SMALL_MIP_COLUMNS = 200


def solve_arrays(a: HighsArrays, options: SolveOptions) -> RawSolution:
    """Solve prepared arrays with a fresh Highs instance and map the result."""
    if a.false_constraints:
        return RawSolution(Status.INFEASIBLE, core=list(a.false_constraints), solver_seconds=0.0,
                           message="a constraint without variables does not hold")
    if a.n_col == 0:
        return RawSolution(Status.OPTIMAL, objective=a.offset, values=[], solver_seconds=0.0,
                           bound=a.offset)
    h = new_highs(options.verbose)
    notes = set_options(h, options)
    jump = options.mip_feasibility_jump
    if jump is None:
        # the feasibility-jump heuristic has ~15 ms of fixed set-up, more than the whole branch and
        # bound of a small MILP (datagen measured ~4x per solve); it only finds incumbents
        jump = a.n_col > SMALL_MIP_COLUMNS
    if a.is_mip and not jump:
        h.setOptionValue("mip_heuristic_run_feasibility_jump", False)
    pass_arrays(h, a)
    _run(h)
    seconds = h.getRunTime()
    status, has_sol = _status_of(h)
    extra: dict[str, Any] = {"model_status": h.modelStatusToString(h.getModelStatus()), **notes}
    values: list[float] | None = None
    objective: float | None = None

    info = h.getInfo()
    obj_val = float(info.objective_function_value)
    dual_bound = float(info.mip_dual_bound)
    gap = float(info.mip_gap)
    nodes = int(info.mip_node_count)
    if has_sol and status is not Status.UNBOUNDED:
        col_value = h.getSolution().col_value  # already a fresh Python list
        values = col_value if isinstance(col_value, list) else list(col_value)
        objective = obj_val
    if status is Status.INFEASIBLE_OR_UNBOUNDED:
        # Decide with a pure feasibility solve: feasible + unbounded-or-infeasible means unbounded
        # (for MILPs with rational data too).
        h.changeColsCost(a.n_col, np.arange(a.n_col, dtype=np.int32), np.zeros(a.n_col))
        if a.q_start is not None:
            h.passHessian(a.n_col, 0, 1, np.zeros(a.n_col + 1, dtype=np.int32)[:-1],
                          np.array([], dtype=np.int32), np.array([], dtype=np.float64))
        _run(h)
        seconds = h.getRunTime()  # cumulative over both runs
        st2, _ = _status_of(h)
        if st2 is Status.INFEASIBLE:
            status = Status.INFEASIBLE
        elif st2 in (Status.OPTIMAL, Status.FEASIBLE):
            status = Status.UNBOUNDED
        has_sol = False

    bound: float | None = None
    if a.is_mip:
        if math.isfinite(dual_bound) and status in (Status.OPTIMAL, Status.FEASIBLE, Status.TIME_LIMIT):
            bound = dual_bound
        if math.isfinite(gap) and values is not None:
            extra["mip_gap"] = gap
        extra["nodes"] = nodes
    elif status is Status.OPTIMAL:
        bound = objective
    return RawSolution(status, objective=objective, values=values, bound=bound, solver_seconds=seconds,
                       extra=extra, message=None if status is not Status.ERROR else extra["model_status"])
