"""An OptMATH-like complexity score of a formulation.

OptMATH measures a model's difficulty by the size of its grounded form. We count, on the grounded model:

* ``vars``: variable instances; ``cons``: constraint instances;
* ``bigm``: big-M terms: logic constraints (``or``, ``implies``, ``not``... which solvers linearise with a
  big-M), and linear rows that mix a binary/boolean variable with a coefficient at least 10 times
  larger than every coefficient of the other (non-binary) variables of the row;
* ``terms``: expression terms (non-zeros of every constraint and of the objective, quadratic and
  nonlinear leaves included); ``nonlinear`` counts nonlinear (quadratic or general) expressions.

    score = vars + cons + 2 * bigm + 0.5 * terms + 2 * nonlinear

When the formulation cannot be grounded (``optsolve.formulation`` missing, or a formulation that does
not compile), a static estimate from set sizes is used instead, so the function never fails on a
well-shaped dict.
"""

from __future__ import annotations

import ast
import math
from typing import Any

WEIGHTS = {"vars": 1.0, "cons": 1.0, "bigm": 2.0, "terms": 0.5, "nonlinear": 2.0}


def complexity(formulation: Any) -> float:
    """The complexity score of a Formulation v1 (dict, JSON text, Formulation or GroundModel)."""
    return score(counts(formulation))


def score(c: dict[str, float]) -> float:
    return round(sum(WEIGHTS[k] * c.get(k, 0.0) for k in WEIGHTS), 3)


def counts(formulation: Any) -> dict[str, float]:
    """The raw counts behind :func:`complexity` (grounded when possible, estimated otherwise)."""
    gm = _ground(formulation)
    if gm is not None:
        return _ground_counts(gm)
    if isinstance(formulation, dict):
        return _static_counts(formulation)
    return {"vars": 0.0, "cons": 0.0, "bigm": 0.0, "terms": 0.0, "nonlinear": 0.0}


# --- grounded counts ----------------------------------------------------------------------------

def _ground(formulation: Any) -> Any:
    try:
        from optsolve.formulation.ir import GroundModel
    except ImportError:  # pragma: no cover - the IR is part of the skeleton
        return None
    if isinstance(formulation, GroundModel):
        return formulation
    try:
        from optsolve.formulation import compile_model, load_formulation  # type: ignore[attr-defined]
    except ImportError:
        return None
    try:
        return compile_model(load_formulation(formulation))
    except Exception:  # a formulation that does not compile still gets a (static) score
        return None


def _expr_terms(e: Any) -> tuple[int, int]:
    """(terms, nonlinear) of a grounded expression."""
    from optsolve.formulation.ir import NL, Lin, Quad

    if isinstance(e, Lin):
        return len(e.coefs), 0
    if isinstance(e, Quad):
        return len(e.quad) + len(e.lin.coefs), 1
    if isinstance(e, NL):
        t = 0
        for a in e.args:
            ta, _ = _expr_terms(a)
            t += ta
        return max(t, 1), 1
    return 0, 0


def _formula(f: Any, gm: Any, acc: dict[str, float]) -> None:
    from optsolve.formulation import ir

    if isinstance(f, (ir.Rel, ir.Range)):
        t, nl = _expr_terms(f.expr)
        acc["terms"] += t
        acc["nonlinear"] += nl
        if isinstance(f.expr, ir.Lin) and _is_bigm_row(f.expr, gm):
            acc["bigm"] += 1
    elif isinstance(f, ir.BoolLit):
        acc["terms"] += 1
    elif isinstance(f, (ir.And, ir.Or)):
        if isinstance(f, ir.Or):
            acc["bigm"] += len(f.args)
        for a in f.args:
            _formula(a, gm, acc)
    elif isinstance(f, ir.Not):
        acc["bigm"] += 1
        _formula(f.arg, gm, acc)
    elif isinstance(f, ir.Implies):
        acc["bigm"] += 1
        _formula(f.a, gm, acc)
        _formula(f.b, gm, acc)
    elif isinstance(f, ir.AllDifferent):
        n = len(f.exprs)
        acc["terms"] += sum(_expr_terms(e)[0] for e in f.exprs)
        acc["bigm"] += n * (n - 1) / 2 / max(n, 1)   # pairwise disequalities, scaled


def _is_bigm_row(e: Any, gm: Any) -> bool:
    binc = [abs(c) for v, c in e.coefs.items() if gm.vars[v].kind in ("binary", "boolean")]
    other = [abs(c) for v, c in e.coefs.items() if gm.vars[v].kind not in ("binary", "boolean")]
    if not binc or not other:
        return False
    return max(binc) >= 10 * max(other)


