"""The direct HiGHS backend on hand-built grounded models (optima computed by hand or by scipy)."""

from __future__ import annotations

import numpy as np
import pytest

from optsolve.errors import UnsupportedModelError
from optsolve.formulation.ir import (
    NL,
    BoolConst,
    BoolLit,
    GroundConstraint,
    GroundModel,
    GroundObjective,
    Lin,
    Or,
    Quad,
    Range,
    Rel,
    VarInfo,
)
from optsolve.solvers.highs_backend import HighsBackend, build_arrays
from optsolve.solvers.result import SolveOptions, Status

B = HighsBackend()
OPT = SolveOptions()


def gm(vars_: list[VarInfo], cons: list[tuple[str, object]], obj: GroundObjective | None) -> GroundModel:
    return GroundModel("t", vars_, [GroundConstraint(n, (), f) for n, f in cons],  # type: ignore[arg-type]
                       obj, {})


def product_mix(kind: str = "continuous") -> GroundModel:
    # max 5x + 7y  s.t. 2x + y <= 100, x + 3y <= 90, x, y >= 0
    v = [VarInfo("x", ("chairs",), kind, 0, None), VarInfo("x", ("tables",), kind, 0, None)]  # type: ignore[arg-type]
    return gm(v, [("labor", Rel(Lin({0: 2, 1: 1}), "<=", 100)), ("wood", Rel(Lin({0: 1, 1: 3}), "<=", 90))],
              GroundObjective("maximize", Lin({0: 5, 1: 7})))


def test_lp_optimum() -> None:
    r = B.solve(product_mix(), OPT)
    assert r.status is Status.OPTIMAL
    # vertex 2x+y=100, x+3y=90 -> x=42, y=16 -> 322
    assert r.objective == pytest.approx(322.0)
    assert r.values == pytest.approx([42.0, 16.0])
    assert r.solver_seconds is not None and r.solver_seconds >= 0


def test_milp_optimum_and_bound() -> None:
    m = product_mix("integer")
    m.constraints[0].formula = Rel(Lin({0: 2, 1: 1}), "<=", 101)
    r = B.solve(m, OPT)
    assert r.status is Status.OPTIMAL
    # LP optimum 42.6, 15.8; integer optimum by enumeration below
    best = max(5 * x + 7 * y for x in range(0, 60) for y in range(0, 40) if 2 * x + y <= 101 and x + 3 * y <= 90)
    assert r.objective == pytest.approx(best)
    assert r.bound == pytest.approx(best)
    assert r.values is not None and all(float(v).is_integer() for v in r.values)


def test_constants_ranges_and_offset() -> None:
    # min x + y + 10  s.t. 3 <= x + 2 + 0 <= 8 (i.e. 1 <= x <= 6), y - 1 >= 0, x, y free
    v = [VarInfo("x", (), "continuous", None, None), VarInfo("y", (), "continuous", None, None)]
    m = gm(v, [("r", Range(Lin({0: 1}, 2.0), 3, 8)), ("s", Rel(Lin({1: 1}, -1.0), ">=", 0)),
               ("t", BoolConst(True)), ("u", Rel(Lin({}, 5.0), "<=", 6))],
           GroundObjective("minimize", Lin({0: 1, 1: 1}, 10.0)))
    r = B.solve(m, OPT)
    assert r.status is Status.OPTIMAL
    assert r.objective == pytest.approx(12.0)
    assert r.values == pytest.approx([1.0, 1.0])


def test_boollit_and_binary_bounds() -> None:
    # binary a, b with lb/ub outside [0,1] clipped; a forced true, b forced false; max a + b
    v = [VarInfo("a", (), "binary", None, None), VarInfo("b", (), "boolean", -5, 5)]
    m = gm(v, [("fa", BoolLit(0)), ("fb", BoolLit(1, negated=True))], GroundObjective("maximize", Lin({0: 1, 1: 1})))
    r = B.solve(m, OPT)
    assert r.status is Status.OPTIMAL and r.values == pytest.approx([1.0, 0.0])
    a = build_arrays(m)
    assert list(a.col_lower) == [0.0, 0.0] and list(a.col_upper) == [1.0, 1.0]


