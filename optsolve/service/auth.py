"""Bearer-token authentication: tokens kept as SHA-256 digests, compared in constant time.

Tokens come from ``--token-file`` (one per line; blank lines and ``#`` comments skipped) and/or the
``OPTSOLVE_TOKEN`` environment variable. Only digests are kept in memory. Every method except the
standard health service needs ``authorization: Bearer <token>`` metadata; without it the call answers
UNAUTHENTICATED before any handler runs.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Awaitable, Callable, Iterable
from pathlib import Path
from typing import Any

import grpc

from optsolve.errors import ConfigError

#: method-name prefixes that stay open whatever the tokens
OPEN_PREFIXES = ("/grpc.health.v1.Health/",)
TOKEN_ENV = "OPTSOLVE_TOKEN"


def digest(token: str) -> bytes:
    return hashlib.sha256(token.encode("utf-8")).digest()


def load_token_digests(token_file: str | None = None, *, env: bool = True) -> list[bytes]:
    tokens: list[str] = []
    if token_file:
        path = Path(token_file)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"cannot read the token file {path}: {exc.strerror}",
                              hint="pass a readable file with one token per line") from exc
        tokens += [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
        if not tokens:
            raise ConfigError(f"the token file {path} holds no token", hint="write one token per line")
    if env and os.environ.get(TOKEN_ENV, "").strip():
        tokens.append(os.environ[TOKEN_ENV].strip())
    for tok in tokens:
        if len(tok) < 16:
            raise ConfigError("a token is shorter than 16 characters",
                              hint="use long random tokens, e.g. `python -c 'import secrets; "
                                   "print(secrets.token_urlsafe(32))'`")
    return [digest(t) for t in tokens]


def check_bearer(metadata: Iterable[tuple[str, Any]] | None, digests: list[bytes]) -> str | None:
    """None when the metadata carries a valid bearer token, else the reason it does not."""
    value = None
    for key, val in metadata or ():
        if key.lower() == "authorization":
            value = val.decode() if isinstance(val, bytes) else str(val)
            break
    if value is None:
        return "missing 'authorization: Bearer <token>' metadata"
    scheme, _, token = value.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return "the authorization metadata must be 'Bearer <token>'"
    presented = digest(token.strip())
    ok = False
    for d in digests:  # no early exit: the time taken does not depend on which token matched
        ok |= hmac.compare_digest(presented, d)
    return None if ok else "invalid token"


def _denier(reason: str) -> Callable[..., Awaitable[None]]:
    async def deny(request_or_iterator: Any, context: grpc.aio.ServicerContext) -> None:
        await context.abort(grpc.StatusCode.UNAUTHENTICATED, f"unauthenticated: {reason}")

    return deny


class BearerAuthInterceptor(grpc.aio.ServerInterceptor):
    def __init__(self, digests: list[bytes]) -> None:
        self.digests = list(digests)

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler:
        handler = await continuation(handler_call_details)
        method = handler_call_details.method  # type: ignore[attr-defined]
        if handler is None or not self.digests or method.startswith(OPEN_PREFIXES):
            return handler
        reason = check_bearer(handler_call_details.invocation_metadata, self.digests)  # type: ignore[attr-defined]
        if reason is None:
            return handler
        deny = _denier(reason)
        kw = {"request_deserializer": handler.request_deserializer,
              "response_serializer": handler.response_serializer}
        if handler.unary_unary:
            return grpc.unary_unary_rpc_method_handler(deny, **kw)
        if handler.unary_stream:
            return grpc.unary_stream_rpc_method_handler(deny, **kw)
        if handler.stream_unary:
            return grpc.stream_unary_rpc_method_handler(deny, **kw)
        return grpc.stream_stream_rpc_method_handler(deny, **kw)
