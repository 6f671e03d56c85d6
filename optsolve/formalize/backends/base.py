"""The one interface every language-model backend implements.

Other areas code against this file (the embedded model, the gRPC service): keep it stable.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any


@dataclass
class CompletionRequest:
    """One request for ``n`` completions of a chat conversation."""

    messages: list[dict[str, str]] = field(default_factory=list)  # chat messages (system/user/assistant)
    problem_text: str = ""              # the raw problem statement (small models use only this)
    n: int = 1
    temperature: float = 0.0
    max_tokens: int = 2048
    json_schema: dict[str, Any] | None = None   # Formulation v1 schema for structured output
    seed: int | None = None
    timeout: float | None = None
    feedback: str | None = None         # the last error, for self-correction (also inside messages)


class LLMBackend(ABC):
    """A source of completions. ``complete`` returns exactly ``request.n`` strings or raises
    :class:`optsolve.errors.LLMBackendError`."""

    name: str = ""
    #: False for backends that read only ``problem_text`` (small models): the formalizer then skips
    #: building the long prompt and retrieving few-shot examples
    uses_messages: bool = True

    @abstractmethod
    def complete(self, request: CompletionRequest) -> list[str]:
        """``request.n`` completions for the conversation."""

    def agreement(self, completion: str) -> tuple[int, int] | None:
        """For a backend that draws several candidates itself and votes among them (the embedded
        model): how many of the candidates it drew agree with ``completion`` (a string it returned
        for the latest problems) and how many it drew. None agree (0) when ``completion`` is not one it
        drew but one it rewrote from the text (the embedded model's repairs). ``None`` for every other
        backend, whose agreement is measured by the formalizer's own ``--samples``."""
        return None

    def close(self) -> None:  # noqa: B027 - optional hook, most backends hold nothing
        """Release what the backend holds (connections, model memory)."""

    def __enter__(self) -> LLMBackend:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