def test_false_constant_constraint_is_infeasible_with_core() -> None:
    v = [VarInfo("x", (), "continuous", 0, 1)]
    m = gm(v, [("ok", Rel(Lin({0: 1}), "<=", 1)), ("bad", Rel(Lin({}, 3.0), "<=", 1)), ("no", BoolConst(False))],
           None)
    r = B.solve(m, OPT)
    assert r.status is Status.INFEASIBLE
    assert r.core == [1, 2]


def test_infeasible() -> None:
    m = product_mix()
    m.constraints.append(GroundConstraint("demand", (), Rel(Lin({0: 1, 1: 1}), ">=", 200)))
    assert B.solve(m, OPT).status is Status.INFEASIBLE
    mi = product_mix("integer")
    mi.constraints.append(GroundConstraint("demand", (), Rel(Lin({0: 1, 1: 1}), ">=", 200)))
    assert B.solve(mi, OPT).status is Status.INFEASIBLE


@pytest.mark.parametrize("kind", ["continuous", "integer"])
def test_unbounded(kind: str) -> None:
    v = [VarInfo("x", (), kind, None, None), VarInfo("y", (), kind, 0, None)]  # type: ignore[arg-type]
    m = gm(v, [("c", Rel(Lin({0: 1, 1: 1}), "<=", 5))], GroundObjective("minimize", Lin({0: 1})))
    r = B.solve(m, OPT)
    assert r.status is Status.UNBOUNDED
    assert r.objective is None and r.values is None


def test_no_objective_feasibility() -> None:
    m = product_mix("integer")
    m.objective = None
    m.constraints.append(GroundConstraint("eq", (), Rel(Lin({0: 1, 1: 1}), "==", 7)))
    r = B.solve(m, OPT)
    assert r.status is Status.OPTIMAL
    assert r.values is not None and sum(r.values) == pytest.approx(7)


def test_convex_qp_min_and_max() -> None:
    # min (x-1)^2 + (y-2)^2 + xy = x^2 + y^2 + xy - 2x - 4y + 5 s.t. x + y <= 2
    v = [VarInfo("x", (), "continuous", None, None), VarInfo("y", (), "continuous", None, None)]
    q = Quad({(0, 0): 1.0, (1, 1): 1.0, (0, 1): 1.0}, Lin({0: -2.0, 1: -4.0}, 5.0))
    m = gm(v, [("c", Rel(Lin({0: 1, 1: 1}), "<=", 2))], GroundObjective("minimize", q))
    r = B.solve(m, OPT)
    assert r.status is Status.OPTIMAL
    # KKT: 2x + y - 2 + l = 0, 2y + x - 4 + l = 0, x + y = 2 -> x = 0, y = 2, l = 0 -> obj 1
    assert r.values == pytest.approx([0.0, 2.0], abs=1e-4)
    assert r.objective == pytest.approx(1.0, abs=1e-6)
    # the same, maximising the negation
    neg = Quad({k: -c for k, c in q.quad.items()}, Lin({0: 2.0, 1: 4.0}, -5.0))
    r2 = B.solve(gm(v, [("c", Rel(Lin({0: 1, 1: 1}), "<=", 2))], GroundObjective("maximize", neg)), OPT)
    assert r2.status is Status.OPTIMAL and r2.objective == pytest.approx(-1.0, abs=1e-6)


def test_lp_against_scipy_random() -> None:
    from scipy.optimize import linprog

    rng = np.random.default_rng(7)
    n, m = 30, 20
    A = rng.uniform(0, 1, (m, n)) * (rng.uniform(size=(m, n)) < 0.4)
    b = rng.uniform(5, 10, m)
    c = rng.uniform(1, 3, n)
    v = [VarInfo("x", (j,), "continuous", 0, 4) for j in range(n)]
    cons = [(f"r{i}", Rel(Lin({j: float(A[i, j]) for j in range(n) if A[i, j]}), "<=", float(b[i])))
            for i in range(m)]
    model = gm(v, cons, GroundObjective("maximize", Lin({j: float(c[j]) for j in range(n)})))
    r = B.solve(model, OPT)
    ref = linprog(-c, A_ub=A, b_ub=b, bounds=[(0, 4)] * n, method="highs")
    assert r.status is Status.OPTIMAL
    assert r.objective == pytest.approx(-ref.fun, rel=1e-7)


