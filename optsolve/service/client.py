"""A Python client for the optsolve gRPC service.

>>> from optsolve.service.client import Client
>>> with Client("127.0.0.1:50051", token="...") as c:
...     out = c.solve(formulation={"variables": {...}, ...}, time_limit=10)
...     out.result.status, out.result.objective

Results come back as the project's own objects (:class:`~optsolve.solvers.result.SolveResult`, inside a
:class:`RemoteSolve` that adds the formulation, the formalizer's attempts and the request id). gRPC
errors come back as the same :class:`~optsolve.errors.OptsolveError` subclass the server raised (so the
CLI exit codes match the local commands), or as :class:`ServiceError` for transport and server states.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
from pydantic import BaseModel, ConfigDict, Field

from optsolve.errors import OptsolveError
from optsolve.service.convert import result_dict
from optsolve.service.errors import (
    MD_ERROR_JSON,
    MD_REQUEST_ID,
    DeadlineError,
    ServiceBusyError,
    ServiceError,
    error_from_wire,
)
from optsolve.service.pb import pb2, pb2_grpc
from optsolve.solvers.result import SolveResult


class RemoteSolve(BaseModel):
    """What Solve returns: the result plus where it came from."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    result: SolveResult
    formulation: dict[str, Any] | None = None
    attempts: list[dict[str, Any]] = Field(default_factory=list)
    confidence: float = 1.0
    agreement: dict[str, Any] | None = None   # what confidence counts (text input)
    route: str = ""
    formalizer: str = ""
    request_id: str = ""
    total_seconds: float = 0.0

    def to_json_dict(self) -> dict[str, Any]:
        """The same JSON as the local commands: the result (formulation-v1.md); for text input, plus
        the formalizer's fields (``formulation``, ``attempts``, ``confidence``, ``route``)."""
        out = self.result.to_json_dict()
        if self.route != "formulation":
            out.update({"formulation": self.formulation, "attempts": self.attempts,
                        "confidence": self.confidence, "backend": self.formalizer, "route": self.route})
            if self.agreement:
                out["agreement"] = self.agreement
        return out


class RemotePlan(BaseModel):
    formulation: dict[str, Any] | None
    rendering: str = ""
    route: str = ""
    attempts: list[dict[str, Any]] = Field(default_factory=list)
    confidence: float = 0.0
    agreement: dict[str, Any] | None = None
    formalizer: str = ""
    request_id: str = ""

    def to_json_dict(self) -> dict[str, Any]:
        """The same JSON as ``optsolve plan --json``."""
        return {"formulation": self.formulation, "route": self.route, "backend": self.formalizer,
                "attempts": self.attempts}


class ProgressEvent(BaseModel):
    kind: str
    message: str
    attempt: int | None = None
    data: dict[str, Any] = Field(default_factory=dict)
    elapsed: float = 0.0


def _to_error(exc: grpc.RpcError) -> OptsolveError:
    """The OptsolveError for a failed call: the server's own error when it sent one."""
    code = exc.code() if hasattr(exc, "code") else None
    details = exc.details() if hasattr(exc, "details") else str(exc)
    trailing = exc.trailing_metadata() if hasattr(exc, "trailing_metadata") else None
    for key, val in trailing or ():
        if key == MD_ERROR_JSON:
            try:
                return error_from_wire(json.loads(val))
            except (ValueError, TypeError):
                break
    name = code.name if code is not None else "UNKNOWN"
    if code is grpc.StatusCode.DEADLINE_EXCEEDED:
        return DeadlineError(f"the call ran past its deadline: {details}", status=name,
                             hint="give the call a longer --timeout")
    if code is grpc.StatusCode.RESOURCE_EXHAUSTED:
        return ServiceBusyError(f"{name}: {details}", status=name,
                                hint="the server is at a limit (concurrency or message size)")
    hints = {
        "UNAVAILABLE": "check that the server runs at that address (optsolve serve), and TLS settings",
        "UNAUTHENTICATED": "pass --token (or OPTSOLVE_TOKEN) with a token the server accepts",
    }
    return ServiceError(f"{name}: {details}", status=name, hint=hints.get(name))


def _formulation_text(formulation: str | Path | dict[str, Any] | Any) -> str:
    if isinstance(formulation, dict):
        return json.dumps(formulation)
    if isinstance(formulation, Path):
        return formulation.read_text(encoding="utf-8")
    if hasattr(formulation, "to_json"):
        return str(formulation.to_json())
    return str(formulation)


