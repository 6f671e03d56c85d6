"""Embedded model: accuracy, latency (formalize + solve, p50/p95), size and peak memory on this CPU.

    python benchmarks/bench_embedded.py --data runs/embedded/data/records_test.jsonl --limit 200
    python benchmarks/bench_embedded.py --nl4opt /work/shared/data/nl4opt/generation_dev.jsonl

Runs the shipped model (or ``--model DIR``) in this process exactly as the embedded backend does
(verified sampling, top-ranked candidate), and reports the strict-rule accuracy
|pred - gt| <= 1e-4 * max(1, |gt|), the latency percentiles of formalize-and-solve per problem, the size
of the model files, the peak resident memory of the process (ru_maxrss) and the model's load time in
this process (``load_s``: weights and encoder, after the imports). ``--cold-runs N`` adds what a user of
``optsolve "text"`` waits for: the median wall time of N one-shot CLI runs, each a fresh process.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path

# runs the CLI and reports its own child's wall time and peak memory: measured from a small parent, since a
# child forked from this (large) benchmark process would count the pages it shared before exec as its own
_COLD = """
import json, resource, subprocess, sys, time
t0 = time.perf_counter()
p = subprocess.run([sys.executable, "-m", "optsolve", "--file", sys.argv[1]], capture_output=True, text=True)
print(json.dumps({"wall": time.perf_counter() - t0, "rss_kb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
                  "rc": p.returncode, "stdout": p.stdout, "stderr": p.stderr[-300:]}))
"""


def cold_start(runs: int) -> dict[str, object]:
    """Median wall time and peak memory of ``runs`` one-shot CLI answers with the shipped model, each in
    a fresh process (what a user of ``optsolve "text"`` waits for), with the answer's objective line."""
    import statistics
    import subprocess

    bakery = Path(__file__).resolve().parent.parent / "optsolve" / "examples" / "bakery.txt"
    walls, rss, answer = [], [], ""
    for _ in range(runs):
        proc = subprocess.run([sys.executable, "-c", _COLD, str(bakery)], capture_output=True, text=True, check=True)
        got = json.loads(proc.stdout)
        walls.append(float(got["wall"]))
        rss.append(int(got["rss_kb"]) / 1024)
        answer = next((ln.strip() for ln in got["stdout"].splitlines() if ln.startswith("Objective:")),
                      f"rc {got['rc']}: {got['stderr']}")
    return {"runs": runs, "wall_s_median": round(statistics.median(walls), 2),
            "wall_s": [round(w, 2) for w in walls], "peak_rss_mb": round(max(rss), 1), "answer": answer}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default=None, help="model directory (default: the shipped one)")
    ap.add_argument("--data", default=None, help="records (text + formulation) or bench rows (question, answer)")
    ap.add_argument("--nl4opt", default=None, help="NL4Opt generation JSONL (optima computed from its gold)")
    ap.add_argument("--limit", type=int, default=None)
    ap.add_argument("--k", type=int, default=8)
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--relax", action="store_true",
                    help="diagnostic: make integer variables continuous before solving (NL4Opt's reference "
                         "optima are LP optima)")
    ap.add_argument("--out", default=None, help="per-item rows (JSONL)")
    ap.add_argument("--cold-runs", type=int, default=0,
                    help="also time N one-shot CLI runs with the shipped model (`optsolve --file "
                         "optsolve/examples/bakery.txt`, a fresh process each: imports, model load, formalize, "
                         "solve) and report their median wall time")
    args = ap.parse_args()

    from optsolve.formalize.backends.embedded import default_model_dir
    from optsolve.train.common import read_jsonl, set_threads, write_jsonl
    from optsolve.train.evaluate import evaluate, items_from

    set_threads(args.threads)
    model = args.model or str(default_model_dir())
    if args.nl4opt:
        from optsolve.formalize.nl4opt import bench_items

        items = [{"id": r["id"], "question": r["question"], "answer": r["answer"], "family": "nl4opt"}
                 for r in bench_items(args.nl4opt) if r["answer"] is not None]
        source = args.nl4opt
    elif args.data:
        items = items_from(read_jsonl(args.data))
        source = args.data
    else:
        ap.error("pass --data or --nl4opt")
    if args.limit:
        items = items[: args.limit]
    from optsolve.train.pointer import load_formalizer

    t0 = time.perf_counter()
    loaded = load_formalizer(model)
    load_s = time.perf_counter() - t0
    res = evaluate(model, items, k=args.k, relax=args.relax, model=loaded)
    size = sum(f.stat().st_size for f in Path(model).iterdir() if f.is_file())
    out = {k: v for k, v in res.items() if k != "rows"}
    out.update(source=source, model=model, k=args.k, relax=args.relax, wall_s=round(time.perf_counter() - t0, 1),
               model_bytes=size, peak_rss_mb=round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
               load_s=round(load_s, 2))
    if args.cold_runs:
        out["cold_start"] = cold_start(args.cold_runs)
    if args.out:
        write_jsonl(args.out, res["rows"])
    json.dump(out, sys.stdout, indent=2)
    print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
