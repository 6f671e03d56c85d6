"""OR-Tools CP-SAT backend: integer and boolean models, logic, ``all_different``, soft constraints.

How the grounded model maps onto CP-SAT:

* ``binary``/``boolean`` variables become BoolVars, ``integer`` variables IntVars. CP-SAT needs finite
  domains, so an integer variable without a bound gets the artificial bound ``-2**31`` / ``2**31``
  (:data:`UNBOUNDED`). When an optimal solution puts such a variable on its artificial bound the result
  is reported as ``unbounded``. Continuous variables are rejected.
* CP-SAT needs integer coefficients: every linear constraint is multiplied by the least power of ten
  (at most ``10**6``) that makes its coefficients integral, and the right-hand side is rounded in the
  direction that is exact for integer variables. Coefficients that are not such decimals are rejected
  with a hint to use z3 or SCIP. The objective (with soft penalties) is scaled the same way; the reported
  objective is recomputed from the solution in the user's units.
* Quadratic terms and ``*``, ``**`` (constant non-negative integer exponent), ``abs``, ``min``, ``max`` are
  modelled with auxiliary variables (``AddMultiplicationEquality``, ``AddAbsEquality``...); division by a
  variable, ``exp``, ``log`` and ``sqrt`` are rejected.
* Logic: a formula in a hard position is posted with enforcement literals (``implies(a, b)`` posts ``b``
  enforced by ``a``'s literal); a formula inside ``or``/``not`` is reified into a literal (both
  directions). Soft constraints are half-reified (literal => formula) and their penalty
  ``weight * (1 - literal)`` is added to the objective.
* ``threads`` sets CP-SAT's workers; the default is 8 (:data:`DEFAULT_WORKERS`), whatever the core count,
  because CP-SAT's portfolio needs them (measured in docs/solvers_logic.md).
* Infeasibility: when ``options.explain`` is set, the hard constraints are re-posted under one assumption
  literal each and CP-SAT's ``SufficientAssumptionsForInfeasibility`` gives a core, which a deletion
  filter then makes irreducible when it is small.
* LP screen: when some integer variable carries the artificial bound, the hard linear rows are first
  solved as an LP by HiGHS (milliseconds). An infeasible relaxation proves the model infeasible, and CP-SAT
  is not run: its bound propagation can creep through a cycle of rows (``y >= 3x + z >= 3y`` with a lower
  bound elsewhere) one small step at a time across the 2**31 domain, recording every step; on such a
  6-row model it allocated 22 GB (session 29, docs/solvers_logic.md). The rows of HiGHS's infeasible
  subsystem are the core.
"""

from __future__ import annotations

import math
import re
import time
from typing import Any

from optsolve.errors import UnsupportedModelError
from optsolve.formulation.ir import (
    NL,
    AllDifferent,
    And,
    BoolConst,
    BoolLit,
    Expr,
    Formula,
    GroundModel,
    Implies,
    Lin,
    Not,
    Or,
    Quad,
    Range,
    Rel,
)
from optsolve.solvers.base import Backend
from optsolve.solvers.logic_util import (
    check_limit,
    hard_indices,
    is_integral,
    reported_objective,
    require_scale,
    shrink_core,
)
from optsolve.solvers.result import RawSolution, SolveOptions, Status

#: artificial bound given to integer variables the model leaves unbounded
UNBOUNDED = 2**31
_MAX_POW = 20
#: CP-SAT workers when SolveOptions.threads is not set
DEFAULT_WORKERS = 8
_CORE_SHRINK_LIMIT = 40
#: the widest variable domain CP-SAT accepts (kint64max / 2 = 2**62 - 1; 2**62 itself is rejected)
_VAR_MAX = 2**62 - 1
#: seconds at most for the LP screen (a larger LP is left to CP-SAT)
_SCREEN_SECONDS = 5.0


def _first_line(text: str) -> str:
    """CP-SAT's validation message without the constraint's proto dump that follows its first line."""
    lines = text.strip().splitlines()
    if not lines:
        return text
    m = re.match(r"(Possible integer overflow in \w+)", lines[0])
    return m.group(1) if m else lines[0].rstrip(": {")


