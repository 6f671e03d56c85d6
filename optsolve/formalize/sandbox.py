"""Run untrusted Python (LLM-written scripts) inside a bubblewrap sandbox.

The sandboxed program sees a read-only system (``/usr`` and the Python interpreter plus the allowed
``site-packages``, nothing else of the host), a private size-capped ``/tmp``, no network, its own PID,
IPC and UTS namespaces, a cleared environment, an unprivileged user, and resource limits (CPU time,
address space, processes, file size, open files). A wall-clock deadline kills the whole sandbox. The
program's result comes back as JSON over a dedicated pipe (never scraped from stdout); stdout and stderr
are captured with a size cap.

Layout of one run (``docs/sandbox.md`` has the threat model):

* as root: an outer, privileged ``bwrap`` builds the mount/net/pid/ipc/uts namespaces, ``setpriv`` drops
  to the host uid/gid 65534 with no capabilities, no supplementary groups and ``no_new_privs``, and an
  inner unprivileged ``bwrap --unshare-user --disable-userns`` forbids further user namespaces;
* as an ordinary user: one ``bwrap --unshare-user --uid 65534 --gid 65534 --disable-userns``.

Inside, a trusted boot script (``_boot.py``) sets the resource limits, signals that the sandbox is up,
and runs the untrusted ``main.py``. Nothing here ever falls back to running code unsandboxed: when
``bwrap`` is missing or cannot create namespaces, :class:`SandboxError` says how to fix the host.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import json
import os
import platform
import re
import selectors
import shutil
import signal
import site
import struct
import subprocess
import sys
import sysconfig
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field
from pydantic import ValidationError as PydanticValidationError

from optsolve.errors import SandboxError

__all__ = [
    "SANDBOX_GID",
    "SANDBOX_UID",
    "SandboxError",
    "SandboxLimits",
    "SandboxResult",
    "SandboxResultError",
    "SandboxUnavailableError",
    "bwrap_path",
    "namespace_members",
    "run_sandboxed",
]

#: the uid/gid the sandboxed program runs as (inside; as root also on the host): "nobody"
SANDBOX_UID = 65534
SANDBOX_GID = 65534

_MEMORY_SAMPLE_SECONDS = 0.1
_PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")
_BWRAP_FALLBACKS: tuple[str, ...] = ("/usr/bin/bwrap", "/usr/local/bin/bwrap")   # when PATH lacks it
_SANDBOX_DIR = "/sandbox"          # read-only: _boot.py, main.py, inputs.json, optsolve_sandbox.py
_INSTALL_HINT = ("install bubblewrap (Debian/Ubuntu: `apt-get install -y bubblewrap`, or `make sysdeps`; "
                 "Fedora: `dnf install bubblewrap`)")
_USERNS_HINT = ("bubblewrap could not create namespaces: enable unprivileged user namespaces "
                "(`sysctl -w user.max_user_namespaces=15000`; on Debian kernels also "
                "`sysctl -w kernel.unprivileged_userns_clone=1`; on Ubuntu 24.04+ "
                "`sysctl -w kernel.apparmor_restrict_unprivileged_userns=0` or an AppArmor profile for bwrap); "
                "in a container, run it with a seccomp/AppArmor profile that allows unshare/mount "
                "(e.g. `docker run --security-opt seccomp=unconfined --security-opt apparmor=unconfined`)")


class SandboxUnavailableError(SandboxError):
    """The sandbox itself cannot start (bwrap missing, namespaces disabled, setpriv missing)."""

    code = "E_SANDBOX_UNAVAILABLE"


class SandboxResultError(SandboxError):
    """The sandboxed program's result channel held no result, too much, or data that does not validate."""

    code = "E_SANDBOX_RESULT"


