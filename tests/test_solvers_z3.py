"""z3 backend on hand-built grounded models (answers computed independently in logic_models)."""

from __future__ import annotations

import math
from typing import Any

import pytest

pytest.importorskip("z3")

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
from optsolve.formulation.ir import NL, AllDifferent, BoolLit, Implies, Not, Or, Quad, Range, Rel
from optsolve.solvers.result import SolveOptions, Status
from optsolve.solvers.z3_backend import Z3Backend

B = Z3Backend()
OPT = SolveOptions(seed=1)


def test_registry_facts() -> None:
    assert B.name == "z3" and B.available() and B.version()
    assert {"continuous", "nonlinear", "logic", "soft", "all_different"} <= B.supports


def test_petersen_colouring() -> None:
    sat = colouring(PETERSEN, 10, 3)
    r = B.solve(sat, OPT)
    assert r.status is Status.OPTIMAL and r.values is not None and r.objective is None
    check_solution(sat, r.values)
    r2 = B.solve(colouring(PETERSEN, 10, 2, clausal=False), SolveOptions(explain=False))
    assert r2.status is Status.INFEASIBLE and r2.core is None


@pytest.mark.parametrize("seed", [0, 1])
def test_weighted_maxsat_matches_brute_force(seed: int) -> None:
    gm = random_maxsat(10, 8, 30, seed)
    feasible, best = brute_force(gm, [(0, 1)] * 10)
    r = B.solve(gm, OPT)
    assert feasible
    assert r.status is Status.OPTIMAL and r.values is not None
    check_solution(gm, r.values)
    assert r.objective == pytest.approx(best)


def test_send_more_money() -> None:
    gm, sol = send_more_money()
    r = B.solve(gm, OPT)
    assert r.status is Status.OPTIMAL and r.values is not None
    assert {gm.vars[i].name: round(v) for i, v in enumerate(r.values)} == sol
    assert r.objective == 10652 and r.bound == 10652


def test_disjunctive_schedule() -> None:
    gm, best = schedule([4, 3, 6, 2, 5], [0, 2, 1, 9, 3], 60)
    r = B.solve(gm, OPT)
    assert r.status is Status.OPTIMAL and r.values is not None
    check_solution(gm, r.values)
    assert r.objective == pytest.approx(best)


def test_infeasible_cores_are_exact() -> None:
    for gm, expected in (infeasible_linear(), infeasible_logic()):
        r = B.solve(gm, OPT)
        assert r.status is Status.INFEASIBLE
        assert r.core is not None and set(r.core) == expected


def test_mixed_real_and_logic() -> None:
    # reals x, y in [0, 10]; on -> x + y >= 8; not on -> x <= 1; or(x - y >= 2, y - x >= 3);
    # minimise 2x + 3y + 5 on: on=0 gives x<=1, y-x>=3 -> y=3 (x=0): 9; on=1: x+y>=8, x-y>=2 -> x=5,y=3:
    # 10+9+5=24 or y-x>=3 -> x=2.5,y=5.5: 5+16.5+5=26.5. Optimum 9 (on = 0, x = 0, y = 3).
    m = MB()
    on = m.var("on", kind="binary")
    x = m.var("x", kind="continuous", lb=0, ub=10)
    y = m.var("y", kind="continuous", lb=0, ub=10)
    m.add("a", Implies(BoolLit(on), ge({x: 1, y: 1}, 8)))
    m.add("b", Implies(Not(BoolLit(on)), le({x: 1}, 1)))
    m.add("c", Or((ge({x: 1, y: -1}, 2), ge({y: 1, x: -1}, 3))))
    m.minimize(lin({x: 2, y: 3, on: 5}))
    r = B.solve(m.build(), OPT)
    assert r.status is Status.OPTIMAL and r.values is not None
    assert r.objective == pytest.approx(9) and r.values == pytest.approx([0, 0, 3])


def test_exact_decimals_and_rationals() -> None:
    # maximise x with 0.1 x <= 0.3 (reals): exactly 3, no float noise; with x*x == 2 -> sqrt(2)
    m = MB()
    x = m.var("x", kind="continuous", lb=None, ub=None)
    m.add("c", le({x: 0.1}, 0.3))
    m.maximize(lin({x: 1}))
    r = B.solve(m.build(), OPT)
    assert r.status is Status.OPTIMAL and r.objective == 3.0
    m.add("sq", Rel(Quad({(x, x): 1.0}, lin()), "==", 2))
    r = B.solve(m.build(), OPT)
    assert r.status is Status.OPTIMAL and r.objective == pytest.approx(math.sqrt(2), abs=1e-12)


def test_nonlinear_real() -> None:
    # minimise x + y with x * y >= 4, x, y in [0.5, 10], |x - y| <= 1 and x / y <= 1.5
    m = MB()
    x = m.var("x", kind="continuous", lb=0.5, ub=10)
    y = m.var("y", kind="continuous", lb=0.5, ub=10)
    m.add("prod", Rel(NL("mul", (lin({x: 1}), lin({y: 1}))), ">=", 4))
    m.add("close", Rel(NL("abs", (lin({x: 1, y: -1}),)), "<=", 1))
    m.add("ratio", Rel(NL("div", (lin({x: 1}), lin({y: 1}))), "<=", 1.5))
    m.minimize(NL("add", (lin({x: 1}), lin({y: 1}))))
    r = B.solve(m.build(), OPT)
    assert r.status is Status.OPTIMAL and r.objective == pytest.approx(4.0)


