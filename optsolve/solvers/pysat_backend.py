"""PySAT backend: pure boolean models, clauses, cardinality and pseudo-boolean constraints, MaxSAT.

How the grounded model maps onto SAT:

* Only ``binary``/``boolean`` variables; variable id ``v`` is SAT variable ``v + 1``.
* Formulas are Tseitin-encoded: a hard ``or`` of literals is one clause, ``and`` posts each part,
  ``implies(a, b)`` posts ``b`` guarded by ``a``'s literal, nested formulas get an auxiliary literal
  defined in both directions.
* Linear constraints over booleans are pseudo-boolean: coefficients are scaled to integers (least power
  of ten <= ``10**6``), negative coefficients are flipped onto negated literals, and the constraint
  becomes ``sum(w_i * l_i) <= K`` with positive ``w_i``. Unit-coefficient constraints in a hard position
  use PySAT's cardinality encodings (``CardEnc``: sequential counter / totalizer); general weights and
  every reified constraint use our own reduced BDD encoding (Eén & Sörensson 2006) with node sharing,
  so no PB library is needed (PySAT's ``PBEnc`` needs ``pindakaas``, which is not installed).
* Satisfaction models go to CaDiCaL 1.9.5 (Glucose 4 under a time limit: PySAT's CaDiCaL cannot be
  interrupted). With soft constraints or an objective the model becomes a
  weighted CNF for RC2 (stratified, core-guided MaxSAT): a soft constraint is posted under a selector
  literal ``s`` (``s => formula``) and the unit soft clause ``[s]`` carries its weight; a linear objective
  over booleans becomes weighted unit soft clauses. Weights are scaled to integers together.
* Infeasibility: every hard constraint instance's clauses are guarded by a selector; Glucose 4 solves
  under all selectors as assumptions and ``get_core()`` gives the core, which a deletion filter then
  makes irreducible when small.
* ``time_limit`` interrupts the SAT solver or RC2 from a timer thread. RC2 is core-guided: when
  interrupted it has no incumbent, so a short extra SAT call (10% of the limit, at least 0.5 s) finds
  an assignment of the hard clauses: ``time_limit`` with feasible, not optimised, values.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from typing import Any

from optsolve.errors import UnsupportedModelError
from optsolve.formulation.ir import (
    AllDifferent,
    And,
    BoolConst,
    BoolLit,
    Formula,
    GroundModel,
    Implies,
    Lin,
    Not,
    Or,
    Range,
    Rel,
)
from optsolve.solvers.base import Backend
from optsolve.solvers.logic_util import (
    check_limit,
    hard_indices,
    reported_objective,
    require_scale,
    shrink_core,
)
from optsolve.solvers.result import RawSolution, SolveOptions, Status

#: most BDD nodes one pseudo-boolean constraint may create before we give up on it
MAX_BDD_NODES = 2_000_000
_CORE_SHRINK_LIMIT = 40
_SAT_SOLVER = "cadical195"
_SAT_SOLVER_INTERRUPTIBLE = "glucose4"   # PySAT's CaDiCaL holds the GIL and ignores interrupt()
_CORE_SOLVER = "glucose4"
_MAXSAT_ORACLE = "g4"
#: from this many weighted soft terms (soft constraints + objective coefficients) on, CP-SAT beat RC2 on
#: every family of benchmarks/bench_maxsat.py (docs/solvers_logic.md); see PySatBackend.suits
SOFT_TERMS_CPSAT = 200

Clause = list[int]


class _Encoder:
    """Encodes a GroundModel's formulas into clauses, one clause group per constraint."""

    def __init__(self, gm: GroundModel) -> None:
        from pysat.formula import IDPool

        for v in gm.vars:
            if v.kind not in ("binary", "boolean"):
                raise UnsupportedModelError(
                    f"PySAT takes boolean/binary variables only; {v.label} is {v.kind}",
                    where=v.label, hint="use --solver cpsat for integer models or z3 for real ones")
        self.gm = gm
        self.n = len(gm.vars)
        self.pool = IDPool(start_from=self.n + 1)
        self.where = ""
        self.base: list[Clause] = []     # always-on clauses (the true literal, fixed variables)
        self.out: list[Clause] = self.base
        self.true = self.pool.id()
        self.base.append([self.true])
        for vid, v in enumerate(gm.vars):
            if v.lb is not None and v.lb > 0.5:
                self.base.append([vid + 1])
            if v.ub is not None and v.ub < 0.5:
                self.base.append([-(vid + 1)])

    def new(self) -> int:
        return int(self.pool.id())

    # --- pseudo-boolean normal form ------------------------------------------------------------

    def normal(self, e: Any, lo: float, hi: float) -> tuple[list[int], list[int], int, int]:
        """``lo <= e <= hi`` as ``L <= sum(w_i * l_i) <= U`` with positive integer weights."""
        if not isinstance(e, Lin):
            raise UnsupportedModelError(
                "PySAT takes linear constraints only", where=self.where,
                hint="use --solver cpsat for products of booleans")
        coefs = {v: c for v, c in e.coefs.items() if c != 0}
        s = require_scale(coefs.values(), "constraint", self.where, "PySAT")
        lits: list[int] = []
        ws: list[int] = []
        shift = e.const * s
        for v, c in coefs.items():
            a = round(c * s)
            if a > 0:
                lits.append(v + 1)
                ws.append(a)
            elif a < 0:   # a*x = a + |a|*(not x)
                lits.append(-(v + 1))
                ws.append(-a)
                shift += a
        tol = 1e-9
        lo_i = -math.inf if lo == -math.inf else math.ceil(lo * s - shift - tol * max(1.0, abs(lo * s)))
        hi_i = math.inf if hi == math.inf else math.floor(hi * s - shift + tol * max(1.0, abs(hi * s)))
        total = sum(ws)
        low = 0 if lo_i == -math.inf else max(0, int(lo_i))
        high = total if hi_i == math.inf else min(total, int(hi_i))
        if lo_i != -math.inf and lo_i > total:
            low, high = 1, 0
        if hi_i != math.inf and hi_i < 0:
            low, high = 1, 0
        return lits, ws, low, high

    @staticmethod
    def rel_range(f: Rel | Range) -> tuple[Any, float, float]:
        if isinstance(f, Range):
            return f.expr, f.lo, f.hi
        if f.sense == "<=":
            return f.expr, -math.inf, f.rhs
        if f.sense == ">=":
            return f.expr, f.rhs, math.inf
        return f.expr, f.rhs, f.rhs

    def bdd(self, lits: list[int], ws: list[int], k: int, full: bool) -> int:
        """A literal ``r`` with ``r => sum(w*l) <= k`` (and ``<=`` both ways when ``full``)."""
        order = sorted(range(len(lits)), key=lambda i: -ws[i])
        ls = [lits[i] for i in order]
        wv = [ws[i] for i in order]
        suffix = [0] * (len(ls) + 1)
        for i in range(len(ls) - 1, -1, -1):
            suffix[i] = suffix[i + 1] + wv[i]
        memo: dict[tuple[int, int], int] = {}
        t = self.true
        out = self.out
        budget = [MAX_BDD_NODES]

        # iterative post-order to avoid recursion limits on long constraints
        def node(i0: int, k0: int) -> int:
            stack: list[tuple[int, int]] = [(i0, k0)]
            while stack:
                i, k1 = stack[-1]
                if k1 < 0:
                    memo[(i, k1)] = -t
                    stack.pop()
                    continue
                if suffix[i] <= k1:
                    memo[(i, k1)] = t
                    stack.pop()
                    continue
                if (i, k1) in memo:
                    stack.pop()
                    continue
                hi_key = (i + 1, min(k1 - wv[i], suffix[i + 1]) if k1 - wv[i] >= 0 else -1)
                lo_key = (i + 1, min(k1, suffix[i + 1]))
                missing = [key for key in (hi_key, lo_key) if key not in memo and
                           not (key[1] < 0 or suffix[key[0]] <= key[1])]
                if missing:
                    stack.extend(missing)
                    continue
                h = self._leaf(hi_key, memo, suffix, t)
                e = self._leaf(lo_key, memo, suffix, t)
                stack.pop()
                if h == e:
                    memo[(i, k1)] = h
                    continue
                budget[0] -= 1
                if budget[0] < 0:
                    raise UnsupportedModelError(
                        f"pseudo-boolean constraint too large to encode for SAT (over {MAX_BDD_NODES} "
                        "BDD nodes)", where=self.where, hint="use --solver cpsat for large weights")
                x = ls[i]
                v = self.new()
                # v => (x ? h : e)
                out.append([-v, -x, h])
                out.append([-v, x, e])
                if full:   # (x ? h : e) => v
                    out.append([v, -x, -h])
                    out.append([v, x, -e])
                    out.append([v, -h, -e])
                memo[(i, k1)] = v
            return self._leaf((i0, k0), memo, suffix, t)

        return node(0, min(k, suffix[0]))

    @staticmethod
    def _leaf(key: tuple[int, int], memo: dict[tuple[int, int], int], suffix: list[int], t: int) -> int:
        i, k = key
        if k < 0:
            return -t
        if suffix[i] <= k:
            return t
        return memo[key]

    def leq_parts(self, lits: list[int], ws: list[int], low: int, high: int) -> list[tuple[list[int], list[int], int]]:
        """``low <= sum <= high`` as a list of ``sum' <= k`` parts (``>=`` flips onto negations)."""
        total = sum(ws)
        parts = []
        if high < total:
            parts.append((lits, ws, high))
        if low > 0:
            parts.append(([-x for x in lits], ws, total - low))
        return parts

    # --- formulas -------------------------------------------------------------------------------

    def lit(self, f: Formula) -> int:
        """A literal equivalent to ``f``."""
        t = self.true
        if isinstance(f, BoolLit):
            return -(f.var + 1) if f.negated else f.var + 1
        if isinstance(f, BoolConst):
            return t if f.value else -t
        if isinstance(f, Not):
            return -self.lit(f.arg)
        if isinstance(f, Rel | Range):
            lits, ws, low, high = self.normal(*self.rel_range(f))
            if low > high:
                return -t
            parts = []
            for ls, w, k in self.leq_parts(lits, ws, low, high):
                if k < min(w):                      # every literal false
                    parts.append(self.and_lit([-x for x in ls]))
                elif k >= sum(w) - min(w):          # not every literal true: one clause
                    parts.append(-self.and_lit(ls))
                else:
                    parts.append(self.bdd(ls, w, k, full=True))
            return self.and_lit(parts)
        if isinstance(f, And):
            return self.and_lit([self.lit(a) for a in f.args])
        if isinstance(f, Or):
            return -self.and_lit([-self.lit(a) for a in f.args])
        if isinstance(f, Implies):
            return -self.and_lit([self.lit(f.a), -self.lit(f.b)])
        if isinstance(f, AllDifferent):
            raise UnsupportedModelError("PySAT does not take all_different", where=self.where,
                                        hint="use --solver cpsat")
        raise UnsupportedModelError(f"unknown formula {type(f).__name__}", where=self.where)

    def and_lit(self, ls: list[int]) -> int:
        t = self.true
        ls = [x for x in ls if x != t]
        if -t in ls:
            return -t
        if not ls:
            return t
        if len(ls) == 1:
            return ls[0]
        v = self.new()
        for x in ls:
            self.out.append([-v, x])
        self.out.append([v, *(-x for x in ls)])
        return v

    def post(self, f: Formula) -> None:
        """Add clauses asserting ``f``."""
        from pysat.card import CardEnc, EncType

        t = self.true
        if isinstance(f, And):
            for a in f.args:
                self.post(a)
        elif isinstance(f, Or):
            self.out.append([self.lit(a) for a in f.args])
        elif isinstance(f, Implies):
            guard = self.lit(f.a)
            start = len(self.out)
            self.post(f.b)
            for c in self.out[start:]:   # guarding every clause of b by a: a => b
                c.append(-guard)
        elif isinstance(f, Rel | Range):
            lits, ws, low, high = self.normal(*self.rel_range(f))
            if low > high:
                self.out.append([-t])
                return
            for ls, w, k in self.leq_parts(lits, ws, low, high):
                if k < min(w):
                    self.out.extend([[-x] for x in ls])
                elif k >= sum(w) - min(w):
                    self.out.append([-x for x in ls])
                elif all(x == 1 for x in w):
                    enc = EncType.pairwise if k == 1 and len(ls) <= 8 else EncType.seqcounter
                    if k > 1 and len(ls) * k > 20000:
                        enc = EncType.kmtotalizer
                    cnf = CardEnc.atmost(lits=ls, bound=k, vpool=self.pool, encoding=enc)
                    self.out.extend(cnf.clauses)
                else:
                    self.out.append([self.bdd(ls, w, k, full=False)])
        else:
            self.out.append([self.lit(f)])

    def group(self, f: Formula, where: str) -> list[Clause]:
        """The clauses asserting ``f`` (with their auxiliary definitions), as one group."""
        self.where = where
        self.out = []
        self.post(f)
        g = self.out
        self.out = self.base
        return g


