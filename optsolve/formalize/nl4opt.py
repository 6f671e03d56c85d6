"""NL4Opt generation data (gold structure) -> Formulation v1, and a bench file with computed optima.

The NL4Opt ``generation`` records carry the text and a gold *structure*, not optimal values:
``obj_declaration`` (``objective`` with ``terms``, or ``objvar`` with a list of ``vars`` summed) and
``const_declarations`` of types

* ``sum``: the sum of all variables ``op limit``;
* ``linear``: ``sum(coef * var) op limit``;
* ``ratio``: ``var op limit * (sum of all variables)`` (limit a share: ``30%``, ``third``...);
* ``xy``: ``x op y``; ``xby``: ``x op param * y``;
* ``upperbound`` / ``lowerbound``: ``var op limit``.

Numbers appear as text (``4,000``, ``70%``, ``twice``, ``three times``, ``one hundred thousand``,
``8000 minutes``) and are read by :func:`parse_number`. The gold carries no integrality, so every
variable is a nonnegative continuous variable; the optimum is computed with optsolve's own solver.
These problems are evaluation data: never copy them into the prompts or the few-shot library.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from optsolve.errors import DatagenError, InputError
from optsolve.formulation.schema import RESERVED
from optsolve.paths import nl4opt_dir

DEFAULT_DEV = nl4opt_dir() / "generation_dev.jsonl"

_UNITS = {"zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
          "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
          "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19}
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80,
         "ninety": 90}
_SCALES = {"hundred": 100, "thousand": 1000, "million": 1_000_000}
_MULTIPLIERS = {"twice": 2.0, "double": 2.0, "triple": 3.0, "thrice": 3.0, "half": 0.5, "third": 1 / 3,
                "quarter": 0.25, "fourth": 0.25, "fifth": 0.2}


def _words_to_number(words: list[str]) -> float | None:
    total = 0
    current = 0
    seen = False
    for w in words:
        if w in ("and", "a"):
            continue
        if w in _UNITS:
            current += _UNITS[w]
        elif w in _TENS:
            current += _TENS[w]
        elif w in _SCALES:
            current = max(current, 1) * _SCALES[w]
            if _SCALES[w] >= 1000:
                total += current
                current = 0
        else:
            return None
        seen = True
    return float(total + current) if seen else None


def parse_number(text: str) -> float:
    """A number written in NL4Opt's gold annotations (see the module doc)."""
    s = str(text).strip().lower().replace(",", "").replace("$", "")
    percent = "%" in s or "percent" in s
    s = s.replace("%", " ").replace("percent", " ").replace("-", " ")
    s = re.sub(r"\b(times|time|as much|as many|more)\b", " ", s).strip()
    m = re.match(r"^(\d+(?:\.\d+)?|\.\d+)", s)
    if m:
        value = float(m.group(1))
    else:
        words = s.split()
        if len(words) == 1 and words[0] in _MULTIPLIERS:
            value = _MULTIPLIERS[words[0]]
        else:
            parsed = _words_to_number(words)
            if parsed is None:
                raise DatagenError(f"cannot read the number {text!r}")
            value = parsed
    return value / 100.0 if percent else value


def _ident(name: str, taken: set[str]) -> str:
    base = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_") or "x"
    if base[0].isdigit():
        base = "x_" + base
    if base in RESERVED:
        base += "_"
    out = base
    k = 2
    while out in taken:
        out = f"{base}_{k}"
        k += 1
    taken.add(out)
    return out


_OPS = {"LESS_OR_EQUAL": "<=", "GREATER_OR_EQUAL": ">=", "EQUAL": "=="}


def _sense(direction: str) -> str:
    d = direction.lower()
    if any(w in d for w in ("max", "high", "increase", "most", "great")):
        return "maximize"
    if any(w in d for w in ("min", "low", "decrease", "reduce", "least", "fewest")):
        return "minimize"
    raise DatagenError(f"unknown objective direction {direction!r}")


def _coef(value: float) -> str:
    return repr(float(value)) if not float(value).is_integer() else str(int(value))


