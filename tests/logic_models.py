"""Grounded models built by hand for the logic backends' tests (cpsat, pysat, z3).

Each builder returns a GroundModel; expected answers are computed here independently of any solver
(brute force, permutations, known results), never by calling one of our backends.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Sequence

from optsolve.formulation.ir import (
    NL,
    AllDifferent,
    And,
    BoolLit,
    Formula,
    GroundConstraint,
    GroundModel,
    GroundObjective,
    Implies,
    Lin,
    Not,
    Or,
    Quad,
    Rel,
    VarGroup,
    VarInfo,
    VarKind,
)
from optsolve.solvers.logic_util import eval_formula, reported_objective


class MB:
    """A small model builder: variables by name, constraints by name."""

    def __init__(self, name: str = "m") -> None:
        self.name = name
        self.vars: list[VarInfo] = []
        self.cons: list[GroundConstraint] = []
        self.obj: GroundObjective | None = None
        self.ids: dict[str, int] = {}

    def var(self, name: str, kind: VarKind = "binary", lb: float | None = None,
            ub: float | None = None, index: tuple[int | str, ...] = ()) -> int:
        if kind == "binary" and lb is None:
            lb, ub = 0, 1
        self.vars.append(VarInfo(name, index, kind, lb, ub))
        vid = len(self.vars) - 1
        self.ids[self.vars[-1].label] = vid
        return vid

    def add(self, name: str, f: Formula, weight: float | None = None,
            index: tuple[int | str, ...] = ()) -> int:
        self.cons.append(GroundConstraint(name, index, f, weight))
        return len(self.cons) - 1

    def minimize(self, e: Lin | Quad | NL) -> None:
        self.obj = GroundObjective("minimize", e)

    def maximize(self, e: Lin | Quad | NL) -> None:
        self.obj = GroundObjective("maximize", e)

    def build(self) -> GroundModel:
        ids: dict[str, list[int]] = {}
        for vid, v in enumerate(self.vars):
            ids.setdefault(v.name, []).append(vid)
        groups = {name: VarGroup(name, (), lst) for name, lst in ids.items()}
        kinds = {v.kind for v in self.vars}
        feats = set()
        if kinds <= {"binary", "boolean"}:
            feats.add("pure_boolean")
        if "continuous" in kinds:
            feats.add("continuous")
        if "integer" in kinds:
            feats.add("integer")
        if kinds & {"binary", "boolean"}:
            feats.add("binary")
        if any(c.weight is not None for c in self.cons):
            feats.add("soft")
        if self.obj is None:
            feats.add("no_objective")
        return GroundModel(self.name, self.vars, self.cons, self.obj, groups, frozenset(feats))


def lin(coefs: dict[int, float] | None = None, const: float = 0.0) -> Lin:
    return Lin(dict(coefs or {}), const)


def le(coefs: dict[int, float], rhs: float) -> Rel:
    return Rel(lin(coefs), "<=", rhs)


def ge(coefs: dict[int, float], rhs: float) -> Rel:
    return Rel(lin(coefs), ">=", rhs)


def eq(coefs: dict[int, float], rhs: float) -> Rel:
    return Rel(lin(coefs), "==", rhs)


def brute_force(gm: GroundModel, domains: Sequence[Sequence[int]]) -> tuple[bool, float | None]:
    """Enumerate every assignment; (feasible?, best reported objective)."""
    best: float | None = None
    feasible = False
    maximize = gm.objective is not None and gm.objective.sense == "maximize"
    for vals in itertools.product(*domains):
        x = [float(v) for v in vals]
        if not all(eval_formula(c.formula, x) for c in gm.constraints if c.weight is None):
            continue
        feasible = True
        obj = reported_objective(gm, x)
        if obj is None:
            return True, None
        if best is None or (obj > best if maximize else obj < best):
            best = obj
    return feasible, best


def check_solution(gm: GroundModel, values: Sequence[float]) -> None:
    for c in gm.constraints:
        if c.weight is None:
            assert eval_formula(c.formula, values), f"hard constraint {c.label} violated"
    for vid, v in enumerate(gm.vars):
        if v.lb is not None:
            assert values[vid] >= v.lb - 1e-6, v.label
        if v.ub is not None:
            assert values[vid] <= v.ub + 1e-6, v.label
        if v.kind != "continuous":
            assert abs(values[vid] - round(values[vid])) < 1e-6, v.label


# --- models ------------------------------------------------------------------------------------

PETERSEN = [(i, (i + 1) % 5) for i in range(5)] + [(i, i + 5) for i in range(5)] + \
    [(5 + i, 5 + (i + 2) % 5) for i in range(5)]


def colouring(edges: Sequence[tuple[int, int]], n: int, k: int, clausal: bool = True) -> GroundModel:
    """x[v,c] binary; exactly one colour per vertex; adjacent vertices differ. Petersen: chi = 3."""
    m = MB(f"colour{k}")
    x = {(v, c): m.var("x", index=(v, c)) for v in range(n) for c in range(k)}
    for v in range(n):
        if clausal:
            m.add("some", Or(tuple(BoolLit(x[v, c]) for c in range(k))), index=(v,))
            for c1, c2 in itertools.combinations(range(k), 2):
                m.add("one", Or((BoolLit(x[v, c1], True), BoolLit(x[v, c2], True))), index=(v, c1, c2))
        else:
            m.add("one", eq({x[v, c]: 1 for c in range(k)}, 1), index=(v,))
    for u, v in edges:
        for c in range(k):
            if clausal:
                m.add("edge", Not(And((BoolLit(x[u, c]), BoolLit(x[v, c])))), index=(u, v, c))
            else:
                m.add("edge", le({x[u, c]: 1, x[v, c]: 1}, 1), index=(u, v, c))
    return m.build()


def random_maxsat(n: int, n_hard: int, n_soft: int, seed: int, width: int = 3) -> GroundModel:
    """Random 3-clauses over n booleans; soft ones weighted 1..9. Built as BoolLit/Or formulas."""
    rng = random.Random(seed)
    m = MB(f"maxsat{n}")
    xs = [m.var("x", kind="boolean", index=(i,)) for i in range(n)]

    def clause() -> Or:
        vs = rng.sample(xs, width)
        return Or(tuple(BoolLit(v, rng.random() < 0.5) for v in vs))

    for i in range(n_hard):
        m.add("hard", clause(), index=(i,))
    for i in range(n_soft):
        m.add("soft", clause(), weight=float(rng.randint(1, 9)), index=(i,))
    return m.build()


def send_more_money() -> tuple[GroundModel, dict[str, int]]:
    """SEND + MORE = MONEY, maximise MONEY (the unique solution 9567 + 1085 = 10652)."""
    m = MB("send_more_money")
    ids = {ch: m.var(ch, kind="integer", lb=0, ub=9) for ch in "SENDMORY"}
    m.add("alldiff", AllDifferent(tuple(lin({v: 1}) for v in ids.values())))
    m.add("lead_s", ge({ids["S"]: 1}, 1))
    m.add("lead_m", ge({ids["M"]: 1}, 1))
    terms: dict[int, float] = {}
    for word, sign in (("SEND", 1), ("MORE", 1), ("MONEY", -1)):
        for pos, ch in enumerate(reversed(word)):
            terms[ids[ch]] = terms.get(ids[ch], 0) + sign * 10**pos
    m.add("sum", eq(terms, 0))
    m.maximize(lin({ids["M"]: 10000, ids["O"]: 1000, ids["N"]: 100, ids["E"]: 10, ids["Y"]: 1}))
    sol = {"S": 9, "E": 5, "N": 6, "D": 7, "M": 1, "O": 0, "R": 8, "Y": 2}
    return m.build(), sol


def schedule(durations: Sequence[int], release: Sequence[int], horizon: int) -> tuple[GroundModel, int]:
    """One machine, no overlap (pairwise `or`), minimise makespan; optimum by trying every order."""
    n = len(durations)
    m = MB("schedule")
    s = [m.var("s", kind="integer", lb=release[i], ub=horizon, index=(i,)) for i in range(n)]
    cmax = m.var("cmax", kind="integer", lb=0, ub=horizon)
    for i in range(n):
        m.add("end", ge({cmax: 1, s[i]: -1}, durations[i]), index=(i,))
    for i, j in itertools.combinations(range(n), 2):
        m.add("noover", Or((le({s[i]: 1, s[j]: -1}, -durations[i]), le({s[j]: 1, s[i]: -1}, -durations[j]))),
              index=(i, j))
    m.minimize(lin({cmax: 1}))
    best = None
    for order in itertools.permutations(range(n)):
        t = 0
        for i in order:
            t = max(t, release[i]) + durations[i]
        best = t if best is None else min(best, t)
    assert best is not None
    return m.build(), best


def infeasible_linear() -> tuple[GroundModel, set[int]]:
    """x + y >= 10 with x <= 3 and y <= 4 conflict; the other constraints are innocent."""
    m = MB("infeasible")
    x = m.var("x", kind="integer", lb=0, ub=100)
    y = m.var("y", kind="integer", lb=0, ub=100)
    z = m.var("z", kind="integer", lb=0, ub=100)
    b = m.var("b", kind="boolean")
    m.add("z_lo", ge({z: 1}, 5))                 # 0
    c1 = m.add("need", ge({x: 1, y: 1}, 10))     # 1
    m.add("zb", Implies(BoolLit(b), ge({z: 1}, 7)))  # 2
    c3 = m.add("cap_x", le({x: 1}, 3))           # 3
    m.add("z_hi", le({z: 1, x: 1}, 50))          # 4
    c5 = m.add("cap_y", le({y: 1}, 4))           # 5
    m.add("soft_big", ge({x: 1}, 90), weight=5.0)  # 6: soft, never in a core
    return m.build(), {c1, c3, c5}


def infeasible_logic() -> tuple[GroundModel, set[int]]:
    """a => b, b => c, a, not c conflict; d or e is innocent. Pure boolean and clausal."""
    m = MB("infeasible_logic")
    a, b, c, d, e = (m.var(ch, kind="boolean") for ch in "abcde")
    k0 = m.add("ab", Implies(BoolLit(a), BoolLit(b)))
    m.add("de", Or((BoolLit(d), BoolLit(e))))
    k2 = m.add("bc", Implies(BoolLit(b), BoolLit(c)))
    k3 = m.add("a", BoolLit(a))
    m.add("nd_or_ne", Or((BoolLit(d, True), BoolLit(e, True))))
    k5 = m.add("not_c", BoolLit(c, True))
    m.add("pref", BoolLit(d), weight=2.0)
    return m.build(), {k0, k2, k3, k5}


def pigeonhole(n: int) -> GroundModel:
    """n+1 pigeons in n holes, clausal: unsatisfiable, exponential for resolution."""
    m = MB(f"php{n}")
    p = {(i, h): m.var("p", kind="boolean", index=(i, h)) for i in range(n + 1) for h in range(n)}
    for i in range(n + 1):
        m.add("some", Or(tuple(BoolLit(p[i, h]) for h in range(n))), index=(i,))
    for h in range(n):
        for i, j in itertools.combinations(range(n + 1), 2):
            m.add("excl", Or((BoolLit(p[i, h], True), BoolLit(p[j, h], True))), index=(h, i, j))
    return m.build()


# --- the problem library, solved by a forced backend ---------------------------------------------

def library_cross_check(backend: str, name: str) -> None:
    """Solve library problem ``name`` with ``backend`` forced and compare with its known answer.

    The library's own test checks each problem on its routed backend; this runs it on every logic
    backend that accepts it, so the three backends are checked against each other and against HiGHS's
    and SCIP's problems. A backend too slow for a problem it was not routed (time limit) skips.
    """
    import pytest
    from problem_library import close, load_problems

    from optsolve.errors import UnsupportedModelError
    from optsolve.formulation import compile_model
    from optsolve.solvers import SolveOptions, Status, solve_model

    prob = next(p for p in load_problems() if p.name == name)
    gm = compile_model(prob.formulation)
    try:
        res = solve_model(gm, SolveOptions(time_limit=10 if prob.backend != backend else 60,
                                           solver=backend, seed=1))
    except UnsupportedModelError as exc:
        # an operator this backend cannot take (exp/log/sqrt for z3): the error must say which
        assert prob.backend != backend, exc
        assert any(op in str(exc) for op in ("exp", "log", "sqrt", "division", "continuous")), exc
        return
    if res.status is Status.TIME_LIMIT and prob.backend != backend:
        pytest.skip(f"{backend} too slow on {name} within 10 s")
    assert res.status == Status(prob.status), (res.status, res.message)
    if prob.optimum is not None:
        assert res.objective is not None and close(res.objective, prob.optimum, max(prob.tol, 1e-6))
    if prob.explanation is not None:
        assert set(res.explanation or []) == set(prob.explanation)


def library_names(backend: str) -> list[str]:
    """Library problems whose features ``backend`` accepts."""
    from problem_library import load_problems

    from optsolve.formulation import compile_model
    from optsolve.solvers.base import get_backend

    b = get_backend(backend)
    out = []
    for p in load_problems():
        try:
            gm = compile_model(p.formulation)
        except Exception:   # a broken library entry is the library test's business
            continue
        if b.accepts(gm.features):
            out.append(p.name)
    return out
