"""In-process vLLM (GPU machines, batch jobs): ``pip install 'optsolve[vllm]'``.

Guided decoding keeps every completion inside the Formulation v1 JSON schema: vLLM >= 0.12 takes
``SamplingParams(structured_outputs=StructuredOutputsParams(json=schema))``; older releases took
``guided_decoding=GuidedDecodingParams(json=schema)``; both are tried.
"""

from __future__ import annotations

import importlib.util
from typing import Any

from optsolve.errors import ConfigError, LLMBackendError
from optsolve.formalize.backends.base import CompletionRequest, LLMBackend


def _structured_kwargs(schema: dict[str, Any]) -> dict[str, Any]:
    try:
        from vllm.sampling_params import StructuredOutputsParams
        return {"structured_outputs": StructuredOutputsParams(json=schema)}
    except ImportError:
        from vllm.sampling_params import GuidedDecodingParams
        return {"guided_decoding": GuidedDecodingParams(json=schema)}


class VLLMBackend(LLMBackend):
    name = "vllm"

    def __init__(self, model: str | None, **engine_kwargs: Any) -> None:
        if not model:
            raise ConfigError("the vllm backend needs a model", hint="pass --model NAME_OR_PATH")
        if importlib.util.find_spec("vllm") is None:
            raise ConfigError("vLLM is not installed",
                              hint="pip install 'optsolve[vllm]' on a GPU machine, or use --backend openai "
                                   "against a `vllm serve` server")
        from vllm import LLM

        try:
            self.llm = LLM(model=model, **engine_kwargs)
        except Exception as exc:  # vLLM raises many types on start-up (CUDA, config, memory)
            raise LLMBackendError(f"vLLM could not load {model}: {exc}",
                                  hint="check the GPU and the model path") from exc
        self.model = model

    def complete(self, request: CompletionRequest) -> list[str]:
        from vllm import SamplingParams

        kwargs: dict[str, Any] = {"n": request.n, "temperature": request.temperature,
                                  "max_tokens": request.max_tokens, "seed": request.seed}
        if request.json_schema is not None:
            kwargs.update(_structured_kwargs(request.json_schema))
        try:
            outputs = self.llm.chat(request.messages, SamplingParams(**kwargs), use_tqdm=False)
        except Exception as exc:  # surface engine failures as our typed error
            raise LLMBackendError(f"vLLM generation failed: {exc}", hint="check the GPU memory") from exc
        texts = [c.text for c in outputs[0].outputs]
        if len(texts) < request.n:
            raise LLMBackendError(f"vLLM returned {len(texts)} completions, expected {request.n}")
        return texts

    def close(self) -> None:
        self.llm = None
