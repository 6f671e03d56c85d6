"""The Pyomo backends (SCIP through scip_direct, HiGHS through Pyomo) on hand-built grounded models."""

from __future__ import annotations

import math

import pytest

from optsolve.errors import UnsupportedModelError
from optsolve.formulation.ir import (
    NL,
    And,
    BoolConst,
    BoolLit,
    GroundConstraint,
    GroundModel,
    GroundObjective,
    Lin,
    Quad,
    Range,
    Rel,
    VarInfo,
)
from optsolve.solvers.pyomo_backend import PyomoHighsBackend, ScipBackend, build_pyomo
from optsolve.solvers.result import SolveOptions, Status

SCIP = ScipBackend()
PH = PyomoHighsBackend()
OPT = SolveOptions(seed=0)

pytestmark = pytest.mark.skipif(not (SCIP.available() and PH.available()), reason="pyomo/pyscipopt missing")


def gm(vars_: list[VarInfo], cons: list[tuple[str, object]], obj: GroundObjective | None) -> GroundModel:
    return GroundModel("t", vars_, [GroundConstraint(n, (), f) for n, f in cons],  # type: ignore[arg-type]
                       obj, {})


def product_mix(kind: str = "continuous") -> GroundModel:
    v = [VarInfo("x", ("chairs",), kind, 0, None), VarInfo("x", ("tables",), kind, 0, None)]  # type: ignore[arg-type]
    return gm(v, [("labor", Rel(Lin({0: 2, 1: 1}), "<=", 100)), ("wood", Rel(Lin({0: 1, 1: 3}), "<=", 90))],
              GroundObjective("maximize", Lin({0: 5, 1: 7})))


@pytest.mark.parametrize("backend", [SCIP, PH], ids=["scip", "pyomo-highs"])
def test_lp_and_milp(backend: ScipBackend | PyomoHighsBackend) -> None:
    r = backend.solve(product_mix(), OPT)
    assert r.status is Status.OPTIMAL and r.objective == pytest.approx(322.0)
    assert r.values == pytest.approx([42.0, 16.0], abs=1e-6)
    m = product_mix("integer")
    m.constraints[0].formula = Rel(Lin({0: 2, 1: 1}), "<=", 101)
    best = max(5 * x + 7 * y for x in range(60) for y in range(40) if 2 * x + y <= 101 and x + 3 * y <= 90)
    r = backend.solve(m, OPT)
    assert r.status is Status.OPTIMAL and r.objective == pytest.approx(best)
    assert r.bound == pytest.approx(best)


@pytest.mark.parametrize("backend", [SCIP, PH], ids=["scip", "pyomo-highs"])
def test_infeasible_and_unbounded(backend: ScipBackend | PyomoHighsBackend) -> None:
    m = product_mix()
    m.constraints.append(GroundConstraint("demand", (), Rel(Lin({0: 1, 1: 1}), ">=", 200)))
    assert backend.solve(m, OPT).status is Status.INFEASIBLE
    v = [VarInfo("x", (), "continuous", None, None), VarInfo("y", (), "continuous", 0, None)]
    u = gm(v, [("c", Rel(Lin({0: 1, 1: 1}), "<=", 5))], GroundObjective("minimize", Lin({0: 1})))
    r = backend.solve(u, OPT)
    assert r.status is Status.UNBOUNDED and r.values is None


def test_nlp_exp_log() -> None:
    # min exp(x) - log(y) + (x - y)^2 ... keep a closed form: min exp(x) + y - log(y), x >= 1, y in [0.1, 10]
    # optimum x = 1, y = 1 -> e + 1
    v = [VarInfo("x", (), "continuous", None, 5), VarInfo("y", (), "continuous", 0.1, 10)]
    obj = NL("add", (NL("exp", (Lin({0: 1.0}),)), Lin({1: 1.0}), NL("neg", (NL("log", (Lin({1: 1.0}),)),))))
    m = gm(v, [("xmin", Rel(Lin({0: 1.0}), ">=", 1))], GroundObjective("minimize", obj))
    r = SCIP.solve(m, OPT)
    assert r.status is Status.OPTIMAL
    assert r.objective == pytest.approx(math.e + 1, rel=1e-6)
    assert r.values == pytest.approx([1.0, 1.0], abs=1e-3)


