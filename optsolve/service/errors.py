"""The one mapping from optsolve errors to gRPC status codes, and errors as they cross process and wire.

:func:`grpc_status_for` is the only place a status code is chosen for an error. The choices:

================================================  ===================  ============================
error                                             gRPC status          why
================================================  ===================  ============================
InputError family (parse, validation, forbidden,  INVALID_ARGUMENT     fixing the input fixes it
compile, limit), ConfigError, empty text
BackendUnavailableError, UnsupportedModelError    FAILED_PRECONDITION  no installed solver can take
                                                                       the model / the one forced
FormalizeError, SandboxError                      ABORTED              the formalizer gave up after
                                                                       its attempts; retrying (more
                                                                       samples/attempts, other
                                                                       wording) may succeed
LLMBackendError                                   UNAVAILABLE          the language model could not
                                                                       be reached: transient
deadline passed / DeadlineExceeded                DEADLINE_EXCEEDED
ServiceBusy (concurrency cap), oversize message   RESOURCE_EXHAUSTED
SolverError, worker crash, anything else          INTERNAL             never UNKNOWN
================================================  ===================  ============================

Solver outcomes (infeasible, unbounded, time_limit) are not errors: they are OK responses.

Errors travel from worker processes as plain dicts (:func:`error_to_wire` / :func:`error_from_wire`):
pickling exceptions with keyword-only arguments loses fields. Over gRPC the error's ``code`` and its JSON
ride in trailing metadata (``optsolve-error-code``, ``optsolve-error-bin``) so the client rebuilds the
same exception class, and with it the CLI exit code.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import grpc

from optsolve import errors as E

#: trailing metadata keys (``-bin`` keys carry bytes)
MD_ERROR_CODE = "optsolve-error-code"
MD_ERROR_JSON = "optsolve-error-bin"
MD_REQUEST_ID = "x-request-id"


class ServiceError(E.OptsolveError):
    """A gRPC call failed for a reason that is not an optsolve error (connection, auth, server state)."""

    code = "E_SERVICE"

    def __init__(self, message: str, *, status: str = "UNKNOWN", **kw: Any) -> None:
        super().__init__(message, **kw)
        self.status = status


class ServiceBusyError(ServiceError):
    """The server is at its concurrent-request cap."""

    code = "E_BUSY"


class DeadlineError(ServiceError):
    """The request ran past its deadline (or the server's hard limit) and its solver was stopped."""

    code = "E_DEADLINE"


class WorkerCrashedError(ServiceError):
    """A solver worker process died while solving (killed by the OS, crashed in native code)."""

    code = "E_WORKER"


class InternalError(E.OptsolveError):
    """An unexpected exception, wrapped so that no bare exception reaches a client."""

    code = "E_INTERNAL"


_ORDER: tuple[tuple[type[BaseException], grpc.StatusCode], ...] = (
    (ServiceBusyError, grpc.StatusCode.RESOURCE_EXHAUSTED),
    (DeadlineError, grpc.StatusCode.DEADLINE_EXCEEDED),
    (WorkerCrashedError, grpc.StatusCode.INTERNAL),
    (E.InputError, grpc.StatusCode.INVALID_ARGUMENT),
    (E.ConfigError, grpc.StatusCode.INVALID_ARGUMENT),
    (E.BackendUnavailableError, grpc.StatusCode.FAILED_PRECONDITION),
    (E.UnsupportedModelError, grpc.StatusCode.FAILED_PRECONDITION),
    (E.FormalizeError, grpc.StatusCode.ABORTED),
    (E.SandboxError, grpc.StatusCode.ABORTED),
    (E.LLMBackendError, grpc.StatusCode.UNAVAILABLE),
    (TimeoutError, grpc.StatusCode.DEADLINE_EXCEEDED),
    (asyncio.TimeoutError, grpc.StatusCode.DEADLINE_EXCEEDED),
    (asyncio.CancelledError, grpc.StatusCode.CANCELLED),
)


def grpc_status_for(err: BaseException) -> grpc.StatusCode:
    """The gRPC status code for an error: the one place this is decided. Never UNKNOWN."""
    for cls, status in _ORDER:
        if isinstance(err, cls):
            return status
    return grpc.StatusCode.INTERNAL


def wrap(err: BaseException) -> E.OptsolveError:
    """Any exception as an OptsolveError (unexpected ones become InternalError, keeping the text)."""
    if isinstance(err, E.OptsolveError):
        return err
    if isinstance(err, TimeoutError | asyncio.TimeoutError):
        return DeadlineError("the request ran past its deadline", hint="give the call a longer deadline")
    return InternalError(f"internal error: {type(err).__name__}: {err}",
                         hint="this is a bug in optsolve; please report it with the request id")


def _error_classes() -> dict[str, type[E.OptsolveError]]:
    out: dict[str, type[E.OptsolveError]] = {}
    todo: list[type[E.OptsolveError]] = [E.OptsolveError]
    while todo:
        cls = todo.pop()
        out.setdefault(cls.__name__, cls)
        todo.extend(cls.__subclasses__())
    return out


def error_to_wire(err: BaseException) -> dict[str, Any]:
    """A JSON-safe dict that :func:`error_from_wire` turns back into the same class."""
    e = wrap(err)
    out = e.to_dict()
    out["class"] = type(e).__name__
    if isinstance(e, E.FormalizeError) and e.attempts:
        out["attempts"] = _jsonable(e.attempts)
    return out


def error_from_wire(data: dict[str, Any]) -> E.OptsolveError:
    cls = _error_classes().get(str(data.get("class", "")))
    if cls is None:
        # an unknown class: the closest known one with the same code, else a plain OptsolveError
        cls = next((c for c in _error_classes().values() if c.code == data.get("code")), E.OptsolveError)
    kw: dict[str, Any] = {"hint": data.get("hint"), "where": data.get("where"), "details": data.get("details")}
    message = str(data.get("message", "error"))
    err: E.OptsolveError
    if issubclass(cls, E.FormalizeError):
        err = cls(message, attempts=list(data.get("attempts") or []), **kw)
    else:
        try:
            err = cls(message, **kw)
        except TypeError:  # a subclass with another signature
            err = E.OptsolveError(message, **kw)
    return err


def _jsonable(value: Any) -> Any:
    try:
        return json.loads(json.dumps(value, default=_default))
    except (TypeError, ValueError):
        return str(value)


def _default(obj: Any) -> Any:
    for attr in ("model_dump", "to_dict", "to_json_dict"):
        fn = getattr(obj, attr, None)
        if callable(fn):
            try:
                return fn()
            except TypeError:
                continue
    if hasattr(obj, "__dataclass_fields__"):
        import dataclasses

        return dataclasses.asdict(obj)
    return str(obj)


def jsonable(value: Any) -> Any:
    """``value`` made JSON-safe (pydantic models, dataclasses and errors become dicts)."""
    return _jsonable(value)
