"""Formalize-and-solve benchmark on NL4Opt generation dev (optima computed from its gold structure).

    python benchmarks/bench_formalize_nl4opt.py                      # the configured/default backend
    python benchmarks/bench_formalize_nl4opt.py --backend openai --base-url http://127.0.0.1:8000/v1
    python benchmarks/bench_formalize_nl4opt.py --oracle             # pipeline check: replay the gold

``--oracle`` replays each item's gold formulation through the scripted backend. It measures the
pipeline (prompting, retrieval, compile, solve, scoring) and checks the converter and the scorer agree:
its accuracy is 100% by construction and is NOT a formalizer figure.

Writes per-item rows to --out (default nl4opt_dev_results.jsonl) and prints the summary as JSON.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

from optsolve.formalize import FormalizeOptions, bench, nl4opt
from optsolve.formalize.backends import make_backend, resolve_config
from optsolve.formalize.backends.scripted import ScriptedBackend


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=str(nl4opt.DEFAULT_DEV))
    ap.add_argument("--limit", type=int, default=None)
    ap.add_argument("--out", default="nl4opt_dev_results.jsonl")
    ap.add_argument("--backend")
    ap.add_argument("--model")
    ap.add_argument("--base-url")
    ap.add_argument("--samples", type=int, default=1)
    ap.add_argument("--max-attempts", type=int, default=3)
    ap.add_argument("--oracle", action="store_true", help="replay the gold formulations (pipeline check)")
    args = ap.parse_args()

    rows = [r for r in nl4opt.bench_items(args.data) if r["answer"] is not None]
    if args.limit is not None:
        rows = rows[: args.limit]
    items = [{"index": i, "question": r["question"], "answer": r["answer"]} for i, r in enumerate(rows)]
    opts = FormalizeOptions(backend=args.backend, model=args.model, base_url=args.base_url,
                            samples=args.samples, max_attempts=args.max_attempts)
    if args.oracle:
        gold = {k: rec for k, rec in nl4opt.read_records(args.data)}
        script = [{"match": r["question"], "replies": [nl4opt.to_formulation(gold[r["id"]])] * args.samples}
                  for r in rows]
        with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False) as fh:
            fh.write("".join(json.dumps(s) + "\n" for s in script))
        backend = ScriptedBackend(path=fh.name)
        Path(fh.name).unlink()
    else:
        backend = make_backend(resolve_config(opts.backend, opts.model, opts.base_url))
    try:
        summary = bench.run_bench(items, opts, backend, out=args.out)
    finally:
        backend.close()
    summary.pop("rows")
    summary.update(backend="oracle (gold replay)" if args.oracle else backend.name, data=args.data)
    print(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
