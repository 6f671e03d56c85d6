"""Soak test of the gRPC service on loopback: steady mixed load for 60 s (default) while sampling the
resident memory of the server process and of its workers every second. Reports the growth from the
baseline (taken after a warm-up) to the end, for the server alone and for the server plus workers.

    python benchmarks/bench_service_soak.py --duration 60 --clients 8 --workers 2

Bounded: at most 600 s and 256 clients, loopback only. Exit status 1 when growth exceeds --max-growth
(10 % by default), an UNKNOWN status appears, or the server dies.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import threading
import time
from pathlib import Path
from typing import Any

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))

import contextlib

from bench_service_load import run_load, start_server, stop_server


def rss_mb(pid: int) -> tuple[float, float, int]:
    """(server RSS, server + descendants RSS, number of descendants), in MiB."""
    proc = psutil.Process(pid)
    server = proc.memory_info().rss
    total = server
    kids = proc.children(recursive=True)
    for k in kids:
        with contextlib.suppress(psutil.NoSuchProcess):
            total += k.memory_info().rss
    return server / 2**20, total / 2**20, len(kids)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--duration", type=float, default=60.0)
    ap.add_argument("--warmup", type=float, default=10.0, help="seconds of load before the baseline sample")
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--invalid-share", type=float, default=0.2)
    ap.add_argument("--max-growth", type=float, default=10.0, help="allowed growth in percent")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    args.duration = max(5.0, min(args.duration, 600.0))
    args.clients = max(1, min(args.clients, 256))
    proc, target = start_server(args.workers)
    samples: list[dict[str, Any]] = []
    stop = threading.Event()
    t_start = time.monotonic()

    def sampler() -> None:
        while not stop.is_set():
            try:
                server, total, kids = rss_mb(proc.pid)
            except psutil.NoSuchProcess:
                return
            samples.append({"t": round(time.monotonic() - t_start, 1), "server_mb": round(server, 1),
                            "total_mb": round(total, 1), "processes": kids})
            stop.wait(1.0)

    th = threading.Thread(target=sampler, daemon=True)
    th.start()
    try:
        warm = asyncio.run(run_load(target, args.clients, args.warmup, args.invalid_share, args.seed + 7, 10.0))
        base = dict(zip(("server_mb", "total_mb"), rss_mb(proc.pid)[:2], strict=False))
        report = asyncio.run(run_load(target, args.clients, args.duration, args.invalid_share, args.seed, 10.0))
        end = dict(zip(("server_mb", "total_mb"), rss_mb(proc.pid)[:2], strict=False))
    finally:
        stop.set()
        th.join(5)
        alive = proc.poll() is None
        code = stop_server(proc) if alive else proc.returncode
    after = [s for s in samples if s["t"] >= args.warmup]
    out = {
        "duration_s": args.duration, "warmup_s": args.warmup, "clients": args.clients, "workers": args.workers,
        "requests": report["requests"] + warm["requests"], "throughput_rps": report["throughput_rps"],
        "p50_ms": report["p50_ms"], "p99_ms": report["p99_ms"], "codes": report["codes"],
        "unknown": report["unknown"] + warm["unknown"],
        "server_mb_baseline": round(base["server_mb"], 1), "server_mb_end": round(end["server_mb"], 1),
        "server_mb_max": max((s["server_mb"] for s in after), default=None),
        "server_growth_pct": round(100 * (end["server_mb"] - base["server_mb"]) / base["server_mb"], 2),
        "total_mb_baseline": round(base["total_mb"], 1), "total_mb_end": round(end["total_mb"], 1),
        "total_mb_max": max((s["total_mb"] for s in after), default=None),
        "total_growth_pct": round(100 * (end["total_mb"] - base["total_mb"]) / base["total_mb"], 2),
        "server_survived": alive, "server_exit_code": code,
        "timeline": samples[:: max(1, len(samples) // 12)],
    }
    if args.json:
        print(json.dumps(out, indent=2))
    else:
        for k, v in out.items():
            if k != "timeline":
                print(f"{k:>20}: {v}")
        print("            timeline: " + "  ".join(f"{s['t']}s:{s['server_mb']}/{s['total_mb']}"
                                                    for s in out["timeline"]))
    ok = (alive and out["unknown"] == 0 and out["server_growth_pct"] <= args.max_growth
          and out["total_growth_pct"] <= args.max_growth)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
