"""What runs inside a solver worker process: a loop over (kind, payload) messages on a pipe.

Workers are started by :mod:`optsolve.service.pool` from a forkserver that has already imported this
module (and with it the solvers), so a fresh worker costs a fork, not an interpreter start. Each message
gets exactly one reply: ``("ok", dict)`` or ``("err", error dict)`` (see :mod:`optsolve.service.errors`).
A worker never decides to stop on its own; the pool kills it when its request is cancelled or too late.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

from optsolve.service.errors import error_from_wire, error_to_wire, jsonable

#: the pipe of the task being run (progress events and LLM calls go back over it)
_CONN: Connection | None = None


def _emit(kind: str, message: str, attempt: int | None = None, data: dict[str, Any] | None = None) -> None:
    if _CONN is not None:
        _CONN.send(("progress", {"kind": kind, "message": message, "attempt": attempt,
                                 "data": jsonable(data or {})}))


class _RemoteLLM:
    """The server's one formalizer backend, seen from a worker: each completion request travels over
    the pipe to the server, which runs it on the backend it loaded once and sends the texts back."""

    def __init__(self, conn: Connection, name: str, uses_messages: bool) -> None:
        self.conn = conn
        self.name = name
        self.uses_messages = uses_messages
        self._agreement: dict[str, tuple[int, int]] = {}

    def complete(self, request: Any) -> list[str]:
        self.conn.send(("llm", {"request": request}))
        kind, (status, data) = self.conn.recv()
        if kind != "llm_reply":
            raise RuntimeError(f"unexpected message {kind!r} while waiting for the formalizer")
        if status != "ok":
            raise error_from_wire(data)
        texts = [str(t) for t in data["texts"]]
        for t, ag in zip(texts, data.get("agreement") or []):
            if ag:
                self._agreement[t] = (int(ag[0]), int(ag[1]))
        return texts

    def agreement(self, completion: str) -> tuple[int, int] | None:
        """What the server's backend said of its own candidates for ``completion``."""
        return self._agreement.get(completion)

    def close(self) -> None:
        pass


def _remote_llm(payload: dict[str, Any]) -> Any:
    from optsolve.formalize.backends.base import LLMBackend

    assert _CONN is not None
    info = payload.get("llm") or {}
    proxy = _RemoteLLM(_CONN, str(info.get("name", "remote")), bool(info.get("uses_messages", True)))
    # registered as a virtual subclass so formalize() accepts it as an LLMBackend
    LLMBackend.register(_RemoteLLM)
    return proxy


def _formalize(payload: dict[str, Any], *, solve: bool) -> dict[str, Any]:
    from optsolve.formalize import FormalizeOptions, formalize

    opts = FormalizeOptions(**payload.get("formalize_options", {}))
    stream = bool(payload.get("progress"))

    def on_event(ev: Any) -> None:
        if stream and ev.kind != "result":
            _emit(ev.kind, ev.message, ev.attempt, ev.data)

    res = formalize(payload["text"], opts, solve=solve, on_event=on_event, backend=_remote_llm(payload))
    out: dict[str, Any] = {
        "formulation": res.formulation,
        "result": res.result.to_json_dict() if res.result is not None else None,
        "attempts": [a.model_dump(mode="json") for a in res.attempts],
        "confidence": res.confidence,
        "agreement": res.agreement,
        "backend": res.backend,
        "route": res.route,
    }
    if payload.get("render") and res.formulation is not None:
        out["rendering"] = render_text(res.formulation)
    return out


def render_text(formulation: dict[str, Any]) -> str:
    """The CLI's readable rendering of a formulation, as plain text."""
    import io

    from rich.console import Console

    from optsolve.cli.render import render_formulation
    from optsolve.formulation import load_formulation

    buf = io.StringIO()
    console = Console(file=buf, width=100, no_color=True, force_terminal=False, highlight=False)
    render_formulation(load_formulation(formulation), console)
    return buf.getvalue()


#: solver threads per solve in this worker (set by the pool: CPUs / workers, so workers do not
#: oversubscribe the machine); None lets each solver choose
_THREADS: int | None = None


def _options(data: dict[str, Any]) -> Any:
    from optsolve.solvers import SolveOptions

    return SolveOptions(time_limit=data.get("time_limit"), solver=data.get("solver") or None,
                        explain=bool(data.get("explain", True)), seed=int(data.get("seed") or 0),
                        threads=_THREADS)


_ROUTES: dict[frozenset[str], str] = {}