def lp_screen(model: GroundModel, indices: list[int], time_limit: float | None = None) -> list[int] | None:
    """A subset of the hard linear constraints among ``indices`` whose LP relaxation (integrality
    dropped, no artificial bounds) is infeasible, from HiGHS's dual ray; None when the relaxation is
    feasible, HiGHS is missing or it cannot tell within the time limit. Such a subset proves the integer
    model infeasible."""
    from optsolve.solvers.explain import highs_iis, lp_row

    # the hard LP rows, constants aside (a false one makes HiGHS's subsystem undefined, and CP-SAT
    # answers it at once)
    rows = [ci for ci in indices if model.constraints[ci].weight is None
            and lp_row(f := model.constraints[ci].formula) and not isinstance(f, BoolConst)]
    if not rows:
        return None
    limit = _SCREEN_SECONDS if time_limit is None else min(_SCREEN_SECONDS, time_limit)
    try:
        found = highs_iis(model, rows, limit, irreducible=False)
    except Exception:  # pragma: no cover - a HiGHS failure leaves the model to CP-SAT
        return None
    if found is None:
        return None
    return found[0] or None

Affine = tuple[dict[int, float], float]   # (cp var index -> coefficient, constant)


class _Builder:
    """Builds one CpModel from a GroundModel."""

    def __init__(self, gm: GroundModel) -> None:
        from ortools.sat.python import cp_model

        self.cp = cp_model
        self.gm = gm
        self.m = cp_model.CpModel()
        self.vars: list[Any] = []
        self.by_index: dict[int, Any] = {}
        self.bounds: dict[int, tuple[int, int]] = {}
        self.where = ""
        self.artificial: set[int] = set()   # cp indices with an artificial bound
        self._true: Any = None
        for v in gm.vars:
            if v.kind == "continuous":
                raise UnsupportedModelError(
                    f"CP-SAT cannot take continuous variable {v.label}",
                    where=v.label, hint="use --solver z3, scip or highs for models with real variables")
            if v.kind in ("binary", "boolean"):
                lo = 0 if v.lb is None else max(0, math.ceil(v.lb - 1e-9))
                hi = 1 if v.ub is None else min(1, math.floor(v.ub + 1e-9))
                var = self.m.new_bool_var(v.label)
                if lo > hi:
                    self.m.add_bool_or([])
                elif lo == hi:
                    self.m.add(var == lo)
            else:
                lo = -UNBOUNDED if v.lb is None or v.lb == -math.inf else math.ceil(v.lb - 1e-9)
                hi = UNBOUNDED if v.ub is None or v.ub == math.inf else math.floor(v.ub + 1e-9)
                lo, hi = max(lo, -UNBOUNDED), min(hi, UNBOUNDED)
                if lo > hi:
                    self.m.add_bool_or([])
                    hi = lo
                var = self.m.new_int_var(lo, hi, v.label)
                if v.lb is None or v.lb == -math.inf or v.ub is None or v.ub == math.inf:
                    self.artificial.add(var.index)
            self._register(var, lo, hi)
            self.vars.append(var)

    # --- variables and affine expressions ----------------------------------------------------

    def _register(self, var: Any, lo: int, hi: int) -> None:
        self.by_index[var.index] = var
        self.bounds[var.index] = (lo, hi)

    def true_lit(self) -> Any:
        if self._true is None:
            self._true = self.m.new_bool_var("true")
            self.m.add_bool_or([self._true])
            self._register(self._true, 1, 1)
        return self._true

    def new_int(self, lo: float, hi: float, name: str) -> Any:
        ilo, ihi = max(-_VAR_MAX, math.floor(lo)), min(_VAR_MAX, math.ceil(hi))
        var = self.m.new_int_var(ilo, ihi, name)
        self._register(var, ilo, ihi)
        return var

    def interval(self, a: Affine) -> tuple[float, float]:
        lo = hi = a[1]
        for k, c in a[0].items():
            vlo, vhi = self.bounds[k]
            lo += min(c * vlo, c * vhi)
            hi += max(c * vlo, c * vhi)
        return lo, hi

    def linexpr(self, coefs: dict[int, int], const: int = 0) -> Any:
        ks = list(coefs)
        return self.cp.LinearExpr.weighted_sum([self.by_index[k] for k in ks], [coefs[k] for k in ks]) + const

    def materialise(self, a: Affine) -> tuple[Any, float]:
        """An IntVar ``z`` and a factor ``s`` with ``z == s * a`` (s makes the coefficients integral)."""
        coefs, const = a
        if len(coefs) == 1 and const == 0:
            (k, c), = coefs.items()
            if c == 1:
                return self.by_index[k], 1.0
        s = require_scale([*coefs.values(), const], "a nonlinear term", self.where, "CP-SAT")
        lo, hi = self.interval(a)
        z = self.new_int(lo * s, hi * s, "aux")
        ic = {k: round(c * s) for k, c in coefs.items()}
        self.m.add(z == self.linexpr(ic, round(const * s)))
        return z, float(s)

    def affine(self, e: Expr) -> Affine:
        if isinstance(e, Lin):
            return ({self.vars[v].index: c for v, c in e.coefs.items() if c != 0}, e.const)
        if isinstance(e, Quad):
            coefs, const = self.affine(e.lin)
            coefs = dict(coefs)
            for (i, j), c in e.quad.items():
                if c == 0:
                    continue
                k = self.product(self.vars[i], self.vars[j], i == j)
                coefs[k] = coefs.get(k, 0.0) + c
            return coefs, const
        return self.nonlinear(e)

    def product(self, x: Any, y: Any, square: bool) -> int:
        xl, xh = self.bounds[x.index]
        yl, yh = self.bounds[y.index]
        if square and xl >= 0 and xh <= 1:
            return int(x.index)   # b * b == b for a boolean
        cands = [xl * yl, xl * yh, xh * yl, xh * yh]
        lo, hi = min(cands), max(cands)
        if square:
            lo = 0 if xl <= 0 <= xh else lo
        z = self.new_int(lo, hi, "prod")
        self.m.add_multiplication_equality(z, [x, y])
        return int(z.index)

    def nonlinear(self, e: NL) -> Affine:
        op = e.op
        if op == "add":
            coefs: dict[int, float] = {}
            const = 0.0
            for arg in e.args:
                c2, k2 = self.affine(arg)
                const += k2
                for k, c in c2.items():
                    coefs[k] = coefs.get(k, 0.0) + c
            return coefs, const
        if op == "neg":
            c2, k2 = self.affine(e.args[0])
            return {k: -c for k, c in c2.items()}, -k2
        if op == "mul":
            a, b = self.affine(e.args[0]), self.affine(e.args[1])
            if not a[0] or not b[0]:
                cst, other = (a, b) if not a[0] else (b, a)
                return {k: c * cst[1] for k, c in other[0].items()}, other[1] * cst[1]
            za, sa = self.materialise(a)
            zb, sb = self.materialise(b)
            k = self.product(za, zb, za.index == zb.index)
            return {k: 1.0 / (sa * sb)}, 0.0
        if op == "div":
            a, b = self.affine(e.args[0]), self.affine(e.args[1])
            if b[0]:
                raise UnsupportedModelError(
                    "CP-SAT cannot divide by a variable", where=self.where,
                    hint="multiply out the division, or use --solver z3 or scip")
            if b[1] == 0:
                raise UnsupportedModelError("division by zero", where=self.where)
            return {k: c / b[1] for k, c in a[0].items()}, a[1] / b[1]
        if op == "pow":
            base = self.affine(e.args[0])
            ex = self.affine(e.args[1])
            if ex[0] or not is_integral(ex[1]) or not 0 <= ex[1] <= _MAX_POW:
                raise UnsupportedModelError(
                    f"CP-SAT takes ** only with a constant integer exponent in 0..{_MAX_POW}",
                    where=self.where, hint="use --solver scip for real exponents")
            n = round(ex[1])
            if not base[0]:
                return {}, float(base[1] ** n)
            if n == 0:
                return {}, 1.0
            zb, sb = self.materialise(base)
            acc = zb
            for _ in range(n - 1):
                acc = self.by_index[self.product(acc, zb, acc.index == zb.index)]
            return {acc.index: 1.0 / sb**n}, 0.0
        if op in ("abs", "min", "max"):
            parts = [self.affine(a) for a in e.args]
            s = require_scale([v for p in parts for v in (*p[0].values(), p[1])],
                              f"{op}(...)", self.where, "CP-SAT")
            ivs = [self.interval(p) for p in parts]
            zs = [self.materialise(({k: c * s for k, c in p[0].items()}, p[1] * s))[0] for p in parts]
            if op == "abs":
                lo, hi = ivs[0]
                top = max(abs(lo), abs(hi)) * s
                bot = 0.0 if lo <= 0 <= hi else min(abs(lo), abs(hi)) * s
                r = self.new_int(bot, top, "abs")
                self.m.add_abs_equality(r, zs[0])
            elif op == "min":
                r = self.new_int(min(i[0] for i in ivs) * s, min(i[1] for i in ivs) * s, "min")
                self.m.add_min_equality(r, zs)
            else:
                r = self.new_int(max(i[0] for i in ivs) * s, max(i[1] for i in ivs) * s, "max")
                self.m.add_max_equality(r, zs)
            return {r.index: 1.0 / s}, 0.0
        raise UnsupportedModelError(
            f"CP-SAT does not support {op}()", where=self.where,
            hint="use --solver scip (nonlinear) for exp/log/sqrt")

    # --- linear relations ---------------------------------------------------------------------

    def scaled(self, e: Expr) -> tuple[dict[int, int], float, int]:
        """Integer coefficients, the constant times the scale (a float), and the scale."""
        coefs, const = self.affine(e)
        coefs = {k: c for k, c in coefs.items() if c != 0}
        s = require_scale(coefs.values(), "constraint", self.where, "CP-SAT")
        return {k: round(c * s) for k, c in coefs.items()}, const * s, s

    def bounds_for(self, e: Expr, lo: float, hi: float) -> tuple[dict[int, int], int, int] | None:
        """``lo <= e <= hi`` as integer ``ilo <= sum <= ihi``; None when no integer fits (false)."""
        coefs, const, s = self.scaled(e)
        lo_s = -math.inf if lo == -math.inf else lo * s - const
        hi_s = math.inf if hi == math.inf else hi * s - const
        ilo = -(2**62) if lo_s == -math.inf else math.ceil(lo_s - 1e-9 * max(1, abs(lo_s)))
        ihi = 2**62 if hi_s == math.inf else math.floor(hi_s + 1e-9 * max(1, abs(hi_s)))
        if ilo > ihi:
            return None
        return coefs, ilo, ihi

    @staticmethod
    def rel_range(f: Rel | Range) -> tuple[Expr, float, float]:
        if isinstance(f, Range):
            return f.expr, f.lo, f.hi
        if f.sense == "<=":
            return f.expr, -math.inf, f.rhs
        if f.sense == ">=":
            return f.expr, f.rhs, math.inf
        return f.expr, f.rhs, f.rhs

    def post_range(self, f: Rel | Range, enf: list[Any]) -> None:
        b = self.bounds_for(*self.rel_range(f))
        if b is None:
            self.post_false(enf)
            return
        coefs, ilo, ihi = b
        if not coefs:
            if not ilo <= 0 <= ihi:
                self.post_false(enf)
            return
        expr = self.linexpr(coefs)
        if ilo == ihi:
            ct = self.m.add(expr == ilo)
        elif ilo <= -(2**62):
            ct = self.m.add(expr <= ihi)
        elif ihi >= 2**62:
            ct = self.m.add(expr >= ilo)
        else:
            ct = self.m.add_linear_constraint(expr, ilo, ihi)
        if enf:
            ct.only_enforce_if(enf)

    def post_false(self, enf: list[Any]) -> None:
        self.m.add_bool_or([e.negated() for e in enf])

    # --- formulas -------------------------------------------------------------------------------

    def post(self, f: Formula, enf: list[Any]) -> None:
        """Add ``and(enf) => f``."""
        if isinstance(f, Rel | Range):
            self.post_range(f, enf)
        elif isinstance(f, BoolLit):
            self.m.add_bool_or([self.lit(f)]).only_enforce_if(enf)
        elif isinstance(f, BoolConst):
            if not f.value:
                self.post_false(enf)
        elif isinstance(f, And):
            for a in f.args:
                self.post(a, enf)
        elif isinstance(f, Or):
            self.m.add_bool_or([self.lit(a) for a in f.args]).only_enforce_if(enf)
        elif isinstance(f, Not):
            self.m.add_bool_or([self.lit(f.arg).negated()]).only_enforce_if(enf)
        elif isinstance(f, Implies):
            self.post(f.b, [*enf, self.lit(f.a)])
        elif isinstance(f, AllDifferent):
            exprs = [self.scaled_expr(e) for e in f.exprs]
            if not enf:
                self.m.add_all_different(exprs)
            else:   # CP-SAT's all_different takes no enforcement literal: pairwise !=
                for i in range(len(exprs)):
                    for j in range(i + 1, len(exprs)):
                        self.m.add(exprs[i] != exprs[j]).only_enforce_if(enf)
        else:
            raise UnsupportedModelError(f"unknown formula {type(f).__name__}", where=self.where)

    def scaled_expr(self, e: Expr) -> Any:
        coefs, const = self.affine(e)
        if not all(is_integral(c) for c in (*coefs.values(), const)):
            raise UnsupportedModelError(
                "all_different needs integer-valued expressions", where=self.where,
                hint="use integer coefficients inside all_different")
        return self.linexpr({k: round(c) for k, c in coefs.items()}, round(const))

    def lit(self, f: Formula) -> Any:
        """A literal equivalent to ``f``."""
        if isinstance(f, BoolLit):
            v = self.vars[f.var]
            return v.negated() if f.negated else v
        if isinstance(f, BoolConst):
            t = self.true_lit()
            return t if f.value else t.negated()
        if isinstance(f, Not):
            return self.lit(f.arg).negated()
        b = self.m.new_bool_var("r")
        self._register(b, 0, 1)
        if isinstance(f, Rel | Range):
            expr, lo, hi = self.rel_range(f)
            rng = self.bounds_for(expr, lo, hi)
            if rng is None:
                self.m.add_bool_or([b.negated()])
                return b
            coefs, ilo, ihi = rng
            if not coefs:
                self.m.add(b == int(ilo <= 0 <= ihi))
                return b
            lin = self.linexpr(coefs)
            dom = self.cp.Domain(max(ilo, -(2**62)), min(ihi, 2**62))
            self.m.add_linear_expression_in_domain(lin, dom).only_enforce_if(b)
            self.m.add_linear_expression_in_domain(lin, dom.complement()).only_enforce_if(b.negated())
            return b
        if isinstance(f, And):
            ls = [self.lit(a) for a in f.args]
            self.m.add_bool_and(ls).only_enforce_if(b)
            self.m.add_bool_or([x.negated() for x in ls]).only_enforce_if(b.negated())
            return b
        if isinstance(f, Or | Implies):
            ls = [self.lit(a) for a in f.args] if isinstance(f, Or) else [self.lit(f.a).negated(),
                                                                        self.lit(f.b)]
            self.m.add_bool_or(ls).only_enforce_if(b)
            self.m.add_bool_and([x.negated() for x in ls]).only_enforce_if(b.negated())
            return b
        if isinstance(f, AllDifferent):
            exprs = [self.scaled_expr(e) for e in f.exprs]
            eqs = []
            for i in range(len(exprs)):
                for j in range(i + 1, len(exprs)):
                    self.m.add(exprs[i] != exprs[j]).only_enforce_if(b)
                    q = self.m.new_bool_var("eq")
                    self.m.add(exprs[i] == exprs[j]).only_enforce_if(q)
                    eqs.append(q)
            self.m.add_bool_or(eqs).only_enforce_if(b.negated())
            return b
        raise UnsupportedModelError(f"unknown formula {type(f).__name__}", where=self.where)

    # --- the whole model ----------------------------------------------------------------------

    def build(self, with_assumptions: bool) -> tuple[list[tuple[int, Any]], float | None, float]:
        """Post constraints and the objective. Returns (assumption literals per hard constraint,
        objective scale or None, cost constant)."""
        gm = self.gm
        assumptions: list[tuple[int, Any]] = []
        soft: list[tuple[Any, float]] = []
        for k, c in enumerate(gm.constraints):
            self.where = c.label
            if c.weight is not None:
                if with_assumptions:
                    continue   # soft constraints never make a model infeasible
                if c.weight == 0:
                    continue
                s = self.m.new_bool_var(f"soft_{k}")
                self._register(s, 0, 1)
                self.post(c.formula, [s])
                soft.append((s, c.weight))
            elif with_assumptions:
                a = self.m.new_bool_var(f"assume_{k}")
                self._register(a, 0, 1)
                self.post(c.formula, [a])
                assumptions.append((k, a))
            else:
                self.post(c.formula, [])
        if with_assumptions:
            return assumptions, None, 0.0
        # cost (minimised) = sign * objective + sum(w * (1 - s))
        coefs: dict[int, float] = {}
        const = 0.0
        if gm.objective is not None:
            self.where = "objective"
            sign = 1.0 if gm.objective.sense == "minimize" else -1.0
            oc, ok = self.affine(gm.objective.expr)
            coefs = {k: sign * c for k, c in oc.items() if c != 0}
            const = sign * ok
        for s, w in soft:
            coefs[s.index] = coefs.get(s.index, 0.0) - w
            const += w
        if gm.objective is None and not soft:
            return assumptions, None, 0.0
        self.where = "objective"
        scale = require_scale(coefs.values(), "the objective (with soft weights)", "objective", "CP-SAT")
        self.m.minimize(self.linexpr({k: round(c * scale) for k, c in coefs.items()}))
        return assumptions, float(scale), const


