"""PySAT backend on hand-built grounded models (answers computed independently in logic_models)."""

from __future__ import annotations

import random

import pytest

pytest.importorskip("pysat")

from logic_models import (
    MB,
    PETERSEN,
    brute_force,
    check_solution,
    colouring,
    eq,
    ge,
    infeasible_logic,
    le,
    library_cross_check,
    library_names,
    lin,
    pigeonhole,
    random_maxsat,
)

from optsolve.errors import UnsupportedModelError
from optsolve.formulation.ir import And, BoolLit, Implies, Not, Or, Range, Rel
from optsolve.solvers.pysat_backend import PySatBackend
from optsolve.solvers.result import SolveOptions, Status

B = PySatBackend()
OPT = SolveOptions(seed=1)


def test_registry_facts() -> None:
    assert B.name == "pysat" and B.available() and B.version()
    assert B.requires == frozenset({"pure_boolean"})
    assert not B.accepts(frozenset({"binary", "linear"}))
    assert B.accepts(frozenset({"binary", "linear", "soft", "pure_boolean"}))
    assert not B.accepts(frozenset({"binary", "integer", "pure_boolean"}))


@pytest.mark.parametrize("clausal", [True, False])
def test_petersen_colouring(clausal: bool) -> None:
    sat = colouring(PETERSEN, 10, 3, clausal)
    r = B.solve(sat, OPT)
    assert r.status is Status.OPTIMAL and r.values is not None and r.objective is None
    check_solution(sat, r.values)
    r2 = B.solve(colouring(PETERSEN, 10, 2, clausal), SolveOptions(explain=False))
    assert r2.status is Status.INFEASIBLE and r2.values is None


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_weighted_maxsat_matches_brute_force(seed: int) -> None:
    gm = random_maxsat(11, 8, 35, seed)
    feasible, best = brute_force(gm, [(0, 1)] * 11)
    r = B.solve(gm, OPT)
    if not feasible:
        assert r.status is Status.INFEASIBLE
        return
    assert r.status is Status.OPTIMAL and r.values is not None
    check_solution(gm, r.values)
    assert r.objective == pytest.approx(best)


def _random_pb_model(seed: int, sense: str) -> MB:
    """Weighted (negative, decimal) PB constraints, some reified inside or/implies/not, plus soft
    constraints and a linear objective: exercises the BDD encoding both ways."""
    rng = random.Random(seed)
    m = MB(f"pb{seed}")
    xs = [m.var("x", index=(i,)) for i in range(9)]

    def pb() -> Rel | Range:
        vs = rng.sample(xs, rng.randint(2, 6))
        coefs = {v: rng.choice([-3, -2, -1.5, 1, 2, 2.5, 4, 7]) for v in vs}
        k = rng.uniform(-3, 8)
        r = rng.random()
        if r < 0.4:
            return Rel(lin(coefs), "<=", round(k, 1))
        if r < 0.7:
            return Rel(lin(coefs), ">=", round(k - 4, 1))
        if r < 0.85:
            return Range(lin(coefs), round(k - 3, 2), round(k, 2))
        return Rel(lin(coefs), "==", round(k))

    for i in range(4):
        m.add("pb", pb(), index=(i,))
    m.add("or", Or((pb(), pb(), BoolLit(xs[0], True))))
    m.add("imp", Implies(pb(), And((pb(), Not(pb())))))
    m.add("card", Rel(lin({x: 1 for x in xs}), ">=", 2))
    for i in range(3):
        m.add("soft", pb(), weight=rng.choice([1.5, 2, 3.25]), index=(i,))
    obj = lin({x: rng.choice([-2, -1, 1, 3, 0.5]) for x in xs}, 1.75)
    if sense == "max":
        m.maximize(obj)
    else:
        m.minimize(obj)
    return m


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("sense", ["min", "max"])
def test_pseudo_boolean_against_brute_force(seed: int, sense: str) -> None:
    gm = _random_pb_model(seed, sense).build()
    feasible, best = brute_force(gm, [(0, 1)] * 9)
    r = B.solve(gm, OPT)
    if not feasible:
        assert r.status is Status.INFEASIBLE and r.core
        return
    assert r.status is Status.OPTIMAL and r.values is not None
    check_solution(gm, r.values)
    assert r.objective == pytest.approx(best)


@pytest.mark.parametrize("seed", range(6))
def test_pseudo_boolean_satisfaction(seed: int) -> None:
    m = _random_pb_model(seed + 100, "min")
    m.obj = None
    m.cons = [c for c in m.cons if c.weight is None]
    gm = m.build()
    feasible, _ = brute_force(gm, [(0, 1)] * 9)
    r = B.solve(gm, OPT)
    assert (r.status is Status.OPTIMAL) == feasible
    if feasible:
        assert r.values is not None
        check_solution(gm, r.values)


