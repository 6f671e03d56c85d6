"""A bounded pool of solver worker processes that the server manages itself, so it can kill one.

``concurrent.futures.ProcessPoolExecutor`` cannot stop a running task, so the pool is ours: ``size``
processes forked from a forkserver that preloaded the solvers, each with a private pipe. A request takes
an idle worker (waiting in FIFO order when all are busy), sends one message and awaits the reply on the
event loop (``add_reader`` on the pipe, no thread per request). When the awaiting task is cancelled (the
client cancelled or disconnected, its deadline passed) or the hard timeout fires, the worker is killed
with SIGKILL at once and a fresh one is forked in the background: a long or runaway solve never holds a
slot after nobody wants its answer, and no other request waits on it.

A worker that dies on its own (a native crash, the OOM killer) is noticed as EOF on its pipe and also
replaced. Workers are recycled after ``max_tasks`` tasks to bound any slow leak in native solver code.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing as mp
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any

from optsolve.service.errors import (
    DeadlineError,
    ServiceError,
    WorkerCrashedError,
    error_from_wire,
    error_to_wire,
)
from optsolve.service.worker import PRELOAD, worker_main

log = logging.getLogger("optsolve.service.pool")

#: called with each progress event a worker sends while running a task
ProgressSink = Callable[[dict[str, Any]], None]
#: runs one LLM completion request for a worker (on the server's formalizer) and returns the texts
# the server's formalizer backend, called for a worker: ``{"texts": [...], "agreement": [...]}`` (one
# ``[votes, drawn]`` or None per text: see LLMBackend.agreement)
LLMCall = Callable[[Any], Awaitable[dict[str, Any]]]


@dataclass(eq=False)
class _Worker:
    proc: BaseProcess
    conn: Connection
    tasks: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def pid(self) -> int:
        return int(self.proc.pid or 0)


class PoolClosedError(ServiceError):
    """The pool is shutting down."""

    code = "E_SHUTTING_DOWN"


class WorkerPool:
    """``size`` solver processes; :meth:`run` sends one task to an idle one and awaits its reply."""

    def __init__(self, size: int, *, max_tasks: int = 1000, start_method: str = "forkserver",
                 solver_threads: int | None = None) -> None:
        if size < 1:
            raise ValueError("a worker pool needs at least one process")
        self.size = size
        self.max_tasks = max_tasks
        self.solver_threads = solver_threads
        self._ctx = mp.get_context(start_method)
        if start_method == "forkserver":
            self._ctx.set_forkserver_preload(list(PRELOAD))
        self._idle: asyncio.Queue[_Worker] | None = None
        self._busy: dict[int, _Worker] = {}
        self._all: dict[int, _Worker] = {}
        self._bg: set[asyncio.Task[None]] = set()
        self._closed = False
        self.stats: dict[str, int] = {"started": 0, "killed": 0, "crashed": 0, "recycled": 0, "tasks": 0}

    # --- lifecycle ------------------------------------------------------------------------------

    def _spawn(self) -> _Worker:
        """Start one worker (blocking: call it in a thread from the event loop)."""
        parent, child = self._ctx.Pipe(duplex=True)
        proc = self._ctx.Process(  # type: ignore[attr-defined]
            target=worker_main, args=(child, self.solver_threads), daemon=True, name="optsolve-worker")
        proc.start()
        child.close()
        self.stats["started"] += 1
        return _Worker(proc, parent)

    async def start(self) -> None:
        self._idle = asyncio.Queue()
        workers = await asyncio.to_thread(lambda: [self._spawn() for _ in range(self.size)])
        for w in workers:
            self._all[w.pid] = w
            self._idle.put_nowait(w)

    async def close(self, timeout: float = 2.0) -> None:
        """Stop every worker: idle ones are asked to exit (EOF), the rest are killed."""
        self._closed = True
        for task in list(self._bg):
            with contextlib.suppress(BaseException):
                await task
        workers = list(self._all.values())
        self._all.clear()
        self._busy.clear()

        def stop_all() -> None:
            for w in workers:
                with contextlib.suppress(OSError):
                    w.conn.close()
            for w in workers:
                w.proc.join(timeout)
                if w.proc.is_alive():
                    w.proc.kill()
                    w.proc.join(timeout)

        await asyncio.to_thread(stop_all)

    # --- introspection (logs, tests) ------------------------------------------------------------

    def pids(self) -> list[int]:
        return sorted(self._all)

    def busy_pids(self) -> list[int]:
        return sorted(self._busy)

    @property
    def idle_count(self) -> int:
        return self._idle.qsize() if self._idle is not None else 0

    # --- running tasks --------------------------------------------------------------------------

    async def run(self, kind: str, payload: dict[str, Any], *, timeout: float | None = None,
                  on_progress: ProgressSink | None = None, llm: LLMCall | None = None) -> dict[str, Any]:
        """Run one task in a worker; raise its error, DeadlineError after ``timeout`` seconds (the
        worker is killed), or let CancelledError through (the worker is killed too).

        While it runs, the worker may send progress events (passed to ``on_progress``) and LLM requests
        (answered with ``llm``, the server's one formalizer backend)."""
        if self._closed or self._idle is None:
            raise PoolClosedError("the server is shutting down", hint="retry against another server")
        # Deadlines are asyncio.timeout scopes, never asyncio.wait_for: on Python 3.11, wait_for returns
        # the inner result when that result and a cancellation arrive in the same loop turn, so a
        # cancelled call (client gone) could go on solving to its time limit while holding a worker.
        loop = asyncio.get_running_loop()
        deadline = None if timeout is None else loop.time() + timeout
        try:
            async with asyncio.timeout_at(deadline):
                w = await self._idle.get()
        except TimeoutError as exc:
            raise DeadlineError(f"no solver worker became free within {timeout:.3g} s",
                                hint="the server is saturated; retry later or with a longer deadline"
                                ) from exc
        self._busy[w.pid] = w
        healthy = False
        try:
            w.conn.send((kind, payload))
            async with asyncio.timeout_at(deadline):
                while True:
                    status, data = await self._recv(w)
                    if status == "progress":
                        if on_progress is not None:
                            on_progress(data)
                        continue
                    if status == "llm":
                        await self._answer_llm(w, data, llm)
                        continue
                    break
            healthy = True
        except TimeoutError as exc:
            raise DeadlineError(f"the solve did not finish within {timeout:.3g} s; its worker was stopped",
                                hint="raise the deadline / time limit, or simplify the model") from exc
        except (EOFError, OSError, BrokenPipeError) as exc:
            self.stats["crashed"] += 1
            code = w.proc.exitcode
            raise WorkerCrashedError(
                f"the solver worker process died while solving (exit code {code})",
                hint="the model may exhaust memory or crash a native solver; try a smaller model or "
                     "another solver") from exc
        finally:
            self._busy.pop(w.pid, None)
            w.tasks += 1
            self.stats["tasks"] += 1
            if healthy and not self._closed and (self.max_tasks <= 0 or w.tasks < self.max_tasks):
                self._idle.put_nowait(w)
            else:
                self._retire(w, kill=not healthy)
        if status == "ok":
            return data
        raise error_from_wire(data)

    async def _answer_llm(self, w: _Worker, data: dict[str, Any], llm: LLMCall | None) -> None:
        """Answer one LLM request of a worker (the caller's deadline scope bounds it)."""
        try:
            if llm is None:
                raise ServiceError("this task has no formalizer attached")
            reply: tuple[str, Any] = ("ok", await llm(data["request"]))
        except Exception as exc:  # the formalizer's failure goes back to the worker's loop
            reply = ("err", error_to_wire(exc))
        w.conn.send(("llm_reply", reply))

    async def _recv(self, w: _Worker) -> tuple[str, dict[str, Any]]:
        if not w.conn.poll():
            loop = asyncio.get_running_loop()
            ready: asyncio.Future[None] = loop.create_future()
            fd = w.conn.fileno()

            def on_ready() -> None:
                if not ready.done():
                    ready.set_result(None)

            loop.add_reader(fd, on_ready)
            try:
                await ready
            finally:
                loop.remove_reader(fd)
        reply: tuple[str, dict[str, Any]] = w.conn.recv()
        return reply

    def _retire(self, w: _Worker, *, kill: bool) -> None:
        """Kill (or, when healthy, dismiss) a worker now and fork its replacement in the background."""
        self._all.pop(w.pid, None)
        if kill:
            if w.proc.is_alive():
                w.proc.kill()  # SIGKILL: a solver deep in native code does not look at signals
                self.stats["killed"] += 1
                log.info("killed solver worker", extra={"fields": {"pid": w.pid}})
        else:
            self.stats["recycled"] += 1
        with contextlib.suppress(OSError):
            w.conn.close()
        task = asyncio.get_running_loop().create_task(self._replace(w))
        self._bg.add(task)
        task.add_done_callback(self._bg.discard)

    async def _replace(self, old: _Worker) -> None:
        def reap_and_spawn() -> _Worker | None:
            old.proc.join(5.0)
            if old.proc.is_alive():
                old.proc.kill()
                old.proc.join(5.0)
            if self._closed:
                return None
            return self._spawn()

        try:
            new = await asyncio.to_thread(reap_and_spawn)
        except Exception:
            log.exception("could not start a replacement solver worker")
            return
        if new is None:
            return
        if self._closed:
            with contextlib.suppress(OSError):
                new.conn.close()
            new.proc.kill()
            return
        self._all[new.pid] = new
        assert self._idle is not None
        self._idle.put_nowait(new)
