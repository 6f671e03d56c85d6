"""Programmatic corruptions of a gold formulation: the "rejected" side of preference pairs.

Each corruption is one plausible modelling mistake (the kinds a formalizer makes):

* ``flip_constraint_sense``  ``<=`` written as ``>=`` (or an equality loosened into one side);
* ``drop_constraint``        a constraint left out;
* ``wrong_coefficient``      one number of the data misread (scaled);
* ``relax_integrality``      an integer or binary variable made continuous;
* ``swap_index``             two entries of an indexed parameter swapped (or ``c[i, j]`` read as ``c[j, i]``);
* ``flip_objective_sense``   minimise instead of maximise.

A corruption is only a candidate: :func:`verify` solves it and keeps it only when the solver shows it
wrong (a different optimum, or infeasible / unbounded / not compilable), so a corruption that happens
to leave the optimum unchanged (a slack constraint dropped) never becomes a "rejected" answer.
"""

from __future__ import annotations

import copy
import io
import math
import random
import tokenize
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

#: the strict matching rule of the formalize issue
REL_TOL = 1e-4

KINDS = (
    "flip_constraint_sense",
    "drop_constraint",
    "wrong_coefficient",
    "relax_integrality",
    "swap_index",
    "flip_objective_sense",
)

_SOLVED = ("optimal", "feasible")


def objectives_match(a: float | None, b: float | None, rel_tol: float = REL_TOL) -> bool:
    """``|a - b| <= rel_tol * max(1, |b|)``; two missing objectives match (satisfaction problems)."""
    if a is None or b is None:
        return a is None and b is None
    return abs(a - b) <= rel_tol * max(1.0, abs(b))


def same_outcome(gold_status: str, gold_obj: float | None, status: str, obj: float | None) -> bool:
    """Whether a solved candidate agrees with the gold result (same status class and same optimum)."""
    g_ok, c_ok = gold_status in _SOLVED, status in _SOLVED
    if g_ok != c_ok:
        return False
    if not g_ok:
        return gold_status == status
    return objectives_match(obj, gold_obj)


def near_miss_score(status: str, obj: float | None, gold_obj: float | None) -> float:
    """Score of a wrong candidate in a ranked list: 0 when invalid, in (0, 0.9] by relative error."""
    if status not in _SOLVED or obj is None or gold_obj is None:
        return 0.0
    rel = abs(obj - gold_obj) / max(1.0, abs(gold_obj))
    return round(max(0.01, 0.9 * math.exp(-3.0 * rel)), 4)


@dataclass
class Corruption:
    kind: str
    description: str
    formulation: dict[str, Any]


# --- expression token helpers ------------------------------------------------------------------

def _tokens(expr: str) -> list[tokenize.TokenInfo]:
    try:
        return [t for t in tokenize.generate_tokens(io.StringIO(expr).readline)
                if t.type not in (tokenize.NEWLINE, tokenize.NL, tokenize.ENDMARKER, tokenize.INDENT,
                                  tokenize.DEDENT)]
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return []


def _replace(expr: str, tok: tokenize.TokenInfo, new: str) -> str:
    lines = expr.split("\n")
    (r0, c0), (r1, c1) = tok.start, tok.end
    if r0 != r1:
        return expr
    line = lines[r0 - 1]
    lines[r0 - 1] = line[:c0] + new + line[c1:]
    return "\n".join(lines)


def _top_level_comparisons(expr: str) -> list[tokenize.TokenInfo]:
    depth, out = 0, []
    for t in _tokens(expr):
        if t.type == tokenize.OP:
            if t.string in "([{":
                depth += 1
            elif t.string in ")]}":
                depth -= 1
            elif depth == 0 and t.string in ("<=", ">=", "==", "<", ">"):
                out.append(t)
    return out


_FLIP = {"<=": ">=", ">=": "<=", "<": ">", ">": "<"}


# --- the corruptions ---------------------------------------------------------------------------

def _constraints(f: dict[str, Any]) -> dict[str, Any]:
    cons = f.get("constraints")
    return cons if isinstance(cons, dict) else {}


def flip_constraint_sense(f: dict[str, Any], rng: random.Random) -> Corruption | None:
    options: list[tuple[str, str]] = []
    for name, c in _constraints(f).items():
        if isinstance(c, dict) and isinstance(c.get("expr"), str) and len(_top_level_comparisons(c["expr"])) == 1:
            options.append((name, c["expr"]))
    if not options:
        return None
    name, expr = rng.choice(options)
    tok = _top_level_comparisons(expr)[0]
    new_op = _FLIP.get(tok.string) or rng.choice(("<=", ">="))
    g = copy.deepcopy(f)
    g["constraints"][name]["expr"] = _replace(expr, tok, new_op)
    return Corruption("flip_constraint_sense", f"constraint {name!r}: {tok.string} written as {new_op}", g)


