"""The OpenAI-compatible endpoint in front of an LLM backend, driven by optsolve's own HTTP backend."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest

from optsolve.formalize import FormalizeOptions, formalize
from optsolve.formalize.backends.scripted import ScriptedBackend
from optsolve.formalize.llm_server import LLMServer, problem_text
from optsolve.formalize.prompts import formulation_messages

BAKERY = ("A bakery makes bread and cakes. Bread needs 2 hours of oven time, cakes 1 hour; the oven runs at "
          "most 40 hours. Bread earns $30 and cakes $45 a batch, and at most 25 batches of cake sell. "
          "How many of each should it bake to maximize profit?")
GOOD = json.dumps({
    "variables": {"x_bread": {"domain": "nonnegative_integers"}, "x_cakes": {"domain": "nonnegative_integers"}},
    "objective": {"sense": "maximize", "expr": "30 * x_bread + 45 * x_cakes"},
    "constraints": {"oven": {"expr": "2 * x_bread + x_cakes <= 40"}, "cakes_max": {"expr": "x_cakes <= 25"}},
})


@pytest.fixture()
def server():
    backend = ScriptedBackend(["not json at all", GOOD])
    srv = LLMServer(backend, "127.0.0.1", 0)
    srv.start_background()
    yield srv, backend
    srv.shutdown()
    srv.server_close()


def test_problem_text_is_recovered_from_optsolve_prompts():
    msgs = formulation_messages(BAKERY, [{"text": "other problem", "formulation": {"variables": {}}}])
    msgs.append({"role": "assistant", "content": "{}"})
    msgs.append({"role": "user", "content": "That failed at the validation step: ..."})
    assert problem_text(msgs) == BAKERY
    assert problem_text([{"role": "user", "content": "  maximize x  "}]) == "maximize x"


def test_formalizer_over_http_repairs_and_solves(server):
    srv, backend = server
    res = formalize(BAKERY, FormalizeOptions(backend="openai", base_url=f"http://127.0.0.1:{srv.port}/v1",
                                             max_attempts=3))
    assert res.result is not None and res.result.objective == 30 * 7 + 45 * 25
    assert len(res.attempts) == 2 and res.attempts[0].error is not None
    # the server saw the problem statement itself, recovered from the chat prompt
    assert all(r.problem_text == BAKERY for r in backend.requests)


def test_protocol_errors_are_json(server):
    srv, _ = server
    base = f"http://127.0.0.1:{srv.port}"
    with urllib.request.urlopen(f"{base}/v1/models", timeout=10) as r:
        assert json.load(r)["data"][0]["id"] == "optsolve-embedded"
    req = urllib.request.Request(f"{base}/v1/chat/completions", data=b"{not json", method="POST",
                                 headers={"Content-Type": "application/json"})
    with pytest.raises(urllib.error.HTTPError) as ei:
        urllib.request.urlopen(req, timeout=10)
    assert ei.value.code == 400 and "malformed JSON" in json.load(ei.value)["error"]["message"]
    req = urllib.request.Request(f"{base}/v1/chat/completions", data=json.dumps({"messages": []}).encode(),
                                 method="POST", headers={"Content-Type": "application/json"})
    with pytest.raises(urllib.error.HTTPError) as ei:
        urllib.request.urlopen(req, timeout=10)
    assert ei.value.code == 400
