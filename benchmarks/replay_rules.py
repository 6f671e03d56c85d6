"""Right picks of the embedded ranking on saved candidate dumps, per problem, to compare two versions of the
text rules (optsolve/train/grounding.py) on identical draws.

    python benchmarks/bench_ranking.py --data runs/nl4opt_dev.jsonl --samples 31 --dump runs/d/dev_dump.jsonl
    python benchmarks/replay_rules.py runs/d/dev_dump.jsonl runs/d/val_dump.jsonl --save runs/d/before.json
    # ... change a rule ...
    python benchmarks/replay_rules.py runs/d/dev_dump.jsonl runs/d/val_dump.jsonl --compare runs/d/before.json
    python benchmarks/replay_rules.py runs/d/val_dump.jsonl --misses      # misses a right candidate could fix
    python benchmarks/replay_rules.py runs/d/dev_dump.jsonl --ablate      # each text check switched off in turn
    python benchmarks/replay_rules.py runs/d/dev64.jsonl --k 64 --escalate  # the draw-again rule (--samples 63 dump)

Each dump's candidates are solved again with the current code (``bench_ranking.replay``), repaired and
ranked as the embedded backend does (``pick(item, "repaired", K)``). ``--compare`` lists the problems
gained and lost against a saved run. ``--misses`` prints every wrong pick that has a right candidate among
the K draws and their repairs, with the text, the picked and the right candidate: where a rule can help.

Run it alone on the machine: candidates are solved under a 5 s limit, and a loaded machine changes
which of them solve (docs/embedded.md, session 20).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_ranking as br


def right_picks(drawn: list[dict[str, Any]], k: int, rule: str = "repaired") -> dict[str, bool]:
    """Problem id -> whether the backend's ranking picks a right candidate among the first ``k``
    (``rule="escalate"``: among the first ``k - ESCALATE`` unless the text finds the pick wrong, as the
    backend draws again)."""
    return {str(d["id"]): bool((p := br.pick(d, rule, k)) and p.right) for d in drawn}


def show_misses(drawn: list[dict[str, Any]], k: int, rule: str = "repaired") -> int:
    """Print the wrong picks with a right candidate among the first ``k`` and their repairs; their count."""
    n = 0
    for d in drawn:
        top = br.pick(d, rule, k)
        if top is not None and top.right:
            continue
        cands = d["cands"][:k]
        right = [c for c in cands + br.repairs(d, cands) if c.right]
        if not right:
            continue
        n += 1
        print("=" * 100)
        print(f"{d['id']}  answer {d['answer']}")
        print(d["text"])
        print(f"--- picked {top.objective if top else None}{' (repaired)' if top and top.repaired else ''}")
        print(top.compact if top else None)
        print(f"--- right {right[0].objective}{' (repaired)' if right[0].repaired else ''}, {len(right)} right")
        print(right[0].compact)
    return n


def ablate(drawn: list[dict[str, Any]], k: int) -> dict[str, int]:
    """Right picks with each of the text's checks (:func:`optsolve.train.runtime.fit_factors`) switched
    off in turn (set to 1 for every candidate), the same draws and repairs; ``"none"``: the ranking as
    shipped. Whether a check helps one model's draws and not another's (session 28)."""
    import optsolve.train.runtime as rt
    from optsolve.train.grounding import read

    shipped = rt.fit_factors
    memo: dict[tuple[str, str], dict[str, float]] = {}
    off: str | None = None

    def fit(reading: Any, compact: str) -> dict[str, float]:
        key = (reading.text, compact)
        if key not in memo:
            memo[key] = shipped(reading, compact)
        out = dict(memo[key])
        if off is not None:
            out[off] = 1.0
        return out

    names: list[str | None] = [None, *shipped(read("x"), "")]      # the checks, by name
    counts: dict[str, int] = {}
    rt.fit_factors = fit      # vote() looks the function up at call time
    try:
        for off in names:
            counts[off or "none"] = sum(right_picks(drawn, k).values())
    finally:
        rt.fit_factors = shipped
    return counts


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("dumps", nargs="+", help="candidate dumps of bench_ranking.py --dump (JSONL)")
    ap.add_argument("--k", type=int, default=32, help="candidates ranked per problem (the backend's: 32)")
    ap.add_argument("--escalate", action="store_true",
                    help="rank as the backend's draw-again rule does: the first K - 32 candidates, all K when the "
                         "text finds the first pick wrong (a dump drawn with --samples 63, --k 64)")
    ap.add_argument("--save", help="write each dump's right picks here (JSON)")
    ap.add_argument("--compare", help="a --save file of an earlier run: list problems gained and lost")
    ap.add_argument("--misses", action="store_true", help="print the misses a right candidate could fix")
    ap.add_argument("--ablate", action="store_true",
                    help="right picks with each text check switched off in turn (one line per dump, JSON)")
    a = ap.parse_args()
    old = json.loads(Path(a.compare).read_text()) if a.compare else {}
    out: dict[str, dict[str, bool]] = {}
    for path in a.dumps:
        name = Path(path).name
        drawn = br.replay(path)
        if a.misses:
            rule = "escalate" if a.escalate else "repaired"
            n = show_misses(drawn, a.k, rule)
            right = sum(right_picks(drawn, a.k, rule).values())
            print(f"{name}: {right} of {len(drawn)} right, {n} misses with a right candidate", file=sys.stderr)
            continue
        if a.ablate:
            print(json.dumps({"dump": name, "right_picks": ablate(drawn, a.k)}), flush=True)
            continue
        picks = out[name] = right_picks(drawn, a.k, "escalate" if a.escalate else "repaired")
        line = f"{name}: {sum(picks.values())} of {len(picks)} right"
        if name in old:
            gained = sorted(i for i, ok in picks.items() if ok and not old[name].get(i))
            lost = sorted(i for i, ok in picks.items() if not ok and old[name].get(i))
            line += f" (was {sum(old[name].values())}; gained {gained}, lost {lost})"
        print(line, flush=True)
    if a.save:
        Path(a.save).write_text(json.dumps(out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