class SandboxLimits(BaseModel):
    """Resource limits of one sandboxed run. Every limit is enforced by the kernel or by the host side."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    wall_seconds: float = Field(default=30.0, gt=0, le=24 * 3600,
                                description="wall-clock deadline; then the whole sandbox is SIGKILLed")
    cpu_seconds: int = Field(default=30, gt=0, description="RLIMIT_CPU per process (SIGXCPU, then SIGKILL +1 s)")
    memory_bytes: int = Field(default=2 << 30, ge=64 << 20, description="RLIMIT_AS per process (address space)")
    total_memory_bytes: int = Field(default=4 << 30, ge=64 << 20,
                                    description="memory (PSS) of all sandbox processes together, sampled by the "
                                                "host every 0.1 s; above it the sandbox is killed")
    max_processes: int = Field(default=64, ge=4, description="RLIMIT_NPROC: processes + threads of the sandbox user")
    max_file_bytes: int = Field(default=16 << 20, ge=0, description="RLIMIT_FSIZE: largest file it may write")
    max_open_files: int = Field(default=256, ge=16, description="RLIMIT_NOFILE")
    tmp_bytes: int = Field(default=64 << 20, ge=1 << 20, description="size of the private tmpfs /tmp")
    output_bytes: int = Field(default=64 << 10, ge=1024, description="stdout / stderr kept (each; head and tail)")
    output_kill_bytes: int = Field(default=16 << 20, ge=1024,
                                   description="stdout+stderr streamed beyond this: the sandbox is killed")
    result_bytes: int = Field(default=4 << 20, ge=1024, description="largest JSON result accepted")
    threads: int = Field(default=1, ge=1, le=64, description="OMP/OPENBLAS/MKL thread counts exported")


M = TypeVar("M", bound=BaseModel)


class SandboxResult(BaseModel):
    """What one sandboxed run did. ``result`` is the JSON object the program emitted, or None."""

    exit_code: int | None = Field(default=None, description="exit status; None when the host killed it")
    killed_by_signal: int | None = Field(
        default=None, description="signal that ended it (host kill, or 128+N exit status reported by bwrap)")
    timed_out: bool = False
    output_limit_exceeded: bool = False
    memory_limit_exceeded: bool = False
    peak_memory_bytes: int | None = Field(default=None, description="largest sampled total PSS of the sandbox")
    result: dict[str, Any] | None = None
    result_error: str | None = Field(default=None, description="why the result channel was not usable")
    stdout: str = ""
    stderr: str = ""
    stdout_truncated: bool = False
    stderr_truncated: bool = False
    seconds: float = 0.0
    pid_namespace: int | None = Field(default=None, description="inode of the sandbox's PID namespace")

    @property
    def ok(self) -> bool:
        return (self.exit_code == 0 and not self.timed_out and not self.output_limit_exceeded
                and not self.memory_limit_exceeded)

    def describe_failure(self) -> str:
        """One line on how the run ended, for error messages fed back to the formalizer."""
        if self.timed_out:
            return "killed: wall-clock limit exceeded"
        if self.output_limit_exceeded:
            return "killed: too much output on stdout/stderr"
        if self.memory_limit_exceeded:
            return "killed: the sandbox's processes together used more memory than allowed"
        if self.killed_by_signal is not None:
            name = _signal_name(self.killed_by_signal)
            extra = {"SIGXCPU": " (CPU time limit)", "SIGKILL": " (a hard limit, e.g. CPU time)",
                     "SIGSEGV": " (crash; often the memory limit)"}.get(name, "")
            return f"killed by {name}{extra}"
        if self.exit_code not in (0, None):
            return f"exited with status {self.exit_code}"
        return "exited normally"

    def stderr_tail(self, n_chars: int = 2000) -> str:
        return self.stderr[-n_chars:]

    def parse_result(self, model: type[M]) -> M:
        """The result validated by ``model``; :class:`SandboxResultError` if absent or invalid."""
        if self.result is None:
            raise SandboxResultError(
                f"the sandboxed program returned no result ({self.result_error or self.describe_failure()})",
                hint="the script must finish normally; see its stderr",
                details={"stderr_tail": self.stderr_tail()})
        try:
            return model.model_validate(self.result)
        except PydanticValidationError as exc:
            raise SandboxResultError(
                f"the sandboxed program's result does not validate: {_short_errors(exc)}",
                hint="do not write to the result channel yourself; let the harness report",
            ) from None


# --- host-side helpers ----------------------------------------------------------------------------

def bwrap_path() -> str:
    """The bwrap executable, or :class:`SandboxUnavailableError` saying how to install it."""
    path = shutil.which("bwrap") or next((p for p in _BWRAP_FALLBACKS if os.access(p, os.X_OK)), None)
    if path is None:
        raise SandboxUnavailableError("bubblewrap (bwrap) is not installed; code mode needs it",
                                      hint=_INSTALL_HINT)
    return path


#: --disable-userns and --size (tmpfs size) arrived in bubblewrap 0.8.0
MIN_BWRAP_VERSION = (0, 8, 0)


@functools.lru_cache(maxsize=8)
def _bwrap_version(path: str) -> tuple[int, ...] | None:
    try:
        out = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=10,
                             env={"PATH": "/usr/bin:/bin"}).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    m = re.search(r"(\d+)\.(\d+)(?:\.(\d+))?", out)
    return tuple(int(x or 0) for x in m.groups()) if m else None


def _checked_bwrap() -> str:
    path = bwrap_path()
    version = _bwrap_version(path)
    if version is not None and version < MIN_BWRAP_VERSION:
        have = ".".join(map(str, version))
        raise SandboxUnavailableError(
            f"bubblewrap {have} at {path} is too old; the sandbox needs {'.'.join(map(str, MIN_BWRAP_VERSION))} "
            "or newer (--disable-userns, --size)",
            hint="upgrade bubblewrap (Debian 12 / Ubuntu 24.04 packages are new enough)")
    return path


def _setpriv_path() -> str:
    path = shutil.which("setpriv") or ("/usr/bin/setpriv" if os.access("/usr/bin/setpriv", os.X_OK) else None)
    if path is None:
        raise SandboxUnavailableError(
            "setpriv (util-linux) is needed to drop root privileges inside the sandbox",
            hint="install util-linux (`apt-get install -y util-linux`), or run optsolve as a non-root user")
    return path


def _signal_name(num: int) -> str:
    try:
        return signal.Signals(num).name
    except ValueError:
        return f"signal {num}"


def _short_errors(exc: PydanticValidationError, limit: int = 3) -> str:
    parts = []
    for err in exc.errors()[:limit]:
        loc = ".".join(str(x) for x in err.get("loc", ())) or "<root>"
        parts.append(f"{loc}: {err.get('msg')}")
    more = exc.error_count() - limit
    return "; ".join(parts) + (f" (+{more} more)" if more > 0 else "")


def _default_python_paths() -> list[str]:
    """The site-packages of the running interpreter (venv first): what the sandbox may import from."""
    paths: list[str] = []
    for p in [*site.getsitepackages(), sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]]:
        rp = os.path.realpath(p)
        if os.path.isdir(rp) and rp not in paths:
            paths.append(rp)
    return paths


def _python_prefix(python: str) -> str:
    """Directory tree that holds the interpreter and its stdlib (bound read-only)."""
    real = os.path.realpath(python)
    if os.path.realpath(sys.executable) == real:
        return os.path.realpath(sys.base_prefix)
    # an interpreter given explicitly: <prefix>/bin/pythonX.Y
    return str(Path(real).parent.parent)


class _Capture:
    """Keeps the head and the tail of a stream, counting every byte."""

    def __init__(self, cap: int) -> None:
        self.half = max(cap // 2, 1)
        self.head = bytearray()
        self.tail = bytearray()
        self.total = 0

    def feed(self, data: bytes) -> None:
        self.total += len(data)
        room = self.half - len(self.head)
        if room > 0:
            self.head += data[:room]
            data = data[room:]
        if data:
            self.tail += data
            if len(self.tail) > self.half:
                del self.tail[: len(self.tail) - self.half]

    @property
    def truncated(self) -> bool:
        return self.total > len(self.head) + len(self.tail)

    def text(self) -> str:
        if not self.truncated:
            return (bytes(self.head) + bytes(self.tail)).decode("utf-8", "replace")
        dropped = self.total - len(self.head) - len(self.tail)
        return (bytes(self.head).decode("utf-8", "replace")
                + f"\n[... {dropped} bytes truncated by the sandbox ...]\n"
                + bytes(self.tail).decode("utf-8", "replace"))


# The trusted boot script: runs first inside the sandbox, sets the limits, then runs main.py.
_BOOT_SOURCE = r'''
import json, os, resource, sys
with open("/sandbox/boot.json", encoding="utf-8") as fh:
    cfg = json.load(fh)
ctl = int(os.environ.pop("OPTSOLVE_CONTROL_FD"))
low = 3
for keep in sorted((ctl, int(os.environ["OPTSOLVE_RESULT_FD"]))):
    os.closerange(low, keep)            # nothing inherited but stdio, the control and the result pipes
    low = keep + 1
os.closerange(low, 1 << 16)
for name, (soft, hard) in cfg["rlimits"]:
    resource.setrlimit(getattr(resource, name), (soft, hard))
os.umask(0o077)
os.write(ctl, b"R")                     # the limits hold: from here on, failures are the program's
os.close(ctl)
del ctl, low, keep, cfg, fh, name, soft, hard
sys.argv = ["/sandbox/main.py"]
import runpy
runpy.run_path("/sandbox/main.py", run_name="__main__")
'''

# Helper module importable by the sandboxed program.
_HELPER_SOURCE = r'''
"""Inside the optsolve sandbox: read the inputs, emit the one JSON result."""
import json, os

_sent = False


def inputs():
    """The ``inputs`` dict given to run_sandboxed (or {})."""
    with open("/sandbox/inputs.json", encoding="utf-8") as fh:
        return json.load(fh)


def emit(obj):
    """Send the result (a JSON-serialisable dict) to the host. Only once."""
    global _sent
    if _sent:
        raise RuntimeError("emit() was already called")
    data = json.dumps(obj, allow_nan=False).encode("utf-8")
    fd = int(os.environ["OPTSOLVE_RESULT_FD"])
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        view = view[n:]
    os.close(fd)
    _sent = True
'''


def _rlimits(limits: SandboxLimits) -> list[tuple[str, tuple[int, int]]]:
    return [
        ("RLIMIT_CORE", (0, 0)),
        ("RLIMIT_CPU", (limits.cpu_seconds, limits.cpu_seconds + 1)),
        ("RLIMIT_AS", (limits.memory_bytes, limits.memory_bytes)),
        ("RLIMIT_FSIZE", (limits.max_file_bytes, limits.max_file_bytes)),
        ("RLIMIT_NOFILE", (limits.max_open_files, limits.max_open_files)),
        ("RLIMIT_NPROC", (limits.max_processes, limits.max_processes)),
    ]


@dataclass
class _Mounts:
    """bwrap mount arguments, creating world-traversable parents for binds below private host dirs."""

    args: list[str] = field(default_factory=list)
    made: set[str] = field(default_factory=lambda: {"/"})
    bound: list[str] = field(default_factory=list)

    def covered(self, dest: str) -> bool:
        return any(dest == b or dest.startswith(b.rstrip("/") + "/") for b in self.bound)

    def parents(self, dest: str) -> None:
        for parent in reversed(Path(dest).parents):
            p = str(parent)
            if p in self.made or self.covered(p):
                continue
            # the host's mode (e.g. /root is 0700) would be copied otherwise, hiding the bind from uid 65534
            self.args += ["--perms", "0755", "--dir", p]
            self.made.add(p)

    def ro_bind(self, src: str, dest: str | None = None) -> None:
        dest = dest or src
        if self.covered(dest):
            return
        self.parents(dest)
        self.args += ["--ro-bind", src, dest]
        self.bound.append(dest)
        self.made.add(dest)

    def system(self) -> None:
        """/usr read-only and the merged-/usr symlinks (or binds) of /bin, /lib*, /sbin."""
        self.ro_bind("/usr")
        for name in ("bin", "sbin", "lib", "lib32", "lib64", "libx32"):
            host = f"/{name}"
            if os.path.islink(host):
                self.args += ["--symlink", os.readlink(host), host]
                self.made.add(host)
            elif os.path.isdir(host):
                self.ro_bind(host)


# --- seccomp: system calls no optimisation script needs, denied in the sandbox (x86_64) -------------

_AUDIT_ARCH_X86_64 = 0xC000003E
_X32_SYSCALL_BIT = 0x40000000
# x86_64 numbers (arch/x86/entry/syscalls/syscall_64.tbl)
_DENY_EPERM_X86_64: dict[str, int] = {
    "ptrace": 101, "syslog": 103, "personality": 135, "pivot_root": 155, "chroot": 161, "acct": 163,
    "mount": 165, "umount2": 166, "swapon": 167, "swapoff": 168, "reboot": 169, "sethostname": 170,
    "setdomainname": 171, "init_module": 175, "delete_module": 176, "quotactl": 179, "lookup_dcookie": 212,
    "kexec_load": 246, "add_key": 248, "request_key": 249, "keyctl": 250, "unshare": 272,
    "perf_event_open": 298, "fanotify_init": 300, "name_to_handle_at": 303, "open_by_handle_at": 304,
    "setns": 308, "process_vm_readv": 310, "process_vm_writev": 311, "finit_module": 313,
    "kexec_file_load": 320, "bpf": 321, "userfaultfd": 323, "open_tree": 428, "move_mount": 429,
    "fsopen": 430, "fsconfig": 431, "fsmount": 432, "fspick": 433, "mount_setattr": 442,
}
# "not implemented" lets libraries fall back to ordinary I/O
_DENY_ENOSYS_X86_64: dict[str, int] = {"io_uring_setup": 425, "io_uring_enter": 426, "io_uring_register": 427}


def seccomp_program() -> bytes | None:
    """A classic-BPF seccomp filter for bwrap --seccomp, or None on machines other than x86_64.

    Other architectures' system calls (i386 via int 0x80, x32) kill the process; the listed calls fail with
    EPERM (io_uring with ENOSYS); everything else is allowed.
    """
    if platform.machine() != "x86_64" or sys.byteorder != "little":
        return None
    ld_abs, jeq, jge, ret = 0x20, 0x15, 0x35, 0x06
    allow, kill = 0x7FFF0000, 0x80000000
    errno_ret = 0x00050000

    def ins(code: int, jt: int, jf: int, k: int) -> bytes:
        return struct.pack("=HBBI", code, jt, jf, k)

    prog = [ins(ld_abs, 0, 0, 4),                          # A = seccomp_data.arch
            ins(jeq, 1, 0, _AUDIT_ARCH_X86_64),
            ins(ret, 0, 0, kill),
            ins(ld_abs, 0, 0, 0),                          # A = seccomp_data.nr
            ins(jge, 0, 1, _X32_SYSCALL_BIT),
            ins(ret, 0, 0, kill)]
    for table, err in ((_DENY_EPERM_X86_64, errno.EPERM), (_DENY_ENOSYS_X86_64, errno.ENOSYS)):
        for nr in sorted(table.values()):
            prog += [ins(jeq, 0, 1, nr), ins(ret, 0, 0, errno_ret | err)]
    prog.append(ins(ret, 0, 0, allow))
    return b"".join(prog)


def _write(path: Path, text: str, mode: int = 0o644) -> None:
    path.write_text(text, encoding="utf-8")
    path.chmod(mode)


def _build_command(*, tmp: Path, limits: SandboxLimits, python: str, python_paths: Sequence[str],
                   extra_ro_binds: Sequence[str], fds: dict[str, int], seccomp_fd: int | None) -> list[str]:
    bwrap = _checked_bwrap()
    as_root = os.geteuid() == 0
    mounts = _Mounts()
    mounts.system()
    mounts.args += ["--proc", "/proc", "--dev", "/dev",
                    "--perms", "1777", "--size", str(limits.tmp_bytes), "--tmpfs", "/tmp"]
    mounts.made.update({"/proc", "/dev", "/tmp"})
    prefix = _python_prefix(python)
    mounts.ro_bind(prefix)
    if not os.path.realpath(python).startswith(prefix.rstrip("/") + "/"):
        mounts.ro_bind(os.path.realpath(python))       # e.g. a venv made with --copies
    for p in [*python_paths, *extra_ro_binds]:
        mounts.ro_bind(os.path.realpath(p))
    mounts.ro_bind(str(tmp / "sandbox"), _SANDBOX_DIR)
    # a minimal /etc: just enough for getpass/pwd lookups; never the host's passwd, shadow or resolv.conf
    mounts.parents("/etc/passwd")
    mounts.ro_bind(str(tmp / "etc" / "passwd"), "/etc/passwd")
    mounts.ro_bind(str(tmp / "etc" / "group"), "/etc/group")
    mounts.args += ["--remount-ro", "/"]

    env = {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": "/tmp",
        "TMPDIR": "/tmp",
        "USER": "sandbox",
        "LOGNAME": "sandbox",
        "LANG": "C.UTF-8",
        "PYTHONPATH": ":".join([_SANDBOX_DIR, *[os.path.realpath(p) for p in python_paths]]),
        "PYTHONHASHSEED": "0",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONNOUSERSITE": "1",
        "PYTHONUNBUFFERED": "1",
        "OPTSOLVE_SANDBOX": "1",
        "OPTSOLVE_RESULT_FD": str(fds["result"]),
        "OPTSOLVE_CONTROL_FD": str(fds["control"]),
    }
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS",
                "VECLIB_MAXIMUM_THREADS"):
        env[var] = str(limits.threads)
    setenv: list[str] = []
    for k, v in env.items():
        setenv += ["--setenv", k, v]

    common_ns = ["--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try",
                 "--hostname", "sandbox", "--die-with-parent", "--new-session", "--clearenv", *setenv]
    py_cmd = [os.path.realpath(python), "-s", "-B", f"{_SANDBOX_DIR}/_boot.py"]
    # the filter goes on the bwrap that execs Python (the inner one as root: the outer still mounts)
    seccomp = ["--seccomp", str(seccomp_fd)] if seccomp_fd is not None else []
    if as_root:
        # Outer bwrap runs privileged (as root it needs no user namespace); then drop to the real,
        # unprivileged host uid 65534 and let an unprivileged inner bwrap forbid new user namespaces.
        inner = [bwrap, "--unshare-user", "--uid", str(SANDBOX_UID), "--gid", str(SANDBOX_GID),
                 "--disable-userns", "--dev-bind", "/", "/", "--die-with-parent", *seccomp, "--chdir", "/tmp", "--"]
        drop = [_setpriv_path(), f"--reuid={SANDBOX_UID}", f"--regid={SANDBOX_GID}", "--clear-groups",
                "--no-new-privs", "--inh-caps=-all", "--bounding-set=-all", "--"]
        return [bwrap, "--info-fd", str(fds["info"]), *common_ns, *mounts.args, "--chdir", "/tmp", "--",
                *drop, *inner, *py_cmd]
    return [bwrap, "--info-fd", str(fds["info"]), "--unshare-user", "--uid", str(SANDBOX_UID),
            "--gid", str(SANDBOX_GID), "--disable-userns", *common_ns, *mounts.args, *seccomp, "--chdir", "/tmp",
            "--", *py_cmd]


def _prepare_dir(code: str, inputs: dict[str, Any] | None, limits: SandboxLimits) -> Path:
    tmp = Path(tempfile.mkdtemp(prefix="optsolve-sandbox-"))   # 0700: other host users cannot look in
    try:
        sbx = tmp / "sandbox"
        etc = tmp / "etc"
        sbx.mkdir(mode=0o755)
        etc.mkdir(mode=0o755)
        sbx.chmod(0o755)
        etc.chmod(0o755)
        _write(sbx / "_boot.py", _BOOT_SOURCE)
        _write(sbx / "boot.json", json.dumps({"rlimits": _rlimits(limits)}))
        _write(sbx / "optsolve_sandbox.py", _HELPER_SOURCE)
        try:
            _write(sbx / "main.py", code)
        except UnicodeEncodeError as exc:
            raise SandboxError(f"the program is not valid Unicode text: {exc}",
                               hint="send UTF-8 text without lone surrogates") from None
        try:
            text = json.dumps(inputs or {}, allow_nan=False)
        except (TypeError, ValueError) as exc:
            raise SandboxError(f"sandbox inputs are not JSON-serialisable: {exc}",
                               hint="pass plain dicts, lists, strings, numbers, booleans and None") from None
        _write(sbx / "inputs.json", text)
        _write(etc / "passwd", f"sandbox:x:{SANDBOX_UID}:{SANDBOX_GID}:optsolve sandbox:/tmp:/usr/sbin/nologin\n")
        _write(etc / "group", f"sandbox:x:{SANDBOX_GID}:\n")
    except BaseException:
        _remove_tree(tmp)
        raise
    return tmp


def _remove_tree(path: Path) -> None:
    def fix(func: Any, p: str, _exc: Any) -> None:
        with contextlib.suppress(OSError):
            os.chmod(os.path.dirname(p), 0o700)
            os.chmod(p, 0o700)
            func(p)

    shutil.rmtree(path, onerror=fix)  # 3.11: onerror (onexc is 3.12+)


class _Pipes:
    """Named pipes (read end, write end) that are each closed exactly once (fd numbers get reused by
    other threads, so a double close could close someone else's file)."""

    def __init__(self, names: Sequence[str]) -> None:
        self.read: dict[str, int] = {}
        self.write: dict[str, int] = {}
        self._open: set[int] = set()
        self.child_only: list[int] = []          # read ends handed to the child (preloaded pipes)
        try:
            for n in names:
                r, w = os.pipe()
                self.read[n], self.write[n] = r, w
                self._open.update((r, w))
        except BaseException:
            self.close_all()
            raise

    def preload(self, data: bytes) -> int:
        """A pipe already holding ``data`` (and EOF): its read end is for the child, as --seccomp wants."""
        r, w = os.pipe()
        self._open.update((r, w))
        try:
            view = memoryview(data)
            while view:                           # a BPF program is far below the pipe buffer size
                view = view[os.write(w, view):]
        finally:
            self.close(w)
        self.child_only.append(r)
        return r

    def close(self, fd: int) -> None:
        if fd in self._open:
            self._open.discard(fd)
            os.close(fd)

    def close_child_ends(self) -> None:
        for fd in [*self.write.values(), *self.child_only]:
            self.close(fd)

    def close_all(self) -> None:
        for fd in list(self._open):
            with contextlib.suppress(OSError):
                self.close(fd)

    def __enter__(self) -> _Pipes:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close_all()


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    # bwrap leads its own session/process group; the sandboxed processes live in its PID namespace and
    # die with it (--die-with-parent, namespace init exit).
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)


