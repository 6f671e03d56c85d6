"""GroundModel -> Pyomo ConcreteModel, and two backends that solve it: SCIP and HiGHS.

* :class:`ScipBackend` (``scip``): Pyomo's ``scip_direct`` (PySCIPOpt bundles SCIP): NLP, MINLP,
  nonconvex QP, quadratic constraints. Global optima with a dual bound.
* :class:`PyomoHighsBackend` (``pyomo-highs``): Pyomo's ``highs`` interface: LP/MILP/convex QP. The
  direct ``highs`` backend gives the same answers faster; this one is a cross-check and a fallback.

Both use Pyomo's newer solver interface (``pyomo.contrib.solver``), whose results carry a termination
condition, a solution status, the incumbent objective and the objective bound.

Encodings: ``min``/``max`` become ``(a + b -/+ |a - b|) / 2`` (exact; SCIP handles ``abs``);
a top-level boolean literal becomes ``x == 1`` (``x == 0`` negated). Logic formulas, ``all_different``
and soft constraints are not taken (routing sends those to CP-SAT / z3 / PySAT).
"""

from __future__ import annotations

import contextlib
import contextvars
import math
import os
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from optsolve.errors import SolverError, UnsupportedModelError
from optsolve.formulation.ir import NL, BoolConst, BoolLit, Expr, GroundModel, Lin, Quad, Range, Rel
from optsolve.solvers.base import Backend
from optsolve.solvers.result import RawSolution, SolveOptions, Status

_DOMAIN = {"continuous": "Reals", "integer": "Integers", "binary": "Binary", "boolean": "Binary"}
_TOL = 1e-9
_PATCHED = False


def _patch_scip_abs() -> None:
    """Pyomo 6.10's scip_direct walker knows ``abs`` as a unary function name but has no entry for
    the ``AbsExpression`` node class; register it (PySCIPOpt expressions support ``abs``)."""
    global _PATCHED
    if _PATCHED:
        return
    try:
        from pyomo.contrib.solver.solvers.scip import base as scip_base
        from pyomo.core.expr.numeric_expr import AbsExpression, NPV_AbsExpression

        scip_base._operator_map.setdefault(AbsExpression, scip_base._handle_unary)
        scip_base._operator_map.setdefault(NPV_AbsExpression, scip_base._handle_unary)
    except (ImportError, AttributeError):  # pragma: no cover - other Pyomo versions
        pass
    try:
        from pyomo.contrib.solver.solvers.scip import scip_direct

        scip_direct.capture_output = _solver_output_to_devnull
    except (ImportError, AttributeError):  # pragma: no cover - other Pyomo versions
        pass
    _PATCHED = True


@contextlib.contextmanager
def _solver_output_to_devnull(*args: Any, **kwargs: Any) -> Iterator[None]:
    """Replaces Pyomo's output capture around ``scip_model.optimize()``.

    Pyomo captures SCIP's file descriptors through a pipe drained by a Python thread, which cannot run
    while PySCIPOpt holds the GIL. SCIP writes to stderr even when hidden (on unbounded NLPs, thousands
    of "Cannot set feasibility tolerance ... without GMP" lines), the pipe fills, and the solve deadlocks
    past its time limit. Pointing the descriptors at /dev/null needs no reader. (The log is only shown
    with --verbose, where nothing is redirected.)
    """
    if _SCIP_VERBOSE.get():
        yield
        return
    sys.stdout.flush()
    sys.stderr.flush()
    saved = [os.dup(1), os.dup(2)]
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 1)
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        for fd in (*saved, devnull):
            os.close(fd)


_SCIP_VERBOSE: contextvars.ContextVar[bool] = contextvars.ContextVar("scip_verbose", default=False)


@dataclass
class PyomoBuild:
    """A built Pyomo model and how it maps back to the GroundModel."""

    model: Any  # pyomo ConcreteModel: .x[i] is variable id i, .cons[ci] constraint ci (+ .cons_upper[ci])
    false_constraints: list[int]     # constant constraints that do not hold (model infeasible)
    has_objective: bool