def _timer(limit: float | None, stop: Callable[[], None]) -> threading.Timer | None:
    if limit is None:
        return None
    tm = threading.Timer(max(0.0, limit), stop)
    tm.daemon = True
    tm.start()
    return tm


class PySatBackend(Backend):
    """PySAT: CaDiCaL for satisfaction, RC2 for MaxSAT; pure boolean models only."""

    name = "pysat"
    supports = frozenset({"binary", "logic", "clausal", "soft", "linear", "no_objective", "pure_boolean"})
    requires = frozenset({"pure_boolean"})
    modules = ("pysat",)

    def version(self) -> str:
        from importlib.metadata import version

        return version("python-sat")

    @staticmethod
    def soft_terms(model: GroundModel) -> int:
        n = sum(1 for c in model.constraints if c.weight is not None)
        if model.objective is not None and isinstance(model.objective.expr, Lin):
            n += sum(1 for c in model.objective.expr.coefs.values() if c != 0)
        return n

    def suits(self, model: GroundModel) -> bool:
        """Whether RC2 is the faster choice for this model: fewer than :data:`SOFT_TERMS_CPSAT` soft
        terms. Not used by routing yet (``route()`` filters on features only); a size-aware route can
        skip pysat for CP-SAT when this is False."""
        return self.soft_terms(model) < SOFT_TERMS_CPSAT

    def solve(self, model: GroundModel, options: SolveOptions) -> RawSolution:
        t0 = time.perf_counter()
        enc = _Encoder(model)
        hard: list[Clause] = []
        groups: dict[int, list[Clause]] = {}
        soft_sel: list[tuple[int, float]] = []
        for k, c in enumerate(model.constraints):
            if c.weight is None:
                groups[k] = enc.group(c.formula, c.label)
                hard.extend(groups[k])
            elif c.weight != 0:
                g = enc.group(c.formula, c.label)
                s = enc.new()
                hard.extend([*cl, -s] for cl in g)
                soft_sel.append((s, c.weight))
        hard.extend(enc.base)
        if model.objective is None and not soft_sel:
            return self._sat(model, enc, hard, groups, options, t0)
        return self._maxsat(model, enc, hard, groups, soft_sel, options, t0)

    # --- satisfaction ---------------------------------------------------------------------------

    def _sat(self, model: GroundModel, enc: _Encoder, hard: list[Clause], groups: dict[int, list[Clause]],
             options: SolveOptions, t0: float) -> RawSolution:
        from pysat.solvers import Solver

        name = _SAT_SOLVER if options.time_limit is None else _SAT_SOLVER_INTERRUPTIBLE
        with Solver(name=name, bootstrap_with=hard) as s:
            tm = _timer(options.time_limit, s.interrupt)
            try:
                res = s.solve_limited(expect_interrupt=True) if tm else s.solve()
            finally:
                if tm:
                    tm.cancel()
            secs = time.perf_counter() - t0
            if res is None:
                return RawSolution(Status.TIME_LIMIT, solver_seconds=secs,
                                   message="time limit reached before the SAT solver decided")
            if res:
                values = self._values(model, s.get_model() or [])
                return RawSolution(Status.OPTIMAL, values=values, solver_seconds=secs,
                                   objective=reported_objective(model, values))
        raw = RawSolution(Status.INFEASIBLE, solver_seconds=secs)
        if options.explain:
            raw.core = self._core(enc, groups, model, options, t0)
        return raw

    # --- MaxSAT ---------------------------------------------------------------------------------

    def _maxsat(self, model: GroundModel, enc: _Encoder, hard: list[Clause],
                groups: dict[int, list[Clause]], soft_sel: list[tuple[int, float]],
                options: SolveOptions, t0: float) -> RawSolution:
        from pysat.examples.rc2 import RC2Stratified
        from pysat.formula import WCNF

        # cost (minimised) = sign * objective + sum(w * violated)
        terms: list[tuple[int, float]] = [(s, w) for s, w in soft_sel]   # soft clause [s] costs w if false
        if model.objective is not None:
            e = model.objective.expr
            if not isinstance(e, Lin):
                raise UnsupportedModelError("PySAT takes a linear objective only", where="objective",
                                            hint="use --solver cpsat for a quadratic objective")
            sign = 1.0 if model.objective.sense == "minimize" else -1.0
            for v, c in e.coefs.items():
                c2 = sign * c
                if c2 > 0:        # pay c2 when x is true: soft clause [not x]
                    terms.append((-(v + 1), c2))
                elif c2 < 0:      # c2*x = c2 + |c2|*(not x): soft clause [x]
                    terms.append((v + 1, -c2))
        scale = require_scale([w for _, w in terms], "the objective (with soft weights)", "objective",
                              "PySAT")
        wcnf = WCNF()
        wcnf.extend(hard)
        for lit, w in terms:
            wi = round(w * scale)
            if wi > 0:
                wcnf.append([lit], weight=wi)
        if not wcnf.soft:   # a constant objective: plain satisfaction
            return self._sat(model, enc, hard, groups, options, t0)
        # blo="cluster": weight-level stratification by clustering; 3x faster than the default "div"
        # on the weighted random MaxSAT of benchmarks/bench_maxsat.py (n = 100)
        rc2 = RC2Stratified(wcnf, solver=_MAXSAT_ORACLE, adapt=True, exhaust=True, minz=True, blo="cluster")
        try:
            tm = _timer(options.time_limit, rc2.interrupt)
            try:
                sol = rc2.compute(expect_interrupt=tm is not None)
            finally:
                if tm:
                    tm.cancel()
            interrupted = rc2.interrupted
        finally:
            rc2.delete()
        secs = time.perf_counter() - t0
        if sol is not None:
            values = self._values(model, sol)
            return RawSolution(Status.OPTIMAL, values=values, solver_seconds=secs,
                               objective=reported_objective(model, values))
        if interrupted:
            return self._fallback(model, hard, options, t0)
        raw = RawSolution(Status.INFEASIBLE, solver_seconds=secs)
        if options.explain:
            raw.core = self._core(enc, groups, model, options, t0)
        return raw

    def _fallback(self, model: GroundModel, hard: list[Clause], options: SolveOptions,
                  t0: float) -> RawSolution:
        """RC2 is core-guided and keeps no incumbent: after its time limit, spend a short extra
        budget (10% of the limit, at least 0.5 s) finding any assignment of the hard clauses, so the
        user gets a feasible (not optimised) answer with ``time_limit``."""
        from pysat.solvers import Solver

        budget = max(0.5, 0.1 * (options.time_limit or 0.0))
        with Solver(name=_SAT_SOLVER_INTERRUPTIBLE, bootstrap_with=hard) as s:
            tm = _timer(budget, s.interrupt)
            try:
                res = s.solve_limited(expect_interrupt=True)
            finally:
                if tm:
                    tm.cancel()
            secs = time.perf_counter() - t0
            if res:
                values = self._values(model, s.get_model() or [])
                return RawSolution(Status.TIME_LIMIT, values=values, solver_seconds=secs,
                                   objective=reported_objective(model, values),
                                   message="time limit reached before RC2 proved an optimum; the values "
                                           "satisfy the hard constraints but are not optimised")
        if res is False:
            return RawSolution(Status.INFEASIBLE, solver_seconds=secs,
                               message="the hard constraints are unsatisfiable (found after the time limit)")
        return RawSolution(Status.TIME_LIMIT, solver_seconds=secs,
                           message="time limit reached; RC2 (core-guided) keeps no incumbent")

    # --- helpers --------------------------------------------------------------------------------

    @staticmethod
    def _values(model: GroundModel, sat_model: list[int]) -> list[float]:
        pos = {x for x in sat_model if x > 0}
        return [1.0 if vid + 1 in pos else 0.0 for vid in range(len(model.vars))]

    def _core(self, enc: _Encoder, groups: dict[int, list[Clause]], model: GroundModel,
              options: SolveOptions, t0: float) -> list[int] | None:
        from pysat.solvers import Solver

        sel: dict[int, int] = {}
        with Solver(name=_CORE_SOLVER, bootstrap_with=enc.base) as s:
            for k in hard_indices(model):
                sel[k] = enc.new()
                for cl in groups[k]:
                    s.add_clause([*cl, -sel[k]])
            back = {v: k for k, v in sel.items()}

            first: list[float] = []

            def check(subset: list[int]) -> list[int] | None:
                t1 = time.perf_counter()
                left = check_limit(options.time_limit, t0, t1, first[0] if first else None)
                tm = _timer(left, s.interrupt)
                try:
                    res = s.solve_limited(assumptions=[sel[k] for k in subset], expect_interrupt=True)
                finally:
                    if tm:
                        tm.cancel()
                    s.clear_interrupt()
                if not first:
                    first.append(time.perf_counter() - t1)
                if res is not False:
                    return None
                return sorted(back[x] for x in (s.get_core() or []) if x in back)

            core = check(list(sel))
            if core is None:
                return None
            if len(core) <= _CORE_SHRINK_LIMIT:
                core = shrink_core(core, check)
            return core
