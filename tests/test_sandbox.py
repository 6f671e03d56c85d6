"""The bubblewrap sandbox against hostile scripts (tests/hostile/*.py), with real bwrap and processes.

Every test runs through the ``clean_machine`` fixture: afterwards no process of the sandbox's PID
namespace is alive, no child process of this test process is left, and the sandbox's temporary
directory is gone.
"""

from __future__ import annotations

import json
import os
import platform
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest

from optsolve.errors import SandboxError
from optsolve.formalize import sandbox as sb
from optsolve.formalize.sandbox import (
    SandboxLimits,
    SandboxResult,
    SandboxResultError,
    SandboxUnavailableError,
    namespace_members,
    run_sandboxed,
)

HOSTILE = Path(__file__).parent / "hostile"
REPO = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.skipif(shutil.which("bwrap") is None,
                                reason="bubblewrap is not installed (make sysdeps / apt-get install bubblewrap)")

FAST = SandboxLimits(wall_seconds=10, cpu_seconds=5, memory_bytes=512 << 20, max_processes=32,
                     max_file_bytes=1 << 20, tmp_bytes=8 << 20)


def hostile(name: str) -> str:
    return (HOSTILE / name).read_text()


class Runs:
    """Runs sandboxed code and remembers each result for the cleanliness check."""

    def __init__(self) -> None:
        self.results: list[SandboxResult] = []

    def __call__(self, code: str, **kw: Any) -> SandboxResult:
        kw.setdefault("limits", FAST)
        res = run_sandboxed(code, **kw)
        self.results.append(res)
        return res


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Runs]:
    """A runner whose sandbox temp dirs go to a private directory; afterwards the machine must be clean."""
    private = tmp_path / "sandbox-tmp"
    private.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(private))
    runs = Runs()
    before = {p.pid for p in psutil.Process().children(recursive=True)}
    yield runs
    for res in runs.results:
        assert res.pid_namespace is not None
        assert namespace_members(res.pid_namespace) == [], "processes of the sandbox survived"
    left = [p for p in psutil.Process().children(recursive=True) if p.pid not in before]
    assert not left, f"child processes left behind: {left}"
    assert list(private.iterdir()) == [], "the sandbox's temporary directory was not removed"


# --- the happy path -------------------------------------------------------------------------------

def test_benign_program_reads_inputs_and_emits_result(run: Runs) -> None:
    res = run("import optsolve_sandbox as s\nd = s.inputs()\nprint('hi')\ns.emit({'double': d['a'] * 2})\n",
              inputs={"a": 21})
    assert res.ok and res.exit_code == 0 and not res.timed_out
    assert res.result == {"double": 42}
    assert res.stdout == "hi\n"
    assert res.seconds < 10


def test_program_error_is_reported_not_raised(run: Runs) -> None:
    res = run("raise ValueError('boom')\n")
    assert res.exit_code == 1 and res.result is None
    assert "ValueError: boom" in res.stderr
    with pytest.raises(SandboxResultError):
        res.parse_result(SandboxLimits)


def test_non_json_inputs_are_rejected() -> None:
    with pytest.raises(SandboxError, match="JSON"):
        run_sandboxed("pass", inputs={"x": object()}, limits=FAST)


# --- reading host files ---------------------------------------------------------------------------

def test_cannot_read_host_secrets_home_or_repo(run: Runs, tmp_path: Path) -> None:
    canary_secret = secrets.token_hex(16)
    canary_tmp = tmp_path / "canary.txt"            # host /tmp (tmp_path lives under it)
    canary_tmp.write_text(canary_secret)
    home = Path(pwd.getpwuid(os.getuid()).pw_dir)
    canary_home = home / f".optsolve-sandbox-canary-{os.getpid()}"
    canary_home.write_text(canary_secret)
    try:
        paths = ["/etc/shadow", "/etc/passwd", "/etc/hostname", "/etc/resolv.conf", str(home),
                 str(home / ".bashrc"), str(canary_home), str(canary_tmp), str(REPO / "pyproject.toml"),
                 str(REPO / "optsolve" / "errors.py"), str(REPO), "/proc/1/root/etc/shadow"]
        res = run(hostile("read_files.py"), inputs={"paths": paths})
    finally:
        canary_home.unlink()
    report = res.result
    assert report is not None, res.stderr
    for path in paths:
        entry = report[path]
        text = entry.get("data", "")
        assert canary_secret not in text, path
        if path == "/etc/passwd":
            # a synthetic passwd with only the sandbox user, not the host's accounts
            assert entry["ok"] and "sandbox:x:65534" in text
            assert "root:" not in text
        elif path == str(home):
            assert not entry["ok"] or canary_home.name not in text
        elif path == str(REPO):
            # at most the empty skeleton leading to the read-only venv site-packages
            assert not entry["ok"] or not {"pyproject.toml", "optsolve", "tests"} & set(text.split())
        else:
            assert not entry["ok"], f"{path} was readable: {text[:200]}"


