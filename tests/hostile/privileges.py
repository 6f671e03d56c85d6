"""Report who we are and try to gain privileges: setuid(0), a new user namespace, kill the host."""
import ctypes
import os
import signal

import optsolve_sandbox

report = {"uid": os.getuid(), "euid": os.geteuid(), "gid": os.getgid(), "groups": os.getgroups()}
with open("/proc/self/status") as fh:
    for line in fh:
        if line.startswith(("CapEff", "CapPrm", "CapBnd", "NoNewPrivs")):
            key, value = line.split(":", 1)
            report[key] = value.strip()
try:
    os.setuid(0)
    report["setuid0"] = "ok"
except OSError as exc:
    report["setuid0"] = f"{type(exc).__name__}: {exc}"
libc = ctypes.CDLL(None, use_errno=True)
CLONE_NEWUSER = 0x10000000
rc = libc.unshare(CLONE_NEWUSER)
report["unshare_user"] = "ok" if rc == 0 else os.strerror(ctypes.get_errno())
host_pid = optsolve_sandbox.inputs()["host_pid"]
try:
    os.kill(host_pid, signal.SIGKILL)
    report["kill_host"] = "ok"
except OSError as exc:
    report["kill_host"] = f"{type(exc).__name__}: {exc}"
report["pids"] = sorted(int(p) for p in os.listdir("/proc") if p.isdigit())
report["hostname"] = os.uname().nodename
optsolve_sandbox.emit(report)
