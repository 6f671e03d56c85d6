"""CP-SAT backend on hand-built grounded models (answers computed independently in logic_models)."""

from __future__ import annotations

from typing import Any

import pytest

pytest.importorskip("ortools")

from logic_models import (
    MB,
    PETERSEN,
    brute_force,
    check_solution,
    colouring,
    eq,
    ge,
    infeasible_linear,
    infeasible_logic,
    le,
    library_cross_check,
    library_names,
    lin,
    random_maxsat,
    schedule,
    send_more_money,
)

from optsolve.errors import UnsupportedModelError
from optsolve.formulation.ir import NL, BoolLit, GroundModel, Implies, Or, Quad, Range, Rel
from optsolve.solvers.cpsat_backend import CpSatBackend
from optsolve.solvers.result import SolveOptions, Status

B = CpSatBackend()
OPT = SolveOptions(seed=1, threads=2)


def test_registry_facts() -> None:
    assert B.name == "cpsat" and B.available()
    assert "continuous" not in B.supports and {"all_different", "soft", "logic"} <= B.supports


@pytest.mark.parametrize("clausal", [True, False])
def test_petersen_colouring(clausal: bool) -> None:
    sat = colouring(PETERSEN, 10, 3, clausal)
    r = B.solve(sat, OPT)
    assert r.status is Status.OPTIMAL and r.values is not None
    check_solution(sat, r.values)
    assert r.objective is None
    unsat = colouring(PETERSEN, 10, 2, clausal)
    r2 = B.solve(unsat, SolveOptions(explain=False))
    assert r2.status is Status.INFEASIBLE and r2.values is None


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_weighted_maxsat_matches_brute_force(seed: int) -> None:
    gm = random_maxsat(10, 8, 30, seed)
    feasible, best = brute_force(gm, [(0, 1)] * 10)
    r = B.solve(gm, OPT)
    if not feasible:
        assert r.status is Status.INFEASIBLE
        return
    assert r.status is Status.OPTIMAL and r.values is not None
    check_solution(gm, r.values)
    assert r.objective == pytest.approx(best)


def test_send_more_money() -> None:
    gm, sol = send_more_money()
    r = B.solve(gm, OPT)
    assert r.status is Status.OPTIMAL and r.values is not None
    assert {gm.vars[i].name: round(v) for i, v in enumerate(r.values)} == sol
    assert r.objective == pytest.approx(10652)
    assert r.bound == pytest.approx(10652)


def test_disjunctive_schedule() -> None:
    gm, best = schedule([4, 3, 6, 2, 5], [0, 2, 1, 9, 3], 60)
    r = B.solve(gm, OPT)
    assert r.status is Status.OPTIMAL and r.values is not None
    check_solution(gm, r.values)
    assert r.objective == pytest.approx(best)


def test_infeasible_core_is_exact() -> None:
    gm, expected = infeasible_linear()
    r = B.solve(gm, OPT)
    assert r.status is Status.INFEASIBLE
    assert r.core is not None and set(r.core) == expected


def test_infeasible_logic_core() -> None:
    gm, expected = infeasible_logic()
    r = B.solve(gm, OPT)
    assert r.status is Status.INFEASIBLE and set(r.core or []) == expected


def test_decimal_coefficients_are_scaled_exactly() -> None:
    m = MB()
    x = m.var("x", kind="integer", lb=0, ub=20)
    y = m.var("y", kind="integer", lb=0, ub=20)
    m.add("c", le({x: 0.5, y: 0.25}, 2.8))     # 2x + y <= 11.2 -> <= 11
    m.add("d", ge({x: 0.1, y: -0.3}, -0.95))
    m.maximize(lin({x: 1.5, y: 1.25}, 0.125))
    gm = m.build()
    _, best = brute_force(gm, [range(21), range(21)])
    r = B.solve(gm, OPT)
    assert r.status is Status.OPTIMAL and r.objective == pytest.approx(best)
    assert r.bound == pytest.approx(best)