@pytest.mark.parametrize("op", ["exp", "log", "sqrt"])
def test_transcendental_rejected(op: str) -> None:
    m = MB()
    x = m.var("x", kind="continuous", lb=1, ub=2)
    m.add("t", Rel(NL(op, (lin({x: 1}),)), "<=", 5), index=(7,))
    with pytest.raises(UnsupportedModelError) as ei:
        B.solve(m.build(), OPT)
    assert op in str(ei.value) and "t[7]" in str(ei.value)


def test_unbounded_and_epsilon() -> None:
    m = MB()
    x = m.var("x", kind="continuous", lb=0, ub=None)
    m.maximize(lin({x: 1}))
    assert B.solve(m.build(), OPT).status is Status.UNBOUNDED
    m2 = MB()
    y = m2.var("y", kind="continuous", lb=None, ub=None)
    m2.add("strict", Not(le({y: 1}, 1)))   # y > 1: the infimum 1 is not attained
    m2.minimize(lin({y: 1}))
    r = B.solve(m2.build(), OPT)
    assert r.status is Status.FEASIBLE and r.values is not None and r.values[0] > 1


def test_soft_with_objective_and_integers() -> None:
    m = MB()
    x = m.var("x", kind="integer", lb=0, ub=5)
    y = m.var("y", kind="integer", lb=0, ub=5)
    m.add("sx", le({x: 1}, 1), weight=5.0)
    m.add("sy", le({y: 1}, 2), weight=0.5)
    m.add("r", Range(lin({x: 1, y: 1}), 1, 9))
    m.add("ad", AllDifferent((lin({x: 1}), lin({y: 1}))))
    m.maximize(lin({x: 1, y: 1}))
    gm = m.build()
    _, best = brute_force(gm, [range(6), range(6)])
    r = B.solve(gm, OPT)
    assert r.status is Status.OPTIMAL and r.objective == pytest.approx(best) == pytest.approx(5.5)


def test_decimal_integer_model() -> None:
    m = MB()
    x = m.var("x", kind="integer", lb=0, ub=20)
    y = m.var("y", kind="integer", lb=0, ub=20)
    m.add("c", le({x: 0.5, y: 0.25}, 2.8))
    m.add("d", ge({x: 0.1, y: -0.3}, -0.95))
    m.maximize(lin({x: 1.5, y: 1.25}, 0.125))
    gm = m.build()
    _, best = brute_force(gm, [range(21), range(21)])
    assert B.solve(gm, OPT).objective == pytest.approx(best)


def test_time_limit() -> None:
    from logic_models import pigeonhole

    r = B.solve(pigeonhole(11), SolveOptions(time_limit=0.3, explain=False))
    assert r.status in (Status.TIME_LIMIT, Status.INFEASIBLE)
    m = MB()
    x = m.var("x", kind="integer", lb=0, ub=5)
    m.add("e", eq({x: 2}, 3))       # 2x == 3 has no integer solution
    assert B.solve(m.build(), OPT).status is Status.INFEASIBLE


@pytest.mark.parametrize("name", library_names("z3"))
def test_library_problem_on_z3(name: str) -> None:
    library_cross_check("z3", name)


def test_formulation_json_spec_disjunction_with_reals() -> None:
    from optsolve.formulation import compile_model
    from optsolve.solvers import route, solve

    f: dict[str, Any] = {
        "name": "two_tasks",
        "sets": {"T": [1, 2]},
        "variables": {"s": {"index": ["T"], "domain": "nonnegative_reals"}},
        "objective": {"sense": "minimize", "expr": "s[1] + s[2]"},
        "constraints": {
            "first_after_1": {"expr": "s[1] >= 1"},
            "no_overlap": {"expr": "(s[1] + 3 <= s[2]) or (s[2] + 2 <= s[1])"},
        },
    }
    assert route(compile_model(f)) == "z3"
    res = solve(f)
    # s1 + 3 <= s2 gives 1 + 4 = 5; s2 + 2 <= s1 gives s2 = 0, s1 = 2: optimum 2
    assert res.status is Status.OPTIMAL and res.objective == pytest.approx(2)
    assert res.variables["s"] == {"1": pytest.approx(2), "2": pytest.approx(0)}
    f["constraints"]["late"] = {"expr": "s[1] + s[2] <= 1.5"}
    res = solve(f)
    assert res.status is Status.INFEASIBLE
    assert set(res.explanation or []) == {"late", "no_overlap"}   # either order needs a sum >= 2


def test_unknown_after_the_whole_time_limit_is_a_time_limit() -> None:
    """z3's Optimize may answer a plain "unknown" when its timeout stops it: that is a time limit
    (the caller may keep an incumbent or retry), not a model z3 cannot decide."""
    from optsolve.solvers.z3_backend import stopped_by_time_limit

    assert stopped_by_time_limit("timeout", 0.2, 10_000)
    assert stopped_by_time_limit("canceled", 0.2, 10_000)
    assert stopped_by_time_limit("unknown", 10.01, 10_000)
    assert stopped_by_time_limit("unknown", 9.6, 10_000)
    assert not stopped_by_time_limit("unknown", 2.0, 10_000)           # gave up early: undecidable
    assert not stopped_by_time_limit("(incomplete (theory arithmetic))", 2.0, 10_000)
    assert not stopped_by_time_limit("unknown", 50.0, None)            # no limit was set