# --- network --------------------------------------------------------------------------------------

def test_no_network_not_even_the_hosts_localhost(run: Runs) -> None:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(5)
    server.settimeout(0.5)
    port = server.getsockname()[1]
    try:
        res = run(hostile("network.py"), inputs={"port": port})
        with pytest.raises(TimeoutError):
            server.accept()                     # nothing ever reached the host's listener
    finally:
        server.close()
    report = res.result
    assert report is not None, res.stderr
    for name in ("tcp_localhost", "dns", "udp_out", "tcp_out"):
        assert report[name]["ok"] is False, f"{name}: {report[name]}"
    assert set(report["interfaces"]) <= {"lo"}


# --- processes ------------------------------------------------------------------------------------

def test_process_limit_bounds_forks_and_no_child_survives(run: Runs) -> None:
    limits = FAST.model_copy(update={"max_processes": 16})
    res = run(hostile("fork_count.py"), limits=limits)
    assert res.result is not None, res.stderr
    assert res.result["children"] < 16
    assert "BlockingIOError" in (res.result["error"] or "") or "Resource" in (res.result["error"] or "")
    # the children were sleeping for 60 s: the run still ended at once and the fixture finds none of them
    assert res.seconds < 8


def test_fork_bomb_is_contained_and_killed(run: Runs) -> None:
    limits = FAST.model_copy(update={"max_processes": 16, "wall_seconds": 2.0, "cpu_seconds": 10})
    t0 = time.monotonic()
    res = run(hostile("fork_bomb.py"), limits=limits)
    assert time.monotonic() - t0 < 8
    assert res.timed_out and res.killed_by_signal == signal.SIGKILL
    assert res.result is None


def test_cannot_gain_privileges_or_signal_host_processes(run: Runs) -> None:
    victim = subprocess.Popen(["sleep", "30"])
    try:
        res = run(hostile("privileges.py"), inputs={"host_pid": victim.pid})
        time.sleep(0.1)
        assert victim.poll() is None, "the sandbox killed a host process"
    finally:
        victim.kill()
        victim.wait()
    r = res.result
    assert r is not None, res.stderr
    assert (r["uid"], r["euid"], r["gid"], r["groups"]) == (65534, 65534, 65534, [])
    assert int(r["CapEff"], 16) == 0 and int(r["CapPrm"], 16) == 0 and int(r["CapBnd"], 16) == 0
    assert r["NoNewPrivs"] == "1"
    assert r["setuid0"] != "ok"            # EPERM, or EINVAL where uid 0 is not even mapped
    assert r["unshare_user"] != "ok"
    assert r["kill_host"].startswith("ProcessLookupError")
    assert max(r["pids"]) < 10                      # a private PID namespace
    assert r["hostname"] == "sandbox"


# --- memory, CPU, wall clock ----------------------------------------------------------------------

def test_memory_bomb_hits_the_address_space_limit(run: Runs) -> None:
    limits = FAST.model_copy(update={"memory_bytes": 256 << 20})
    res = run(hostile("memory_bomb.py"), limits=limits)
    assert res.result is not None, res.stderr
    assert res.result["error"] and res.result["error"].startswith("MemoryError")
    assert res.result["mib"] < 256