def test_non_decimal_coefficient_rejected_with_hint() -> None:
    m = MB()
    x = m.var("x", kind="integer", lb=0, ub=5)
    m.add("third", le({x: 1 / 3}, 1), index=(1,))
    with pytest.raises(UnsupportedModelError) as ei:
        B.solve(m.build(), OPT)
    assert "z3" in str(ei.value) and "third[1]" in str(ei.value)


def test_continuous_rejected() -> None:
    m = MB()
    m.var("x", kind="continuous", lb=0, ub=1)
    with pytest.raises(UnsupportedModelError):
        B.solve(m.build(), OPT)


def test_soft_with_objective_reports_penalised_objective() -> None:
    # maximise x + y (0..5) with soft x <= 1 (w 5), soft y <= 2 (w 0.5): keep x<=1, break y<=2
    m = MB()
    x = m.var("x", kind="integer", lb=0, ub=5)
    y = m.var("y", kind="integer", lb=0, ub=5)
    m.add("sx", le({x: 1}, 1), weight=5.0)
    m.add("sy", le({y: 1}, 2), weight=0.5)
    m.maximize(lin({x: 1, y: 1}))
    gm = m.build()
    _, best = brute_force(gm, [range(6), range(6)])
    r = B.solve(gm, OPT)
    assert r.status is Status.OPTIMAL
    assert r.objective == pytest.approx(best) == pytest.approx(5.5)


def test_unbounded_integer() -> None:
    m = MB()
    x = m.var("x", kind="integer", lb=0, ub=None)
    y = m.var("y", kind="integer", lb=None, ub=None)
    m.add("c", ge({x: 1, y: -1}, 3))
    m.maximize(lin({x: 1, y: 1}))
    assert B.solve(m.build(), OPT).status is Status.UNBOUNDED
    m.obj = None
    m2 = m.build()
    m2.objective = None
    r = B.solve(m2, OPT)
    assert r.status is Status.OPTIMAL and r.values is not None and r.values[0] - r.values[1] >= 3
    # bounded optimum with unbounded-domain variables
    m3 = MB()
    a = m3.var("a", kind="integer")
    m3.add("lo", ge({a: 2}, 7))
    m3.minimize(lin({a: 1}))
    r3 = B.solve(m3.build(), OPT)
    assert r3.status is Status.OPTIMAL and r3.objective == 4


def test_quadratic_and_nonlinear() -> None:
    # minimise (x - 3)^2 + |y - 2| + max(x, y) with x*y >= 6
    m = MB()
    x = m.var("x", kind="integer", lb=-5, ub=5)
    y = m.var("y", kind="integer", lb=-5, ub=5)
    m.add("prod", Rel(Quad({(x, y): 1.0}, lin()), ">=", 6))
    obj = NL("add", (Quad({(x, x): 1.0}, lin({x: -6}, 9)),
                     NL("abs", (lin({y: 1}, -2),)),
                     NL("max", (lin({x: 1}), lin({y: 1})))))
    m.minimize(obj)
    gm = m.build()
    _, best = brute_force(gm, [range(-5, 6), range(-5, 6)])
    r = B.solve(gm, OPT)
    assert r.status is Status.OPTIMAL and r.objective == pytest.approx(best)


def test_logic_range_and_implies() -> None:
    # b => 3 <= x + y <= 4; not b => x == 0; or(x >= 2, y >= 4); minimise 10*b + y - x
    m = MB()
    b = m.var("b", kind="boolean")
    x = m.var("x", kind="integer", lb=0, ub=4)
    y = m.var("y", kind="integer", lb=0, ub=4)
    m.add("r", Implies(BoolLit(b), Range(lin({x: 1, y: 1}), 3, 4)))
    m.add("n", Implies(BoolLit(b, True), eq({x: 1}, 0)))
    m.add("o", Or((ge({x: 1}, 2), ge({y: 1}, 4))))
    m.add("nest", Or((BoolLit(b, True), Range(lin({y: 1}), 1, 2))))
    m.minimize(lin({b: 10, y: 1, x: -1}))
    gm = m.build()
    _, best = brute_force(gm, [(0, 1), range(5), range(5)])
    r = B.solve(gm, OPT)
    assert r.status is Status.OPTIMAL and r.objective == pytest.approx(best)


