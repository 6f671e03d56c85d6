"""Every library problem solves to its independently known optimum on its routed backend."""

from __future__ import annotations

import pytest
from problem_library import close, load_problems

from optsolve.formulation import compile_model
from optsolve.solvers import SolveOptions, Status, route, solve_model
from optsolve.solvers.base import get_backend

PROBLEMS = load_problems()


def test_library_is_large_and_covers_every_backend():
    assert len(PROBLEMS) >= 30
    assert {p.backend for p in PROBLEMS} >= {"highs", "scip", "cpsat", "pysat", "z3"}
    assert {p.status for p in PROBLEMS} >= {"optimal", "infeasible", "unbounded"}


@pytest.mark.parametrize("prob", PROBLEMS, ids=[p.name for p in PROBLEMS])
def test_problem_solves_to_known_optimum(prob):
    try:
        backend = get_backend(prob.backend)
    except Exception as exc:  # backend module not importable on this machine
        pytest.skip(f"{prob.backend} unavailable: {exc}")
    if not backend.available():
        pytest.skip(f"{prob.backend} not installed")
    gm = compile_model(prob.formulation)
    assert route(gm) == prob.backend, f"routed to {route(gm)}; features {sorted(gm.features)}"
    res = solve_model(gm, SolveOptions(time_limit=60))
    assert res.status == Status(prob.status), (res.status, res.message)
    assert res.solver == prob.backend
    if prob.optimum is not None:
        assert res.objective is not None
        assert close(res.objective, prob.optimum, prob.tol), (res.objective, prob.optimum)
    if prob.explanation is not None:
        assert res.explanation, "an infeasible model must come back with its conflicting constraints"
        assert set(res.explanation) == set(prob.explanation), res.explanation


def test_large_maxsat_routes_to_cpsat_small_to_pysat():
    """RC2 is faster on small MaxSAT models, CP-SAT from ~200 weighted terms (docs/solvers_logic.md)."""
    def maxsat(n: int) -> dict:
        return {
            "sets": {"I": {"range": [1, n]}},
            "variables": {"b": {"index": ["I"], "domain": "boolean"}},
            "constraints": {
                "pair": {"forall": "i in I if i < " + str(n), "expr": "b[i] or b[i + 1]"},
                "prefer_off": {"forall": "i in I", "expr": "not b[i]", "soft": {"weight": 1}},
            },
        }

    assert route(compile_model(maxsat(20))) == "pysat"
    big = compile_model(maxsat(300))
    assert route(big) == "cpsat"
    res = solve_model(big, SolveOptions(time_limit=60))
    assert res.status == Status.OPTIMAL and res.objective == 150