def to_formulation(rec: dict[str, Any], name: str = "nl4opt") -> dict[str, Any]:
    """Formulation v1 (nonnegative continuous variables) for one NL4Opt generation record."""
    taken: set[str] = set()
    first_vars: list[str] = list(rec["vars"])
    ids = {v: _ident(v, taken) for v in first_vars}
    mention = rec.get("var_mention_to_first_var") or {}

    def var(m: str) -> str:
        first = m if m in ids else mention.get(m)
        if first is None or first not in ids:
            raise DatagenError(f"unknown variable mention {m!r}")
        return ids[first]

    def lin(terms: dict[str, str]) -> str:
        parts = [f"{_coef(parse_number(c))} * {var(v)}" for v, c in terms.items()]
        return " + ".join(parts) if parts else "0"

    total = " + ".join(ids[v] for v in first_vars)
    obj = rec["obj_declaration"]
    if obj.get("type") == "objvar" or "vars" in obj:
        # an ``objvar`` with no vars listed ("minimize the total number of ...") sums them all
        obj_expr = " + ".join(var(v) for v in obj["vars"]) if obj.get("vars") else total
    else:
        if not obj.get("terms"):
            raise DatagenError("the gold objective has no terms")
        obj_expr = lin(obj["terms"])
    constraints: dict[str, Any] = {}
    for i, c in enumerate(rec["const_declarations"]):
        op = _OPS.get(c.get("operator", ""))
        if op is None:
            raise DatagenError(f"constraint {i}: unknown operator {c.get('operator')!r}")
        t = c["type"]
        if t == "sum":
            expr = f"{total} {op} {_coef(parse_number(c['limit']))}"
        elif t == "linear":
            if not c.get("terms"):
                raise DatagenError(f"constraint {i}: a linear constraint with no terms")
            expr = f"{lin(c['terms'])} {op} {_coef(parse_number(c['limit']))}"
        elif t == "ratio":
            share = parse_number(c["limit"])
            if share > 1:  # a bare "30" meaning 30%
                share /= 100.0
            expr = f"{var(c['var'])} {op} {_coef(share)} * ({total})"
        elif t == "xy":
            expr = f"{var(c['x_var'])} {op} {var(c['y_var'])}"
        elif t == "xby":
            expr = f"{var(c['x_var'])} {op} {_coef(parse_number(c['param']))} * {var(c['y_var'])}"
        elif t in ("upperbound", "lowerbound"):
            expr = f"{var(c['var'])} {op} {_coef(parse_number(c['limit']))}"
        else:
            raise DatagenError(f"constraint {i}: unknown type {t!r}")
        constraints[f"c{i + 1}_{t}"] = {"expr": expr}
    return {
        "name": name,
        "variables": {ident: {"domain": "nonnegative_reals", "description": v} for v, ident in ids.items()},
        "objective": {"sense": _sense(obj["direction"]), "expr": obj_expr},
        "constraints": constraints,
    }


def read_records(path: str | Path = DEFAULT_DEV) -> Iterator[tuple[str, dict[str, Any]]]:
    """(document id, record) for each line of an NL4Opt generation file."""
    p = Path(path)
    if not p.is_file():
        raise InputError(f"NL4Opt file not found: {p}",
                         hint="pass the path of generation_dev.jsonl from the NL4Opt competition data")
    with p.open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                obj = json.loads(line)
                yield from obj.items()


def bench_items(path: str | Path = DEFAULT_DEV) -> list[dict[str, Any]]:
    """Bench rows ``{"id", "question", "answer", "status"}``; the answer is the optimum of the gold
    structure (None when the gold model has no finite optimum). A record whose gold structure cannot be
    converted gets status ``gold_error`` and the reason."""
    from optsolve.solvers import solve

    rows: list[dict[str, Any]] = []
    for key, rec in read_records(path):
        try:
            form = to_formulation(rec, name=f"nl4opt_{key.lstrip('-')}")
        except DatagenError as exc:
            rows.append({"id": key, "question": rec.get("document", ""), "answer": None,
                         "status": "gold_error", "reason": exc.message})
            continue
        res = solve(form)
        answer = res.objective if res.status.has_solution else None
        rows.append({"id": key, "question": rec["document"], "answer": answer, "status": res.status.value})
    return rows


def write_bench_file(out: str | Path, path: str | Path = DEFAULT_DEV) -> dict[str, int]:
    """Write the bench JSONL (items with a finite gold optimum only); returns counts by gold status."""
    rows = bench_items(path)
    counts: dict[str, int] = {}
    with Path(out).open("w", encoding="utf-8") as fh:
        for r in rows:
            counts[r["status"]] = counts.get(r["status"], 0) + 1
            if r["answer"] is not None:
                fh.write(json.dumps(r) + "\n")
    return counts