def test_time_limit_status() -> None:
    gm = random_maxsat(250, 0, 2500, seed=7, width=2)
    r = B.solve(gm, SolveOptions(time_limit=0.2, threads=1))
    assert r.status in (Status.TIME_LIMIT, Status.OPTIMAL)
    assert r.status is Status.TIME_LIMIT or r.values is not None
    assert r.solver_seconds is not None and r.solver_seconds < 5


@pytest.mark.parametrize("name", library_names("cpsat"))
def test_library_problem_on_cpsat(name: str) -> None:
    library_cross_check("cpsat", name)


def test_formulation_json_all_different_with_soft_preferences() -> None:
    from itertools import permutations

    from optsolve.solvers import solve

    fav = [1, 1, 2, 3]
    cost = [3, 1, 4, 2]
    f = {
        "name": "assign_soft",
        "sets": {"W": {"range": [1, 4]}},
        "parameters": {"fav": {"index": ["W"], "values": fav}, "cost": {"index": ["W"], "values": cost}},
        "variables": {"x": {"index": ["W"], "domain": "integers", "lb": 1, "ub": 4}},
        "objective": {"sense": "minimize", "expr": "sum(cost[w] * x[w] for w in W)"},
        "constraints": {
            "distinct": {"expr": "all_different(x[w] for w in W)"},
            "likes": {"forall": "w in W", "expr": "x[w] == fav[w]", "soft": {"weight": 2.5}},
        },
    }
    best = min(sum(c * x for c, x in zip(cost, p)) + 2.5 * sum(x != g for x, g in zip(p, fav))
               for p in permutations(range(1, 5)))
    res = solve(f, solver="cpsat")
    assert res.status is Status.OPTIMAL and res.objective == pytest.approx(best)
    assert sorted(res.variables["x"].values()) == [1, 2, 3, 4]


_CREEP = r'''
import json, resource, sys
resource.setrlimit(resource.RLIMIT_AS, (3 * 2**30, 3 * 2**30))
from optsolve.solvers import solve
v = {k: {"domain": "nonnegative_integers"} for k in ("m", "b", "o", "a")}
rows = {"c1": "9 * m + 18 * b + 9 * o + 48 * a >= 2000", "c2": "14 * m + 37 * b + 15 * o + 2 * a >= 4000",
        "c3": "m <= o", "cycle": "b >= 3 * m + o + a >= 3 * b"}
if sys.argv[1] == "logic":  # one disjunction makes it a logic model that only CP-SAT and z3 take
    rows["either"] = "(m >= 1) or (o >= 2)"
f = {"name": "creep", "variables": v, "constraints": {k: {"expr": e} for k, e in rows.items()},
     "objective": {"sense": "minimize", "expr": "60 * m + 6 * b + 7 * o + 73 * a"}}
r = solve(f, solver="cpsat", explain=True)
print(json.dumps({"status": r.status.value, "explanation": r.explanation, "message": r.message}))
'''