class _ExprBuilder:
    def __init__(self, x: Any) -> None:
        import pyomo.environ as pe

        self.pe = pe
        self.x = x

    def lin(self, e: Lin) -> Any:
        from pyomo.core.util import quicksum

        x = self.x
        if not e.coefs:
            return e.const
        body = quicksum((c * x[i] for i, c in e.coefs.items()))
        return body + e.const if e.const else body

    def quad(self, e: Quad) -> Any:
        from pyomo.core.util import quicksum

        x = self.x
        q = quicksum((c * x[i] * x[j] for (i, j), c in e.quad.items()))
        return q + self.lin(e.lin)

    def expr(self, e: Expr) -> Any:
        t = type(e)
        if t is Lin:
            return self.lin(e)  # type: ignore[arg-type]
        if t is Quad:
            return self.quad(e)  # type: ignore[arg-type]
        return self.nl(e)  # type: ignore[arg-type]

    def nl(self, e: NL) -> Any:
        pe = self.pe
        op = e.op
        if op == "pow":
            exponent = e.args[1]
            if not isinstance(exponent, Lin) or exponent.coefs:
                raise UnsupportedModelError("a power with a variable exponent",
                                            hint="make the exponent a constant")
            return self.expr(e.args[0]) ** exponent.const
        a = [self.expr(arg) for arg in e.args]
        if op == "add":
            return sum(a[1:], a[0])
        if op == "mul":
            return a[0] * a[1]
        if op == "div":
            return a[0] / a[1]
        if op == "neg":
            return -a[0]
        if op == "abs":
            return abs(a[0])
        if op in ("min", "max"):
            acc = a[0]
            sign = -1.0 if op == "min" else 1.0
            for b in a[1:]:
                acc = 0.5 * (acc + b + sign * abs(acc - b))
            return acc
        if op == "exp":
            return pe.exp(a[0])
        if op == "log":
            return pe.log(a[0])
        if op == "sqrt":
            return pe.sqrt(a[0])
        raise UnsupportedModelError(f"the function {op!r} is not supported by the Pyomo backends")


def build_pyomo(model: GroundModel, *, with_objective: bool = True, skip_soft: bool = False) -> PyomoBuild:
    """Build a Pyomo ConcreteModel: ``m.x[i]`` for variable id ``i``, ``m.cons[ci]`` for constraint ``ci``."""
    import pyomo.environ as pe

    n = model.n_vars
    m = pe.ConcreteModel(name=model.name or "optsolve")
    doms = [getattr(pe, _DOMAIN[v.kind]) for v in model.vars]
    bnds = [(v.lb, v.ub) for v in model.vars]
    m.x = pe.Var(range(n), domain=lambda _m, i: doms[i], bounds=lambda _m, i: bnds[i], dense=True)
    b = _ExprBuilder(m.x)
    built: dict[int, Any] = {}
    upper: dict[int, Any] = {}
    false_constraints: list[int] = []
    for ci, c in enumerate(model.constraints):
        if c.weight is not None:
            if skip_soft:
                continue
            raise UnsupportedModelError(f"constraint {c.label}: soft constraints are not supported by the "
                                        "Pyomo backends", hint="use --solver cpsat or pysat", where=c.label)
        f = c.formula
        t = type(f)
        if t is Rel or t is Range:
            e = f.expr  # type: ignore[union-attr]
            if type(e) is Lin and not e.coefs:  # type: ignore[union-attr]
                val = e.const  # type: ignore[union-attr]
                ok = (f.lo - _TOL <= val <= f.hi + _TOL) if t is Range else _holds(val, f.sense, f.rhs)  # type: ignore[union-attr]
                if not ok:
                    false_constraints.append(ci)
                continue
            body = b.expr(e)
            if t is Range:
                # two one-sided rows: scip_direct mistranslates a ranged row whose body has a constant
                built[ci] = body >= f.lo  # type: ignore[union-attr]
                upper[ci] = body <= f.hi  # type: ignore[union-attr]
            elif f.sense == "<=":  # type: ignore[union-attr]
                built[ci] = body <= f.rhs  # type: ignore[union-attr]
            elif f.sense == ">=":  # type: ignore[union-attr]
                built[ci] = body >= f.rhs  # type: ignore[union-attr]
            else:
                built[ci] = body == f.rhs  # type: ignore[union-attr]
        elif t is BoolLit:
            built[ci] = m.x[f.var] == (0 if f.negated else 1)  # type: ignore[union-attr]
        elif t is BoolConst:
            if not f.value:  # type: ignore[union-attr]
                false_constraints.append(ci)
        else:
            raise UnsupportedModelError(f"constraint {c.label}: a logic formula ({t.__name__}) is not "
                                        "supported by the Pyomo backends", hint="use --solver cpsat or z3",
                                        where=c.label)
    m.cons = pe.Constraint(list(built), rule=lambda _m, ci: built[ci])
    m.cons_upper = pe.Constraint(list(upper), rule=lambda _m, ci: upper[ci])
    has_obj = with_objective and model.objective is not None
    if has_obj:
        assert model.objective is not None
        sense = pe.maximize if model.objective.sense == "maximize" else pe.minimize
        m.obj = pe.Objective(expr=b.expr(model.objective.expr), sense=sense)
    return PyomoBuild(m, false_constraints, has_obj)