def run_sandboxed(code: str, *, inputs: dict[str, Any] | None = None, limits: SandboxLimits | None = None,
                  python: str | None = None, python_paths: Sequence[str] | None = None,
                  extra_ro_binds: Sequence[str] = ()) -> SandboxResult:
    """Run ``code`` (a Python program) in the sandbox and report what happened.

    The program can ``import optsolve_sandbox`` to read ``inputs`` (``optsolve_sandbox.inputs()``) and to
    send its one JSON object result (``optsolve_sandbox.emit(dict)``). ``python`` defaults to the running
    interpreter and ``python_paths`` to its site-packages; both are bound read-only, as is each path of
    ``extra_ro_binds``. Failures of the program are reported in the result; :class:`SandboxError` is raised
    only when the sandbox itself cannot run.
    """
    limits = limits or SandboxLimits()
    python = python or sys.executable
    paths = list(_default_python_paths() if python_paths is None else python_paths)
    tmp = _prepare_dir(code, inputs, limits)
    try:
        with _Pipes(("stdout", "stderr", "result", "control", "info")) as pipes:
            program = seccomp_program()
            seccomp_fd = pipes.preload(program) if program is not None else None
            cmd = _build_command(tmp=tmp, limits=limits, python=python, python_paths=paths,
                                 extra_ro_binds=extra_ro_binds, fds=pipes.write, seccomp_fd=seccomp_fd)
            return _execute(cmd, pipes, limits)
    finally:
        _remove_tree(tmp)