@pytest.mark.parametrize("kind", ["linear", "logic"])
def test_an_infeasible_cycle_over_unbounded_integers_is_proved_by_the_lp_screen(kind: str) -> None:
    """b >= 3m + o + a >= 3b forces everything to 0 against c1/c2: CP-SAT's bound propagation crept
    across the 2**31 artificial domain and allocated 22 GB on this model (std::bad_alloc under 3 GB,
    session 29). Its LP relaxation is infeasible, so HiGHS proves it first; run in a child under a
    3 GB address-space limit so a regression fails this test instead of the machine."""
    import json
    import subprocess
    import sys

    p = subprocess.run([sys.executable, "-c", _CREEP, kind], capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr[-2000:]
    out = json.loads(p.stdout.strip().splitlines()[-1])
    assert out["status"] == "infeasible"
    # the cycle (both its rows) with one lower bound is a core; c3 and the disjunction play no part
    assert "cycle" in out["explanation"] and set(out["explanation"]) <= {"cycle", "c1", "c2"}


def test_the_lp_screen_leaves_feasible_and_integer_only_infeasible_models_to_cp_sat() -> None:
    """A relaxation that is feasible says nothing: 2x = 2y + 1 has LP solutions, no integer one."""
    from optsolve.solvers.cpsat_backend import lp_screen

    def parity(extra: Rel | None) -> GroundModel:
        m = MB("parity")
        x, y = m.var("x", kind="integer"), m.var("y", kind="integer")
        m.add("odd", eq({x: 2, y: -2}, 1))
        m.add("lo", ge({x: 1}, 3))
        if extra is not None:
            m.add("hi", extra)
        return m.build()

    gm = parity(None)
    assert lp_screen(gm, [0, 1]) is None
    assert B.solve(gm, OPT).status is Status.INFEASIBLE
    gm2 = parity(le({0: 1, 1: -1}, 0))  # x <= y against x - y = 1/2: the LP is infeasible too
    assert lp_screen(gm2, [0, 1, 2]) == [0, 2]
    res = B.solve(gm2, OPT)
    assert res.status is Status.INFEASIBLE and res.extra == {"proved_by": "lp_relaxation"}
    # a feasible model over unbounded integers is still CP-SAT's: x = y = 3
    f = MB("feasible")
    a, b = f.var("a", kind="integer"), f.var("b", kind="integer")
    f.add("sum", eq({a: 1, b: 1}, 6))
    f.add("tie", eq({a: 1, b: -1}, 0))
    f.minimize(lin({a: 1}))
    res = B.solve(f.build(), OPT)
    assert res.status is Status.OPTIMAL and res.values == [3.0, 3.0] and "proved_by" not in res.extra


def test_a_product_of_unbounded_integers_fits_cp_sat_and_an_overflow_goes_to_the_next_backend() -> None:
    """v * v over the ±2^31 domain needs an auxiliary variable up to 2^62: CP-SAT accepts 2^62 - 1 at
    most (it rejected the model when the bound was 2^62). 2 * v * v can overflow CP-SAT's int64 checks:
    CP-SAT rejects that model, and routing hands it to the next backend that takes it (SCIP), saying so;
    a user who forces CP-SAT gets CP-SAT's error."""
    from optsolve.solvers import solve

    def model(square: str) -> dict[str, Any]:
        return {"name": "sq", "variables": {k: {"domain": "nonnegative_integers"} for k in ("v", "t", "a")},
                "constraints": {"c1": {"expr": f"a >= {square}"}, "c2": {"expr": "v + t >= 4"},
                                "c3": {"expr": "t <= 1"}},
                "objective": {"sense": "minimize", "expr": "v + t + a"}}

    r = solve(model("v * v"))
    assert (r.status, r.solver, r.objective, r.message) == (Status.OPTIMAL, "cpsat", 13.0, None)
    f = model("2 * v * v")
    r = solve(f)
    assert (r.status, r.solver, r.objective) == (Status.OPTIMAL, "scip", 22.0)
    assert r.variables == {"v": 3, "t": 1, "a": 18}
    assert r.message == ("solved by scip: cpsat could not take the model (CP-SAT rejected the model: "
                         "Possible integer overflow in constraint)")
    forced = solve(f, solver="cpsat")
    assert forced.status is Status.ERROR and forced.solver == "cpsat" and "overflow" in (forced.message or "")
