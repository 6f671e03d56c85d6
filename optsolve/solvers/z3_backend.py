"""z3 backend: mixed logic and real/integer arithmetic, nonlinear polynomial constraints (SMT).

How the grounded model maps onto z3 (one fresh ``z3.Context`` per solve, so solves in threads do not
share state):

* ``continuous`` variables are ``Real``, ``integer`` variables ``Int``; ``binary`` and ``boolean`` are
  both ``Bool`` and enter arithmetic as ``If(b, 1, 0)`` (z3 recognises such sums as pseudo-boolean).
  Bounds are hard constraints. Coefficients are exact rationals of the decimals the user wrote.
* ``*``, ``/``, ``**`` with a constant integer exponent are exact polynomial/rational arithmetic (z3's
  nlsat is complete for nonlinear real arithmetic; integer nonlinear problems may end ``unknown``);
  ``abs``/``min``/``max`` become ``If``; ``exp``, ``log``, ``sqrt`` and real exponents are rejected.
* Satisfaction models use a plain ``Solver``. With an objective, ``Optimize.minimize``/``maximize``; soft
  constraints alone use ``Optimize.add_soft`` (z3's MaxSAT engine), soft constraints beside an objective
  are folded into one objective ``objective ± sum(If(c, 0, w))`` as the spec defines it (z3 would
  otherwise optimise them lexicographically). An infinite optimum is reported ``unbounded``; an optimum
  that is only approached (``epsilon``: a strict inequality from ``not``) is reported ``feasible``.
* Infeasibility: every hard constraint is asserted under its own tracking literal, the unsat core is
  read with ``unsat_core()`` and shrunk by a deletion filter to an irreducible core when small.
"""

from __future__ import annotations

import time
from fractions import Fraction
from typing import Any