def test_time_limit_keeps_incumbent() -> None:
    # a market-split style problem (Cornuejols-Dawande): finding 0 slack is very hard, any
    # assignment is feasible through the slack variables, so HiGHS has an incumbent at the limit.
    rng = np.random.default_rng(3)
    rows, cols = 5, 40
    a = rng.integers(0, 100, (rows, cols))
    rhs = a.sum(axis=1) // 2
    v = [VarInfo("x", (j,), "binary", None, None) for j in range(cols)]
    v += [VarInfo("sp", (i,), "continuous", 0, None) for i in range(rows)]
    v += [VarInfo("sm", (i,), "continuous", 0, None) for i in range(rows)]
    cons = []
    for i in range(rows):
        coefs = {j: float(a[i, j]) for j in range(cols)}
        coefs[cols + i] = 1.0
        coefs[cols + rows + i] = -1.0
        cons.append((f"split{i}", Rel(Lin(coefs), "==", float(rhs[i]))))
    model = gm(v, cons, GroundObjective("minimize", Lin({cols + k: 1.0 for k in range(2 * rows)})))
    r = B.solve(model, SolveOptions(time_limit=0.3, threads=1))
    if r.status is Status.OPTIMAL:  # pragma: no cover - solved within 0.3 s on a very fast machine
        return
    assert r.status is Status.TIME_LIMIT
    assert r.values is not None and r.objective is not None
    assert r.bound is not None and r.bound <= r.objective + 1e-6


def test_rejects_what_it_cannot_solve() -> None:
    assert not B.accepts(frozenset({"integer", "linear", "quadratic_objective"}))
    assert not B.accepts(frozenset({"continuous", "linear", "logic"}))
    assert not B.accepts(frozenset({"continuous", "nonlinear"}))
    assert B.accepts(frozenset({"continuous", "linear", "quadratic_objective"}))
    assert B.accepts(frozenset({"binary", "linear", "pure_boolean", "no_objective"}))
    v = [VarInfo("a", (), "binary", None, None), VarInfo("b", (), "binary", None, None)]
    with pytest.raises(UnsupportedModelError, match="logic"):
        B.solve(gm(v, [("o", Or((BoolLit(0), BoolLit(1))))], None), OPT)
    with pytest.raises(UnsupportedModelError, match="nonlinear"):
        B.solve(gm(v, [("e", Rel(NL("exp", (Lin({0: 1.0}),)), "<=", 2))], None), OPT)
    with pytest.raises(UnsupportedModelError, match="quadratic"):
        B.solve(gm(v, [("q", Rel(Quad({(0, 1): 1.0}, Lin()), "<=", 2))], None), OPT)


def test_empty_model() -> None:
    r = B.solve(gm([], [], GroundObjective("minimize", Lin({}, 4.0))), OPT)
    assert r.status is Status.OPTIMAL and r.objective == 4.0


# --- from Formulation JSON (through compile_model: vectorised blocks and single instances) -------

def _formulation_solve(f: dict[str, object]) -> tuple[object, object]:
    from optsolve.formulation import compile_model, load_formulation

    gm = compile_model(load_formulation(f))
    return gm, B.solve(gm, OPT)


def test_formulation_transportation_matches_scipy() -> None:
    from scipy.optimize import linprog

    rng = np.random.default_rng(11)
    m, n = 4, 6
    supply = rng.integers(20, 40, m).astype(float)
    demand = rng.integers(5, 15, n).astype(float)
    cost = rng.integers(1, 20, (m, n)).astype(float)
    f = {"sets": {"I": {"range": [1, m]}, "J": [f"c{j}" for j in range(n)]},
         "parameters": {"s": {"index": ["I"], "values": supply.tolist()},
                        "d": {"index": ["J"], "values": demand.tolist()},
                        "c": {"index": ["I", "J"], "values": cost.tolist()}},
         "variables": {"x": {"index": ["I", "J"], "domain": "nonnegative_reals"}},
         "objective": {"sense": "minimize", "expr": "sum(c[i, j] * x[i, j] for i in I for j in J)"},
         "constraints": {"cap": {"forall": "i in I", "expr": "sum(x[i, j] for j in J) <= s[i]"},
                         "dem": {"forall": "j in J", "expr": "sum(x[i, j] for i in I) >= d[j]"}}}
    _, r = _formulation_solve(f)
    a_ub = np.zeros((m + n, m * n))
    for i in range(m):
        a_ub[i, i * n:(i + 1) * n] = 1
    for j in range(n):
        a_ub[m + j, j::n] = -1
    ref = linprog(cost.ravel(), A_ub=a_ub, b_ub=np.concatenate([supply, -demand]), method="highs")
    assert r.status is Status.OPTIMAL  # type: ignore[attr-defined]
    assert r.objective == pytest.approx(ref.fun)  # type: ignore[attr-defined]


