"""Code-mode harness: runs *inside* the sandbox around an LLM-written Pyomo script.

This file is shipped as source into the sandbox (``optsolve.formalize.code_mode`` reads it), so it must
import only the standard library, Pyomo and the sandbox's ``optsolve_sandbox`` helper, never optsolve.

It executes the script with a ``report(m, results)`` helper in scope. When the script does not call
``report``, the harness takes the model ``m`` (or ``model``) the script built and solves it itself
(HiGHS, or SCIP for models HiGHS cannot take, or the solver named by ``SOLVER``). Either way it sends one
JSON object (status, objective, variable values in the user's names) through the sandbox's result pipe.
"""

from __future__ import annotations

import linecache
import math
import sys
import time
import traceback
from typing import Any

SCRIPT_NAME = "script.py"
MAX_VALUES = 200_000           # variable values sent back; more is truncated with a message

# legacy pyomo.opt.TerminationCondition and pyomo.contrib.solver TerminationCondition -> our statuses
_STATUS = {
    "optimal": "optimal", "globallyOptimal": "optimal", "locallyOptimal": "optimal",
    "convergenceCriteriaSatisfied": "optimal",
    "feasible": "feasible",
    "infeasible": "infeasible", "provenInfeasible": "infeasible", "locallyInfeasible": "infeasible",
    "unbounded": "unbounded",
    "infeasibleOrUnbounded": "infeasible_or_unbounded",
    "maxTimeLimit": "time_limit",
}
_SOLVERS = {"highs": "highs", "appsi_highs": "appsi_highs", "scip": "scip_direct", "scip_direct": "scip_direct"}


class HarnessError(Exception):
    """A problem with the script's model that the LLM can fix (reported as status error)."""


def _termination(results: Any) -> str:
    tc = getattr(results, "termination_condition", None)           # pyomo.contrib.solver Results
    if tc is None:
        solver = getattr(results, "solver", None)                   # legacy SolverResults
        tc = getattr(solver, "termination_condition", None)
    if tc is None:
        return "unknown"
    return str(getattr(tc, "name", tc))


def _clean(x: Any, integer: bool) -> float | int | None:
    if x is None:
        return None
    try:
        f = float(x)
    except (TypeError, ValueError):
        return None
    if not math.isfinite(f):
        return None
    if integer and abs(f - round(f)) <= 1e-6:
        return round(f)
    return f


def _key(index: Any) -> str:
    if isinstance(index, tuple):
        return ",".join(str(i) for i in index)
    return str(index)


def _objective(m: Any) -> Any:
    import pyomo.environ as pe

    objs = list(m.component_data_objects(pe.Objective, active=True, descend_into=True))
    if len(objs) > 1:
        raise HarnessError(f"the model has {len(objs)} active objectives; keep exactly one "
                           f"(deactivate the others with .deactivate())")
    return objs[0] if objs else None


def extract(m: Any, status: str, *, solver: str, termination: str, solver_seconds: float | None,
            message: str | None = None) -> dict[str, Any]:
    """The JSON result for a (solved) model ``m``."""
    import pyomo.environ as pe

    obj = _objective(m)
    has_solution = status in ("optimal", "feasible", "time_limit")
    objective = None
    if has_solution and obj is not None:
        objective = _clean(pe.value(obj, exception=False), False)
    variables: dict[str, Any] = {}
    count = 0
    truncated = False
    if has_solution:
        for comp in m.component_objects(pe.Var, descend_into=True):
            name = comp.getname(fully_qualified=True)
            if comp.is_indexed():
                vals: dict[str, Any] = {}
                for idx, v in comp.items():
                    if count >= MAX_VALUES:
                        truncated = True
                        break
                    vals[_key(idx)] = _clean(v.value, v.is_integer() or v.is_binary())
                    count += 1
                variables[name] = vals
            else:
                if count >= MAX_VALUES:
                    truncated = True
                    break
                variables[name] = _clean(comp.value, comp.is_integer() or comp.is_binary())
                count += 1
            if truncated:
                break
    if truncated:
        extra = f"variable values truncated after {MAX_VALUES}"
        message = f"{message}; {extra}" if message else extra
    if has_solution and obj is None and objective is None:
        objective = 0.0 if status != "time_limit" else None    # a feasibility problem: objective 0
    n_vars = sum(1 for _ in m.component_data_objects(pe.Var, descend_into=True))
    n_cons = sum(1 for _ in m.component_data_objects(pe.Constraint, active=True, descend_into=True))
    return {"status": status, "objective": objective, "variables": variables, "solver": solver,
            "termination": termination, "solver_seconds": solver_seconds, "message": message,
            "n_vars": n_vars, "n_constraints": n_cons}


