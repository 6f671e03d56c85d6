"""Allocate memory in 32 MiB chunks (touching it) until allocation fails; report how much it got."""
import optsolve_sandbox

chunks, error = [], None
try:
    while len(chunks) < 4096:
        chunk = bytearray(32 << 20)
        chunk[::4096] = b"x" * len(chunk[::4096])
        chunks.append(chunk)
except MemoryError as exc:
    error = f"MemoryError: {exc}"
got = len(chunks) * 32
del chunks
optsolve_sandbox.emit({"mib": got, "error": error})
