"""The OpenAI-compatible HTTP backend against a real local server speaking /v1/chat/completions on
127.0.0.1 (port 0): request shape, structured-output fallback, retries, timeouts, dropped connections."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections import deque
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from optsolve.errors import LLMBackendError
from optsolve.formalize import FormalizeOptions, formalize
from optsolve.formalize.backends.base import CompletionRequest
from optsolve.formalize.backends.openai_http import OpenAIHTTPBackend, chat_url

BAKERY_MODEL = {
    "variables": {"bread": {"domain": "nonnegative_integers"}, "cakes": {"domain": "nonnegative_integers"}},
    "objective": {"sense": "maximize", "expr": "30 * bread + 45 * cakes"},
    "constraints": {"oven": {"expr": "2 * bread + cakes <= 40"}, "flour": {"expr": "bread + 2 * cakes <= 50"},
                    "min_bread": {"expr": "bread >= 5"}},
}
BAKERY = ("A bakery makes bread and cakes. Bread needs 2 oven hours and 1 kg flour per batch, cakes 1 oven "
          "hour and 2 kg flour. At most 40 oven hours and 50 kg flour. Bread earns $30, cakes $45 a batch. "
          "At least 5 batches of bread. Maximize profit.")


def completion(*contents: str) -> dict[str, Any]:
    return {"id": "cmpl-1", "object": "chat.completion", "model": "fake",
            "choices": [{"index": i, "message": {"role": "assistant", "content": c}, "finish_reason": "stop"}
                        for i, c in enumerate(contents)]}


class FakeOpenAI:
    """A scripted OpenAI-compatible server. Each POST takes the next action:
    ``("ok", [contents])``, ``("status", code, body, headers)``, ``("sleep", seconds, [contents])``,
    ``("drop",)`` (close the socket without answering). With no action left it echoes ``default``."""

    def __init__(self, default: list[str] | None = None, models: list[str] | None = None) -> None:
        self.actions: deque[tuple[Any, ...]] = deque()
        self.requests: list[dict[str, Any]] = []
        self.default = default or ["{}"]
        self.models = models or ["fake-model"]
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def _send(self, code: int, body: Any, headers: dict[str, str] | None = None) -> None:
                data = json.dumps(body).encode() if not isinstance(body, bytes) else body
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                if self.path.rstrip("/").endswith("/v1/models"):
                    self._send(200, {"object": "list", "data": [{"id": m, "object": "model"} for m in outer.models]})
                else:
                    self._send(404, {"error": "not found"})

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = json.loads(self.rfile.read(length) or b"{}")
                outer.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
                if not self.path.endswith("/v1/chat/completions"):
                    self._send(404, {"error": "not found"})
                    return
                action = outer.actions.popleft() if outer.actions else ("ok", outer.default)
                kind = action[0]
                if kind == "ok":
                    self._send(200, completion(*action[1]))
                elif kind == "status":
                    self._send(action[1], action[2], action[3] if len(action) > 3 else None)
                elif kind == "sleep":
                    time.sleep(action[1])
                    with contextlib.suppress(OSError):  # the client gave up: that is the point
                        self._send(200, completion(*action[2]))
                elif kind == "drop":
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = False
        self.server.block_on_close = True  # server_close() joins the handler threads
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05})
        self.thread.start()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)


@pytest.fixture
def server() -> Iterator[FakeOpenAI]:
    before = {t.ident for t in threading.enumerate()}
    srv = FakeOpenAI()
    yield srv
    srv.close()
    left = [t for t in threading.enumerate() if t.ident not in before and t.is_alive()]
    assert not left, f"threads left running: {left}"


def req(**kw: Any) -> CompletionRequest:
    base: dict[str, Any] = {"messages": [{"role": "user", "content": "hi"}], "problem_text": "hi",
                            "json_schema": {"type": "object"}, "seed": 7}
    base.update(kw)
    return CompletionRequest(**base)


def test_chat_url() -> None:
    assert chat_url("http://h:1/v1") == "http://h:1/v1/chat/completions"
    assert chat_url("http://h:1/v1/") == "http://h:1/v1/chat/completions"
    assert chat_url("http://h:1") == "http://h:1/v1/chat/completions"
    assert chat_url("http://h:1/v1/chat/completions") == "http://h:1/v1/chat/completions"


def test_request_shape_and_model_discovery(server: FakeOpenAI, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPTSOLVE_API_KEY", "sk-test-123")
    server.actions.append(("ok", ['{"x": 1}']))
    with OpenAIHTTPBackend(server.base_url) as b:
        assert b.complete(req(temperature=0.2, max_tokens=99)) == ['{"x": 1}']
        assert b.model == "fake-model"  # discovered from GET /v1/models
    r = server.requests[0]
    assert r["headers"]["Authorization"] == "Bearer sk-test-123"
    body = r["body"]
    assert body["model"] == "fake-model" and body["messages"] == [{"role": "user", "content": "hi"}]
    assert body["temperature"] == 0.2 and body["max_tokens"] == 99 and body["seed"] == 7
    assert body["response_format"]["type"] == "json_schema"
    assert body["response_format"]["json_schema"]["schema"] == {"type": "object"}
    assert "n" not in body


def test_falls_back_to_json_object_then_plain_and_remembers(server: FakeOpenAI) -> None:
    server.actions.extend([("status", 400, {"error": "response_format json_schema unsupported"}),
                           ("status", 400, {"error": "json_object unsupported"}),
                           ("ok", ["first"]), ("ok", ["second"])])
    with OpenAIHTTPBackend(server.base_url, "m") as b:
        assert b.complete(req()) == ["first"]
        assert b.complete(req()) == ["second"]
    formats = [r["body"].get("response_format", {}).get("type") for r in server.requests]
    assert formats == ["json_schema", "json_object", None, None]


def test_retries_429_and_5xx_with_backoff(server: FakeOpenAI) -> None:
    server.actions.extend([("status", 503, {"error": "busy"}),
                           ("status", 429, {"error": "slow down"}, {"Retry-After": "0"}),
                           ("ok", ["done"])])
    with OpenAIHTTPBackend(server.base_url, "m", backoff=0.01) as b:
        assert b.complete(req()) == ["done"]
    assert len(server.requests) == 3


def test_5xx_exhausted_and_401_are_typed(server: FakeOpenAI) -> None:
    server.actions.extend([("status", 500, {"error": "boom"})] * 3 + [("status", 401, {"error": "bad key"})])
    with OpenAIHTTPBackend(server.base_url, "m", backoff=0.01, max_retries=2) as b:
        with pytest.raises(LLMBackendError, match="HTTP 500"):
            b.complete(req())
        with pytest.raises(LLMBackendError, match="HTTP 401") as info:
            b.complete(req())
        assert "API_KEY" in (info.value.hint or "")


def test_n_completions_when_server_ignores_n(server: FakeOpenAI) -> None:
    server.actions.extend([("ok", ["a"]), ("ok", ["b"]), ("ok", ["c"])])
    with OpenAIHTTPBackend(server.base_url, "m") as b:
        assert b.complete(req(n=3)) == ["a", "b", "c"]
    assert [r["body"].get("n", 1) for r in server.requests] == [3, 2, 1]


def test_timeout_is_typed_and_prompt(server: FakeOpenAI) -> None:
    server.actions.append(("sleep", 1.5, ["late"]))
    with OpenAIHTTPBackend(server.base_url, "m", timeout=0.3) as b:
        t0 = time.perf_counter()
        with pytest.raises(LLMBackendError, match="did not answer within"):
            b.complete(req())
        assert time.perf_counter() - t0 < 1.4


def test_dropped_connection_is_typed(server: FakeOpenAI) -> None:
    server.actions.append(("drop",))
    with OpenAIHTTPBackend(server.base_url, "m", max_retries=0) as b, \
            pytest.raises(LLMBackendError, match="lost the connection"):
        b.complete(req())


def test_connection_refused_is_typed() -> None:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()  # nothing listens there now
    with OpenAIHTTPBackend(f"http://127.0.0.1:{port}/v1", "m", max_retries=1, backoff=0.01) as b, \
            pytest.raises(LLMBackendError, match="lost the connection") as info:
        b.complete(req())
    assert "--base-url" in (info.value.hint or "")


def test_garbage_answer_is_typed(server: FakeOpenAI) -> None:
    server.actions.append(("status", 200, b"<html>not json</html>"))
    with OpenAIHTTPBackend(server.base_url, "m") as b, pytest.raises(LLMBackendError, match="unreadable"):
        b.complete(req())


def test_formalize_end_to_end_over_http(server: FakeOpenAI, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPTSOLVE_RETRIEVER", "tfidf")
    server.actions.extend([("ok", ["```json\n{oops\n```"]), ("ok", [json.dumps(BAKERY_MODEL)])])
    res = formalize(BAKERY, FormalizeOptions(backend="openai", base_url=server.base_url, model="m"))
    assert res.result is not None and res.result.objective == pytest.approx(1200)
    assert res.backend == "openai" and [a.status for a in res.attempts] == ["parse_error", "optimal"]
    second = server.requests[1]["body"]["messages"]
    assert second[-2] == {"role": "assistant", "content": "```json\n{oops\n```"}
    assert "not valid JSON" in second[-1]["content"]