def solve_model(m: Any, solver: str, time_limit: float) -> dict[str, Any]:
    """Solve ``m`` with ``solver`` ('auto', 'highs', 'scip'...) and extract the result."""
    from pyomo.opt import SolverFactory

    _objective(m)           # several active objectives: say so before a solver does, less clearly
    names = ["highs", "scip"] if solver == "auto" else [solver]
    last_error: Exception | None = None
    for name in names:
        if name not in _SOLVERS:
            raise HarnessError(f"unknown SOLVER {name!r}; use 'highs' or 'scip'")
        opt = SolverFactory(_SOLVERS[name])
        t0 = time.perf_counter()
        try:
            results = opt.solve(m, load_solutions=False, timelimit=time_limit)
        except Exception as exc:     # e.g. HiGHS on a nonlinear model: try the next solver
            if type(exc).__name__ == "IncompatibleModelError" and name != names[-1]:
                last_error = exc
                continue
            raise
        seconds = time.perf_counter() - t0
        term = _termination(results)
        status = _STATUS.get(term, "error")
        message = None
        if status in ("optimal", "feasible", "time_limit"):
            try:
                m.solutions.load_from(results, None)
            except Exception as exc:   # a time limit without an incumbent
                if status != "time_limit":
                    raise
                message = f"no solution loaded: {exc}"
        elif status == "error":
            message = f"solver stopped with termination condition {term}"
        return extract(m, status, solver=name, termination=term, solver_seconds=round(seconds, 6),
                       message=message)
    raise HarnessError(f"no solver can take this model: {last_error}")


def _find_model(ns: dict[str, Any]) -> Any:
    import pyomo.environ as pe

    for name in ("m", "model"):
        cand = ns.get(name)
        if isinstance(cand, pe.Block):
            return cand
    found = [k for k, v in ns.items() if isinstance(v, pe.ConcreteModel) and not k.startswith("_")]
    if len(found) == 1:
        return ns[found[0]]
    raise HarnessError("the script built no Pyomo model: assign the ConcreteModel to `m` "
                       "(or call report(m, results) after solving it)")


def _error(message: str) -> dict[str, Any]:
    return {"status": "error", "objective": None, "variables": {}, "solver": "", "termination": None,
            "solver_seconds": None, "message": message[:4000], "n_vars": 0, "n_constraints": 0}


def _exc_line(exc: BaseException) -> str:
    return "".join(traceback.format_exception_only(type(exc), exc)).strip()


def main() -> int:
    import optsolve_sandbox  # type: ignore[import-not-found]  # provided inside the sandbox only

    cfg = optsolve_sandbox.inputs()
    script: str = cfg["script"]
    time_limit = float(cfg["time_limit"])
    default_solver = str(cfg.get("solver", "auto"))
    reported: list[dict[str, Any]] = []

    def report(m: Any, results: Any = None) -> None:
        """Report a model the script solved itself (``results`` = what ``solve`` returned)."""
        if results is None:
            reported.append(extract(m, "feasible", solver="script", termination="unknown", solver_seconds=None,
                                    message="report() got no solver results; status assumed feasible"))
            return
        term = _termination(results)
        status = _STATUS.get(term, "error")
        reported.append(extract(m, status, solver="script", termination=term, solver_seconds=None))

    linecache.cache[SCRIPT_NAME] = (len(script), None, script.splitlines(True), SCRIPT_NAME)
    ns: dict[str, Any] = {"__name__": "__main__", "__file__": SCRIPT_NAME, "__builtins__": __builtins__,
                          "report": report, "TIME_LIMIT": time_limit}
    try:
        code = compile(script, SCRIPT_NAME, "exec")
    except (SyntaxError, ValueError) as exc:     # ValueError: e.g. NUL bytes
        print(_exc_line(exc), file=sys.stderr)
        optsolve_sandbox.emit(_error(f"the script does not compile: {_exc_line(exc)}"))
        return 1
    try:
        exec(code, ns)
    except SystemExit as exc:
        if exc.code not in (None, 0):
            optsolve_sandbox.emit(_error(f"the script called sys.exit({exc.code!r})"))
            return 1
    except BaseException as exc:
        tb = exc.__traceback__.tb_next if exc.__traceback__ else None    # hide the harness's own frame
        traceback.print_exception(type(exc), exc, tb)
        optsolve_sandbox.emit(_error(f"the script raised {_exc_line(exc)}"))
        return 1
    try:
        if reported:
            payload = reported[-1]
        else:
            solver = str(ns.get("SOLVER", default_solver)).lower()
            payload = solve_model(_find_model(ns), solver, time_limit)
    except HarnessError as exc:
        optsolve_sandbox.emit(_error(str(exc)))
        return 1
    except Exception as exc:
        traceback.print_exc()
        optsolve_sandbox.emit(_error(f"solving the script's model failed: {_exc_line(exc)}"))
        return 1
    optsolve_sandbox.emit(payload)
    return 0


if __name__ == "__main__":
    sys.exit(main())