def _holds(val: float, sense: str, rhs: float) -> bool:
    if sense == "<=":
        return val <= rhs + _TOL
    if sense == ">=":
        return val >= rhs - _TOL
    return abs(val - rhs) <= _TOL


def _default_value(lb: float | None, ub: float | None, integral: bool) -> float:
    """A value for a variable that appears nowhere (solvers do not report those)."""
    v = 0.0
    if lb is not None and v < lb:
        v = math.ceil(lb) if integral else lb
    if ub is not None and v > ub:
        v = math.floor(ub) if integral else ub
    return float(v)


class _PyomoBackend(Backend):
    """Shared solve logic over Pyomo's contrib solver interface."""

    solver_name = ""
    pass_threads = True

    def _solver(self) -> Any:
        from pyomo.contrib.solver.common.factory import SolverFactory

        return SolverFactory(self.solver_name)

    def _solver_options(self, options: SolveOptions) -> dict[str, Any]:
        return {}

    def _solver_seconds(self, results: Any, wall: float) -> float:
        return wall

    def version(self) -> str:
        try:
            return ".".join(str(p) for p in self._solver().version())
        except Exception:  # pragma: no cover
            return ""

    def solve(self, model: GroundModel, options: SolveOptions) -> RawSolution:
        pb = build_pyomo(model)
        if pb.false_constraints:
            return RawSolution(Status.INFEASIBLE, core=pb.false_constraints, solver_seconds=0.0,
                               message="a constraint without variables does not hold")
        m = pb.model
        raw, results, seconds = self._run(m, options)
        status = raw
        tc_extra: dict[str, Any] = {"termination": str(results.termination_condition.name)}
        has_sol = results.solution_status.name in ("optimal", "feasible")
        objective: float | None = None
        bound: float | None = None
        values: list[float] | None = None
        if has_sol and status not in (Status.UNBOUNDED, Status.INFEASIBLE, Status.INFEASIBLE_OR_UNBOUNDED):
            vals = results.solution_loader.get_vars()
            values = []
            for i, v in enumerate(model.vars):
                val = vals.get(m.x[i])
                values.append(float(val) if val is not None else _default_value(v.lb, v.ub, v.is_integral))
            if pb.has_objective and results.incumbent_objective is not None:
                objective = float(results.incumbent_objective)
            ob = results.objective_bound
            if pb.has_objective and ob is not None and math.isfinite(ob):
                bound = float(ob)
                if objective is not None:
                    tc_extra["gap"] = abs(objective - bound) / max(1e-10, abs(objective))
        if status is Status.INFEASIBLE_OR_UNBOUNDED and pb.has_objective:
            # decide with a feasibility solve (feasible + unbounded-or-infeasible = unbounded)
            m.obj.deactivate()
            st2, _, s2 = self._run(m, options)
            seconds += s2
            if st2 is Status.INFEASIBLE:
                status = Status.INFEASIBLE
            elif st2 in (Status.OPTIMAL, Status.FEASIBLE):
                status = Status.UNBOUNDED
        if status is Status.OPTIMAL and not has_sol:
            status = Status.ERROR
        return RawSolution(status, objective=objective, values=values, bound=bound, solver_seconds=seconds,
                           extra=tc_extra,
                           message=None if status is not Status.ERROR else f"{self.name}: {tc_extra['termination']}")

    def _run(self, m: Any, options: SolveOptions) -> tuple[Status, Any, float]:
        opt = self._solver()
        kw: dict[str, Any] = {"load_solutions": False, "raise_exception_on_nonoptimal_result": False,
                              "tee": bool(options.verbose), "solver_options": self._solver_options(options)}
        if options.time_limit is not None:
            kw["time_limit"] = float(options.time_limit)
        if options.threads is not None and self.pass_threads:
            kw["threads"] = int(options.threads)
        t0 = time.perf_counter()
        token = _SCIP_VERBOSE.set(bool(options.verbose))
        try:
            results = opt.solve(m, **kw)
        except (NotImplementedError, ValueError, TypeError) as exc:
            raise SolverError(f"{self.name} could not take the model: {exc}",
                              hint="try another backend with --solver") from exc
        finally:
            _SCIP_VERBOSE.reset(token)
        wall = time.perf_counter() - t0
        return _map_status(results), results, self._solver_seconds(results, wall)