def test_cpu_loop_is_stopped_by_the_cpu_limit(run: Runs) -> None:
    limits = FAST.model_copy(update={"cpu_seconds": 1, "wall_seconds": 20})
    res = run(hostile("cpu_loop.py"), limits=limits)
    assert not res.timed_out
    assert res.killed_by_signal in (signal.SIGXCPU, signal.SIGKILL)
    assert res.seconds < 10
    assert "SIGXCPU" in res.describe_failure() or "SIGKILL" in res.describe_failure()


def test_sleeper_is_killed_at_the_wall_clock_deadline(run: Runs) -> None:
    limits = FAST.model_copy(update={"wall_seconds": 1.0})
    res = run(hostile("sleep_forever.py"), limits=limits)
    assert res.timed_out and res.exit_code is None and res.killed_by_signal == signal.SIGKILL
    assert 1.0 <= res.seconds < 4


# --- file system ----------------------------------------------------------------------------------

def test_cannot_write_outside_tmp_and_file_size_is_capped(run: Runs, tmp_path: Path) -> None:
    host_dir = tmp_path / "host-visible"
    host_dir.mkdir()
    host_dir.chmod(0o777)
    targets = ["/usr/pwned", "/etc/pwned", "/pwned", "/sandbox/pwned", "/sandbox/main.py", "/dev/shm/pwned",
               "/root/pwned", str(REPO / "pwned"), str(host_dir / "pwned"), "/var/tmp/pwned",
               "/proc/sys/kernel/hostname"]
    res = run(hostile("write_outside.py"), inputs={"paths": targets})
    r = res.result
    assert r is not None, res.stderr
    for path in targets:
        assert r[path]["ok"] is False, path
    assert r["/tmp/fine.txt"]["ok"] is True
    assert r["big"]["ok"] is False and r["big"]["size"] <= FAST.max_file_bytes
    assert "File too large" in r["big"]["error"] or "No space" in r["big"]["error"]
    assert not (host_dir / "pwned").exists() and not (REPO / "pwned").exists()
    assert not Path("/usr/pwned").exists() and not Path("/root/pwned").exists()


def test_private_tmp_is_size_limited_and_not_the_hosts(run: Runs) -> None:
    marker = Path(tempfile.gettempdir()).parent / f"optsolve-host-marker-{os.getpid()}"
    res = run("import os, optsolve_sandbox as s\n"
              "n = 0\n"
              "try:\n"
              "    for i in range(100):\n"
              "        open(f'/tmp/f{i}', 'wb').write(b'x' * (512 << 10)); n += 1\n"
              "except OSError as e:\n"
              "    err = str(e)\n"
              "s.emit({'files': n, 'err': err, 'listing': os.listdir('/tmp')[:5]})\n",
              limits=FAST.model_copy(update={"tmp_bytes": 4 << 20}))
    r = res.result
    assert r is not None, res.stderr
    assert r["files"] < 9 and "No space left" in r["err"]
    assert marker.name not in r["listing"]


# --- environment ----------------------------------------------------------------------------------

def test_environment_secrets_do_not_leak(run: Runs, monkeypatch: pytest.MonkeyPatch) -> None:
    secret = "sk-" + secrets.token_hex(20)
    monkeypatch.setenv("OPTSOLVE_FAKE_API_KEY", secret)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", secret)
    res = run(hostile("env_secrets.py"))
    assert res.result is not None, res.stderr
    blob = json.dumps(res.result) + res.stdout + res.stderr
    assert secret not in blob
    env = res.result["environ"]
    assert "OPTSOLVE_FAKE_API_KEY" not in env and "AWS_SECRET_ACCESS_KEY" not in env
    assert env["HOME"] == "/tmp" and env["OMP_NUM_THREADS"] == "1"
    assert set(env) <= {"PATH", "HOME", "TMPDIR", "USER", "LOGNAME", "LANG", "PYTHONPATH", "PYTHONHASHSEED",
                        "PYTHONDONTWRITEBYTECODE", "PYTHONNOUSERSITE", "PYTHONUNBUFFERED", "OPTSOLVE_SANDBOX",
                        "OPTSOLVE_RESULT_FD", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                        "NUMEXPR_NUM_THREADS", "VECLIB_MAXIMUM_THREADS", "PWD"}


# --- output and the result channel ----------------------------------------------------------------