from optsolve.errors import UnsupportedModelError
from optsolve.formulation.ir import (
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
from optsolve.solvers.logic_util import check_limit, exact, is_integral, reported_objective, shrink_core
from optsolve.solvers.result import RawSolution, SolveOptions, Status

_MAX_POW = 64
_CORE_SHRINK_LIMIT = 40


def to_float(v: Any) -> float:
    """A z3 numeral (integer, rational, algebraic) or boolean as a float."""
    import z3

    if z3.is_true(v):
        return 1.0
    if z3.is_false(v):
        return 0.0
    if z3.is_int_value(v):
        return float(v.as_long())
    if z3.is_rational_value(v):
        return float(Fraction(v.numerator_as_long(), v.denominator_as_long()))
    if z3.is_algebraic_value(v):
        return float(v.approx(20).as_fraction())
    raise ValueError(f"not a z3 numeral: {v}")


def stopped_by_time_limit(reason: str, seconds: float, timeout_ms: int | None) -> bool:
    """Whether an ``unknown`` answer means the time limit ran out. z3 names a timeout "timeout" or
    "canceled", but an Optimize stopped by its timeout can also answer plain "unknown" (seen on a
    loaded machine: n-queens after the full 10 s), so a run that used up its limit counts as one too."""
    if timeout_ms is None:
        return False
    return any(w in reason for w in ("timeout", "canceled", "cancelled")) or seconds >= 0.95 * timeout_ms / 1000


class _Builder:
    def __init__(self, gm: GroundModel) -> None:
        import z3

        self.z3 = z3
        self.ctx = z3.Context()
        self.gm = gm
        self.where = ""
        self.vars: list[Any] = []
        self.bounds: list[Any] = []
        for v in gm.vars:
            if v.kind in ("binary", "boolean"):
                var = z3.Bool(v.label, self.ctx)
                if v.lb is not None and v.lb > 0.5:
                    self.bounds.append(var)
                if v.ub is not None and v.ub < 0.5:
                    self.bounds.append(z3.Not(var))
            else:
                var = (z3.Int if v.kind == "integer" else z3.Real)(v.label, self.ctx)
                if v.lb is not None and v.lb != float("-inf"):
                    self.bounds.append(var >= self.num(v.lb))
                if v.ub is not None and v.ub != float("inf"):
                    self.bounds.append(var <= self.num(v.ub))
            self.vars.append(var)

    def num(self, c: float) -> Any:
        if is_integral(c) and abs(c) < 2**53:
            return self.z3.IntVal(round(c), self.ctx)
        q = exact(c)
        return self.z3.RealVal(q, self.ctx)

    def term(self, vid: int) -> Any:
        v = self.vars[vid]
        if self.z3.is_bool(v):
            return self.z3.If(v, self.z3.IntVal(1, self.ctx), self.z3.IntVal(0, self.ctx))
        return v

    def sum(self, parts: list[Any]) -> Any:
        if not parts:
            return self.z3.IntVal(0, self.ctx)
        if len(parts) == 1:
            return parts[0]
        return self.z3.Sum(parts)

    def lin(self, e: Lin) -> Any:
        parts = []
        for v, c in e.coefs.items():
            if c == 0:
                continue
            t = self.term(v)
            parts.append(t if c == 1 else self.num(c) * t)
        if e.const != 0 or not parts:
            parts.append(self.num(e.const))
        return self.sum(parts)

    def expr(self, e: Expr) -> Any:
        z3 = self.z3
        if isinstance(e, Lin):
            return self.lin(e)
        if isinstance(e, Quad):
            parts = [self.lin(e.lin)]
            for (i, j), c in e.quad.items():
                if c != 0:
                    parts.append(self.num(c) * self.term(i) * self.term(j))
            return self.sum(parts)
        op = e.op
        a = [self.expr(x) for x in e.args]
        if op == "add":
            return self.sum(a)
        if op == "neg":
            return -a[0]
        if op == "mul":
            return a[0] * a[1]
        if op == "div":
            return self.real(a[0]) / self.real(a[1])
        if op == "pow":
            ex = e.args[1]
            if not (isinstance(ex, Lin) and ex.is_const and is_integral(ex.const)
                    and abs(ex.const) <= _MAX_POW):
                raise UnsupportedModelError(
                    "z3 takes ** only with a constant integer exponent (real exponents need sqrt/exp)",
                    where=self.where, hint="use --solver scip for real exponents")
            n = round(ex.const)
            if n == 0:
                return z3.IntVal(1, self.ctx)
            acc = a[0]
            for _ in range(abs(n) - 1):
                acc = acc * a[0]
            return acc if n > 0 else z3.RealVal(1, self.ctx) / self.real(acc)
        if op == "abs":
            return z3.If(a[0] >= 0, a[0], -a[0])
        if op in ("min", "max"):
            acc = a[0]
            for x in a[1:]:
                acc = z3.If(x < acc, x, acc) if op == "min" else z3.If(x > acc, x, acc)
            return acc
        raise UnsupportedModelError(
            f"z3 does not support {op}()", where=self.where,
            hint="z3 handles polynomial arithmetic only; use --solver scip for exp/log/sqrt")

    def real(self, x: Any) -> Any:
        return x if self.z3.is_real(x) else self.z3.ToReal(x)

    def formula(self, f: Formula) -> Any:
        z3 = self.z3
        if isinstance(f, Rel):
            e = self.expr(f.expr)
            r = self.num(f.rhs)
            return e <= r if f.sense == "<=" else e >= r if f.sense == ">=" else e == r
        if isinstance(f, Range):
            e = self.expr(f.expr)
            return z3.And(self.num(f.lo) <= e, e <= self.num(f.hi))
        if isinstance(f, BoolLit):
            v = self.vars[f.var]
            if not z3.is_bool(v):   # an integer variable used as a proposition
                v = v != 0
            return z3.Not(v) if f.negated else v
        if isinstance(f, BoolConst):
            return z3.BoolVal(f.value, self.ctx)
        if isinstance(f, And):
            return z3.And([self.formula(a) for a in f.args]) if f.args else z3.BoolVal(True, self.ctx)
        if isinstance(f, Or):
            return z3.Or([self.formula(a) for a in f.args]) if f.args else z3.BoolVal(False, self.ctx)
        if isinstance(f, Not):
            return z3.Not(self.formula(f.arg))
        if isinstance(f, Implies):
            return z3.Implies(self.formula(f.a), self.formula(f.b))
        if isinstance(f, AllDifferent):
            if len(f.exprs) < 2:
                return z3.BoolVal(True, self.ctx)
            return z3.Distinct(*[self.expr(x) for x in f.exprs])
        raise UnsupportedModelError(f"unknown formula {type(f).__name__}", where=self.where)

    def constraints(self) -> tuple[list[tuple[int, Any]], list[tuple[Any, float]]]:
        hard: list[tuple[int, Any]] = []
        soft: list[tuple[Any, float]] = []
        for k, c in enumerate(self.gm.constraints):
            self.where = c.label
            z = self.formula(c.formula)
            if c.weight is None:
                hard.append((k, z))
            elif c.weight != 0:
                soft.append((z, c.weight))
        return hard, soft


def _inf_or_eps(v: Any) -> tuple[bool, bool]:
    s = str(v)
    return "oo" in s, "epsilon" in s


class Z3Backend(Backend):
    """z3 SMT solver (``Solver`` for satisfaction, ``Optimize`` for objectives and soft constraints)."""

    name = "z3"
    supports = frozenset({
        "continuous", "integer", "binary", "unbounded_integer", "linear", "quadratic_objective",
        "nonconvex_objective", "quadratic_constraints", "nonlinear", "logic", "all_different", "soft",
        "no_objective", "pure_boolean", "clausal",
    })
    modules = ("z3",)

    def version(self) -> str:
        import z3

        return str(z3.get_version_string())

    def solve(self, model: GroundModel, options: SolveOptions) -> RawSolution:
        t0 = time.perf_counter()
        b = _Builder(model)
        z3 = b.z3
        hard, soft = b.constraints()
        has_obj = model.objective is not None
        timeout_ms = None if options.time_limit is None else max(1, int(options.time_limit * 1000))
        if not has_obj and not soft:
            s: Any = z3.Solver(ctx=b.ctx)
        else:
            s = z3.Optimize(ctx=b.ctx)
        if timeout_ms is not None:
            s.set("timeout", timeout_ms)
        s.set("random_seed", options.seed)
        s.add(b.bounds)
        s.add([z for _, z in hard])
        handle = None
        maximize = model.objective is not None and model.objective.sense == "maximize"
        if has_obj:
            assert model.objective is not None
            b.where = "objective"
            obj = b.expr(model.objective.expr)
            if soft:
                pen = b.sum([z3.If(c, z3.IntVal(0, b.ctx), b.num(w)) for c, w in soft])
                obj = obj - pen if maximize else obj + pen
            handle = s.maximize(obj) if maximize else s.minimize(obj)
        elif soft:
            for c, w in soft:
                s.add_soft(c, str(exact(w)))
        res = s.check()
        secs = time.perf_counter() - t0
        if res == z3.unsat:
            raw = RawSolution(Status.INFEASIBLE, solver_seconds=secs)
            if options.explain:
                raw.core = self._core(b, hard, options, t0)
            return raw
        if res == z3.unknown:
            reason = s.reason_unknown()
            timed_out = stopped_by_time_limit(reason, secs, timeout_ms)
            values = None
            if timed_out and isinstance(s, z3.Optimize):
                try:
                    values = self._values(b, s.model())
                except z3.Z3Exception:
                    values = None
            if timed_out:
                return RawSolution(Status.TIME_LIMIT, values=values, solver_seconds=secs,
                                   objective=None if values is None else reported_objective(model, values),
                                   message=f"z3 stopped: {reason}")
            return RawSolution(Status.ERROR, solver_seconds=secs,
                               message=f"z3 could not decide the model ({reason}); nonlinear integer "
                                       "arithmetic is undecidable in general: bound the variables or try "
                                       "--solver scip")
        m = s.model()
        values = self._values(b, m)
        status = Status.OPTIMAL
        msg = None
        bound = None
        if handle is not None:
            opt_side = handle.value()
            inf, eps = _inf_or_eps(opt_side)
            if inf:
                return RawSolution(Status.UNBOUNDED, solver_seconds=secs,
                                   message="the objective is unbounded (z3 reports an infinite optimum)")
            if eps:
                status = Status.FEASIBLE
                msg = (f"the optimum {opt_side} is approached but not attained (a strict inequality); "
                       "the values are a nearby feasible point")
            else:
                try:
                    bound = to_float(opt_side)
                except ValueError:
                    bound = None
        obj_val = reported_objective(model, values)
        return RawSolution(status, objective=obj_val, values=values, bound=bound, solver_seconds=secs,
                           message=msg)

    @staticmethod
    def _values(b: _Builder, m: Any) -> list[float]:
        out = []
        for v in b.vars:
            out.append(to_float(m.eval(v, model_completion=True)))
        return out

    def _core(self, b: _Builder, hard: list[tuple[int, Any]], options: SolveOptions,
              t0: float) -> list[int] | None:
        z3 = b.z3
        s = z3.Solver(ctx=b.ctx)
        s.set("random_seed", options.seed)
        s.set("core.minimize", True)
        s.add(b.bounds)
        track: dict[str, int] = {}
        lits: dict[int, Any] = {}
        for k, z in hard:
            p = z3.Bool(f"__track_{k}", b.ctx)
            s.add(z3.Implies(p, z))
            track[str(p)] = k
            lits[k] = p

        first: list[float] = []

        def check(subset: list[int]) -> list[int] | None:
            t1 = time.perf_counter()
            left = check_limit(options.time_limit, t0, t1, first[0] if first else None)
            s.set("timeout", 4294967295 if left is None else max(50, int(left * 1000)))
            res = s.check([lits[k] for k in subset])
            if not first:
                first.append(time.perf_counter() - t1)
            if res != z3.unsat:
                return None
            return sorted(track[str(p)] for p in s.unsat_core())

        core = check([k for k, _ in hard])
        if core is None:
            return None
        if len(core) <= _CORE_SHRINK_LIMIT:
            core = shrink_core(core, check)
        return core