def task_solve(payload: dict[str, Any]) -> dict[str, Any]:
    """Parse, check, ground and solve a formulation (JSON text or dict)."""
    import time

    from optsolve.formulation import compile_model, load_formulation
    from optsolve.solvers import route, solve_model

    t0 = time.perf_counter()
    stream = bool(payload.get("progress"))
    formulation = load_formulation(payload["formulation"])
    if stream:
        _emit("compiling", "checking and grounding the formulation")
    gm = compile_model(formulation)
    opts = _options(payload.get("options") or {})
    if opts.solver is None:
        # routing depends only on the model's features and on what is installed, which cannot change
        # while this process lives; remembering it saves ~2 ms of import-system lookups per small solve
        key = frozenset(gm.features)
        if key not in _ROUTES:
            _ROUTES[key] = route(gm)
        opts.solver = _ROUTES[key]
    if stream:
        _emit("solving", f"solving with {opts.solver}",
              data={"solver": opts.solver, "variables": gm.n_vars, "constraints": gm.n_constraints})
    res = solve_model(gm, opts)
    res.seconds = round(time.perf_counter() - t0, 6)
    out: dict[str, Any] = {"result": res.to_json_dict()}
    if payload.get("echo", True):
        out["formulation"] = formulation.to_json_dict()
    return out


def task_formalize(payload: dict[str, Any]) -> dict[str, Any]:
    """Text in: the formalizer's loop (LLM calls proxied to the server), solves included."""
    return _formalize(payload, solve=True)


def task_plan(payload: dict[str, Any]) -> dict[str, Any]:
    """Text in: the formulation (compile-checked), its rendering and route; nothing solved."""
    return _formalize(payload, solve=False)


def task_route(payload: dict[str, Any]) -> dict[str, Any]:
    """The backend Solve would use (compiles the model, solves nothing)."""
    from optsolve.formulation import compile_model, load_formulation
    from optsolve.solvers import route

    gm = compile_model(load_formulation(payload["formulation"]))
    return {"route": route(gm)}


def task_ping(payload: dict[str, Any]) -> dict[str, Any]:
    """For health and tests: the worker's pid, after an optional busy wait (``spin`` seconds)."""
    end = time.monotonic() + float(payload.get("spin", 0.0))
    while time.monotonic() < end:
        pass
    return {"pid": os.getpid()}


TASKS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "solve": task_solve,
    "formalize": task_formalize,
    "plan": task_plan,
    "route": task_route,
    "ping": task_ping,
}


#: imported once by the forkserver, so every forked worker starts with the solvers loaded
PRELOAD = ("optsolve.service.worker", "optsolve.formulation", "optsolve.solvers", "optsolve.formalize",
           "optsolve.cli.render")


_WARMUP = {"variables": {"x": {"domain": "nonnegative_reals"}},
           "objective": {"sense": "minimize", "expr": "x"}, "constraints": {"c": {"expr": "x >= 1"}}}


def _warm_up() -> None:
    """One tiny solve, so the first request does not pay for loading the default solver backend."""
    # a broken backend shows up as the request's own error
    with contextlib.suppress(Exception):
        task_solve({"formulation": _WARMUP, "echo": False, "options": {}})


def _exit_with_server(fd: int) -> None:
    """Exit at once when the server's end of our pipe closes (the server died, even by SIGKILL), so no
    orphaned solve keeps running. A thread polls for the peer hang-up only (POLLRDHUP), never for data,
    so it does not compete with the main thread's reads."""
    import select
    import threading

    if not hasattr(select, "poll") or not hasattr(select, "POLLRDHUP"):
        return  # elsewhere an idle worker still ends on the pipe's EOF

    def watch() -> None:
        poller = select.poll()
        poller.register(fd, select.POLLRDHUP)
        while True:
            for _fd, events in poller.poll():
                if events & (select.POLLRDHUP | select.POLLHUP | select.POLLERR | select.POLLNVAL):
                    os._exit(0)

    threading.Thread(target=watch, name="optsolve-server-watch", daemon=True).start()


def worker_main(conn: Connection, threads: int | None = None) -> None:
    """The worker loop. Ctrl-C goes to the server, which stops its workers itself."""
    global _CONN, _THREADS
    _exit_with_server(conn.fileno())
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    _THREADS = threads
    _warm_up()
    while True:
        try:
            kind, payload = conn.recv()
        except (EOFError, OSError):
            return
        _CONN = conn
        try:
            reply: tuple[str, dict[str, Any]] = ("ok", TASKS[kind](payload))
        except BaseException as exc:  # every failure becomes an error reply
            reply = ("err", error_to_wire(exc))
        finally:
            _CONN = None
        try:
            conn.send(reply)
        except (BrokenPipeError, OSError):
            return
