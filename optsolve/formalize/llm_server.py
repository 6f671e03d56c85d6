"""An OpenAI-compatible HTTP server in front of any :class:`LLMBackend` (by default the embedded model).

``optsolve llm-serve`` lets tools that speak the OpenAI chat protocol (including optsolve's own
``--backend openai``) use optsolve's offline model, the way ``vllm serve`` or llama.cpp's server expose
theirs. It implements ``GET /v1/models``, ``GET /health`` and ``POST /v1/chat/completions`` (``n``,
``temperature``, ``max_tokens``, ``seed``; ``response_format`` is accepted: the embedded model always
answers Formulation v1 JSON). Loopback only by default; bounded request size; one model call at a
time (the model is not thread-safe and the machine is small), further requests wait.
"""

from __future__ import annotations

import json
import re
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from optsolve.errors import LLMBackendError, OptsolveError
from optsolve.formalize.backends.base import CompletionRequest, LLMBackend

MAX_BODY = 1_000_000
_PROBLEM_RE = re.compile(r"^Problem:\s*\n(?P<text>.*?)\n\s*\nWrite the Formulation v1", re.S)


def problem_text(messages: list[dict[str, Any]]) -> str:
    """The problem statement of a conversation: the last user turn written with optsolve's prompt
    template ("Problem: ..."), else the last user turn as it is."""
    users = [str(m.get("content") or "") for m in messages if m.get("role") == "user"]
    for content in reversed(users):
        m = _PROBLEM_RE.match(content.strip() + "\n")
        if m:
            return m.group("text").strip()
    return users[-1].strip() if users else ""


class _Handler(BaseHTTPRequestHandler):
    server: LLMServer

    def log_message(self, fmt: str, *args: Any) -> None:  # quiet by default
        if self.server.verbose:
            super().log_message(fmt, *args)

    def _send(self, code: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _error(self, code: int, message: str, kind: str = "invalid_request_error") -> None:
        self._send(code, {"error": {"message": message, "type": kind, "code": code}})

    def do_GET(self) -> None:
        if self.path.rstrip("/") in ("/v1/models", "/models"):
            self._send(200, {"object": "list", "data": [
                {"id": self.server.model_id, "object": "model", "owned_by": "optsolve", "created": 0}]})
        elif self.path.rstrip("/") == "/health":
            self._send(200, {"status": "ok"})
        else:
            self._error(404, f"no route {self.path}")

    def do_POST(self) -> None:
        if self.path.rstrip("/") not in ("/v1/chat/completions", "/chat/completions"):
            self._error(404, f"no route {self.path}")
            return
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if length < 0 or length > MAX_BODY:
            self._error(413, f"request body must be at most {MAX_BODY} bytes")
            return
        try:
            body = json.loads(self.rfile.read(length) or b"{}")
        except json.JSONDecodeError as exc:
            self._error(400, f"malformed JSON: {exc.msg}")
            return
        messages = body.get("messages")
        if not isinstance(messages, list) or not messages:
            self._error(400, "'messages' must be a non-empty list")
            return
        text = problem_text(messages)
        if not text:
            self._error(400, "no user message with a problem statement")
            return
        try:
            n = max(1, min(int(body.get("n") or 1), 16))
            req = CompletionRequest(messages=messages, problem_text=text, n=n,
                                    temperature=float(body.get("temperature") or 0.0),
                                    max_tokens=int(body.get("max_tokens") or 2048),
                                    seed=body.get("seed"))
        except (TypeError, ValueError) as exc:
            self._error(400, f"bad parameter: {exc}")
            return
        try:
            with self.server.lock:
                outs = self.server.backend.complete(req)
        except OptsolveError as exc:
            self._error(500, str(exc), "server_error")
            return
        self._send(200, {
            "id": f"chatcmpl-{uuid.uuid4().hex[:24]}", "object": "chat.completion",
            "created": int(time.time()), "model": self.server.model_id,
            "choices": [{"index": i, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": out}} for i, out in enumerate(outs)],
            "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
        })


class LLMServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, backend: LLMBackend, host: str = "127.0.0.1", port: int = 0,
                 model_id: str = "optsolve-embedded", verbose: bool = False) -> None:
        super().__init__((host, port), _Handler)
        self.backend = backend
        self.model_id = model_id
        self.verbose = verbose
        self.lock = threading.Lock()

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    def start_background(self) -> threading.Thread:
        t = threading.Thread(target=self.serve_forever, name="llm-server", daemon=True)
        t.start()
        return t


def default_backend() -> LLMBackend:
    try:
        from optsolve.formalize.backends.embedded import EmbeddedBackend
    except ImportError as exc:
        raise LLMBackendError(f"the embedded model is not available: {exc}") from None
    return EmbeddedBackend()
