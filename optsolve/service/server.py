"""The asyncio gRPC server: Plan, Solve and SolveStream over killable solver worker processes.

One process serves gRPC on an event loop; everything that computes (parsing, grounding, the formalizer's
loop, solving) runs in :class:`~optsolve.service.pool.WorkerPool` processes, so the loop stays free and a
request that is cancelled, disconnected or past its deadline has its worker killed. The formalizer's
language model is loaded once, here; workers reach it through their pipe (see ``worker._RemoteLLM``).

Limits: ``max_concurrent`` requests at once (RESOURCE_EXHAUSTED beyond), ``max_message_bytes`` per
message (gRPC answers RESOURCE_EXHAUSTED), the problem text's length (INVALID_ARGUMENT), the time limit
(bounded by the call's deadline and by ``max_time_limit``).
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import json
import logging
import math
import os
import re
import signal
import socket
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_health.v1._async import HealthServicer
from grpc_reflection.v1alpha import reflection

from optsolve.errors import ConfigError, InputError, LLMBackendError, OptsolveError
from optsolve.service.auth import BearerAuthInterceptor, load_token_digests
from optsolve.service.convert import dumps, solve_response
from optsolve.service.errors import (
    MD_ERROR_CODE,
    MD_ERROR_JSON,
    MD_REQUEST_ID,
    DeadlineError,
    ServiceBusyError,
    error_to_wire,
    grpc_status_for,
    wrap,
)
from optsolve.service.pb import SERVICE_NAME, pb2, pb2_grpc
from optsolve.service.pool import WorkerPool

log = logging.getLogger("optsolve.service")

_RID_OK = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")


@dataclass
class ServerConfig:
    host: str = "127.0.0.1"
    port: int = 50051
    workers: int = field(default_factory=lambda: os.cpu_count() or 1)
    max_concurrent: int = 64
    max_message_bytes: int = 4 * 1024 * 1024
    grace: float = 10.0
    token_file: str | None = None
    env_token: bool = True                # also accept OPTSOLVE_TOKEN
    tls_cert: str | None = None
    tls_key: str | None = None
    insecure: bool = False                # allow a non-loopback address without a token
    max_time_limit: float = 300.0         # no solve runs longer, whatever the request says
    max_text_chars: int = 20_000
    # the formalizer (loaded once)
    backend: str | None = None
    model: str | None = None
    base_url: str | None = None
    samples: int = 1
    max_attempts: int = 3
    llm_threads: int = 4
    max_tasks_per_worker: int = 1000
    solver_threads: int | None = None     # per solve; default: CPUs / workers (at least 1)

    def check(self) -> None:
        if self.workers < 1:
            raise ConfigError("--workers must be at least 1")
        if self.max_concurrent < 1:
            raise ConfigError("--max-concurrent must be at least 1")
        if self.max_message_bytes < 1024:
            raise ConfigError("--max-message-bytes must be at least 1024")
        if bool(self.tls_cert) != bool(self.tls_key):
            raise ConfigError("TLS needs both --tls-cert and --tls-key")
        if not (0 <= self.port <= 65535):
            raise ConfigError(f"--port {self.port} is not a port number (0-65535; 0 picks a free one)")


def is_loopback(host: str) -> bool:
    """True when every address ``host`` resolves to is a loopback address."""
    host = host.strip("[]")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, None)
    except OSError:
        return False
    return bool(infos) and all(ipaddress.ip_address(str(i[4][0]).split("%")[0]).is_loopback for i in infos)


def _addr(host: str, port: int) -> str:
    return f"[{host.strip('[]')}]:{port}" if ":" in host.strip("[]") else f"{host}:{port}"


@dataclass
class _Call:
    method: str
    rid: str
    peer: str
    t0: float = field(default_factory=time.perf_counter)
    fields: dict[str, Any] = field(default_factory=dict)
    ended: bool = False             # counted out of ``inflight`` (and logged) once, however it ends

    @property
    def elapsed(self) -> float:
        return time.perf_counter() - self.t0


class OptSolveServer:
    """The service: ``await start()`` (returns the bound port), ``await stop(grace)``."""

    def __init__(self, config: ServerConfig) -> None:
        config.check()
        self.cfg = config
        threads = config.solver_threads or max(1, (os.cpu_count() or 1) // config.workers)
        self.pool = WorkerPool(config.workers, max_tasks=config.max_tasks_per_worker, solver_threads=threads)
        self.health = HealthServicer()
        self.server: grpc.aio.Server | None = None
        self.port: int = 0
        self.inflight = 0
        self.shutting_down = False
        self.llm: Any = None
        self.llm_error: OptsolveError | None = None
        self._llm_pool = ThreadPoolExecutor(max_workers=max(1, config.llm_threads),
                                            thread_name_prefix="optsolve-llm")
        self.counts: dict[str, int] = {}
        self.auth: BearerAuthInterceptor | None = None

    # --- lifecycle ------------------------------------------------------------------------------

    async def start(self) -> int:
        cfg = self.cfg
        digests = load_token_digests(cfg.token_file, env=cfg.env_token)
        if not digests and not cfg.insecure and not is_loopback(cfg.host):
            raise ConfigError(f"refusing to listen on {cfg.host} (not a loopback address) without a token",
                              hint="give --token-file FILE (or OPTSOLVE_TOKEN), or pass --insecure to "
                                   "serve unauthenticated on the network")
        await self.pool.start()
        await self._load_formalizer()
        self.auth = BearerAuthInterceptor(digests) if digests else None
        interceptors = [self.auth] if self.auth is not None else []
        options = [
            ("grpc.max_receive_message_length", cfg.max_message_bytes),
            ("grpc.max_send_message_length", max(cfg.max_message_bytes, 64 * 1024 * 1024)),
            ("grpc.so_reuseport", 0),
            ("grpc.keepalive_time_ms", 60_000),
            ("grpc.http2.max_pings_without_data", 0),
        ]
        server = grpc.aio.server(interceptors=interceptors, options=options)
        pb2_grpc.add_OptSolveServicer_to_server(_Servicer(self), server)
        health_pb2_grpc.add_HealthServicer_to_server(self.health, server)
        reflection.enable_server_reflection(
            (SERVICE_NAME, health_pb2.DESCRIPTOR.services_by_name["Health"].full_name,
             reflection.SERVICE_NAME), server)
        addr = _addr(cfg.host, cfg.port)
        try:
            if cfg.tls_cert and cfg.tls_key:
                try:
                    with open(cfg.tls_key, "rb") as fk, open(cfg.tls_cert, "rb") as fc:
                        creds = grpc.ssl_server_credentials([(fk.read(), fc.read())])
                except OSError as exc:
                    raise ConfigError(f"cannot read the TLS key/certificate: {exc}",
                                      hint="pass PEM files with --tls-cert and --tls-key") from exc
                port = server.add_secure_port(addr, creds)
            else:
                port = server.add_insecure_port(addr)
        except RuntimeError as exc:
            await self.pool.close()
            raise ConfigError(f"cannot listen on {addr}: {exc}",
                              hint="pick another --port (0 picks a free one) or --host") from exc
        if not port:
            await self.pool.close()
            raise ConfigError(f"cannot listen on {addr}", hint="pick another --port (0 picks a free one)")
        await server.start()
        self.server = server
        self.port = port
        await self.health.set("", health_pb2.HealthCheckResponse.SERVING)
        await self.health.set(SERVICE_NAME, health_pb2.HealthCheckResponse.SERVING)
        log.info("listening", extra={"fields": {
            "address": _addr(cfg.host, port), "tls": bool(cfg.tls_cert), "auth": bool(digests),
            "workers": cfg.workers, "worker_pids": self.pool.pids(), "max_concurrent": cfg.max_concurrent,
            "max_message_bytes": cfg.max_message_bytes, "formalizer": getattr(self.llm, "name", None)}})
        return port

    def reload_tokens(self) -> int:
        """Re-read the tokens (SIGHUP): the new set replaces the old one; returns its size. Turning
        authentication on or off needs a restart; a reload that finds no token keeps the old set."""
        if self.auth is None:
            log.warning("token reload ignored: this server runs without authentication")
            return 0
        try:
            digests = load_token_digests(self.cfg.token_file, env=self.cfg.env_token)
        except OptsolveError as err:
            log.error("token reload failed; keeping the previous tokens", extra={"fields": {"error": err.to_dict()}})
            return len(self.auth.digests)
        if not digests:
            log.error("token reload found no token; keeping the previous tokens")
            return len(self.auth.digests)
        self.auth.digests = digests
        log.info("tokens reloaded", extra={"fields": {"tokens": len(digests)}})
        return len(digests)

    async def _load_formalizer(self) -> None:
        """The language model, once; a failure is kept and reported by each text request."""
        from optsolve.formalize.backends import make_backend, resolve_config

        cfg = self.cfg
        try:
            conf = resolve_config(cfg.backend, cfg.model, cfg.base_url)
            self.llm = await asyncio.to_thread(make_backend, conf)
        except OptsolveError as err:
            # a server-side problem, whatever its class (a ConfigError here is not the client's fault)
            self.llm_error = LLMBackendError(f"this server's formalizer could not load: {err.message}",
                                             hint=err.hint)
            log.warning("formalizer not available: text requests will fail",
                        extra={"fields": {"error": err.to_dict()}})

    async def stop(self, grace: float | None = None) -> None:
        """Graceful shutdown: NOT_SERVING, refuse new calls, let in-flight ones finish within ``grace``
        seconds (then cancel them, killing their workers), stop the workers."""
        if self.shutting_down:
            return
        self.shutting_down = True
        grace = self.cfg.grace if grace is None else grace
        log.info("shutting down", extra={"fields": {"grace_s": grace, "inflight": self.inflight}})
        await self.health.enter_graceful_shutdown()
        if self.server is not None:
            # stop(grace) refuses new calls at once and would wait the whole grace for long-lived health
            # Watch streams too; so wait for our own requests only, then stop(0) closes what is left
            loop = asyncio.get_running_loop()
            stopping = asyncio.ensure_future(self.server.stop(grace))
            deadline = loop.time() + grace
            while self.inflight > 0 and loop.time() < deadline and not stopping.done():
                await asyncio.sleep(0.02)
            await self.server.stop(0)
            await stopping
        await self.pool.close()
        self._llm_pool.shutdown(wait=False, cancel_futures=True)
        if self.llm is not None:
            with contextlib.suppress(Exception):
                self.llm.close()
        log.info("stopped", extra={"fields": {"counts": self.counts, "pool": self.pool.stats}})

    async def wait(self) -> None:
        if self.server is not None:
            await self.server.wait_for_termination()

    # --- per request ----------------------------------------------------------------------------

    def begin(self, context: grpc.aio.ServicerContext, method: str) -> _Call:
        rid = ""
        for key, val in context.invocation_metadata() or ():
            if key == MD_REQUEST_ID:
                rid = val.decode() if isinstance(val, bytes) else str(val)
                break
        if not _RID_OK.match(rid):
            rid = uuid.uuid4().hex
        call = _Call(method, rid, context.peer() or "")
        self.inflight += 1
        call.fields["admitted"] = self.inflight <= self.cfg.max_concurrent
        return call

    def admit(self, call: _Call) -> None:
        if not call.fields.pop("admitted"):
            raise ServiceBusyError(
                f"the server is at its limit of {self.cfg.max_concurrent} concurrent requests",
                hint="retry with backoff, or run more servers")

    def end(self, call: _Call, code: grpc.StatusCode, err: OptsolveError | None = None) -> None:
        if call.ended:
            return
        call.ended = True
        self.inflight -= 1
        self.counts[code.name] = self.counts.get(code.name, 0) + 1
        fields = {"request_id": call.rid, "method": call.method, "peer": call.peer, "code": code.name,
                  "ms": round(call.elapsed * 1000, 3), **call.fields}
        if err is not None:
            fields["error"] = err.to_dict()
        level = logging.ERROR if code is grpc.StatusCode.INTERNAL else logging.INFO
        log.log(level, "request", extra={"fields": fields})

    async def fail(self, context: grpc.aio.ServicerContext, call: _Call, exc: BaseException) -> None:
        """Answer with the status for ``exc`` (one mapping: errors.grpc_status_for). Raises."""
        err = wrap(exc)
        code = grpc_status_for(err)
        if code is grpc.StatusCode.INTERNAL and not isinstance(exc, OptsolveError):
            log.error("unexpected exception", exc_info=exc, extra={"fields": {"request_id": call.rid}})
        self.end(call, code, err)
        md = ((MD_REQUEST_ID, call.rid), (MD_ERROR_CODE, err.code),
              (MD_ERROR_JSON, json.dumps(error_to_wire(err), default=str).encode()))
        await context.abort(code, f"{err.code}: {err}", trailing_metadata=md)

    def limits(self, request: Any, context: grpc.aio.ServicerContext) -> tuple[float, float]:
        """(solver time limit, hard timeout for the worker) from the request, its deadline and the cap."""
        tl: float | None = request.time_limit if request.HasField("time_limit") else None
        if tl is not None and (not math.isfinite(tl) or tl <= 0):
            raise InputError(f"time_limit must be a positive number of seconds, got {tl}",
                             hint="omit it to use the server's limit")
        limit = min(tl, self.cfg.max_time_limit) if tl else self.cfg.max_time_limit
        remaining = context.time_remaining()
        if remaining is not None and math.isfinite(remaining):
            # leave the solver's answer time to travel back before the client gives up
            margin = min(1.0, 0.05 + 0.1 * remaining)
            limit = min(limit, remaining - margin)
            if limit <= 0.01:
                raise DeadlineError(f"the call's deadline ({remaining:.3f} s left) leaves no time to solve",
                                    hint="give the call a longer deadline")
            hard = max(0.01, remaining - 0.005)
        else:
            hard = limit * 1.5 + 10.0  # a solver that overruns its own limit is stopped anyway
        return limit, hard

    def _no_formalizer(self) -> LLMBackendError:
        """A fresh error each time (re-raising one stored instance would grow its traceback forever)."""
        if self.llm_error is not None:
            return LLMBackendError(self.llm_error.message, hint=self.llm_error.hint)
        return LLMBackendError("no formalizer is configured on this server",
                               hint="start the server with --backend ...")

    async def _llm_call(self, request: Any) -> dict[str, Any]:
        if self.llm is None:
            raise self._no_formalizer()
        loop = asyncio.get_running_loop()
        texts: list[str] = await loop.run_in_executor(self._llm_pool, self.llm.complete, request)
        # a backend that votes among its own candidates (the embedded model) says how many agree
        return {"texts": texts, "agreement": [self.llm.agreement(t) for t in texts]}

    def _check_text(self, text: str) -> None:
        from optsolve.formalize import check_text

        if len(text) > self.cfg.max_text_chars:
            from optsolve.errors import LimitError

            raise LimitError(f"the problem text is {len(text):,} characters, over this server's limit of "
                             f"{self.cfg.max_text_chars:,}", hint="shorten the statement")
        check_text(text)
        if self.llm is None:
            raise self._no_formalizer()

    def _formalize_options(self, request: Any, time_limit: float | None, solver: str | None,
                           llm_timeout: float | None = None) -> dict[str, Any]:
        import pydantic

        from optsolve.formalize import FormalizeOptions

        try:
            opts = FormalizeOptions(
                samples=request.samples or self.cfg.samples, max_attempts=request.max_attempts
                or self.cfg.max_attempts, time_limit=time_limit, solver=solver,
                seed=request.seed if request.HasField("seed") else 0, llm_timeout=llm_timeout)
        except pydantic.ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            raise InputError(f"{where}: {first['msg']}", hint="samples 1-64, max_attempts 1-20") from None
        out: dict[str, Any] = opts.model_dump(exclude={"backend", "model", "base_url"})
        return out

    def _llm_info(self) -> dict[str, Any]:
        return {"name": getattr(self.llm, "name", "remote"),
                "uses_messages": bool(getattr(self.llm, "uses_messages", True))}

    async def solve(self, request: Any, context: grpc.aio.ServicerContext, call: _Call,
                    on_progress: Callable[[dict[str, Any]], None] | None = None) -> Any:
        which = request.WhichOneof("problem")
        if which is None:
            raise InputError("the request holds no problem",
                             hint="set either `text` (plain language) or `formulation_json` (Formulation v1)")
        solver = request.solver.strip() or None
        if solver is not None:
            from optsolve.solvers.base import backend_names

            if solver not in backend_names():
                raise InputError(f"unknown solver {solver!r}",
                                 hint=f"choose one of {', '.join(backend_names())}, or leave it empty")
        time_limit, hard = self.limits(request, context)
        explain = request.explain if request.HasField("explain") else True
        seed = request.seed if request.HasField("seed") else 0
        call.fields["input"] = which
        if which == "formulation_json":
            if not request.formulation_json.strip():
                raise InputError("formulation_json is empty", hint="send a Formulation v1 JSON object")
            payload = {"formulation": request.formulation_json, "progress": on_progress is not None,
                       "options": {"time_limit": time_limit, "solver": solver, "explain": explain,
                                   "seed": seed}}
            out = await self.pool.run("solve", payload, timeout=hard, on_progress=on_progress)
            call.fields["status"] = out["result"].get("status")
            return solve_response(out["result"], out.get("formulation"), request_id=call.rid,
                                  total_seconds=call.elapsed, route="formulation")
        self._check_text(request.text)
        payload = {"text": request.text, "progress": on_progress is not None, "llm": self._llm_info(),
                   "formalize_options": self._formalize_options(
                       request, time_limit, solver, hard if context.time_remaining() is not None else None)}
        out = await self.pool.run("formalize", payload, timeout=hard, on_progress=on_progress,
                                  llm=self._llm_call)
        result = out.get("result")
        call.fields["status"] = (result or {}).get("status")
        return solve_response(result, out.get("formulation"), attempts=out.get("attempts"),
                              confidence=float(out.get("confidence") or 0.0),
                              route=out.get("route") or "", request_id=call.rid, total_seconds=call.elapsed,
                              formalizer=str(out.get("backend") or ""), agreement=out.get("agreement"))

    async def plan(self, request: Any, context: grpc.aio.ServicerContext, call: _Call) -> Any:
        self._check_text(request.text)
        remaining = context.time_remaining()
        hard = max(0.01, remaining - 0.005) if remaining is not None else self.cfg.max_time_limit * 2
        opts = self._formalize_options(request, None, None, hard if remaining is not None else None)
        payload = {"text": request.text, "llm": self._llm_info(), "formalize_options": opts, "render": True}
        out = await self.pool.run("plan", payload, timeout=hard, llm=self._llm_call)
        attempts = out.get("attempts") or []
        return pb2.PlanResponse(
            formulation_json=dumps(out.get("formulation")), rendering=out.get("rendering") or "",
            route=out.get("route") or "", attempts=len(attempts), attempts_json=dumps(attempts),
            confidence=float(out.get("confidence") or 0.0), request_id=call.rid,
            formalizer=str(out.get("backend") or ""),
            agreement_json=dumps(out["agreement"]) if out.get("agreement") else "")


class _Servicer(pb2_grpc.OptSolveServicer):  # type: ignore[misc]
    """Thin: admission, request id, error mapping and logging around :class:`OptSolveServer`."""

    def __init__(self, app: OptSolveServer) -> None:
        self.app = app

    async def _unary(self, name: str, handler: Callable[..., Awaitable[Any]], request: Any,
                     context: grpc.aio.ServicerContext) -> Any:
        """One unary call: admission, the handler, the one error mapping, the request id, the log."""
        app = self.app
        call = app.begin(context, name)
        try:
            app.admit(call)
            resp = await handler(request, context, call)
        except asyncio.CancelledError:
            app.end(call, grpc.StatusCode.CANCELLED)
            raise
        except Exception as exc:
            await app.fail(context, call, exc)
            raise  # not reached: fail() aborts
        context.set_trailing_metadata(((MD_REQUEST_ID, call.rid),))
        app.end(call, grpc.StatusCode.OK)
        return resp

    async def Plan(self, request: Any, context: grpc.aio.ServicerContext) -> Any:
        return await self._unary("Plan", self.app.plan, request, context)

    async def Solve(self, request: Any, context: grpc.aio.ServicerContext) -> Any:
        return await self._unary("Solve", self.app.solve, request, context)

    async def SolveStream(self, request: Any, context: grpc.aio.ServicerContext) -> AsyncIterator[Any]:
        app = self.app
        call = app.begin(context, "SolveStream")
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        task: asyncio.Task[Any] | None = None
        getter: asyncio.Future[dict[str, Any]] | None = None
        try:
            app.admit(call)
            solving = task = asyncio.ensure_future(
                app.solve(request, context, call, on_progress=queue.put_nowait))
            # The solve ends with the RPC, however the RPC ends. A cancellation reaches this generator
            # only while it awaits; when the client leaves while gRPC is sending an event, the generator
            # stays suspended at its yield until garbage collection closes it (seconds or minutes
            # later), so the RPC's own end is what stops the solve and kills its worker.
            loop = asyncio.get_running_loop()

            def stop_solving(_ctx: object) -> None:
                with contextlib.suppress(RuntimeError):  # the loop is already closed: nothing runs
                    loop.call_soon_threadsafe(solving.cancel)

            context.add_done_callback(stop_solving)
            while True:
                getter = asyncio.ensure_future(queue.get())
                done, _ = await asyncio.wait({getter, task}, return_when=asyncio.FIRST_COMPLETED)
                if getter not in done:
                    getter.cancel()  # before draining: a woken getter would take an event
                    break
                yield pb2.SolveEvent(progress=_progress(getter.result(), call))
            while not queue.empty():
                yield pb2.SolveEvent(progress=_progress(queue.get_nowait(), call))
            resp = task.result()
        except (asyncio.CancelledError, GeneratorExit):
            # GeneratorExit: closed while suspended at a yield (the client left while an event was being
            # sent, and garbage collection closes the generator); uncounted, the call would hold its slot
            # of the concurrency cap for good
            app.end(call, grpc.StatusCode.CANCELLED)
            raise
        except Exception as exc:
            await app.fail(context, call, exc)
            raise
        finally:
            if getter is not None and not getter.done():
                getter.cancel()
            if task is not None and not task.done():
                task.cancel()
                with contextlib.suppress(BaseException):
                    await task
        context.set_trailing_metadata(((MD_REQUEST_ID, call.rid),))
        app.end(call, grpc.StatusCode.OK)
        yield pb2.SolveEvent(result=resp)


def _progress(data: dict[str, Any], call: _Call) -> Any:
    p = pb2.Progress(kind=str(data.get("kind", "")), message=str(data.get("message", "")),
                     data_json=dumps(data.get("data") or {}), elapsed=call.elapsed)
    if data.get("attempt") is not None:
        p.attempt = int(data["attempt"])
    return p


async def serve(config: ServerConfig, *, on_ready: Callable[[str], None] | None = None) -> None:
    """Run until SIGTERM/SIGINT, then shut down gracefully within ``config.grace`` seconds."""
    app = OptSolveServer(config)
    port = await app.start()
    if on_ready is not None:
        on_ready(_addr(config.host, port))
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    loop.add_signal_handler(signal.SIGHUP, app.reload_tokens)
    try:
        await stop.wait()
    finally:
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            loop.remove_signal_handler(sig)
        await app.stop(config.grace)
