"""Try kernel interfaces an optimisation script never needs: ptrace, keyrings, io_uring, bpf, perf..."""
import ctypes
import os

import optsolve_sandbox

libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
buf = ctypes.create_string_buffer(512)
calls = {                                              # x86_64 numbers
    "ptrace_traceme": (101, 0, 0, 0, 0),               # PTRACE_TRACEME
    "keyctl_join": (250, 1, 0, 0, 0),                  # KEYCTL_JOIN_SESSION_KEYRING, anonymous
    "add_key": (248, ctypes.c_char_p(b"user"), ctypes.c_char_p(b"k"), ctypes.c_char_p(b"v"), 1, -3),
    "io_uring_setup": (425, 4, ctypes.addressof(buf)),
    "bpf_map_create": (321, 0, ctypes.addressof(buf), 72),
    "perf_event_open": (298, ctypes.addressof(buf), 0, -1, -1, 0),
    "userfaultfd": (323, 0),
    "personality": (135, 0xFFFFFFFF),
    "unshare_mount": (272, 0x00020000),                # CLONE_NEWNS
    "getpid": (39,),                                   # control: allowed
}
report = {}
for name, args in calls.items():
    ctypes.set_errno(0)
    rc = libc.syscall(*args)
    report[name] = {"rc": rc, "errno": os.strerror(ctypes.get_errno()) if rc < 0 else None}
optsolve_sandbox.emit(report)
