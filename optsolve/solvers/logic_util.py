"""Helpers shared by the logic backends (CP-SAT, PySAT, z3): exact scaling of decimal coefficients to
integers, evaluation of grounded expressions and formulas on a solution, the objective the spec reports
when soft constraints are present, and a deletion filter that shrinks an unsat core.

Nothing here imports a solver package, so importing a backend module stays cheap.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from fractions import Fraction

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

#: largest power of ten we scale decimal coefficients by (CP-SAT and PB encodings need integers)
MAX_SCALE_POW = 6
_TOL = 1e-9


def is_integral(x: float, tol: float = _TOL) -> bool:
    return abs(x - round(x)) <= tol * max(1.0, abs(x))


def decimal_scale(values: Iterable[float], max_pow: int = MAX_SCALE_POW) -> int | None:
    """The least ``10**p`` (``p <= max_pow``) that makes every value integral, or None."""
    vals = [v for v in values if v != 0]
    for p in range(max_pow + 1):
        s = 10**p
        if all(is_integral(v * s) for v in vals):
            return s
    return None


def scaled_int(x: float, scale: int) -> int:
    return round(x * scale)


def exact(x: float) -> Fraction:
    """The decimal a float was written as (``0.1`` -> ``1/10``, not the binary approximation)."""
    return Fraction(repr(float(x)))


def require_scale(values: Iterable[float], what: str, where: str, solver: str) -> int:
    s = decimal_scale(values)
    if s is None:
        raise UnsupportedModelError(
            f"{what} has coefficients that are not decimals with at most {MAX_SCALE_POW} places; "
            f"{solver} needs integer coefficients",
            where=where,
            hint="round the coefficients, or use --solver z3 (exact rationals) or --solver scip",
        )
    return s


# --- evaluation on a solution ------------------------------------------------------------------

def eval_expr(e: Expr, x: Sequence[float]) -> float:
    if isinstance(e, Lin):
        return e.const + sum(c * x[v] for v, c in e.coefs.items())
    if isinstance(e, Quad):
        return eval_expr(e.lin, x) + sum(c * x[i] * x[j] for (i, j), c in e.quad.items())
    a = [eval_expr(s, x) for s in e.args]
    op = e.op
    try:
        if op == "add":
            return sum(a)
        if op == "mul":
            return a[0] * a[1]
        if op == "div":
            return a[0] / a[1]
        if op == "pow":
            return float(a[0] ** a[1])
        if op == "neg":
            return -a[0]
        if op == "abs":
            return abs(a[0])
        if op == "min":
            return min(a)
        if op == "max":
            return max(a)
        if op == "exp":
            return math.exp(a[0])
        if op == "log":
            return math.log(a[0])
        if op == "sqrt":
            return math.sqrt(a[0])
    except (ValueError, ZeroDivisionError, OverflowError):
        return math.nan
    raise UnsupportedModelError(f"unknown expression operator {op!r}")


def eval_formula(f: Formula, x: Sequence[float], tol: float = 1e-6) -> bool:
    if isinstance(f, Rel):
        v = eval_expr(f.expr, x)
        if f.sense == "<=":
            return v <= f.rhs + tol
        if f.sense == ">=":
            return v >= f.rhs - tol
        return abs(v - f.rhs) <= tol
    if isinstance(f, Range):
        v = eval_expr(f.expr, x)
        return f.lo - tol <= v <= f.hi + tol
    if isinstance(f, BoolLit):
        return (x[f.var] > 0.5) != f.negated
    if isinstance(f, BoolConst):
        return f.value
    if isinstance(f, And):
        return all(eval_formula(a, x, tol) for a in f.args)
    if isinstance(f, Or):
        return any(eval_formula(a, x, tol) for a in f.args)
    if isinstance(f, Not):
        return not eval_formula(f.arg, x, tol)
    if isinstance(f, Implies):
        return (not eval_formula(f.a, x, tol)) or eval_formula(f.b, x, tol)
    if isinstance(f, AllDifferent):
        vals = [round(eval_expr(e, x), 6) for e in f.exprs]
        return len(set(vals)) == len(vals)
    raise UnsupportedModelError(f"unknown formula {type(f).__name__}")


def violated_weight(model: GroundModel, x: Sequence[float]) -> float:
    return sum(c.weight or 0.0 for c in model.constraints
               if c.weight is not None and not eval_formula(c.formula, x))


def reported_objective(model: GroundModel, x: Sequence[float]) -> float | None:
    """The objective formulation-v1.md reports: the objective plus the violated soft weight (minus it
    when maximising); with no objective, the violated soft weight; None for a pure satisfaction model."""
    has_soft = any(c.weight is not None for c in model.constraints)
    pen = violated_weight(model, x) if has_soft else 0.0
    if model.objective is None:
        return pen if has_soft else None
    val = eval_expr(model.objective.expr, x)
    return val + pen if model.objective.sense == "minimize" else val - pen


def hard_indices(model: GroundModel) -> list[int]:
    return [k for k, c in enumerate(model.constraints) if c.weight is None]


def expr_vars(e: Expr) -> set[int]:
    if isinstance(e, Lin):
        return set(e.coefs)
    if isinstance(e, Quad):
        out = set(e.lin.coefs)
        for i, j in e.quad:
            out.update((i, j))
        return out
    out2: set[int] = set()
    for a in e.args:
        out2 |= expr_vars(a)
    return out2


def nl_ops(e: Expr) -> set[str]:
    if isinstance(e, NL):
        out = {e.op}
        for a in e.args:
            out |= nl_ops(a)
        return out
    return set()


# --- unsat cores -------------------------------------------------------------------------------

def check_limit(time_limit: float | None, t0: float, now: float, first: float | None) -> float | None:
    """Seconds one core-shrinking check may take: what is left of the solve's time limit, and at
    most ``max(1, 3 x)`` the first (full) core solve, so shrinking a core never costs much more than
    finding it. A check that hits the limit keeps its member: the core stays valid."""
    out = None if time_limit is None else max(0.05, time_limit - (now - t0))
    if first is not None:
        cap = max(1.0, 3.0 * first)
        out = cap if out is None else min(out, cap)
    return out


def shrink_core(core: list[int], infeasible: Callable[[list[int]], list[int] | None],
                max_checks: int = 60) -> list[int]:
    """Deletion filter: drop each member whose removal keeps the rest infeasible.

    ``infeasible(subset)`` returns a (possibly smaller) core contained in ``subset`` when the subset
    is still infeasible, or None when it is satisfiable or the check was inconclusive (the member is
    then kept, so the result is always a valid core; it is irreducible when every check concluded).
    """
    cur = list(core)
    checks = 0
    i = 0
    while i < len(cur) and checks < max_checks:
        trial = cur[:i] + cur[i + 1:]
        checks += 1
        sub = infeasible(trial)
        if sub is not None:
            keep = set(sub)
            cur = [c for c in trial if c in keep]
            # members before i were already shown necessary; the new core keeps them
        else:
            i += 1
    return cur