def drop_constraint(f: dict[str, Any], rng: random.Random) -> Corruption | None:
    names = [n for n, c in _constraints(f).items() if isinstance(c, dict) and not c.get("soft")]
    if not names:
        return None
    name = rng.choice(names)
    g = copy.deepcopy(f)
    del g["constraints"][name]
    return Corruption("drop_constraint", f"constraint {name!r} left out", g)


def _numeric_leaves(v: Any, path: tuple[Any, ...] = ()) -> list[tuple[tuple[Any, ...], float]]:
    if isinstance(v, bool):
        return []
    if isinstance(v, int | float):
        return [(path, float(v))]
    if isinstance(v, list):
        return [leaf for i, x in enumerate(v) for leaf in _numeric_leaves(x, (*path, i))]
    if isinstance(v, dict):
        return [leaf for k, x in v.items() for leaf in _numeric_leaves(x, (*path, k))]
    return []


def _set_path(root: Any, path: tuple[Any, ...], value: Any) -> None:
    for p in path[:-1]:
        root = root[p]
    root[path[-1]] = value


def _get_path(root: Any, path: tuple[Any, ...]) -> Any:
    for p in path:
        root = root[p]
    return root


def _misread(v: float, rng: random.Random, was_int: bool) -> float | int:
    if v == 0:
        return 1 if was_int else 1.0
    for _ in range(8):
        new = v * rng.choice((0.5, 0.8, 1.25, 1.5, 2.0, 3.0))
        if was_int:
            new = round(new)
        if new != v:
            return new if was_int else round(new, 6)
    return v + 1


def wrong_coefficient(f: dict[str, Any], rng: random.Random) -> Corruption | None:
    params = f.get("parameters") or {}
    leaves: list[tuple[tuple[Any, ...], float]] = []
    for name, p in params.items():
        if isinstance(p, dict):
            leaves += [(("parameters", name, "values", *path), v) for path, v in _numeric_leaves(p.get("values"))]
        elif isinstance(p, int | float) and not isinstance(p, bool):
            leaves.append((("parameters", name), float(p)))
    g = copy.deepcopy(f)
    if leaves:
        path, v = rng.choice(leaves)
        was_int = isinstance(_get_path(f, path), int)
        new = _misread(v, rng, was_int)
        _set_path(g, path, new)
        where = "/".join(str(p) for p in path[1:] if p != "values")
        return Corruption("wrong_coefficient", f"parameter {where}: {_get_path(f, path)} read as {new}", g)
    # no data block: misread a number written inside an expression
    sites: list[tuple[tuple[str, ...], tokenize.TokenInfo]] = []
    obj = f.get("objective")
    if isinstance(obj, dict) and isinstance(obj.get("expr"), str):
        sites += [(("objective",), t) for t in _tokens(obj["expr"]) if t.type == tokenize.NUMBER]
    for name, c in _constraints(f).items():
        if isinstance(c, dict) and isinstance(c.get("expr"), str):
            sites += [(("constraints", name), t) for t in _tokens(c["expr"]) if t.type == tokenize.NUMBER]
    if not sites:
        return None
    where_path, tok = rng.choice(sites)
    try:
        val = float(tok.string)
    except ValueError:
        return None
    was_int = tok.string.isdigit()
    new = _misread(val, rng, was_int)
    target = _get_path(g, where_path)
    target["expr"] = _replace(target["expr"], tok, repr(new))
    return Corruption("wrong_coefficient", f"{'/'.join(where_path)}: number {tok.string} read as {new}", g)


_RELAX = {"integers": "reals", "nonnegative_integers": "nonnegative_reals", "binary": "nonnegative_reals"}


def relax_integrality(f: dict[str, Any], rng: random.Random) -> Corruption | None:
    variables = f.get("variables") or {}
    names = [n for n, v in variables.items() if isinstance(v, dict) and v.get("domain") in _RELAX]
    if not names:
        return None
    name = rng.choice(names)
    g = copy.deepcopy(f)
    var = g["variables"][name]
    old = var["domain"]
    var["domain"] = _RELAX[old]
    if old == "binary" and var.get("ub") is None:
        var["ub"] = 1
    return Corruption("relax_integrality", f"variable {name!r}: {old} made {var['domain']}", g)


def _swap_in_values(values: Any, rng: random.Random) -> tuple[Any, str] | None:
    if isinstance(values, list) and len(values) >= 2:
        pairs = [(i, j) for i in range(len(values)) for j in range(i + 1, len(values)) if values[i] != values[j]]
        if pairs:
            i, j = rng.choice(pairs)
            out = list(values)
            out[i], out[j] = out[j], out[i]
            return out, f"entries {i} and {j}"
    if isinstance(values, dict) and len(values) >= 2:
        keys = list(values)
        pairs = [(a, b) for ai, a in enumerate(keys) for b in keys[ai + 1:] if values[a] != values[b]]
        if pairs:
            a, b = rng.choice(pairs)
            out_d = dict(values)
            out_d[a], out_d[b] = out_d[b], out_d[a]
            return out_d, f"{a!r} and {b!r}"
    return None


