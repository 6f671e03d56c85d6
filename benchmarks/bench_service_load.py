"""Load test of the gRPC service on loopback: N concurrent clients for T seconds, mixed valid and invalid
Solve requests with small formulation-input LPs. Reports throughput, p50/p99 latency, and every status
code seen (UNKNOWN must stay 0), and checks the server survived.

    python benchmarks/bench_service_load.py --clients 16 --duration 20 --workers 2
    python benchmarks/bench_service_load.py --target 127.0.0.1:50051   # an already running server

Bounded: at most 256 clients, 600 s, loopback targets only.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import grpc

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from optsolve.service.pb import pb2, pb2_grpc  # noqa: E402


def small_lp(rng: random.Random, n: int = 4, m: int = 4) -> dict[str, Any]:
    """A random feasible, bounded LP with n variables and m <= constraints (x = 0 is feasible)."""
    a = [[rng.randint(1, 9) for _ in range(n)] for _ in range(m)]
    b = [rng.randint(10, 60) for _ in range(m)]
    c = [rng.randint(1, 9) for _ in range(n)]
    return {"name": "small_lp", "sets": {"J": {"range": [1, n]}, "I": {"range": [1, m]}},
            "parameters": {"a": {"index": ["I", "J"], "values": a}, "b": {"index": ["I"], "values": b},
                           "c": {"index": ["J"], "values": c}},
            "variables": {"x": {"index": ["J"], "domain": "nonnegative_reals"}},
            "objective": {"sense": "maximize", "expr": "sum(c[j] * x[j] for j in J)"},
            "constraints": {"cap": {"forall": "i in I", "expr": "sum(a[i, j] * x[j] for j in J) <= b[i]"}}}


def invalid_request(rng: random.Random) -> Any:
    kind = rng.randrange(4)
    if kind == 0:
        return pb2.SolveRequest(formulation_json='{"variables": {"x": ')
    if kind == 1:
        bad = small_lp(rng)
        bad["objective"]["expr"] = "sum(c[j] * y[j] for j in J)"
        return pb2.SolveRequest(formulation_json=json.dumps(bad))
    if kind == 2:
        return pb2.SolveRequest(formulation_json="")
    return pb2.SolveRequest(text="")


def percentile(xs: list[float], q: float) -> float:
    if not xs:
        return float("nan")
    xs = sorted(xs)
    k = min(len(xs) - 1, max(0, round(q / 100 * (len(xs) - 1))))
    return xs[k]


async def run_load(target: str, clients: int, duration: float, invalid_share: float, seed: int,
                   timeout: float) -> dict[str, Any]:
    rng = random.Random(seed)
    pool = [pb2.SolveRequest(formulation_json=json.dumps(small_lp(rng))) for _ in range(64)]
    codes: Counter[str] = Counter()
    statuses: Counter[str] = Counter()
    lat_ok: list[float] = []
    lat_all: list[float] = []
    channels = [grpc.aio.insecure_channel(target) for _ in range(min(clients, 8))]
    stubs = [pb2_grpc.OptSolveStub(ch) for ch in channels]
    end = time.perf_counter() + duration

    async def one_client(k: int) -> None:
        r = random.Random(seed * 1000 + k)
        stub = stubs[k % len(stubs)]
        while time.perf_counter() < end:
            valid = r.random() >= invalid_share
            req = r.choice(pool) if valid else invalid_request(r)
            t0 = time.perf_counter()
            try:
                resp = await stub.Solve(req, timeout=timeout)
                code = "OK"
                statuses[resp.status_name] += 1
            except grpc.aio.AioRpcError as exc:
                code = exc.code().name
            dt = time.perf_counter() - t0
            codes[code] += 1
            lat_all.append(dt)
            if valid and code == "OK":
                lat_ok.append(dt)

    t0 = time.perf_counter()
    await asyncio.gather(*(one_client(k) for k in range(clients)))
    wall = time.perf_counter() - t0
    for ch in channels:
        await ch.close()
    total = sum(codes.values())
    return {
        "target": target, "clients": clients, "duration_s": round(wall, 2), "requests": total,
        "throughput_rps": round(total / wall, 1), "valid_solves_per_s": round(len(lat_ok) / wall, 1),
        "p50_ms": round(percentile(lat_all, 50) * 1000, 2), "p99_ms": round(percentile(lat_all, 99) * 1000, 2),
        "valid_p50_ms": round(percentile(lat_ok, 50) * 1000, 2),
        "valid_p99_ms": round(percentile(lat_ok, 99) * 1000, 2),
        "max_ms": round(max(lat_all, default=0.0) * 1000, 2),
        "codes": dict(codes), "solve_statuses": dict(statuses), "unknown": codes.get("UNKNOWN", 0),
    }


def start_server(workers: int, extra: list[str] | None = None) -> tuple[subprocess.Popen[str], str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    env.pop("OPTSOLVE_TOKEN", None)
    proc = subprocess.Popen([sys.executable, "-m", "optsolve", "serve", "--port", "0", "--workers", str(workers),
                             "--log-level", "warning", *(extra or [])],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    line = proc.stdout.readline() if proc.stdout else ""
    m = re.match(r"listening on \S+:(\d+)", line)
    if not m:
        proc.kill()
        raise SystemExit(f"the server did not start: {line!r}")
    return proc, f"127.0.0.1:{m.group(1)}"


def stop_server(proc: subprocess.Popen[str]) -> int:
    proc.send_signal(signal.SIGTERM)
    try:
        return proc.wait(30)
    except subprocess.TimeoutExpired:
        proc.kill()
        return proc.wait(5)


def check_loopback(target: str) -> None:
    host = target.rsplit(":", 1)[0].strip("[]")
    if host not in ("127.0.0.1", "localhost", "::1"):
        raise SystemExit("this benchmark only runs against loopback targets")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--target", help="an already running server on loopback (default: start one)")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="server worker processes")
    ap.add_argument("--clients", type=int, default=16)
    ap.add_argument("--duration", type=float, default=20.0)
    ap.add_argument("--invalid-share", type=float, default=0.2, help="share of invalid requests (0-1)")
    ap.add_argument("--timeout", type=float, default=10.0, help="deadline per call, seconds")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    args.clients = max(1, min(args.clients, 256))
    args.duration = max(1.0, min(args.duration, 600.0))
    proc = None
    target = args.target
    if target is None:
        proc, target = start_server(args.workers)
    check_loopback(target)
    try:
        # warm-up: the first calls open channels and load the solver in every worker
        asyncio.run(run_load(target, 4, 1.0, 0.0, args.seed + 1, args.timeout))
        report = asyncio.run(run_load(target, args.clients, args.duration, args.invalid_share, args.seed,
                                      args.timeout))
    finally:
        alive = proc is None or proc.poll() is None
        exit_code = stop_server(proc) if proc is not None and alive else None
    report.update({"workers": args.workers if proc is not None else None, "server_survived": alive,
                   "server_exit_code": exit_code, "cpus": os.cpu_count()})
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        for k, v in report.items():
            print(f"{k:>20}: {v}")
    ok = report["unknown"] == 0 and alive
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