def _execute(cmd: list[str], pipes: _Pipes, limits: SandboxLimits) -> SandboxResult:
    start = time.monotonic()
    try:
        proc = subprocess.Popen(
            cmd, stdin=subprocess.DEVNULL, stdout=pipes.write["stdout"], stderr=pipes.write["stderr"],
            pass_fds=(pipes.write["result"], pipes.write["control"], pipes.write["info"], *pipes.child_only),
            env={"PATH": "/usr/bin:/bin"}, start_new_session=True, close_fds=True)
    except OSError as exc:
        raise SandboxUnavailableError(f"cannot start bubblewrap: {exc}", hint=_INSTALL_HINT) from None
    # only the child holds the write ends now: EOF on every pipe means the whole sandbox is gone
    pipes.close_child_ends()
    caps = {"stdout": _Capture(limits.output_bytes), "stderr": _Capture(limits.output_bytes)}
    result_buf = bytearray()
    result_overflow = False
    control = bytearray()
    info = bytearray()
    timed_out = output_killed = memory_killed = False
    pid_ns: int | None = None
    peak_memory = 0
    next_sample = start
    sel = selectors.DefaultSelector()
    try:
        for name in ("stdout", "stderr", "result", "control", "info"):
            sel.register(pipes.read[name], selectors.EVENT_READ, name)
        deadline = start + limits.wall_seconds
        exited_at: float | None = None
        while sel.get_map():
            now = time.monotonic()
            if now >= deadline:
                timed_out = True
                break
            if exited_at is None and proc.poll() is not None:
                exited_at = now
            if exited_at is not None and now - exited_at > 2.0:
                break       # bwrap is gone; nothing in its namespace can still hold a pipe open
            if pid_ns is None and info.rstrip().endswith(b"}"):
                pid_ns = _parse_pid_ns(bytes(info))
            if pid_ns is not None and now >= next_sample and exited_at is None:
                next_sample = now + _MEMORY_SAMPLE_SECONDS
                used = _namespace_memory(pid_ns)
                peak_memory = max(peak_memory, used)
                if used > limits.total_memory_bytes:
                    memory_killed = True
                    break
            for key, _ in sel.select(timeout=min(_MEMORY_SAMPLE_SECONDS, deadline - now)):
                name = key.data
                try:
                    data = os.read(key.fd, 65536)
                except OSError:
                    data = b""
                if not data:
                    sel.unregister(key.fd)
                    continue
                if name in caps:
                    caps[name].feed(data)
                    if caps["stdout"].total + caps["stderr"].total > limits.output_kill_bytes:
                        output_killed = True
                elif name == "result":
                    if len(result_buf) + len(data) > limits.result_bytes:
                        result_overflow = True    # the sandbox is killed below: its writer would block
                    else:
                        result_buf += data
                elif name == "control":
                    if len(control) < 16:
                        control += data[:16]
                elif len(info) < 65536:
                    info += data[:65536]
            if output_killed or result_overflow:
                break
    finally:
        sel.close()
        if proc.poll() is None:
            _kill_group(proc)
        returncode = proc.wait()
    seconds = time.monotonic() - start

    err_text = caps["stderr"].text()
    if not control and not timed_out and not output_killed and not memory_killed:
        # the trusted boot script never ran: the failure is the sandbox's, not the program's
        raise _startup_error(err_text, returncode)

    if pid_ns is None:
        pid_ns = _parse_pid_ns(bytes(info))
    exit_code: int | None
    killed: int | None = None
    if returncode < 0:
        exit_code, killed = None, -returncode
    else:
        exit_code = returncode
        if 128 < returncode <= 128 + 64:     # bwrap reports a child killed by signal N as 128+N
            killed = returncode - 128
    if pid_ns is not None:
        _await_namespace_exit(pid_ns)
    result, result_error = _decode_result(bytes(result_buf), result_overflow, limits)
    return SandboxResult(
        exit_code=exit_code, killed_by_signal=killed, timed_out=timed_out, output_limit_exceeded=output_killed,
        memory_limit_exceeded=memory_killed, peak_memory_bytes=peak_memory or None,
        result=result, result_error=result_error,
        stdout=caps["stdout"].text(), stderr=err_text,
        stdout_truncated=caps["stdout"].truncated, stderr_truncated=caps["stderr"].truncated,
        seconds=round(seconds, 4), pid_namespace=pid_ns)


