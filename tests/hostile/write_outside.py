"""Try to write everywhere outside /tmp, then write in /tmp, then a file over the size limit."""
import os

import optsolve_sandbox

report = {}
for path in optsolve_sandbox.inputs()["paths"]:
    try:
        with open(path, "w") as fh:
            fh.write("pwned")
        report[path] = {"ok": True}
    except OSError as exc:
        report[path] = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
try:
    with open("/tmp/fine.txt", "w") as fh:
        fh.write("allowed")
    report["/tmp/fine.txt"] = {"ok": True}
except OSError as exc:
    report["/tmp/fine.txt"] = {"ok": False, "error": str(exc)}
try:
    with open("/tmp/big.bin", "wb") as fh:
        for _ in range(1024):
            fh.write(b"\0" * (1 << 20))
    report["big"] = {"ok": True, "size": os.path.getsize("/tmp/big.bin")}
except OSError as exc:
    report["big"] = {"ok": False, "error": f"{type(exc).__name__}: {exc}",
                     "size": os.path.getsize("/tmp/big.bin")}
optsolve_sandbox.emit(report)
