"""OpenAI-compatible chat-completions backend over HTTP (``vllm serve``, llama.cpp's server, hosted APIs).

Structured output: the Formulation v1 JSON schema goes out as ``response_format: json_schema``; a server
that answers 400 to that is asked again with ``json_object``, then with no ``response_format`` at all,
and the mode that worked is remembered for the next calls. 429 and 5xx answers are retried with
exponential backoff (``Retry-After`` honoured, capped). Timeouts, refused or dropped connections and
unreadable answers raise :class:`LLMBackendError` with a hint.
"""

from __future__ import annotations

import contextlib
import os
import time
from typing import Any

import httpx

from optsolve.errors import LLMBackendError
from optsolve.formalize.backends.base import CompletionRequest, LLMBackend

DEFAULT_BASE_URL = "http://127.0.0.1:8000/v1"
RESPONSE_FORMATS = ("json_schema", "json_object", "none")


def chat_url(base_url: str) -> str:
    """The chat-completions endpoint for a base URL given with or without ``/v1``."""
    url = base_url.rstrip("/")
    if url.endswith("/chat/completions"):
        return url
    if url.endswith("/v1"):
        return url + "/chat/completions"
    return url + "/v1/chat/completions"


def api_key_from_env() -> str | None:
    return os.environ.get("OPTSOLVE_API_KEY") or os.environ.get("OPENAI_API_KEY") or None


class OpenAIHTTPBackend(LLMBackend):
    """Chat completions over HTTP with httpx."""

    name = "openai"

    def __init__(self, base_url: str | None = None, model: str | None = None, *, api_key: str | None = None,
                 timeout: float = 120.0, max_retries: int = 3, backoff: float = 0.5,
                 response_format: str = "json_schema") -> None:
        if response_format not in RESPONSE_FORMATS:
            raise LLMBackendError(f"unknown response format {response_format!r}",
                                  hint=f"use one of {', '.join(RESPONSE_FORMATS)}")
        self.base_url = base_url or os.environ.get("OPTSOLVE_BASE_URL") or DEFAULT_BASE_URL
        self.url = chat_url(self.base_url)
        self.model = model
        self.api_key = api_key if api_key is not None else api_key_from_env()
        self.timeout = timeout
        self.max_retries = max(0, max_retries)
        self.backoff = backoff
        self.response_format = response_format
        headers = {"Content-Type": "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        self._client = httpx.Client(headers=headers, timeout=timeout)

    # -- public --------------------------------------------------------------------------------
    def complete(self, request: CompletionRequest) -> list[str]:
        out: list[str] = []
        # servers that ignore ``n`` (llama.cpp) answer one choice: ask again until we have n
        for _ in range(max(1, request.n)):
            need = request.n - len(out)
            if need <= 0:
                break
            out.extend(self._complete_once(request, need))
        return out[: request.n]

    def close(self) -> None:
        self._client.close()

    # -- internals -----------------------------------------------------------------------------
    def _model_name(self, timeout: float) -> str:
        """The configured model, else the first one the server lists (``vllm serve`` needs the name)."""
        if self.model:
            return self.model
        try:
            resp = self._client.get(self.url.rsplit("/chat/completions", 1)[0] + "/models", timeout=timeout)
            data = resp.json().get("data") or []
            if resp.status_code == 200 and data and isinstance(data[0], dict) and data[0].get("id"):
                self.model = str(data[0]["id"])
                return self.model
        except (httpx.HTTPError, ValueError, AttributeError):
            pass
        self.model = "default"
        return self.model

    def _body(self, request: CompletionRequest, n: int, fmt: str, model: str) -> dict[str, Any]:
        body: dict[str, Any] = {
            "model": model,
            "messages": request.messages,
            "temperature": request.temperature,
            "max_tokens": request.max_tokens,
        }
        if n != 1:
            body["n"] = n
        if request.seed is not None:
            body["seed"] = request.seed
        if request.json_schema is not None and fmt == "json_schema":
            body["response_format"] = {"type": "json_schema", "json_schema": {
                "name": "formulation_v1", "schema": request.json_schema, "strict": False}}
        elif request.json_schema is not None and fmt == "json_object":
            body["response_format"] = {"type": "json_object"}
        return body

    def _complete_once(self, request: CompletionRequest, n: int) -> list[str]:
        timeout = request.timeout if request.timeout is not None else self.timeout
        model = self._model_name(min(timeout, 10.0))
        fmt_order = list(RESPONSE_FORMATS[RESPONSE_FORMATS.index(self.response_format):])
        last_400 = ""
        for fmt in fmt_order:
            resp = self._post_with_retries(self._body(request, n, fmt, model), timeout)
            if resp.status_code == 400 and request.json_schema is not None and fmt != "none":
                last_400 = resp.text[:300]
                continue  # the server does not take this response_format: fall back
            if resp.status_code != 200:
                raise LLMBackendError(
                    f"the LLM server at {self.url} answered HTTP {resp.status_code}: {resp.text[:300]}",
                    hint=_hint_for_status(resp.status_code))
            self.response_format = fmt
            return _choices(resp, self.url)
        raise LLMBackendError(f"the LLM server at {self.url} rejected every request format: {last_400}",
                              hint="check --model and the server's log")

    def _post_with_retries(self, body: dict[str, Any], timeout: float) -> httpx.Response:
        attempt = 0
        while True:
            try:
                resp = self._client.post(self.url, json=body, timeout=timeout)
            except httpx.TimeoutException as exc:
                raise LLMBackendError(
                    f"the LLM server at {self.url} did not answer within {timeout:g} s",
                    hint="raise the timeout (OPTSOLVE_LLM_TIMEOUT or `timeout` in optsolve.toml), "
                         "or use a faster model") from exc
            except httpx.TransportError as exc:
                if attempt < self.max_retries and isinstance(exc, httpx.ConnectError):
                    attempt += 1
                    time.sleep(self.backoff * 2 ** (attempt - 1))
                    continue
                raise LLMBackendError(
                    f"lost the connection to the LLM server at {self.url}: {type(exc).__name__}: {exc}",
                    hint="check that the server is running and --base-url / OPTSOLVE_BASE_URL points at it"
                ) from exc
            if (resp.status_code == 429 or resp.status_code >= 500) and attempt < self.max_retries:
                attempt += 1
                delay = self.backoff * 2 ** (attempt - 1)
                retry_after = resp.headers.get("retry-after")
                if retry_after:
                    with contextlib.suppress(ValueError):
                        delay = max(delay, min(float(retry_after), 30.0))
                time.sleep(delay)
                continue
            return resp


def _hint_for_status(code: int) -> str:
    if code in (401, 403):
        return "set OPTSOLVE_API_KEY or OPENAI_API_KEY to a valid key"
    if code == 404:
        return "check --base-url (it should end in /v1) and --model"
    if code == 429:
        return "the server is rate limiting: retry later or lower --samples"
    return "check the server's log"


def _choices(resp: httpx.Response, url: str) -> list[str]:
    try:
        data = resp.json()
        choices = data["choices"]
        texts = []
        for ch in choices:
            content = (ch.get("message") or {}).get("content")
            if content is None:
                content = ch.get("text")  # completions-style servers
            texts.append(str(content or ""))
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise LLMBackendError(f"unreadable answer from the LLM server at {url}: {resp.text[:200]!r}",
                              hint="is this an OpenAI-compatible /v1/chat/completions endpoint?") from exc
    if not texts:
        raise LLMBackendError(f"the LLM server at {url} returned no choices", hint="check the server's log")
    return texts
