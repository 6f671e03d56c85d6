"""Backend selection (flags > env > ./optsolve.toml > ~/.config), the scripted and transformers
backends, and the embedded hook's failure message."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from optsolve.errors import ConfigError, LLMBackendError
from optsolve.formalize.backends import make_backend, resolve_config
from optsolve.formalize.backends.base import CompletionRequest
from optsolve.formalize.backends.scripted import ScriptedBackend


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    for k in ("OPTSOLVE_BACKEND", "OPTSOLVE_MODEL", "OPTSOLVE_BASE_URL", "OPTSOLVE_LLM_TIMEOUT"):
        monkeypatch.delenv(k, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "cfg"))
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_default_is_embedded() -> None:
    cfg = resolve_config()
    assert cfg.backend == "embedded" and cfg.sources == {}


def test_precedence_flag_env_local_user(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    user = clean_env / "cfg" / "optsolve"
    user.mkdir(parents=True)
    (user / "config.toml").write_text('backend = "vllm"\nmodel = "user-model"\ntimeout = 5\n')
    cfg = resolve_config()
    assert (cfg.backend, cfg.model, cfg.timeout) == ("vllm", "user-model", 5.0)
    (clean_env / "optsolve.toml").write_text('[formalize]\nbackend = "http"\nbase_url = "http://local/v1"\n')
    cfg = resolve_config()
    assert (cfg.backend, cfg.model, cfg.base_url) == ("openai", "user-model", "http://local/v1")
    monkeypatch.setenv("OPTSOLVE_MODEL", "env-model")
    monkeypatch.setenv("OPTSOLVE_LLM_TIMEOUT", "7.5")
    cfg = resolve_config()
    assert (cfg.model, cfg.timeout, cfg.sources["model"]) == ("env-model", 7.5, "env")
    cfg = resolve_config(backend="scripted", model="flag-model")
    assert (cfg.backend, cfg.model, cfg.sources["backend"]) == ("scripted", "flag-model", "flag")


def test_base_url_alone_selects_openai(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPTSOLVE_BASE_URL", "http://127.0.0.1:9/v1")
    assert resolve_config().backend == "openai"


def test_bad_config_is_typed(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ConfigError, match="unknown LLM backend"):
        resolve_config(backend="gpt-banana")
    (clean_env / "optsolve.toml").write_text("backend = [unclosed\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        resolve_config()
    (clean_env / "optsolve.toml").unlink()
    monkeypatch.setenv("OPTSOLVE_LLM_TIMEOUT", "soon")
    with pytest.raises(ConfigError, match="not a number"):
        resolve_config()


def test_make_backend_errors_are_typed(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="replies file"):
        make_backend(resolve_config(backend="scripted"))
    with pytest.raises(ConfigError, match="cannot read"):
        make_backend(resolve_config(backend="scripted", model=str(tmp_path / "none.jsonl")))
    with pytest.raises(ConfigError, match="does not exist"):
        make_backend(resolve_config(backend="transformers", model=str(tmp_path / "nowhere")))
    if importlib.util.find_spec("vllm") is None:
        with pytest.raises(ConfigError, match="vLLM is not installed"):
            make_backend(resolve_config(backend="vllm", model="some/model"))


def test_embedded_hook() -> None:
    if importlib.util.find_spec("optsolve.formalize.backends.embedded") is None:
        with pytest.raises(LLMBackendError, match="not installed") as info:
            make_backend(resolve_config())
        assert "--backend openai" in (info.value.hint or "")
    else:
        backend = make_backend(resolve_config())
        assert backend.name == "embedded"
        assert backend.max_seconds == 6.0     # type: ignore[attr-defined]
        backend.close()


def test_a_configured_timeout_bounds_the_embedded_draw(monkeypatch: pytest.MonkeyPatch) -> None:
    """The embedded model's draw is cut at 6 s unless the user sets a timeout (flag, env or file)."""
    if importlib.util.find_spec("optsolve.formalize.backends.embedded") is None:
        pytest.skip("no embedded backend in this build")
    assert make_backend(resolve_config(timeout=2.5)).max_seconds == 2.5     # type: ignore[attr-defined]
    monkeypatch.setenv("OPTSOLVE_LLM_TIMEOUT", "90")
    assert make_backend(resolve_config()).max_seconds == 90.0     # type: ignore[attr-defined]


def test_scripted_backend_file_forms(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    path.write_text('"text reply"\n{"reply": "wrapped"}\n\n{"variables": {}}\n')
    b = ScriptedBackend(path=path)
    req = CompletionRequest(messages=[], problem_text="p", n=2)
    assert b.complete(req) == ["text reply", "wrapped"]
    assert json.loads(b.complete(CompletionRequest(problem_text="p"))[0]) == {"variables": {}}
    with pytest.raises(LLMBackendError, match="ran out"):
        b.complete(req)
    (tmp_path / "bad.jsonl").write_text("{not json\n")
    with pytest.raises(ConfigError, match="not JSON"):
        ScriptedBackend(path=tmp_path / "bad.jsonl")


@pytest.mark.skipif(importlib.util.find_spec("transformers") is None, reason="transformers not installed")
def test_transformers_backend_with_a_tiny_local_model(tmp_path: Path) -> None:
    """A tiny randomly initialised GPT-2 and a word-level tokenizer saved to disk, loaded offline."""
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import GPT2Config, GPT2LMHeadModel, PreTrainedTokenizerFast

    from optsolve.formalize.backends.transformers_backend import TransformersBackend

    vocab = {w: i for i, w in enumerate(["<unk>", "<eos>", "user", ":", "hi", "assistant", "{", "}", "x"])}
    tok = Tokenizer(models.WordLevel(vocab=vocab, unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="<unk>", eos_token="<eos>")
    fast.save_pretrained(tmp_path)
    import torch
    torch.manual_seed(0)
    GPT2LMHeadModel(GPT2Config(vocab_size=len(vocab), n_positions=64, n_embd=16, n_layer=1, n_head=2,
                               eos_token_id=1, bos_token_id=1)).save_pretrained(tmp_path)
    backend = TransformersBackend(str(tmp_path))
    req = CompletionRequest(messages=[{"role": "user", "content": "hi"}], problem_text="hi", n=2,
                            max_tokens=5, temperature=0.8, seed=3)
    out = backend.complete(req)
    assert len(out) == 2 and all(isinstance(t, str) for t in out)
    assert backend.complete(req) == out  # same seed, same samples
    greedy = backend.complete(CompletionRequest(messages=req.messages, problem_text="hi", n=2, max_tokens=4))
    assert greedy[0] == greedy[1]
    backend.close()