def test_minlp_sqrt_pow_div() -> None:
    # max sum of sqrt(n_i) over integer n_i with n_0 + n_1 <= 10 and n_1 / 2 <= n_0 ** 2 ... concave:
    # best split of 10 into two integers for sqrt is 5+5 -> 2 sqrt(5); the second constraint holds there.
    v = [VarInfo("n", (0,), "integer", 0, 10), VarInfo("n", (1,), "integer", 0, 10)]
    obj = NL("add", (NL("sqrt", (Lin({0: 1.0}),)), NL("sqrt", (Lin({1: 1.0}),))))
    c2 = Rel(NL("add", (NL("div", (Lin({1: 1.0}), Lin({}, 2.0))),
                        NL("neg", (NL("pow", (Lin({0: 1.0}), Lin({}, 2.0))),)))), "<=", 0)
    m = gm(v, [("cap", Rel(Lin({0: 1, 1: 1}), "<=", 10)), ("c2", c2)], GroundObjective("maximize", obj))
    r = SCIP.solve(m, OPT)
    assert r.status is Status.OPTIMAL
    assert r.objective == pytest.approx(2 * math.sqrt(5), rel=1e-6)
    assert r.values == pytest.approx([5.0, 5.0])


def test_abs_min_max_encodings() -> None:
    # min |x - 3| + max(y, 2) - min(x, y)  with x, y in [0, 10]
    v = [VarInfo("x", (), "continuous", 0, 10), VarInfo("y", (), "continuous", 0, 10)]
    obj = NL("add", (NL("abs", (Lin({0: 1.0}, -3.0),)), NL("max", (Lin({1: 1.0}), Lin({}, 2.0))),
                     NL("neg", (NL("min", (Lin({0: 1.0}), Lin({1: 1.0}))),))))
    m = gm(v, [], GroundObjective("minimize", obj))
    r = SCIP.solve(m, OPT)
    assert r.status is Status.OPTIMAL
    # brute force on a grid (piecewise linear, optimum on the grid)
    best = min(abs(x - 3) + max(y, 2) - min(x, y) for x in range(11) for y in range(11))
    assert r.objective == pytest.approx(best, abs=1e-6)


def test_nonconvex_qp_global() -> None:
    # max x^2 + y^2 on the box [-1, 2] x [-3, 1] -> 4 + 9 = 13 (a corner; local solvers may stop elsewhere)
    v = [VarInfo("x", (), "continuous", -1, 2), VarInfo("y", (), "continuous", -3, 1)]
    m = gm(v, [], GroundObjective("maximize", Quad({(0, 0): 1.0, (1, 1): 1.0}, Lin())))
    r = SCIP.solve(m, OPT)
    assert r.status is Status.OPTIMAL and r.objective == pytest.approx(13.0)


def test_quadratic_constraint_and_no_objective() -> None:
    # x^2 + y^2 <= 1, x + y >= 1.4 (feasible), integer-free
    v = [VarInfo("x", (), "continuous", None, None), VarInfo("y", (), "continuous", None, None)]
    m = gm(v, [("disk", Rel(Quad({(0, 0): 1.0, (1, 1): 1.0}, Lin()), "<=", 1)),
               ("line", Rel(Lin({0: 1, 1: 1}), ">=", 1.4))], None)
    r = SCIP.solve(m, OPT)
    assert r.status is Status.OPTIMAL and r.objective is None
    assert r.values is not None
    x, y = r.values
    assert x * x + y * y <= 1 + 1e-6 and x + y >= 1.4 - 1e-6
    m.constraints[1].formula = Rel(Lin({0: 1, 1: 1}), ">=", 1.5)  # > sqrt(2): infeasible
    assert SCIP.solve(m, OPT).status is Status.INFEASIBLE


def test_bool_literals_constants_ranges_unused_vars() -> None:
    v = [VarInfo("a", (), "binary", None, None), VarInfo("b", (), "boolean", None, None),
         VarInfo("unused", (), "integer", 2.5, 7), VarInfo("z", (), "continuous", None, None)]
    m = gm(v, [("fa", BoolLit(0)), ("fb", BoolLit(1, negated=True)), ("t", BoolConst(True)),
               ("r", Range(Lin({3: 2.0}, 1.0), 3, 5))], GroundObjective("minimize", Lin({0: 1, 1: 1, 3: 1})))
    for backend in (SCIP, PH):
        r = backend.solve(m, OPT)
        assert r.status is Status.OPTIMAL, backend.name
        assert r.values is not None
        assert r.values[0] == pytest.approx(1) and r.values[1] == pytest.approx(0)
        assert 2.5 <= r.values[2] <= 7 and float(r.values[2]).is_integer()
        assert r.values[3] == pytest.approx(1.0)
    m.constraints.append(GroundConstraint("never", (), BoolConst(False)))
    assert SCIP.solve(m, OPT).core == [4]