def _parse_pid_ns(info: bytes) -> int | None:
    """The PID namespace inode from bwrap's --info-fd JSON (None until it is complete)."""
    try:
        return int(json.loads(info.decode("utf-8", "replace"))["pid-namespace"])
    except (ValueError, TypeError, KeyError, AttributeError):
        return None


def _process_memory(pid: int) -> int:
    """Proportional set size of a process in bytes (shared pages split between sharers); RSS as fallback."""
    try:
        with open(f"/proc/{pid}/smaps_rollup", "rb") as fh:
            for line in fh:
                if line.startswith(b"Pss:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        with open(f"/proc/{pid}/statm", "rb") as fh:
            return int(fh.read().split()[1]) * _PAGE_SIZE
    except (OSError, ValueError, IndexError):
        return 0


def _namespace_memory(pid_namespace: int) -> int:
    return sum(_process_memory(pid) for pid in namespace_members(pid_namespace))


def namespace_members(pid_namespace: int) -> list[int]:
    """Host PIDs of the live processes (zombies excluded) still in the PID namespace with this inode."""
    target = f"pid:[{pid_namespace}]"
    found = []
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                if os.readlink(f"/proc/{entry.name}/ns/pid") != target:
                    continue
                with open(f"/proc/{entry.name}/stat", "rb") as fh:
                    state = fh.read().rsplit(b")", 1)[1].split()[0]
            except (OSError, IndexError):
                continue
            if state not in (b"Z", b"X"):     # a zombie is dead; its reaping is its new parent's business
                found.append(int(entry.name))
    return found


def _await_namespace_exit(pid_namespace: int, grace: float = 3.0) -> None:
    """Wait until the kernel has torn the sandbox's PID namespace down (its init died with bwrap).

    Nothing is killed here by PID: once the namespace is gone its inode number can be reused by another
    sandbox, so the kernel's own teardown (every member gets SIGKILL when the namespace init exits) is
    what we rely on, and this only makes "nothing left running" hold when run_sandboxed returns.
    """
    deadline = time.monotonic() + grace
    while namespace_members(pid_namespace) and time.monotonic() < deadline:
        time.sleep(0.01)


def _startup_error(stderr: str, returncode: int) -> SandboxUnavailableError:
    first = next((ln for ln in stderr.splitlines() if ln.strip()), "").strip()
    msg = f"the sandbox could not start (bwrap exit status {returncode}): {first or 'no diagnostic'}"
    lowered = stderr.lower()
    if any(s in lowered for s in ("namespace", "operation not permitted", "no space left", "uid map",
                                  "setting up uid", "permission denied")):
        hint = _USERNS_HINT
    elif "no such file" in lowered or "can't find" in lowered:
        hint = "a path the sandbox binds is missing; check the Python interpreter and its site-packages"
    else:
        hint = _USERNS_HINT
    return SandboxUnavailableError(msg, hint=hint, details={"stderr": stderr[-2000:]})


class _ResultEnvelope(BaseModel):
    """The result channel carries exactly one JSON object."""

    model_config = ConfigDict(extra="allow")


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _decode_result(raw: bytes, overflow: bool, limits: SandboxLimits) -> tuple[dict[str, Any] | None, str | None]:
    if overflow:
        return None, f"result larger than the limit of {limits.result_bytes} bytes"
    if not raw:
        return None, "no result was emitted"
    try:
        value = json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        return None, f"result is not valid JSON ({type(exc).__name__}: {exc})"[:500]
    if not isinstance(value, dict):
        return None, f"result must be a JSON object, got {type(value).__name__}"
    try:
        env = _ResultEnvelope.model_validate(value)
    except PydanticValidationError as exc:
        return None, f"result does not validate: {_short_errors(exc)}"
    return env.model_dump(), None