class CpSatBackend(Backend):
    """OR-Tools CP-SAT. Unbounded integer variables get the artificial domain ``[-2**31, 2**31]``."""

    name = "cpsat"
    supports = frozenset({
        "integer", "binary", "unbounded_integer", "linear", "logic", "all_different", "soft",
        "no_objective", "pure_boolean", "clausal", "quadratic_objective", "nonconvex_objective",
        "quadratic_constraints",
    })
    modules = ("ortools",)

    def version(self) -> str:
        from importlib.metadata import version

        return version("ortools")

    def _params(self, solver: Any, options: SolveOptions, workers: int | None = None) -> None:
        p = solver.parameters
        if options.time_limit is not None:
            p.max_time_in_seconds = max(0.01, float(options.time_limit))
        # CP-SAT's portfolio (core-based, LNS, LP workers) needs ~8 workers to be complete; with 1-2
        # it is several times slower on MaxSAT-like objectives even on a 2-core machine
        # (docs/solvers_logic.md), so 8 is the default whatever the core count.
        p.num_workers = workers or options.threads or DEFAULT_WORKERS
        p.random_seed = options.seed
        p.log_search_progress = options.verbose

    def solve(self, model: GroundModel, options: SolveOptions) -> RawSolution:
        from ortools.sat.python import cp_model

        t0 = time.perf_counter()
        b = _Builder(model)
        _, scale, const = b.build(with_assumptions=False)
        err = b.m.validate()
        if err:
            # "Possible integer overflow": products and sums over the ±2^31 artificial domain exceed
            # CP-SAT's int64 checks; the model itself may be fine, so routing may try another backend
            return RawSolution(Status.ERROR, message=f"CP-SAT rejected the model: {_first_line(err)}",
                               extra={"backend_limit": "overflow" in err})
        if b.artificial:
            core = lp_screen(model, hard_indices(model), options.time_limit)
            if core is not None:
                raw = RawSolution(Status.INFEASIBLE, solver_seconds=time.perf_counter() - t0,
                                  extra={"proved_by": "lp_relaxation"})
                if options.explain:
                    raw.core = self._core(model, options, t0)
                return raw
        solver = cp_model.CpSolver()
        self._params(solver, options)
        try:
            st = solver.solve(b.m)
        except MemoryError:
            return RawSolution(Status.ERROR, solver_seconds=time.perf_counter() - t0, message=(
                "CP-SAT ran out of memory" + (" (integer variables without bounds get ±2^31)"
                                              if b.artificial else "")
                + ": give the integer variables upper bounds, or try --solver scip"))
        secs = solver.wall_time
        if st == cp_model.MODEL_INVALID:
            return RawSolution(Status.ERROR, message=f"CP-SAT: invalid model: {b.m.validate()}",
                               solver_seconds=secs)
        if st == cp_model.INFEASIBLE:
            raw = RawSolution(Status.INFEASIBLE, solver_seconds=secs)
            if options.explain:
                raw.core = self._core(model, options, t0)
            return raw
        if st == cp_model.UNKNOWN:
            if options.time_limit is not None:
                return RawSolution(Status.TIME_LIMIT, solver_seconds=secs,
                                   message="time limit reached before a solution was found")
            return RawSolution(Status.ERROR, solver_seconds=secs, message="CP-SAT stopped without an answer")
        values = [float(solver.value(v)) for v in b.vars]
        obj = reported_objective(model, values)
        bound = None
        if scale is not None:
            sign = -1.0 if model.objective is not None and model.objective.sense == "maximize" else 1.0
            bound = sign * (solver.best_objective_bound / scale + const)
        if st == cp_model.OPTIMAL:
            status = Status.OPTIMAL
            msg = None
            if scale is not None and model.objective is not None:
                hit = [model.vars[i].label for i, v in enumerate(b.vars)
                       if v.index in b.artificial and abs(values[i]) >= UNBOUNDED]
                if hit:
                    status, msg = Status.UNBOUNDED, (
                        f"{', '.join(hit[:5])} reached the artificial bound ±2^31 of an unbounded "
                        "integer variable: the objective is unbounded (or give the variable bounds)")
        else:
            limited = options.time_limit is not None and secs >= 0.95 * options.time_limit
            status = Status.TIME_LIMIT if limited else Status.FEASIBLE
            msg = None
        if status is Status.UNBOUNDED:
            return RawSolution(status, message=msg, solver_seconds=secs)
        return RawSolution(status, objective=obj, values=values, bound=bound, solver_seconds=secs,
                           message=msg, extra={"cpsat_status": solver.status_name(st)})

    def _core(self, model: GroundModel, options: SolveOptions, t0: float) -> list[int] | None:
        from ortools.sat.python import cp_model

        b = _Builder(model)
        assumptions, _, _ = b.build(with_assumptions=True)
        lit_of = {a.index: k for k, a in assumptions}
        first: list[float] = []

        def check(subset: list[int]) -> list[int] | None:
            if b.artificial:  # the same screen as solve: CP-SAT may creep on an infeasible LP
                lp_core = lp_screen(model, subset, options.time_limit)
                if lp_core is not None:
                    return lp_core
            keep = set(subset)
            b.m.clear_assumptions()
            b.m.add_assumptions([a for k, a in assumptions if k in keep])
            solver = cp_model.CpSolver()
            t1 = time.perf_counter()
            left = check_limit(options.time_limit, t0, t1, first[0] if first else None)
            self._params(solver, SolveOptions(time_limit=left, seed=options.seed), workers=1)
            st = solver.solve(b.m)
            if not first:
                first.append(time.perf_counter() - t1)
            if st != cp_model.INFEASIBLE:
                return None
            return sorted(lit_of[i] for i in solver.sufficient_assumptions_for_infeasibility()
                          if i in lit_of)

        core = check(hard_indices(model))
        if core is None:
            return None
        if len(core) <= _CORE_SHRINK_LIMIT:
            core = shrink_core(core, check)
        return core