def test_stdout_flood_is_capped_and_killed(run: Runs) -> None:
    limits = FAST.model_copy(update={"output_bytes": 8 << 10, "output_kill_bytes": 2 << 20})
    res = run(hostile("stdout_flood.py"), limits=limits)
    assert res.output_limit_exceeded and not res.ok
    assert res.stdout_truncated and len(res.stdout) < 9000 and "bytes truncated" in res.stdout
    assert len(res.stderr) < 9000
    assert res.seconds < 8


def test_forged_result_is_a_typed_error(run: Runs) -> None:
    res = run(hostile("forge_result.py"))
    assert res.result is None and res.result_error and "not valid JSON" in res.result_error
    with pytest.raises(SandboxResultError) as info:
        res.parse_result(SandboxLimits)
    assert info.value.code == "E_SANDBOX_RESULT"


@pytest.mark.parametrize("payload", [b"[1, 2, 3]", b'{"x": NaN}', b"[" * 100_000, b'"just a string"'])
def test_odd_results_are_rejected(run: Runs, payload: bytes) -> None:
    code = f"import os\nfd = int(os.environ['OPTSOLVE_RESULT_FD'])\nos.write(fd, {payload!r})\n"
    res = run(code)
    assert res.result is None and res.result_error


def test_oversized_result_is_rejected(run: Runs) -> None:
    limits = FAST.model_copy(update={"result_bytes": 4096})
    res = run("import optsolve_sandbox as s\ns.emit({'x': 'y' * 100000})\n", limits=limits)
    assert res.result is None and "larger than the limit" in (res.result_error or "")


# --- the sandbox itself failing -------------------------------------------------------------------

def test_missing_bwrap_raises_with_install_hint(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(sb, "_BWRAP_FALLBACKS", ())
    with pytest.raises(SandboxUnavailableError) as info:
        run_sandboxed("print('never runs')", limits=FAST)
    assert "apt-get install -y bubblewrap" in (info.value.hint or "")


def test_bwrap_without_namespaces_raises_and_never_runs_unsandboxed(monkeypatch: pytest.MonkeyPatch,
                                                                      tmp_path: Path) -> None:
    fake = tmp_path / "bwrap"
    fake.write_text("#!/bin/sh\necho 'bwrap: No permissions to create new namespace' >&2\nexit 1\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}:{os.environ['PATH']}")
    witness = tmp_path / "ran-unsandboxed"
    with pytest.raises(SandboxUnavailableError) as info:
        run_sandboxed(f"open({str(witness)!r}, 'w').write('x')", limits=FAST)
    assert "namespace" in (info.value.hint or "")
    assert not witness.exists()


def test_too_old_bwrap_is_refused(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    fake = tmp_path / "bwrap"
    fake.write_text("#!/bin/sh\necho 'bubblewrap 0.6.1'\nexit 0\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}:{os.environ['PATH']}")
    with pytest.raises(SandboxUnavailableError, match="too old"):
        run_sandboxed("pass", limits=FAST)


# --- an unprivileged caller (bwrap --unshare-user, no setpriv) ------------------------------------

_UNPRIV_DRIVER = r"""
import json, sys
sys.path[:0] = [{repo!r}, {site!r}]
from optsolve.formalize.sandbox import SandboxLimits, run_sandboxed
code = sys.stdin.read()
res = run_sandboxed(code, inputs={{"host_pid": 999999}}, python="/usr/bin/python3.11", python_paths=[],
                    limits=SandboxLimits(wall_seconds=10, cpu_seconds=5, memory_bytes=512 << 20))
print(json.dumps(res.model_dump()))
"""


@pytest.mark.skipif(os.geteuid() != 0 or not os.path.exists("/usr/bin/python3.11"),
                    reason="needs root (to become an unprivileged user) and a system python3.11")
def test_unprivileged_caller_mode(tmp_path: Path) -> None:
    site = next(p for p in sys.path if p.endswith("site-packages") and "venv" in p)
    driver = _UNPRIV_DRIVER.format(repo=str(REPO), site=site)
    proc = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--",
                           "/usr/bin/python3.11", "-c", driver], input=hostile("privileges.py"),
                          capture_output=True, text=True, timeout=60,
                          env={"PATH": "/usr/bin:/bin", "HOME": "/tmp"}, cwd="/tmp")
    assert proc.returncode == 0, proc.stderr
    res = SandboxResult.model_validate(json.loads(proc.stdout.strip().splitlines()[-1]))
    assert res.result is not None, res.stderr
    r = res.result
    assert (r["uid"], r["gid"]) == (65534, 65534)
    assert int(r["CapEff"], 16) == 0 and r["unshare_user"] != "ok"
    assert r["hostname"] == "sandbox" and max(r["pids"]) < 10
    assert res.pid_namespace is not None and namespace_members(res.pid_namespace) == []


