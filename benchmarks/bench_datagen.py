"""Datagen throughput: solver-verified instances per second with 1 and 2 workers, in one run.

    python benchmarks/bench_datagen.py                      # NL4Opt-style word families, n=600
    python benchmarks/bench_datagen.py --n 1000 --rejected 0 --workers 1,2
    python benchmarks/bench_datagen.py --families all --levels easy,medium,hard

For each worker count it runs the real engine (spawned worker pool, shards, journal, manifest and every
export) into a fresh directory and reports

* end-to-end: verified instances / wall seconds of the generation phase (pool start-up included);
* compute: verified instances / CPU-busy seconds per worker (sum of chunk times / workers), the
  steady-state rate a long run approaches;
* per CPU-second: verified instances / CPU time the workers used (``time.process_time``), what one
  core delivers when it is not shared; on a loaded machine the wall-clock rates fall, this one does not;
* the export phase (dedup, contamination check, splits, exports) separately;
* the driver's serial share: milliseconds spent committing each chunk against a worker's time per chunk
  (their ratio bounds how many workers one driver can feed).

"Verified" = generated, solved to optimality by the solver (ground truth) and, with ``--rejected K``,
with up to K solver-verified wrong formulations for the preference exports. The load average is
printed alongside: the figures are only comparable on an otherwise idle machine.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from optsolve.datagen.engine import DatagenConfig, resolve_families, run_datagen


def small_families() -> list[str]:
    try:
        from optsolve.datagen.families.nl4opt import WORD_FAMILIES
        return sorted(f.name for f in WORD_FAMILIES)
    except ImportError:
        return resolve_families([])


def bench_once(families: list[str], n: int, workers: int, levels: list[str], rejected: int,
               chunk_size: int, seed: int) -> dict[str, Any]:
    out = Path(tempfile.mkdtemp(prefix=f"bench_datagen_w{workers}_"))
    try:
        cfg = DatagenConfig(out=out, families=families, n=n, workers=workers, levels=levels,
                            rejected=rejected, chunk_size=chunk_size, seed=seed, progress=False)
        load0 = os.getloadavg()[0]
        t0 = time.perf_counter()
        s = run_datagen(cfg)
        total = time.perf_counter() - t0
        m = s.manifest
        gen = float(m["generation"]["seconds"])
        journal = [json.loads(line) for line in (out / "journal.jsonl").read_text().splitlines()]
        busy = sum(float(e["seconds"]) for e in journal)
        cpu = sum(float(e.get("cpu_seconds") or 0.0) for e in journal)
        verified = int(m["outcomes"].get("kept", 0)) + int(m["outcomes"].get("hard", 0))
        lines = sum(int(e["lines"]) for e in journal)
        dpo = sum(c["dpo"] for c in m["splits"]["counts"].values())
        per_worker_busy = busy / max(1, workers)
        return {
            "workers": workers, "n": n, "verified": verified, "generated": lines,
            "dpo_pairs": dpo,
            "generation_seconds": round(gen, 3),
            "export_seconds": round(total - gen, 3),
            "verified_per_s_end_to_end": round(verified / gen, 1),
            "verified_per_s_compute": round(verified / per_worker_busy, 1) if per_worker_busy else None,
            "verified_per_s_per_worker_compute": round(verified / busy, 1) if busy else None,
            "verified_per_cpu_second": round(verified / cpu, 1) if cpu else None,
            "driver_commit_ms_per_chunk": round(1000 * float(m["generation"].get("driver_commit_seconds", 0.0))
                                                / max(1, len(journal)), 2),
            "worker_ms_per_chunk": round(1000 * busy / max(1, len(journal)), 1),
            "load_avg_1m_before": round(load0, 2),
            "load_avg_1m_after": round(os.getloadavg()[0], 2),
        }
    finally:
        shutil.rmtree(out, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--families", default="small", help="'small' (NL4Opt-style word families), 'all', or a list")
    ap.add_argument("--n", type=int, default=600)
    ap.add_argument("--workers", default="1,2")
    ap.add_argument("--levels", default="easy,medium")
    ap.add_argument("--rejected", type=int, default=3)
    ap.add_argument("--chunk-size", type=int, default=50)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)

    fams = small_families() if args.families == "small" else resolve_families(args.families)
    levels = [s for s in args.levels.split(",") if s]
    results = [bench_once(fams, args.n, int(w), levels, args.rejected, args.chunk_size, args.seed)
               for w in args.workers.split(",")]
    base = results[0]["verified_per_s_end_to_end"]
    for r in results:
        r["speedup_end_to_end"] = round(r["verified_per_s_end_to_end"] / base, 2) if base else None
    report = {"cpu_count": os.cpu_count(), "families": len(fams), "levels": levels, "rejected": args.rejected,
              "python": sys.version.split()[0], "results": results}
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    print(f"datagen benchmark: {len(fams)} families, levels {','.join(levels)}, n={args.n}, "
          f"rejected={args.rejected}, {os.cpu_count()} CPUs")
    print(f"{'workers':>7} {'verified':>8} {'gen s':>7} {'export s':>8} {'inst/s e2e':>10} {'inst/s compute':>14} "
          f"{'per worker':>10} {'per CPU-s':>9} {'speedup':>7} {'load':>11}")
    for r in results:
        print(f"{r['workers']:>7} {r['verified']:>8} {r['generation_seconds']:>7} {r['export_seconds']:>8} "
              f"{r['verified_per_s_end_to_end']:>10} {r['verified_per_s_compute']!s:>14} "
              f"{r['verified_per_s_per_worker_compute']!s:>10} {r['verified_per_cpu_second']!s:>9} "
              f"{r['speedup_end_to_end']!s:>7} "
              f"{r['load_avg_1m_before']:>5}/{r['load_avg_1m_after']:<5}")
    for r in results:
        print(f"workers={r['workers']}: the driver spent {r['driver_commit_ms_per_chunk']} ms committing each "
              f"chunk (shard, journal, manifest) that took a worker {r['worker_ms_per_chunk']} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
