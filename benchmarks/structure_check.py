"""How many picks the strict rule counts right are the gold model, and how many are right by luck.

The accuracy the issue asks for is the strict rule: a formulation is right when its optimum equals the
gold optimum. On generated problems many constraints do not bind at the optimum, so a candidate that
writes one of them about the wrong items can still reach the gold optimum. This replays a ``--dump`` of
``benchmarks/bench_ranking.py`` (the ranking of the current code, as ``replay_rules.py`` does) and
compares each pick with the gold formulation of its datagen record, row by row:

* the gold is written in the compact language (``optsolve.train.compact.encode``) with the text's numbers;
* the candidate's variables are matched to the gold's by name (the gold's ``x_`` prefix dropped);
* each row is normalised: terms of a sum sorted, a coefficient whose number is 1 dropped, repeated rows
  kept once; the objective is a row too.

A pick is *right by structure* when its rows equal the gold's. The matching is strict (an equivalent row
written another way, ``x - y <= 3`` for ``x <= y + 3``, counts as different), so the structural figure
is a lower bound on the picks that are the gold model.

Usage::

    python benchmarks/bench_ranking.py --samples 31 --data RECORDS --dump DUMP     # draw once
    python benchmarks/structure_check.py RECORDS DUMP [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

_DECL = re.compile(r"<var> (<v\d+>) (\S+) <\w+>")
_SPLIT = re.compile(r"(<con>|<max>|<min>)")


def rows_of(compact: str, values: list[float], rename: dict[str, str]) -> set[str]:
    """The candidate's normalised rows, its variables renamed by ``rename`` (name -> gold id)."""
    names = dict(_DECL.findall(compact))
    body = _SPLIT.split(compact)
    out = set()
    for i in range(1, len(body), 2):
        toks = body[i + 1].split()
        toks = [f"<{rename.get(names.get(t, ''), '?')}>" if re.fullmatch(r"<v\d+>", t) else t for t in toks]
        text = " ".join(toks)
        # a coefficient whose number is 1 says nothing: "<n3> * <x>" with values[3] == 1 is "<x>"
        text = re.sub(r"<n(\d+)> \* (?=<)", lambda m: "" if int(m.group(1)) < len(values)
                      and values[int(m.group(1))] == 1 else m.group(0), text)
        sides = re.split(r"(<=|>=|==)", text)
        norm = []
        for s in sides:
            if s in ("<=", ">=", "=="):
                norm.append(s)
            elif "(" not in s:
                norm.append(" + ".join(sorted(t.strip() for t in s.split("+"))))
            else:
                norm.append(s.strip())
        out.add(body[i] + " " + " ".join(norm))
    return out


def gold_names(compact: str) -> dict[str, str]:
    """Gold variable name (``x_`` dropped) -> its id."""
    return {n[2:] if n.startswith("x_") else n: v[1:-1] for v, n in _DECL.findall(compact)}


def match(gold: dict[str, str], cand: list[str]) -> dict[str, str]:
    """Each candidate name -> the gold id of the same name, or of the name that contains it."""
    out = {}
    for c in cand:
        hit = gold.get(c) or next((g for n, g in gold.items() if n.endswith(c) or c.endswith(n)), None) \
            or next((g for n, g in gold.items() if c in n), None)
        out[c] = hit or "?" + c
    return out


def same(c: Any, values: list[float], gold: dict[str, str], want: set[str]) -> bool:
    """Whether solved candidate ``c`` has the gold's rows."""
    if not c.ok:
        return False
    names = [n for _, n in _DECL.findall(c.compact)]
    return rows_of(c.compact, values, match(gold, names)) == want


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("records", help="datagen records (JSONL with text and formulation)")
    ap.add_argument("dump", help="bench_ranking.py --dump of the same records")
    ap.add_argument("--k", type=int, default=32)
    ap.add_argument("--json", help="write per-problem flags here")
    a = ap.parse_args()
    import bench_ranking as br

    from optsolve.train.compact import Unsupported, encode
    from optsolve.train.numbers import mask_numbers

    recs = {}
    with open(a.records, encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            recs[str(r["id"])] = r
    tally: Counter[str] = Counter()
    per: dict[str, dict[str, Any]] = {}
    for d in br.replay(a.dump, None):
        r = recs.get(str(d["id"]))
        if r is None or not r.get("formulation"):
            continue
        try:
            gold = encode(r["formulation"], mask_numbers(r["text"]))
        except Unsupported:
            tally["gold not expressible"] += 1
            continue
        values = d["values"]
        gn = gold_names(gold)
        want = rows_of(gold, values, {n: g for n, g in gn.items()} | {"x_" + n: g for n, g in gn.items()})

        cands = d["cands"][:a.k]
        every = cands + br.repairs(d, cands)
        p = br.pick(d, "repaired", a.k)
        flags = {"right": bool(p is not None and p.right),
                 "structure": bool(p is not None and same(p, values, gn, want)),
                 "any_right": any(c.right for c in every),
                 "any_structure": any(same(c, values, gn, want) for c in every)}
        per[str(d["id"])] = flags
        tally["problems"] += 1
        for k, v in flags.items():
            tally[k] += v
        tally["right by luck"] += flags["right"] and not flags["structure"]
    print(json.dumps(dict(tally), indent=1))
    if a.json:
        Path(a.json).write_text(json.dumps(per), encoding="utf-8")


if __name__ == "__main__":
    main()