def _subscript_swaps(expr: str) -> list[tuple[tokenize.TokenInfo, tokenize.TokenInfo]]:
    toks = _tokens(expr)
    out = []
    for k in range(len(toks) - 5):
        a, lb, i, comma, j, rb = toks[k:k + 6]
        if (a.type == tokenize.NAME and lb.string == "[" and i.type == tokenize.NAME and comma.string == ","
                and j.type == tokenize.NAME and rb.string == "]" and i.string != j.string):
            out.append((i, j))
    return out


def swap_index(f: dict[str, Any], rng: random.Random) -> Corruption | None:
    params = f.get("parameters") or {}
    names = [n for n, p in params.items() if isinstance(p, dict) and p.get("values") is not None]
    rng.shuffle(names)
    for name in names:
        swapped = _swap_in_values(params[name]["values"], rng)
        if swapped is not None:
            g = copy.deepcopy(f)
            g["parameters"][name]["values"] = swapped[0]
            return Corruption("swap_index", f"parameter {name!r}: {swapped[1]} swapped", g)
    sites = []
    for cname, c in _constraints(f).items():
        if isinstance(c, dict) and isinstance(c.get("expr"), str):
            sites += [(cname, pair) for pair in _subscript_swaps(c["expr"])]
    if not sites:
        return None
    cname, (i, j) = rng.choice(sites)
    g = copy.deepcopy(f)
    expr = g["constraints"][cname]["expr"]
    # replace the later token first so the earlier position stays valid
    expr = _replace(expr, j, i.string)
    expr = _replace(expr, i, j.string)
    g["constraints"][cname]["expr"] = expr
    return Corruption("swap_index", f"constraint {cname!r}: [{i.string}, {j.string}] read as "
                                    f"[{j.string}, {i.string}]", g)


def flip_objective_sense(f: dict[str, Any], rng: random.Random) -> Corruption | None:
    obj = f.get("objective")
    if not isinstance(obj, dict) or obj.get("sense") not in ("minimize", "maximize"):
        return None
    g = copy.deepcopy(f)
    new = "maximize" if obj["sense"] == "minimize" else "minimize"
    g["objective"]["sense"] = new
    return Corruption("flip_objective_sense", f"objective: {obj['sense']} written as {new}", g)


CORRUPTIONS: dict[str, Callable[[dict[str, Any], random.Random], Corruption | None]] = {
    "flip_constraint_sense": flip_constraint_sense,
    "drop_constraint": drop_constraint,
    "wrong_coefficient": wrong_coefficient,
    "relax_integrality": relax_integrality,
    "swap_index": swap_index,
    "flip_objective_sense": flip_objective_sense,
}


def candidates(f: dict[str, Any], rng: random.Random, kinds: tuple[str, ...] = KINDS) -> list[Corruption]:
    """One candidate per applicable kind, in a random (seeded) order."""
    order = list(kinds)
    rng.shuffle(order)
    out = []
    for kind in order:
        c = CORRUPTIONS[kind](f, rng)
        if c is not None and c.formulation != f:
            out.append(c)
    return out


@dataclass
class Verdict:
    wrong: bool                 # proven wrong: usable as a rejected answer
    status: str
    objective: float | None
    score: float
    message: str | None = None
    proven: bool = True         # False: the solve stopped early (time limit), nothing is proven


#: ``solve_fn(formulation) -> (status, objective)``; raises on a formulation that does not compile
SolveFn = Callable[[dict[str, Any]], tuple[str, float | None]]


def verify(formulation: dict[str, Any], gold_status: str, gold_obj: float | None, solve_fn: SolveFn) -> Verdict:
    """Solve a candidate and say whether the solver shows it wrong, with its ranked-list score."""
    try:
        status, obj = solve_fn(formulation)
    except Exception as exc:  # a candidate that does not even compile is wrong, and scores 0
        return Verdict(True, "error", None, 0.0, f"{type(exc).__name__}: {exc}"[:300])
    if status == "time_limit" or (status == "feasible" and gold_obj is not None):
        # an incumbent without an optimality proof shows nothing either way
        return Verdict(False, status, obj, 0.0, "solve stopped before proving optimality", proven=False)
    if same_outcome(gold_status, gold_obj, status, obj):
        return Verdict(False, status, obj, 1.0)
    return Verdict(True, status, obj, near_miss_score(status, obj, gold_obj))
