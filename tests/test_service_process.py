"""`optsolve serve` as a real subprocess: the CLI client against it, SIGTERM with requests in flight,
startup refusals."""

from __future__ import annotations

import contextlib
import json
import os
import random
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import psutil
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from optsolve.service.pb import pb2, pb2_grpc

ROOT = Path(__file__).resolve().parent.parent
LP = {"name": "lp", "variables": {"x": {"domain": "nonnegative_reals"}, "y": {"domain": "nonnegative_reals"}},
      "objective": {"sense": "maximize", "expr": "3*x + 2*y"},
      "constraints": {"c1": {"expr": "x + y <= 4"}, "c2": {"expr": "x + 3*y <= 6"}, "c3": {"expr": "x <= 3"}}}
INFEASIBLE = {"variables": {"x": {"domain": "nonnegative_reals"}},
              "objective": {"sense": "minimize", "expr": "x"},
              "constraints": {"low": {"expr": "x >= 5"}, "high": {"expr": "x <= 2"}}}


def market_split(m: int = 4, n: int = 30, seed: int = 1) -> dict[str, Any]:
    r = random.Random(seed)
    a = [[r.randint(0, 99) for _ in range(n)] for _ in range(m)]
    return {"sets": {"I": {"range": [1, m]}, "J": {"range": [1, n]}},
            "parameters": {"a": {"index": ["I", "J"], "values": a},
                           "d": {"index": ["I"], "values": [sum(row) // 2 for row in a]}},
            "variables": {"x": {"index": ["J"], "domain": "binary"},
                          "sp": {"index": ["I"], "domain": "nonnegative_reals"},
                          "sm": {"index": ["I"], "domain": "nonnegative_reals"}},
            "objective": {"sense": "minimize", "expr": "sum(sp[i] + sm[i] for i in I)"},
            "constraints": {"split": {"forall": "i in I",
                                      "expr": "sum(a[i, j] * x[j] for j in J) + sp[i] - sm[i] == d[i]"}}}


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    env.pop("OPTSOLVE_TOKEN", None)
    return env


class Served:
    def __init__(self, *args: str) -> None:
        self.proc = subprocess.Popen([sys.executable, "-m", "optsolve", "serve", "--port", "0", *args],
                                     cwd=ROOT, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True)
        line = self.proc.stdout.readline() if self.proc.stdout else ""
        m = re.match(r"listening on (\S+):(\d+)", line)
        if not m:
            self.proc.kill()
            raise AssertionError(f"server did not start: {line!r} {self.proc.stderr.read() if self.proc.stderr else ''}")
        self.target = f"127.0.0.1:{m.group(2)}"
        self.stderr: list[str] = []
        self._reader = threading.Thread(target=self._read_stderr, daemon=True)
        self._reader.start()

    def _read_stderr(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.stderr.append(line)

    def workers(self) -> list[int]:
        return [p.pid for p in psutil.Process(self.proc.pid).children(recursive=True)]

    def logs(self) -> list[dict[str, Any]]:
        out = []
        for line in self.stderr:
            with contextlib.suppress(ValueError):
                out.append(json.loads(line))
        return out

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


@pytest.fixture()
def served() -> Iterator[Served]:
    srv = Served("--workers", "1", "--grace", "15")
    yield srv
    srv.close()


def cli(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "optsolve", *args], cwd=ROOT, env=_env(), input=stdin,
                          capture_output=True, text=True, timeout=120)


def _gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def _all_gone(pids: list[int], timeout: float = 10.0) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if all(_gone(p) for p in pids):
            return True
        time.sleep(0.05)
    return all(_gone(p) for p in pids)


def _strip_times(d: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in d.items() if k not in ("seconds", "solver_seconds")}


def test_client_cli_output_matches_local_solve(served: Served, tmp_path: Path) -> None:
    for model, code in ((LP, 0), (INFEASIBLE, 3)):
        path = tmp_path / "model.json"
        path.write_text(json.dumps(model))
        local = cli("solve", str(path), "--json")
        remote = cli("client", "solve", "--target", served.target, "--formulation", str(path), "--json")
        assert local.returncode == remote.returncode == code, remote.stderr
        assert _strip_times(json.loads(remote.stdout)) == _strip_times(json.loads(local.stdout))
        local_h = cli("solve", str(path))
        remote_h = cli("client", "solve", "--target", served.target, "--formulation", str(path))
        assert [ln for ln in local_h.stdout.splitlines() if not ln.startswith("Time:")] == \
               [ln for ln in remote_h.stdout.splitlines() if not ln.startswith("Time:")]
    bad = tmp_path / "bad.json"
    bad.write_text('{"variables": ')
    out = cli("client", "solve", "--target", served.target, "--formulation", str(bad))
    assert out.returncode == 2 and "malformed JSON" in out.stderr
    out = cli("client", "solve", "--target", served.target, "--formulation", str(bad), "--json")
    assert out.returncode == 2 and json.loads(out.stdout)["error"]["code"] == "E_PARSE"
    # streaming prints progress on stderr and the same result on stdout
    out = cli("client", "solve", "--target", served.target, "--formulation", str(tmp_path / "model.json"),
              "--stream")
    assert "solving" in out.stderr and "Status: infeasible" in out.stdout
    # structured logs with request ids
    logs = [r for r in served.logs() if r.get("msg") == "request"]
    assert logs and all(len(r["request_id"]) >= 16 and r["code"] for r in logs)
    assert {"OK", "INVALID_ARGUMENT"} <= {r["code"] for r in logs}


BAKERY = ("A bakery makes bread and cakes. Bread earns 3 dollars and cake 2 dollars. Together at most 4 "
          "batches can be baked; bread uses 1 oven hour and cake 3, with 6 hours available; at most 3 "
          "batches of bread. How many of each should it bake to maximize profit?")
BROKEN = '{"variables": {"x": {"domain": "nonnegative_reals"}}, "objective": {"sense": "maximize", ' \
         '"expr": "3*x + 2*zz"}}'


def _no_times(d: Any) -> Any:
    if isinstance(d, dict):
        return {k: _no_times(v) for k, v in d.items() if k not in ("seconds", "solver_seconds")}
    if isinstance(d, list):
        return [_no_times(v) for v in d]
    return d


def test_client_cli_text_matches_local_run_and_plan(tmp_path: Path) -> None:
    replies = tmp_path / "replies.jsonl"
    # a self-voting formalizer (3 of its 16 candidates agree): the confidence, its basis and the
    # low-agreement warning must read the same through the service as locally
    replies.write_text(json.dumps({"match": "bakery", "replies": [BROKEN, LP] * 20, "agreement": [3, 16]}) + "\n")
    llm = ["--backend", "scripted", "--model", str(replies)]
    srv = Served("--workers", "1", *llm)
    try:
        for args in (["--json"], []):
            local = cli("run", BAKERY, *llm, *args)
            remote = cli("client", "solve", "--target", srv.target, BAKERY, *args)
            assert local.returncode == remote.returncode == 0, (local.stderr, remote.stderr)
            if args:
                assert _no_times(json.loads(remote.stdout)) == _no_times(json.loads(local.stdout))
            else:
                strip = [ln for ln in local.stdout.splitlines() if not ln.startswith("Time:")]
                assert strip == [ln for ln in remote.stdout.splitlines() if not ln.startswith("Time:")]
                assert local.stderr.splitlines() == remote.stderr.splitlines()  # progress messages
                assert "(3/16 candidates agree)" in remote.stdout and "low agreement" in remote.stderr
            local = cli("plan", BAKERY, *llm, *args)
            remote = cli("client", "plan", "--target", srv.target, BAKERY, *args)
            assert local.returncode == remote.returncode == 0, remote.stderr
            if args:
                assert _no_times(json.loads(remote.stdout)) == _no_times(json.loads(local.stdout))
            else:
                assert remote.stdout == local.stdout
        empty = cli("client", "solve", "--target", srv.target, "   ")
        assert empty.returncode == 2 and "empty" in empty.stderr
    finally:
        srv.close()


def test_client_cli_unreachable_server() -> None:
    out = cli("client", "solve", "--target", "127.0.0.1:1", "--formulation", "-", "--timeout", "3",
              stdin=json.dumps(LP))
    assert out.returncode != 0 and "UNAVAILABLE" in out.stderr


@pytest.mark.slow
def test_sigterm_finishes_in_flight_work(served: Served) -> None:
    workers = served.workers()
    assert workers
    channel = grpc.insecure_channel(served.target)
    stub = pb2_grpc.OptSolveStub(channel)
    health = health_pb2_grpc.HealthStub(channel)
    watch = health.Watch(health_pb2.HealthCheckRequest(service=""), timeout=30)
    assert next(watch).status == health_pb2.HealthCheckResponse.SERVING
    inflight = stub.Solve.future(pb2.SolveRequest(formulation_json=json.dumps(market_split()), time_limit=3),
                                 timeout=30)
    time.sleep(1.0)
    t0 = time.monotonic()
    served.proc.send_signal(signal.SIGTERM)
    assert next(watch).status == health_pb2.HealthCheckResponse.NOT_SERVING
    time.sleep(0.3)
    # new work is refused while draining
    with pytest.raises(grpc.RpcError) as info:
        pb2_grpc.OptSolveStub(grpc.insecure_channel(served.target)).Solve(
            pb2.SolveRequest(formulation_json=json.dumps(LP)), timeout=5)
    assert info.value.code() == grpc.StatusCode.UNAVAILABLE
    resp = inflight.result(timeout=30)  # the in-flight request completes normally
    assert resp.status_name in ("time_limit", "feasible", "optimal")
    assert served.proc.wait(20) == 0
    assert time.monotonic() - t0 < 15
    assert _all_gone(workers)


@pytest.mark.slow
def test_sigterm_grace_expiry_cancels_and_kills_workers() -> None:
    srv = Served("--workers", "1", "--grace", "1")
    try:
        workers = srv.workers()
        stub = pb2_grpc.OptSolveStub(grpc.insecure_channel(srv.target))
        inflight = stub.Solve.future(pb2.SolveRequest(formulation_json=json.dumps(market_split()),
                                                      time_limit=60), timeout=90)
        time.sleep(1.0)
        t0 = time.monotonic()
        srv.proc.send_signal(signal.SIGTERM)
        with pytest.raises(grpc.RpcError) as info:
            inflight.result(timeout=30)
        assert info.value.code() in (grpc.StatusCode.CANCELLED, grpc.StatusCode.UNAVAILABLE)
        assert srv.proc.wait(20) == 0
        assert time.monotonic() - t0 < 10
        assert _all_gone(workers)
    finally:
        srv.close()


def test_server_killed_with_sigkill_leaves_no_solver_running() -> None:
    srv = Served("--workers", "2")
    try:
        children = srv.workers()
        assert len(children) >= 3  # forkserver + 2 workers (+ resource tracker)
        stub = pb2_grpc.OptSolveStub(grpc.insecure_channel(srv.target))
        inflight = stub.Solve.future(pb2.SolveRequest(formulation_json=json.dumps(market_split()),
                                                      time_limit=120), timeout=150)
        time.sleep(1.5)
        srv.proc.kill()
        srv.proc.wait(10)
        with pytest.raises(grpc.RpcError):
            inflight.result(timeout=30)
        assert _all_gone(children, timeout=15), [p for p in children if not _gone(p)]
    finally:
        srv.close()


def test_token_file_reloads_on_sighup_and_client_health(tmp_path: Path) -> None:
    old, new = "old-token-0123456789abcdef", "new-token-0123456789abcdef"
    tokens = tmp_path / "tokens"
    tokens.write_text(old + "\n")
    srv = Served("--workers", "1", "--token-file", str(tokens))
    try:
        model = tmp_path / "lp.json"
        model.write_text(json.dumps(LP))
        base = ["client", "solve", "--target", srv.target, "--formulation", str(model), "--json"]
        assert cli(*base, "--token", old).returncode == 0
        health = cli("client", "health", "--target", srv.target)  # open without a token
        assert health.returncode == 0 and health.stdout.strip() == "SERVING"
        tokens.write_text(new + "\n")
        srv.proc.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not any(r.get("msg") == "tokens reloaded" for r in srv.logs()):
            time.sleep(0.05)
        denied = cli(*base, "--token", old)
        assert denied.returncode != 0 and "UNAUTHENTICATED" in denied.stdout + denied.stderr
        assert cli(*base, "--token", new).returncode == 0
        assert srv.proc.poll() is None
    finally:
        srv.close()


def test_refuses_non_loopback_without_token_and_busy_port(served: Served) -> None:
    out = subprocess.run([sys.executable, "-m", "optsolve", "serve", "--host", "0.0.0.0", "--port", "0"],
                         cwd=ROOT, env=_env(), capture_output=True, text=True, timeout=60)
    assert out.returncode == 2 and "--insecure" in out.stderr
    port = served.target.rsplit(":", 1)[1]
    out = subprocess.run([sys.executable, "-m", "optsolve", "serve", "--port", port, "--workers", "1"],
                         cwd=ROOT, env=_env(), capture_output=True, text=True, timeout=60)
    assert out.returncode == 2 and "cannot listen" in out.stderr
