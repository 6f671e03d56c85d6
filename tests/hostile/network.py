"""Try the network: TCP to a port the test listens on at 127.0.0.1, DNS, UDP out, list interfaces."""
import socket

import optsolve_sandbox

port = optsolve_sandbox.inputs()["port"]
report = {}


def attempt(name, fn):
    try:
        report[name] = {"ok": True, "value": repr(fn())[:300]}
    except OSError as exc:
        report[name] = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}


def tcp():
    with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
        s.sendall(b"escaped")
        return "connected"


def udp():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        return s.sendto(b"x", ("8.8.8.8", 53))


def tcp_out():
    with socket.create_connection(("1.1.1.1", 443), timeout=2):
        return "connected"


attempt("tcp_localhost", tcp)
attempt("dns", lambda: socket.getaddrinfo("pypi.org", 443))
attempt("udp_out", udp)
attempt("tcp_out", tcp_out)
report["interfaces"] = [name for _, name in socket.if_nameindex()]
optsolve_sandbox.emit(report)
