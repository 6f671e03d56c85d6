"""Infeasibility explanations: HiGHS IIS fast path, deletion filter with any backend, budgets."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from optsolve.formulation.ir import (
    NL,
    BoolConst,
    GroundConstraint,
    GroundModel,
    GroundObjective,
    Lin,
    Range,
    Rel,
    VarInfo,
)
from optsolve.solvers.explain import Conflict, deletion_filter, explain_infeasible
from optsolve.solvers.highs_backend import HighsBackend
from optsolve.solvers.pyomo_backend import ScipBackend
from optsolve.solvers.result import SolveOptions, Status

HIGHS = HighsBackend()


def highs_status(m: GroundModel) -> Status:
    return HIGHS.solve(m, SolveOptions()).status


def counting(fn: Callable[[GroundModel], Status]) -> tuple[Callable[[GroundModel], Status], list[int]]:
    calls = [0]

    def wrapped(m: GroundModel) -> Status:
        calls[0] += 1
        return fn(m)

    return wrapped, calls


def chain_model(n: int, kind: str = "continuous") -> GroundModel:
    """x_0 >= 10, x_{i+1} >= x_i (chain), x_{n-1} <= 5 -> all 'link' rows plus 'lo' and 'hi' conflict;
    plus many irrelevant 'cap' rows."""
    vars_ = [VarInfo("x", (i,), kind, 0, 100) for i in range(n)]  # type: ignore[arg-type]
    vars_.append(VarInfo("y", (), kind, 0, 100))  # type: ignore[arg-type]
    cons = [GroundConstraint("lo", (), Rel(Lin({0: 1.0}), ">=", 10))]
    cons += [GroundConstraint("link", (i,), Rel(Lin({i + 1: 1.0, i: -1.0}), ">=", 0)) for i in range(n - 1)]
    cons += [GroundConstraint("cap", (i,), Rel(Lin({i: 1.0, n: 1.0}), "<=", 150)) for i in range(n)]
    cons.append(GroundConstraint("hi", (), Rel(Lin({n - 1: 1.0}), "<=", 5)))
    return GroundModel("chain", vars_, cons, GroundObjective("maximize", Lin({n: 1.0})), {})


def labels(m: GroundModel, c: list[int]) -> set[str]:
    return {m.constraints[i].label for i in c}


def is_irreducible(m: GroundModel, idx: list[int]) -> bool:
    def sub(ix: list[int]) -> Status:
        return highs_status(GroundModel("s", m.vars, [m.constraints[i] for i in ix], None, {}))

    if sub(idx) is not Status.INFEASIBLE:
        return False
    return all(sub([j for j in idx if j != i]) is not Status.INFEASIBLE for i in idx)


def test_highs_iis_fast_path_lp() -> None:
    m = chain_model(6)
    fn, calls = counting(highs_status)
    c = explain_infeasible(m, fn)
    assert isinstance(c, Conflict) and c.method == "highs_iis" and c.irreducible
    assert labels(m, c) == {"lo", "hi"} | {f"link[{i}]" for i in range(5)}
    assert calls[0] == 1  # one verification solve
    assert is_irreducible(m, list(c))


@pytest.mark.parametrize("kind", ["continuous", "integer"])
def test_deletion_filter_generic(kind: str) -> None:
    m = chain_model(8, kind)
    c = explain_infeasible(m, highs_status, use_highs_iis=False)
    assert c.method == "deletion" and c.irreducible and not c.note
    assert labels(m, c) == {"lo", "hi"} | {f"link[{i}]" for i in range(7)}
    assert is_irreducible(m, list(c))


def test_milp_uses_relaxation_iis_then_filter() -> None:
    # integrality-driven infeasibility: 2x == 1 with x integer (the LP relaxation is feasible), plus an
    # unrelated row; and a second model where the LP relaxation is already infeasible
    v = [VarInfo("x", (), "integer", 0, 10), VarInfo("y", (), "integer", 0, 10)]
    cons = [GroundConstraint("odd", (), Rel(Lin({0: 2.0}), "==", 1)),
            GroundConstraint("free", (), Rel(Lin({1: 1.0}), "<=", 3))]
    m = GroundModel("m", v, cons, GroundObjective("minimize", Lin({0: 1})), {})
    c = explain_infeasible(m, highs_status)
    assert list(c) == [0] and c.method == "deletion" and c.irreducible
    m2 = chain_model(5, "integer")
    c2 = explain_infeasible(m2, highs_status)
    assert c2.method == "highs_iis+deletion" and c2.irreducible
    assert labels(m2, c2) == {"lo", "hi"} | {f"link[{i}]" for i in range(4)}


def test_solve_count_is_sublinear_for_many_irrelevant_constraints() -> None:
    m = chain_model(3)
    n = 400
    m.vars.append(VarInfo("z", (), "continuous", 0, None))
    zid = len(m.vars) - 1
    m.constraints += [GroundConstraint("noise", (k,), Rel(Lin({zid: 1.0}), "<=", 1000 + k)) for k in range(n)]
    fn, calls = counting(highs_status)
    c = explain_infeasible(m, fn, use_highs_iis=False)
    assert labels(m, c) == {"lo", "hi", "link[0]", "link[1]"}
    assert c.irreducible
    assert calls[0] < 60  # a one-at-a-time filter would need > 400


def test_budget_runs_out_returns_conflicting_superset() -> None:
    m = chain_model(10)
    c = explain_infeasible(m, highs_status, max_solves=3, use_highs_iis=False)
    assert not c.irreducible and "may not be minimal" in c.note
    assert c.solves <= 3
    assert highs_status(GroundModel("s", m.vars, [m.constraints[i] for i in c], None, {})) is Status.INFEASIBLE
    assert {"lo", "hi"} <= labels(m, c)


def test_bounds_and_constants() -> None:
    v = [VarInfo("x", (), "integer", 0.2, 0.8), VarInfo("y", (), "continuous", 0, 1)]
    m = GroundModel("b", v, [GroundConstraint("c", (), Rel(Lin({1: 1.0}), "<=", 1))], None, {})
    c = explain_infeasible(m, highs_status)
    assert list(c) == [] and c.variables == [0] and c.method == "bounds"
    assert c.labels(m) == ["bounds of x"]
    m.vars[0] = VarInfo("x", (), "integer", 0, 1)
    m.constraints.append(GroundConstraint("never", (), BoolConst(False)))
    c = explain_infeasible(m, highs_status)
    assert list(c) == [1] and c.method == "constant"


def test_bound_in_iis_is_reported() -> None:
    # x <= 3 by its bound, x >= 5 by a constraint
    v = [VarInfo("x", ("a",), "continuous", 0, 3), VarInfo("w", (), "continuous", 0, 9)]
    m = GroundModel("vb", v, [GroundConstraint("need", (), Rel(Lin({0: 1.0}), ">=", 5)),
                              GroundConstraint("other", (), Range(Lin({1: 1.0}), 1, 2))], None, {})
    c = explain_infeasible(m, highs_status)
    assert list(c) == [0] and c.variables == [0]
    assert c.labels(m) == ["need", "bounds of x[a]"]


def test_feasible_model_gives_empty_conflict() -> None:
    m = chain_model(4)
    m.constraints.pop()  # drop 'hi'
    c = explain_infeasible(m, highs_status, use_highs_iis=False)
    assert list(c) == [] and c.method == "none" and "feasible" in c.note


def test_soft_constraints_are_ignored() -> None:
    m = chain_model(3)
    m.constraints[-1].weight = 5.0  # 'hi' becomes soft: no conflict left
    c = explain_infeasible(m, highs_status, use_highs_iis=False)
    assert list(c) == []


def test_nonlinear_with_scip() -> None:
    scip = ScipBackend()
    if not scip.available():
        pytest.skip("pyscipopt missing")
    v = [VarInfo("x", (), "continuous", 0, 10), VarInfo("y", (), "continuous", 0, 10)]
    cons = [GroundConstraint("grow", (), Rel(NL("exp", (Lin({0: 1.0}),)), ">=", 100)),   # x >= ln 100
            GroundConstraint("small", (), Rel(NL("log", (Lin({0: 1.0}, 1.0),)), "<=", 1)),  # x <= e - 1
            GroundConstraint("ok", (), Rel(Lin({1: 1.0, 0: 1.0}), "<=", 20))]
    m = GroundModel("nl", v, cons, GroundObjective("minimize", Lin({1: 1})), {})
    c = explain_infeasible(m, lambda g: scip.solve(g, SolveOptions()).status)
    assert labels(m, c) == {"grow", "small"} and c.irreducible and c.method == "deletion"


def test_deletion_filter_unit() -> None:
    # infeasible iff the subset contains both 3 and 17
    items = list(range(40))
    calls = [0]

    def test(s: list[int]) -> bool:
        calls[0] += 1
        return 3 in s and 17 in s

    keep, definite = deletion_filter(items, test)
    assert keep == [3, 17] and definite
    assert calls[0] < 30  # one at a time would take 40


def test_deletion_filter_dense_conflict_costs_about_n() -> None:
    # every item is needed (like the rows of an infeasible transportation problem)
    items = list(range(64))
    calls = [0]

    def test(s: list[int]) -> bool:
        calls[0] += 1
        return len(s) == 64

    keep, definite = deletion_filter(items, test)
    assert keep == items and definite
    assert calls[0] <= 64 + 8


def test_compiled_formulation_with_blocks() -> None:
    from optsolve.formulation import compile_model, load_formulation

    n = 30
    f = {"sets": {"T": {"range": [1, n]}},
         "variables": {"x": {"index": ["T"], "domain": "nonnegative_reals", "ub": 100}},
         "objective": {"sense": "minimize", "expr": "sum(x[t] for t in T)"},
         "constraints": {"start": {"expr": "x[1] >= 50"},
                         "decay": {"forall": "t in T if t > 1", "expr": "x[t] >= x[t - 1] - 1"},
                         "cap": {"forall": "t in T", "expr": "x[t] <= 90"},
                         "end": {"expr": "x[30] <= 10"}}}
    gm = compile_model(load_formulation(f))
    for fast in (True, False):
        c = explain_infeasible(gm, highs_status, use_highs_iis=fast)
        got = set(c.labels(gm))
        # x[30] >= 50 - 29 = 21 > 10: start, every decay step and end conflict
        assert got == {"start", "end"} | {f"decay[{t}]" for t in range(2, n + 1)}, (fast, got)
        assert c.irreducible


def test_generic_filter_reports_needed_bounds() -> None:
    # x <= 3 by its bound; 'need' asks x >= 5 through a nonlinear-free but generic path; y's bound is idle
    v = [VarInfo("x", ("a",), "integer", 0, 3), VarInfo("y", (), "integer", 0, 9)]
    m = GroundModel("vb", v, [GroundConstraint("need", (), Rel(Lin({0: 1.0, 1: 0.0}), ">=", 5)),
                              GroundConstraint("other", (), Rel(Lin({1: 1.0}), "<=", 2))], None, {})
    c = explain_infeasible(m, highs_status, use_highs_iis=False)
    assert list(c) == [0] and c.variables == [0] and c.irreducible
    assert c.labels(m) == ["need", "bounds of x[a]"]