def _map_status(results: Any) -> Status:
    tc = results.termination_condition.name
    has_sol = results.solution_status.name in ("optimal", "feasible")
    if tc == "convergenceCriteriaSatisfied":
        return Status.OPTIMAL if results.solution_status.name == "optimal" else Status.FEASIBLE
    if tc in ("provenInfeasible", "locallyInfeasible"):
        return Status.INFEASIBLE
    if tc == "unbounded":
        return Status.UNBOUNDED
    if tc == "infeasibleOrUnbounded":
        return Status.INFEASIBLE_OR_UNBOUNDED
    if tc == "maxTimeLimit":
        return Status.TIME_LIMIT
    if has_sol:
        return Status.FEASIBLE
    return Status.ERROR


_COMMON = frozenset({"continuous", "integer", "binary", "unbounded_integer", "linear", "no_objective",
                     "pure_boolean", "clausal"})


class ScipBackend(_PyomoBackend):
    name = "scip"
    modules = ("pyomo", "pyscipopt")
    solver_name = "scip_direct"
    supports = _COMMON | {"quadratic_objective", "nonconvex_objective", "quadratic_constraints", "nonlinear"}

    def _solver(self) -> Any:
        _patch_scip_abs()
        return super()._solver()

    def _solver_options(self, options: SolveOptions) -> dict[str, Any]:
        opts: dict[str, Any] = {"randomization/randomseedshift": int(options.seed) % 2**31}
        if not options.verbose:
            # Pyomo's scip_direct captures SCIP's output through a pipe whose reader thread cannot run
            # while PySCIPOpt holds the GIL: a long log (an unbounded NLP) fills the pipe and deadlocks
            # the solve past its time limit. Silence SCIP unless the user asked for its log.
            opts["display/verblevel"] = 0
        return opts

    def _solver_seconds(self, results: Any, wall: float) -> float:
        t = getattr(results.timing_info, "scip_time", None)
        return float(t) if t is not None else wall


class PyomoHighsBackend(_PyomoBackend):
    name = "pyomo-highs"
    modules = ("pyomo", "highspy")
    solver_name = "highs"
    supports = _COMMON | {"quadratic_objective"}
    # HiGHS sizes one process-wide thread pool on its first solve; a different count later fails the
    # solve (see highs_backend.set_options), so the thread option is not forwarded here.
    pass_threads = False

    def accepts(self, features: frozenset[str]) -> bool:
        if "quadratic_objective" in features and features & {"integer", "binary"}:
            return False
        return super().accepts(features)

    def _solver(self) -> Any:
        from optsolve.solvers.highs_backend import new_highs

        new_highs()  # swallow HiGHS's once-per-process banner before Pyomo creates its instance
        return super()._solver()

    def _solver_options(self, options: SolveOptions) -> dict[str, Any]:
        return {"random_seed": int(options.seed)}