def test_time_limit_status() -> None:
    import numpy as np

    rng = np.random.default_rng(3)
    rows, cols = 6, 50
    a = rng.integers(0, 100, (rows, cols))
    rhs = a.sum(axis=1) // 2
    v = [VarInfo("x", (j,), "binary", None, None) for j in range(cols)]
    v += [VarInfo("s", (i,), "continuous", 0, None) for i in range(2 * rows)]
    cons = []
    for i in range(rows):
        coefs = {j: float(a[i, j]) for j in range(cols)}
        coefs[cols + i] = 1.0
        coefs[cols + rows + i] = -1.0
        cons.append((f"split{i}", Rel(Lin(coefs), "==", float(rhs[i]))))
    model = gm(v, cons, GroundObjective("minimize", Lin({cols + k: 1.0 for k in range(2 * rows)})))
    r = SCIP.solve(model, SolveOptions(time_limit=0.5))
    if r.status is Status.OPTIMAL:  # pragma: no cover
        return
    assert r.status is Status.TIME_LIMIT
    assert r.values is not None and r.bound is not None and r.objective is not None


def test_rejections() -> None:
    assert not SCIP.accepts(frozenset({"binary", "logic"}))
    assert SCIP.accepts(frozenset({"integer", "continuous", "nonlinear", "quadratic_constraints"}))
    assert not PH.accepts(frozenset({"integer", "quadratic_objective"}))
    v = [VarInfo("a", (), "binary", None, None)]
    with pytest.raises(UnsupportedModelError, match="logic"):
        build_pyomo(gm(v, [("l", And((BoolLit(0), BoolLit(0))))], None))
    soft = gm(v, [("s", BoolLit(0))], None)
    soft.constraints[0].weight = 2.0
    with pytest.raises(UnsupportedModelError, match="soft"):
        build_pyomo(soft)


def test_formulation_minlp_through_solve() -> None:
    from optsolve.solvers import solve

    # facility-sizing MINLP: open[k] binary, cap[k] in [0, 10]; cost 5 open + cap^1.5 ... keep closed form:
    # min sum(5 * open[k] + (q[k] - 2) ** 2 for k) s.t. q[k] <= 10 open[k], sum q >= 6, q >= 0
    # -> opening both: q = 3, 3 -> 10 + 1 + 1 = 12; one: q = 6 -> 5 + 16 + (0 - 2)^2 = 25 -> 12
    f = {"sets": {"K": ["a", "b"]},
         "variables": {"open": {"index": ["K"], "domain": "binary"},
                       "q": {"index": ["K"], "domain": "nonnegative_reals", "ub": 10}},
         "objective": {"sense": "minimize", "expr": "sum(5 * open[k] + (q[k] - 2) ** 2 for k in K)"},
         "constraints": {"link": {"forall": "k in K", "expr": "q[k] <= 10 * open[k]"},
                         "need": {"expr": "sum(q[k] for k in K) >= 6"}}}
    res = solve(f, solver="scip")
    assert res.status is Status.OPTIMAL and res.objective == pytest.approx(12.0, abs=1e-6)
    assert res.variables["q"] == {"a": pytest.approx(3.0, abs=1e-4), "b": pytest.approx(3.0, abs=1e-4)}


def test_formulation_nlp_routed_to_scip() -> None:
    from optsolve.formulation import compile_model, load_formulation
    from optsolve.solvers import route, solve

    f = {"variables": {"x": {"domain": "reals", "lb": 0.01, "ub": 100}},
         "objective": {"sense": "minimize", "expr": "x - log(x)"}}
    assert route(compile_model(load_formulation(f))) == "scip"
    res = solve(f)
    assert res.solver == "scip" and res.objective == pytest.approx(1.0, abs=1e-6)


def test_formulation_lp_on_pyomo_highs() -> None:
    from optsolve.solvers import solve

    f = {"sets": {"P": ["chairs", "tables"]},
         "parameters": {"profit": {"index": ["P"], "values": [5, 7]}},
         "variables": {"x": {"index": ["P"], "domain": "nonnegative_reals"}},
         "objective": {"sense": "maximize", "expr": "sum(profit[p] * x[p] for p in P)"},
         "constraints": {"labor": {"expr": "2 * x['chairs'] + x['tables'] <= 100"},
                         "wood": {"expr": "x['chairs'] + 3 * x['tables'] <= 90"}}}
    res = solve(f, solver="pyomo-highs")
    assert res.solver == "pyomo-highs" and res.objective == pytest.approx(322.0)
    assert res.variables["x"] == {"chairs": pytest.approx(42.0), "tables": pytest.approx(16.0)}