class Client:
    """A blocking client; ``timeout`` is the default deadline of each call, in seconds."""

    def __init__(self, target: str, token: str | None = None, tls_ca: str | bytes | None = None,
                 timeout: float | None = None, *, tls: bool | None = None, server_name: str | None = None,
                 max_message_bytes: int = 64 * 1024 * 1024) -> None:
        self.target = target
        self.timeout = timeout
        self._metadata: list[tuple[str, str]] = []
        if token:
            self._metadata.append(("authorization", f"Bearer {token}"))
        options: list[tuple[str, Any]] = [("grpc.max_receive_message_length", max_message_bytes),
                                          ("grpc.max_send_message_length", max_message_bytes)]
        if server_name:
            options.append(("grpc.ssl_target_name_override", server_name))
        if tls_ca is not None or tls:
            ca = Path(tls_ca).read_bytes() if isinstance(tls_ca, str) else tls_ca
            creds = grpc.ssl_channel_credentials(root_certificates=ca)
            self.channel = grpc.secure_channel(target, creds, options=options)
        else:
            self.channel = grpc.insecure_channel(target, options=options)
        self.stub = pb2_grpc.OptSolveStub(self.channel)

    def close(self) -> None:
        self.channel.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _md(self, request_id: str | None) -> list[tuple[str, str]]:
        md = list(self._metadata)
        if request_id:
            md.append((MD_REQUEST_ID, request_id))
        return md

    def _timeout(self, timeout: float | None) -> float | None:
        return self.timeout if timeout is None else timeout

    @staticmethod
    def solve_request(text: str | None = None, formulation: Any = None, *, time_limit: float | None = None,
                      samples: int = 0, solver: str | None = None, max_attempts: int = 0,
                      explain: bool | None = None, seed: int | None = None) -> Any:
        if (text is None) == (formulation is None):
            raise ServiceError("pass exactly one of text= or formulation=", status="INVALID_ARGUMENT")
        req = pb2.SolveRequest(samples=samples, solver=solver or "", max_attempts=max_attempts)
        if text is not None:
            req.text = text
        else:
            req.formulation_json = _formulation_text(formulation)
        if time_limit is not None:
            req.time_limit = time_limit
        if explain is not None:
            req.explain = explain
        if seed is not None:
            req.seed = seed
        return req

    @staticmethod
    def _remote_solve(resp: Any) -> RemoteSolve:
        return RemoteSolve(
            result=SolveResult.model_validate(result_dict(resp)),
            formulation=json.loads(resp.formulation_json) if resp.formulation_json else None,
            attempts=json.loads(resp.attempts_json or "[]"), confidence=resp.confidence,
            agreement=json.loads(resp.agreement_json) if resp.agreement_json else None,
            route=resp.route, formalizer=resp.formalizer, request_id=resp.request_id,
            total_seconds=resp.total_seconds)

    def plan(self, text: str, *, samples: int = 0, max_attempts: int = 0, seed: int | None = None,
             timeout: float | None = None, request_id: str | None = None) -> RemotePlan:
        req = pb2.PlanRequest(text=text, samples=samples, max_attempts=max_attempts)
        if seed is not None:
            req.seed = seed
        try:
            resp = self.stub.Plan(req, timeout=self._timeout(timeout), metadata=self._md(request_id))
        except grpc.RpcError as exc:
            raise _to_error(exc) from None
        return RemotePlan(
            formulation=json.loads(resp.formulation_json) if resp.formulation_json else None,
            rendering=resp.rendering, route=resp.route, attempts=json.loads(resp.attempts_json or "[]"),
            confidence=resp.confidence, formalizer=resp.formalizer, request_id=resp.request_id,
            agreement=json.loads(resp.agreement_json) if resp.agreement_json else None)

    def solve(self, text: str | None = None, formulation: Any = None, *, time_limit: float | None = None,
              samples: int = 0, solver: str | None = None, max_attempts: int = 0,
              explain: bool | None = None, seed: int | None = None, timeout: float | None = None,
              request_id: str | None = None) -> RemoteSolve:
        req = self.solve_request(text, formulation, time_limit=time_limit, samples=samples, solver=solver,
                                 max_attempts=max_attempts, explain=explain, seed=seed)
        try:
            resp = self.stub.Solve(req, timeout=self._timeout(timeout), metadata=self._md(request_id))
        except grpc.RpcError as exc:
            raise _to_error(exc) from None
        return self._remote_solve(resp)

    def solve_stream(self, text: str | None = None, formulation: Any = None, *,
                     time_limit: float | None = None, samples: int = 0, solver: str | None = None,
                     max_attempts: int = 0, explain: bool | None = None, seed: int | None = None,
                     timeout: float | None = None,
                     request_id: str | None = None) -> Iterator[ProgressEvent | RemoteSolve]:
        """Progress events, then (last) the RemoteSolve."""
        req = self.solve_request(text, formulation, time_limit=time_limit, samples=samples, solver=solver,
                                 max_attempts=max_attempts, explain=explain, seed=seed)
        stream = self.stub.SolveStream(req, timeout=self._timeout(timeout), metadata=self._md(request_id))
        try:
            for ev in stream:
                if ev.WhichOneof("event") == "progress":
                    p = ev.progress
                    yield ProgressEvent(kind=p.kind, message=p.message,
                                        attempt=p.attempt if p.HasField("attempt") else None,
                                        data=json.loads(p.data_json or "{}"), elapsed=p.elapsed)
                else:
                    yield self._remote_solve(ev.result)
        except grpc.RpcError as exc:
            raise _to_error(exc) from None
        finally:
            stream.cancel()

    def health(self, service: str = "", timeout: float | None = 5.0) -> str:
        """The health status name (SERVING, NOT_SERVING...)."""
        from grpc_health.v1 import health_pb2, health_pb2_grpc

        stub = health_pb2_grpc.HealthStub(self.channel)
        try:
            resp = stub.Check(health_pb2.HealthCheckRequest(service=service), timeout=timeout)
        except grpc.RpcError as exc:
            raise _to_error(exc) from None
        return str(health_pb2.HealthCheckResponse.ServingStatus.Name(resp.status))