def test_knapsack_objective() -> None:
    w = [12, 7, 11, 8, 9, 6, 13, 5]
    p = [24, 13, 23, 15, 16, 11, 25, 9]
    m = MB("knap")
    xs = [m.var("x", index=(i,)) for i in range(8)]
    m.add("cap", le(dict(zip(xs, w)), 26))
    m.maximize(lin(dict(zip(xs, p))))
    gm = m.build()
    _, best = brute_force(gm, [(0, 1)] * 8)
    r = B.solve(gm, OPT)
    assert r.status is Status.OPTIMAL and r.objective == pytest.approx(best)


def test_infeasible_core_is_exact() -> None:
    gm, expected = infeasible_logic()
    r = B.solve(gm, OPT)
    assert r.status is Status.INFEASIBLE and set(r.core or []) == expected
    # cardinality conflict: at least 3 of 4, at most 1 of {x0, x1}, at most 1 of {x2, x3}; innocent rest
    m = MB()
    x = [m.var("x", index=(i,)) for i in range(5)]
    m.add("free", Or((BoolLit(x[4]), BoolLit(x[0]))))                 # 0
    k1 = m.add("atleast3", ge({v: 1 for v in x[:4]}, 3))             # 1
    k2 = m.add("amo01", le({x[0]: 1, x[1]: 1}, 1))                   # 2
    m.add("x4", eq({x[4]: 2}, 2))                                     # 3
    k4 = m.add("amo23", le({x[2]: 1, x[3]: 1}, 1))                   # 4
    m.add("pref", BoolLit(x[1]), weight=1.0)                          # 5
    r = B.solve(m.build(), OPT)
    assert r.status is Status.INFEASIBLE and set(r.core or []) == {k1, k2, k4}


def test_non_boolean_rejected() -> None:
    m = MB()
    m.var("n", kind="integer", lb=0, ub=3)
    with pytest.raises(UnsupportedModelError):
        B.solve(m.build(), OPT)


def test_time_limits() -> None:
    r = B.solve(pigeonhole(12), SolveOptions(time_limit=0.3, explain=False))
    assert r.status is Status.TIME_LIMIT and r.values is None
    gm = random_maxsat(300, 300, 4000, seed=3, width=2)
    r2 = B.solve(gm, SolveOptions(time_limit=0.3))
    assert r2.status in (Status.TIME_LIMIT, Status.OPTIMAL)
    if r2.status is Status.TIME_LIMIT:   # RC2 has no incumbent: the fallback gives a feasible point
        assert r2.values is not None and r2.objective is not None
        check_solution(gm, r2.values)


@pytest.mark.parametrize("name", library_names("pysat"))
def test_library_problem_on_pysat(name: str) -> None:
    library_cross_check("pysat", name)


def test_formulation_json_nested_pb_and_soft() -> None:
    from itertools import product

    from optsolve.solvers import solve

    f = {
        "name": "nested",
        "variables": {v: {"domain": "boolean"} for v in "abcd"},
        "constraints": {
            "pb": {"expr": "implies(a, 2 * b + 3 * c - d >= 3)"},
            "card": {"expr": "1 <= a + b + c + d <= 2"},
            "nor": {"expr": "not (b and d)"},
            "pref_a": {"expr": "a", "soft": {"weight": 4}},
            "pref_d": {"expr": "d", "soft": {"weight": 1.5}},
            "pref_not_c": {"expr": "not c", "soft": {"weight": 2}},
        },
    }
    best = None
    for a, b, c, d in product((0, 1), repeat=4):
        if a and not 2 * b + 3 * c - d >= 3:
            continue
        if not 1 <= a + b + c + d <= 2 or (b and d):
            continue
        cost = 4 * (not a) + 1.5 * (not d) + 2 * c
        best = cost if best is None else min(best, cost)
    res = solve(f, solver="pysat")
    assert res.status is Status.OPTIMAL and res.solver == "pysat"
    assert res.objective == pytest.approx(best)
    v = res.variables
    assert v["a"] is True and v["c"] is True and v["b"] is False and v["d"] is False   # cost 3.5


def test_suits_prefers_cpsat_for_many_soft_terms() -> None:
    assert B.suits(random_maxsat(20, 5, 50, seed=0))
    assert not B.suits(random_maxsat(100, 5, 250, seed=0))
    assert B.soft_terms(random_maxsat(20, 5, 50, seed=0)) == 50