def test_formulation_knapsack_matches_dp() -> None:
    w = [12, 7, 11, 8, 9, 6, 5, 14]
    v = [24, 13, 23, 15, 16, 11, 9, 30]
    cap = 37
    f = {"sets": {"K": {"range": [0, len(w) - 1]}},
         "parameters": {"w": {"index": ["K"], "values": w}, "v": {"index": ["K"], "values": v}, "cap": cap},
         "variables": {"take": {"index": ["K"], "domain": "binary"}},
         "objective": {"sense": "maximize", "expr": "sum(v[k] * take[k] for k in K)"},
         "constraints": {"weight": {"expr": "sum(w[k] * take[k] for k in K) <= cap"}}}
    best = [0] * (cap + 1)
    for wi, vi in zip(w, v):
        for c in range(cap, wi - 1, -1):
            best[c] = max(best[c], best[c - wi] + vi)
    _, r = _formulation_solve(f)
    assert r.status is Status.OPTIMAL and r.objective == pytest.approx(best[cap])  # type: ignore[attr-defined]


def test_formulation_lot_sizing_lag_and_filters() -> None:
    # setups at t = 1, 2, 4 (see tests/test_emit.py for the hand computation): 100
    f = {"sets": {"T": {"range": [1, 4]}},
         "parameters": {"demand": {"index": ["T"], "values": {"1": 20, "2": 50, "3": 10, "4": 40}},
                        "setup": 30, "hold": 1, "cap": 80},
         "variables": {"make": {"index": ["T"], "domain": "nonnegative_reals"},
                       "stock": {"index": ["T"], "domain": "nonnegative_reals"},
                       "on": {"index": ["T"], "domain": "binary"}},
         "objective": {"sense": "minimize", "expr": "sum(setup * on[t] + hold * stock[t] for t in T)"},
         "constraints": {
             "first": {"expr": "make[1] == demand[1] + stock[1]"},
             "balance": {"forall": "t in T if t > 1", "expr": "stock[t - 1] + make[t] == demand[t] + stock[t]"},
             "link": {"forall": "t in T", "expr": "make[t] <= cap * on[t]"}}}
    _, r = _formulation_solve(f)
    assert r.status is Status.OPTIMAL and r.objective == pytest.approx(100.0)  # type: ignore[attr-defined]


def test_solve_pipeline_infeasible_explained_in_user_names() -> None:
    from optsolve.solvers import solve

    f = {"sets": {"P": ["a", "b", "c"]},
         "variables": {"x": {"index": ["P"], "domain": "nonnegative_reals", "ub": 10}},
         "objective": {"sense": "maximize", "expr": "sum(x[p] for p in P)"},
         "constraints": {"total": {"expr": "sum(x[p] for p in P) <= 12"},
                         "each": {"forall": "p in P", "expr": "x[p] >= 3"},
                         "pair": {"expr": "x['a'] + x['b'] >= 8"},
                         "big": {"expr": "x['c'] >= 6"}}}
    res = solve(f, solver="highs")
    assert res.status is Status.INFEASIBLE
    # total <= 12 with a + b >= 8 and c >= 6 is a conflict of three; 'each' is not needed
    assert res.explanation is not None
    assert set(res.explanation) == {"total", "pair", "big"}


@pytest.mark.parametrize("jump", [None, True, False])
def test_feasibility_jump_option_changes_speed_not_optima(jump: bool | None) -> None:
    """SolveOptions.mip_feasibility_jump (datagen turns it off for every MILP; auto turns it off for
    small ones) only affects a primal heuristic: the optimum is the same either way."""
    import json
    from pathlib import Path

    from optsolve.solvers import solve

    for name in ("knapsack", "facility_location", "tsp_mtz"):
        prob = json.loads((Path(__file__).parent / "problems" / f"{name}.json").read_text())
        res = solve(prob["formulation"], SolveOptions(solver="highs", mip_feasibility_jump=jump))
        assert res.status is Status.OPTIMAL
        assert res.objective == pytest.approx(prob["optimum"], rel=1e-6, abs=1e-6)