def test_concurrent_runs_do_not_interfere(run: Runs) -> None:
    out: list[SandboxResult] = []
    lock = threading.Lock()

    def one(i: int) -> None:
        r = run_sandboxed(f"import optsolve_sandbox as s\ns.emit({{'i': {i}}})\n", limits=FAST)
        with lock:
            out.append(r)
            run.results.append(r)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(r.result["i"] for r in out if r.result) == [0, 1, 2, 3]


def test_sandbox_dies_with_a_killed_host_process(tmp_path: Path) -> None:
    """--die-with-parent: SIGKILL the process that called run_sandboxed; every sandbox process goes too."""
    driver = subprocess.Popen(
        [sys.executable, "-c",
         "import sys\nfrom optsolve.formalize.sandbox import SandboxLimits, run_sandboxed\n"
         "run_sandboxed(sys.stdin.read(), limits=SandboxLimits(wall_seconds=60))\n"],
        stdin=subprocess.PIPE, cwd=str(REPO), env={**os.environ, "TMPDIR": str(tmp_path)})
    assert driver.stdin is not None
    driver.stdin.write(hostile("sleep_forever.py").encode())
    driver.stdin.close()
    members: list[psutil.Process] = []

    def command(p: psutil.Process) -> str:
        # a short-lived helper (bwrap's own children) can exit, or be a zombie, between listing and reading
        try:
            return " ".join(p.cmdline())
        except (psutil.NoSuchProcess, psutil.AccessDenied):     # ZombieProcess is a NoSuchProcess
            return ""

    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        members = psutil.Process(driver.pid).children(recursive=True)
        if any("/sandbox/_boot.py" in command(p) for p in members):
            break
        time.sleep(0.05)
    else:
        driver.kill()
        pytest.fail("the sandboxed program never started")
    driver.kill()
    driver.wait()

    def alive(p: psutil.Process) -> bool:
        try:
            return p.is_running() and p.status() != psutil.STATUS_ZOMBIE
        except psutil.NoSuchProcess:
            return False

    deadline = time.monotonic() + 5
    while any(alive(p) for p in members) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not [p for p in members if alive(p)], "sandbox processes outlived their host process"


def test_memory_across_many_processes_is_capped(run: Runs) -> None:
    """RLIMIT_AS is per process; the host also caps the sum (PSS) over the sandbox's processes."""
    limits = FAST.model_copy(update={"memory_bytes": 256 << 20, "total_memory_bytes": 384 << 20,
                                     "max_processes": 32, "wall_seconds": 20})
    res = run(hostile("memory_fork_bomb.py"), limits=limits)
    assert res.memory_limit_exceeded and not res.timed_out and not res.ok
    assert res.peak_memory_bytes is not None and res.peak_memory_bytes > limits.total_memory_bytes
    assert res.seconds < 15
    assert "memory" in res.describe_failure()


@pytest.mark.skipif(platform.machine() != "x86_64", reason="the seccomp filter is x86_64-only")
def test_seccomp_denies_kernel_interfaces_scripts_never_need(run: Runs) -> None:
    res = run(hostile("syscalls.py"))
    r = res.result
    assert r is not None, res.stderr
    assert r["getpid"]["rc"] > 0
    for name in ("ptrace_traceme", "keyctl_join", "add_key", "bpf_map_create", "perf_event_open",
                 "userfaultfd", "personality", "unshare_mount"):
        assert r[name]["rc"] == -1 and r[name]["errno"] == "Operation not permitted", (name, r[name])
    assert r["io_uring_setup"]["rc"] == -1 and r["io_uring_setup"]["errno"] == "Function not implemented"
