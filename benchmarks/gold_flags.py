"""What the text checks say of gold formulations: a check that halves a gold model is a false positive.

Each record's gold formulation is written in the compact language with its text's numbers
(``optsolve.train.compact.encode``; the gold's ``x_`` name prefix dropped, as the model never writes
it) and read by every check of :func:`optsolve.train.runtime.fit_factors`; ``restate`` counts the golds
:meth:`~optsolve.train.grounding.TextReading.restate_comparisons` would rewrite and ``complete`` those
:meth:`~optsolve.train.grounding.TextReading.complete` would (an equivalent objective fill counts too:
compare the rows it adds). Run it before shipping a new check or repair (docs/embedded.md, sessions
29-31)::

    python benchmarks/gold_flags.py runs/s30/vh_dev.jsonl runs/dg_eval3/records/train.jsonl runs/nlw/data/train.jsonl
    python benchmarks/gold_flags.py RECORDS --show restate      # print each gold a check flags, with its text
"""

from __future__ import annotations

import argparse
import json
import re
from collections import Counter


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("records", nargs="+", help="datagen or annotation records (JSONL with text and formulation)")
    ap.add_argument("--show", default=None, help="print the golds this check (or 'restate', 'complete') flags")
    a = ap.parse_args()
    from optsolve.train.compact import Unsupported, encode
    from optsolve.train.grounding import read
    from optsolve.train.numbers import mask_numbers
    from optsolve.train.runtime import fit_factors

    tally: Counter[str] = Counter()
    n = 0
    for path in a.records:
        with open(path, encoding="utf-8") as f:
            for line in f:
                r = json.loads(line)
                if not r.get("formulation"):
                    continue
                try:
                    gold = encode(r["formulation"], mask_numbers(r["text"]))
                except Unsupported:
                    continue
                gold = re.sub(r"(<var> <v\d+> )x_", r"\1", gold)
                n += 1
                reading = read(r["text"])
                flags = [k for k, v in fit_factors(reading, gold).items() if v < 1]
                if (restated := reading.restate_comparisons(gold)) is not None:
                    flags.append("restate")
                if (completed := reading.complete(gold)) is not None:
                    flags.append("complete")
                tally.update(flags)
                if a.show in flags:
                    print("=" * 80, f"\n{r['id']} {flags}\n{r['text']}\n{gold}")
                    if a.show in ("restate", "complete"):
                        print(restated if a.show == "restate" else completed)
    print(json.dumps({"golds": n, "flagged": dict(tally.most_common())}))


if __name__ == "__main__":
    main()
