"""Test-time augmentation by sentence order: does voting over re-ordered texts beat voting over samples?

    python benchmarks/bench_permute.py --data runs/dg_eval2/records/test.jsonl --variants 8

The statements of a word problem can be read in any order after the first sentence (which names the
items; a table or bullet list stays with the sentence that introduces it). For every problem the
greedy candidate is decoded for the text and for ``--variants - 1`` re-orderings of it (seeded), each
is solved, and the candidates vote as the embedded backend's samples do
(:func:`optsolve.train.runtime.vote`, the original text's candidate breaking ties). Reported: the
greedy candidate alone, the vote, the adaptive rule (greedy when it solves, else the vote), and the
share of problems where some variant is right, with the seconds per problem. Compare with
``benchmarks/bench_ranking.py`` (voting over temperature samples of the same text).
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import time
from typing import Any


def units(text: str) -> list[str]:
    """Sentences of ``text``; table rows and bullets stay with the sentence before them."""
    out: list[str] = []
    for line in text.split("\n"):
        if re.match(r"^\s*([|\-*]|\d+\.)", line) and out:
            out[-1] += "\n" + line
            continue
        out += [p for p in re.split(r"(?<=[.?!])\s+(?=[A-Z])", line.strip()) if p]
    return out


def variants(text: str, n: int, seed: int = 0) -> list[str]:
    """``text`` and ``n - 1`` re-orderings of its sentences after the first (fewer when it has few)."""
    u = units(text)
    if len(u) <= 2:
        return [text]
    rng = random.Random(seed)
    out = [text]
    for _ in range(n - 1):
        rest = u[1:]
        rng.shuffle(rest)
        out.append("".join(x + ("\n" if "\n" in x else " ") for x in [u[0], *rest]).strip())
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", default=None, help="model directory (default: the shipped one)")
    ap.add_argument("--data", required=True, help="records (text + formulation) or bench rows (question, answer)")
    ap.add_argument("--variants", type=int, default=8, help="texts per problem, the original included")
    ap.add_argument("--limit", type=int, default=None)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=None)
    args = ap.parse_args()

    from tqdm import tqdm

    from optsolve.formalize.backends.embedded import default_model_dir
    from optsolve.train.common import read_jsonl, set_threads
    from optsolve.train.evaluate import items_from, strict_match
    from optsolve.train.pointer import load_formalizer
    from optsolve.train.runtime import check_candidate, vote

    set_threads(args.threads)
    model = load_formalizer(args.model or default_model_dir())
    items = items_from(read_jsonl(args.data))[: args.limit]
    hits = {"greedy": 0, "vote": 0, "adaptive": 0, "oracle": 0}
    seconds: list[float] = []
    for it in tqdm(items, desc="permute", mininterval=5):
        t0 = time.perf_counter()
        cands: list[Any] = []
        for j, text in enumerate(variants(it["question"], args.variants, args.seed)):
            gen, values = model.generate(text, k=1, seed=args.seed)
            c = gen.candidates[0]
            check_candidate(c, values)
            c.greedy = j == 0
            cands.append(c)
        ranked = vote(cands)
        seconds.append(time.perf_counter() - t0)

        def right(c: Any, answer: float = float(it["answer"])) -> bool:
            return bool(c.ok and strict_match(c.objective, answer))

        hits["greedy"] += right(cands[0])
        hits["vote"] += right(ranked[0])
        hits["adaptive"] += right(cands[0]) if cands[0].ok else right(ranked[0])
        hits["oracle"] += any(right(c) for c in cands)
    n = max(1, len(items))
    seconds.sort()
    report: dict[str, Any] = {"items": len(items), "variants": args.variants,
                              **{k: round(v / n, 4) for k, v in hits.items()},
                              "seconds_p50": round(seconds[len(seconds) // 2], 3) if seconds else None}
    json.dump(report, sys.stdout, indent=1)
    print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
