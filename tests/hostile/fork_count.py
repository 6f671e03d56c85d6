"""Fork children that sleep for a minute until fork fails, report how many, then exit (leaving them)."""
import os
import time

import optsolve_sandbox

children, error = 0, None
while children < 10_000:
    try:
        pid = os.fork()
    except OSError as exc:
        error = f"{type(exc).__name__}: {exc}"
        break
    if pid == 0:
        time.sleep(60)
        os._exit(0)
    children += 1
optsolve_sandbox.emit({"children": children, "error": error})