def _ground_counts(gm: Any) -> dict[str, float]:
    acc = {"vars": float(gm.n_vars), "cons": float(gm.n_constraints), "bigm": 0.0, "terms": 0.0,
           "nonlinear": 0.0}
    for c in gm.constraints:
        _formula(c.formula, gm, acc)
    if gm.objective is not None:
        t, nl = _expr_terms(gm.objective.expr)
        acc["terms"] += t
        acc["nonlinear"] += nl
    return acc


# --- static estimate ----------------------------------------------------------------------------

def _set_sizes(f: dict[str, Any]) -> dict[str, int]:
    sizes: dict[str, int] = {}
    for name, d in (f.get("sets") or {}).items():
        if isinstance(d, list):
            sizes[name] = len(d)
        elif isinstance(d, dict) and "range" in d:
            lo, hi = d["range"]
            sizes[name] = max(0, int(hi) - int(lo) + 1)
        elif isinstance(d, dict) and "elements" in d:
            sizes[name] = len(d["elements"])
    return sizes


def _domain_size(clauses: str, sizes: dict[str, int]) -> float:
    """Size of ``i in I, j in J if ...`` (each ``if`` filter is assumed to keep half)."""
    n = 1.0
    for part in clauses.split(","):
        part = part.strip()
        if " in " in part:
            s = part.split(" in ", 1)[1].split(" if ")[0].strip()
            n *= sizes.get(s, 1)
        if " if " in part:
            n *= 0.5
    return n


def _static_expr(src: str, sizes: dict[str, int], varnames: set[str]) -> tuple[float, bool, bool]:
    """(terms, nonlinear, logic) of an expression source, sums expanded by their domain sizes."""
    try:
        tree = ast.parse(src, mode="eval")
    except SyntaxError:
        return 1.0, False, False

    def walk(node: ast.AST, mult: float) -> tuple[float, bool, bool]:
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            fn = node.func.id
            if fn in ("sum", "all_different") and node.args and isinstance(node.args[0], ast.GeneratorExp):
                g = node.args[0]
                m = 1.0
                for comp in g.generators:
                    if isinstance(comp.iter, ast.Name):
                        m *= sizes.get(comp.iter.id, 1)
                    m *= 0.5 ** len(comp.ifs)
                t, nl, lg = walk(g.elt, mult * m)
                return t, nl, lg or fn == "all_different"
            t, nl, lg = 0.0, fn in ("exp", "log", "sqrt", "abs", "min", "max"), fn == "implies"
            for a in node.args:
                ta, na, la = walk(a, mult)
                t, nl, lg = t + ta, nl or na, lg or la
            return t, nl, lg
        if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name):
            return (mult if node.value.id in varnames else 0.0), False, False
        if isinstance(node, ast.Name):
            return (mult if node.id in varnames else 0.0), False, False
        t, nl, lg = 0.0, False, isinstance(node, (ast.BoolOp, ast.Not))
        if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Mult, ast.Div, ast.Pow)):
            lt, _, _ = walk(node.left, 1.0)
            rt, _, _ = walk(node.right, 1.0)
            nl = (lt > 0 and rt > 0) or (isinstance(node.op, ast.Div) and rt > 0) or (
                isinstance(node.op, ast.Pow) and lt > 0)
        for child in ast.iter_child_nodes(node):
            tc, nc, lc = walk(child, mult)
            t, nl, lg = t + tc, nl or nc, lg or lc
        return t, nl, lg

    return walk(tree.body, 1.0)


def _static_counts(f: dict[str, Any]) -> dict[str, float]:
    sizes = _set_sizes(f)
    varnames = set((f.get("variables") or {}).keys())
    acc = {"vars": 0.0, "cons": 0.0, "bigm": 0.0, "terms": 0.0, "nonlinear": 0.0}
    for v in (f.get("variables") or {}).values():
        acc["vars"] += math.prod(sizes.get(s, 1) for s in (v.get("index") or []))
    for c in (f.get("constraints") or {}).values():
        n = _domain_size(c["forall"], sizes) if c.get("forall") else 1.0
        acc["cons"] += n
        t, nl, lg = _static_expr(str(c.get("expr", "")), sizes, varnames)
        acc["terms"] += n * t
        acc["nonlinear"] += n if nl else 0.0
        acc["bigm"] += n if lg else 0.0
    obj = f.get("objective")
    if obj:
        t, nl, _ = _static_expr(str(obj.get("expr", "")), sizes, varnames)
        acc["terms"] += t
        acc["nonlinear"] += 1.0 if nl else 0.0
    return acc
