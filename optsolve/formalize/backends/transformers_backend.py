"""A local Hugging Face causal LM loaded from a directory (CPU or GPU), no network.

Uses the tokenizer's chat template when it has one, else a plain ``role: content`` transcript. Needs
the ``transformers`` package (``pip install 'optsolve[train]'``).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

from optsolve.errors import ConfigError, LLMBackendError
from optsolve.formalize.backends.base import CompletionRequest, LLMBackend


def render_transcript(messages: list[dict[str, str]]) -> str:
    """A prompt for models without a chat template."""
    parts = [f"{m.get('role', 'user')}: {m.get('content', '')}" for m in messages]
    return "\n\n".join(parts) + "\n\nassistant: "


class TransformersBackend(LLMBackend):
    name = "transformers"

    def __init__(self, model: str | None, *, device: str | None = None, dtype: str | None = None) -> None:
        if not model:
            raise ConfigError("the transformers backend needs a model directory",
                              hint="pass --model /path/to/model (a Hugging Face model saved locally)")
        path = Path(model).expanduser()
        if not path.is_dir():
            raise ConfigError(f"model directory {path} does not exist",
                              hint="pass --model with a local directory holding config.json and weights")
        if importlib.util.find_spec("transformers") is None:
            raise ConfigError("the transformers backend needs the transformers package",
                              hint="pip install 'optsolve[train]'")
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # stderr belongs to optsolve's own progress messages

        self._torch = torch
        self.tokenizer: Any = None
        self.model: Any = None
        self.device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        try:
            self.tokenizer = AutoTokenizer.from_pretrained(str(path), local_files_only=True)
            kwargs: dict[str, Any] = {"local_files_only": True}
            if dtype:
                kwargs["dtype"] = getattr(torch, dtype)
            loaded: Any = AutoModelForCausalLM.from_pretrained(str(path), **kwargs)
            self.model = loaded.to(self.device)
        except (OSError, ValueError) as exc:
            raise ConfigError(f"cannot load a causal LM from {path}: {exc}",
                              hint="the directory must hold a transformers model and its tokenizer") from exc
        self.model.eval()
        self.model_path = str(path)

    def _prompt_ids(self, messages: list[dict[str, str]]) -> Any:
        tok: Any = self.tokenizer
        if getattr(tok, "chat_template", None):
            ids = tok.apply_chat_template(messages, add_generation_prompt=True, return_tensors="pt",
                                          return_dict=True)
            return ids["input_ids"]
        return tok(render_transcript(messages), return_tensors="pt")["input_ids"]

    def complete(self, request: CompletionRequest) -> list[str]:
        torch = self._torch
        if request.seed is not None:
            torch.manual_seed(request.seed)
        try:
            input_ids = self._prompt_ids(request.messages).to(self.device)
            do_sample = request.temperature > 0
            gen_kwargs: dict[str, Any] = {
                "max_new_tokens": request.max_tokens,
                "do_sample": do_sample,
                # greedy decoding has one answer: generate it once, repeat it below
                "num_return_sequences": request.n if request.temperature > 0 else 1,
                "attention_mask": torch.ones_like(input_ids),
            }
            if do_sample:
                gen_kwargs["temperature"] = request.temperature
            pad = self.tokenizer.pad_token_id
            if pad is None:
                pad = self.tokenizer.eos_token_id
            if pad is not None:
                gen_kwargs["pad_token_id"] = pad
            with torch.no_grad():
                out = self.model.generate(input_ids, **gen_kwargs)
        except (RuntimeError, ValueError) as exc:
            raise LLMBackendError(f"local model {self.model_path} failed to generate: {exc}",
                                  hint="check the model directory, or lower max_tokens") from exc
        n_prompt = input_ids.shape[1]
        texts: list[str] = [str(self.tokenizer.decode(row[n_prompt:], skip_special_tokens=True)) for row in out]
        if not do_sample and request.n > 1:
            texts = [texts[0]] * request.n
        return texts[: request.n]

    def close(self) -> None:
        self.model = None
