"""Try to read host secrets: /etc/shadow, /etc/passwd, the user's home, the repository, host /tmp."""
import os

import optsolve_sandbox

report = {}
for path in optsolve_sandbox.inputs()["paths"]:
    try:
        if os.path.isdir(path):
            report[path] = {"ok": True, "data": " ".join(sorted(os.listdir(path)))[:2000]}
        else:
            with open(path, "rb") as fh:
                report[path] = {"ok": True, "data": fh.read(4000).decode("utf-8", "replace")}
    except OSError as exc:
        report[path] = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
optsolve_sandbox.emit(report)
