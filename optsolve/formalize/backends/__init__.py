"""LLM backends behind one interface, and how one is chosen.

Precedence, first that says something wins, per setting: the flags / :class:`FormalizeOptions`
(``--backend``, ``--model``, ``--base-url``), the environment (``OPTSOLVE_BACKEND``, ``OPTSOLVE_MODEL``,
``OPTSOLVE_BASE_URL``, ``OPTSOLVE_LLM_TIMEOUT``), ``./optsolve.toml``, then
``~/.config/optsolve/config.toml`` (``$XDG_CONFIG_HOME`` respected). In a config file the keys live at
the top level or in a ``[formalize]`` table: ``backend``, ``model``, ``base_url``, ``timeout``,
``response_format``. With nothing configured the backend is ``embedded`` (``openai`` when only a base
URL is given). For the embedded model a configured ``timeout`` is the time bound of its draw of
candidates (6 s when unset).
"""

from __future__ import annotations

import importlib
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from optsolve.errors import ConfigError, LLMBackendError
from optsolve.formalize.backends.base import CompletionRequest, LLMBackend

__all__ = ["BACKENDS", "BackendConfig", "CompletionRequest", "LLMBackend", "make_backend", "resolve_config"]

#: backend names and aliases -> canonical name
BACKENDS: dict[str, str] = {
    "openai": "openai", "http": "openai", "openai-compatible": "openai",
    "vllm": "vllm",
    "transformers": "transformers", "hf": "transformers", "local": "transformers",
    "embedded": "embedded",
    "scripted": "scripted",
}


@dataclass
class BackendConfig:
    backend: str = "embedded"
    model: str | None = None
    base_url: str | None = None
    timeout: float = 120.0
    response_format: str = "json_schema"
    sources: dict[str, str] = field(default_factory=dict)  # setting -> where it came from


def config_files() -> list[Path]:
    xdg = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return [Path.cwd() / "optsolve.toml", Path(xdg) / "optsolve" / "config.toml"]


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError:
        return {}
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})", hint="fix or remove the file") from exc
    section = data.get("formalize")
    return dict(section) if isinstance(section, dict) else data


def resolve_config(backend: str | None = None, model: str | None = None, base_url: str | None = None,
                   *, timeout: float | None = None) -> BackendConfig:
    layers: list[tuple[str, dict[str, Any]]] = [
        ("flag", {"backend": backend, "model": model, "base_url": base_url, "timeout": timeout}),
        ("env", {"backend": os.environ.get("OPTSOLVE_BACKEND"), "model": os.environ.get("OPTSOLVE_MODEL"),
                 "base_url": os.environ.get("OPTSOLVE_BASE_URL"),
                 "timeout": os.environ.get("OPTSOLVE_LLM_TIMEOUT")}),
    ]
    layers += [(str(p), _read_toml(p)) for p in config_files() if p.is_file()]
    cfg = BackendConfig()
    for key in ("backend", "model", "base_url", "timeout", "response_format"):
        for source, values in layers:
            value = values.get(key)
            if value not in (None, ""):
                if key == "timeout":
                    try:
                        value = float(value)
                    except (TypeError, ValueError) as exc:
                        raise ConfigError(f"timeout from {source} is not a number: {value!r}") from exc
                setattr(cfg, key, value)
                cfg.sources[key] = source
                break
    if "backend" not in cfg.sources and "base_url" in cfg.sources:
        cfg.backend = "openai"
    name = BACKENDS.get(str(cfg.backend).lower())
    if name is None:
        raise ConfigError(f"unknown LLM backend {cfg.backend!r}",
                          hint=f"choose one of {', '.join(sorted(set(BACKENDS.values())))}")
    cfg.backend = name
    return cfg


EMBEDDED_MISSING_HINT = (
    "configure another backend: `--backend openai --base-url http://HOST:PORT/v1 --model NAME` "
    "(or OPTSOLVE_BACKEND / OPTSOLVE_BASE_URL / OPTSOLVE_MODEL, or ./optsolve.toml), "
    "`--backend transformers --model /path/to/model`, or `--backend vllm --model NAME`")


def make_backend(cfg: BackendConfig) -> LLMBackend:
    """Instantiate the configured backend (imports are lazy: heavy packages load only when chosen)."""
    if cfg.backend == "openai":
        from optsolve.formalize.backends.openai_http import OpenAIHTTPBackend
        return OpenAIHTTPBackend(cfg.base_url, cfg.model, timeout=cfg.timeout,
                                 response_format=cfg.response_format)
    if cfg.backend == "scripted":
        from optsolve.formalize.backends.scripted import ScriptedBackend
        if not cfg.model:
            raise ConfigError("the scripted backend needs a replies file",
                              hint="pass --model replies.jsonl (one reply per line)")
        return ScriptedBackend(path=cfg.model)
    if cfg.backend == "transformers":
        from optsolve.formalize.backends.transformers_backend import TransformersBackend
        return TransformersBackend(cfg.model)
    if cfg.backend == "vllm":
        from optsolve.formalize.backends.vllm_backend import VLLMBackend
        return VLLMBackend(cfg.model)
    # embedded
    try:
        mod = importlib.import_module("optsolve.formalize.backends.embedded")
    except ModuleNotFoundError as exc:
        if exc.name not in ("optsolve.formalize.backends.embedded",):
            raise LLMBackendError(f"the embedded model cannot load: missing package {exc.name}",
                                  hint=EMBEDDED_MISSING_HINT) from exc
        raise LLMBackendError("the embedded default model is not installed in this build of optsolve",
                              hint=EMBEDDED_MISSING_HINT) from exc
    cls = getattr(mod, "EmbeddedBackend", None)
    if cls is None:
        raise LLMBackendError("the embedded default model is not installed in this build of optsolve",
                              hint=EMBEDDED_MISSING_HINT)
    kwargs: dict[str, Any] = {"model": cfg.model} if cfg.model else {}
    if "timeout" in cfg.sources:
        # a timeout the user set is the draw's time bound (default 6 s): a slow or loaded machine then
        # waits for all the candidates instead of ranking the ones drawn in time
        kwargs["max_seconds"] = cfg.timeout
    backend = cls(**kwargs)
    if not isinstance(backend, LLMBackend):
        raise LLMBackendError("the embedded backend does not implement LLMBackend", hint=EMBEDDED_MISSING_HINT)
    return backend
