"""The embedded default backend: optsolve's own small model, shipped in the package, CPU, offline.

It reads only ``request.problem_text`` (a small model has no use for the long instruction prompt),
draws several candidates at once (one greedy, the rest sampled), decodes each from the model's compact
language into Formulation v1, compiles and solves it, adds the text-guided repairs of the solved ones,
and returns the candidates ranked by what the text supports (numbers used, bound beside their items, in
one unit per row; comparisons the way the text states them), then by solver agreement
(:func:`optsolve.train.runtime.verified_candidates`, :mod:`optsolve.train.grounding`). A self-correction round
(``request.feedback`` set) gets the next-ranked candidates of the same draw rather than the same ones
again. Decoding is bounded in tokens and seconds, so unfamiliar text returns quickly; when nothing
decodes, the raw outputs are returned and the formalizer's loop reports "could not formalize" with
every attempt.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from importlib import resources
from pathlib import Path
from typing import Any

from optsolve.errors import LLMBackendError, OptsolveError
from optsolve.formalize.backends.base import CompletionRequest, LLMBackend

HINT = ("configure a larger model backend: `--backend openai --base-url http://HOST:PORT/v1 --model NAME`, "
        "or `--backend transformers --model /path/to/model`")

_MODELS: dict[str, Any] = {}
_LOCK = threading.Lock()


def default_model_dir() -> Path:
    """Where the shipped weights live: ``optsolve/embedded/model`` (package data)."""
    return Path(str(resources.files("optsolve.embedded"))) / "model"


def load_model(path: str | Path | None = None) -> Any:
    """The :class:`~optsolve.train.runtime.EmbeddedModel` at ``path`` (default: the shipped one), loaded
    once per process."""
    p = str(Path(path) if path else default_model_dir())
    with _LOCK:
        if p not in _MODELS:
            try:
                from optsolve.train.pointer import load_formalizer
            except ImportError as exc:
                raise LLMBackendError(f"the embedded model needs torch and transformers ({exc})",
                                      hint="pip install 'optsolve[train]', or " + HINT) from exc
            try:
                _MODELS[p] = load_formalizer(p)
            except OptsolveError:
                raise
            except (OSError, ValueError, RuntimeError) as exc:
                raise LLMBackendError(f"the embedded model at {p} cannot load: {exc}", hint=HINT) from exc
        return _MODELS[p]


# candidates per problem: the greedy one and 31 samples, ranked (docs/embedded.md). Session 15, on the
# same model and ranking: NL4Opt dev 53.3 -> 58.9 % at seed 0 (p50 0.30 -> 0.50 s); 48 candidates 57.8 %
# at p50 0.69 s
DEFAULT_SAMPLES = 32


class EmbeddedBackend(LLMBackend):
    """``name = "embedded"``: optsolve's shipped model (see docs/embedded.md)."""

    name = "embedded"
    uses_messages = False     # reads problem_text only: the formalizer skips few-shot retrieval for it

    def __init__(self, model: str | None = None, *, samples: int = DEFAULT_SAMPLES, temperature: float = 0.7,
                 max_new_tokens: int = 200, max_seconds: float = 6.0, adaptive: bool = False,
                 escalate: int | None = None) -> None:
        self.model_path = model
        # the default draws the greedy candidate and the samples and ranks them: measured against greedy-first
        # with samples only on failure (``adaptive``), test split 30.4 -> 35.1 %, validation 34.3 -> 36.5 %,
        # NL4Opt dev 4.4 % both, p50 0.12 -> 0.50 s (docs/embedded.md)
        self.adaptive = adaptive   # samples only when the greedy candidate does not solve
        self.samples = samples
        self.temperature = temperature
        self.max_new_tokens = max_new_tokens
        self.max_seconds = max_seconds
        # samples drawn again when the text finds the first pick wrong (None: the runtime's ESCALATE)
        self.escalate = escalate
        # (text, seed) -> (completions ranked, cursor of the next retry, each solved completion's
        # (candidates agreeing with it, candidates drawn)), for the latest 64 problems
        self._cache: OrderedDict[tuple[str, int], tuple[list[str], int, dict[str, tuple[int, int]]]] = OrderedDict()

    def _ranked(self, text: str, seed: int, k: int, timeout: float | None
                ) -> tuple[list[str], dict[str, tuple[int, int]]]:
        from optsolve.train.runtime import ESCALATE, verified_candidates

        model = load_model(self.model_path)
        max_s = min(self.max_seconds, timeout) if timeout else self.max_seconds
        cands, _ = verified_candidates(model, text, k=k, temperature=self.temperature, seed=seed,
                                       max_new_tokens=self.max_new_tokens, max_seconds=max_s,
                                       adaptive=self.adaptive and k == self.samples,
                                       escalate=ESCALATE if self.escalate is None else self.escalate)
        out = [c.to_text() for c in cands]
        # agreement over the candidates drawn: a repaired one (rewritten from the text) is not a vote, and
        # one no drawn candidate agrees with reports 0
        drawn = sum(not c.repaired for c in cands)
        return out, {t: (c.votes, drawn) for c, t in zip(cands, out) if c.ok}

    def agreement(self, completion: str) -> tuple[int, int] | None:
        """The solved candidates in ``completion``'s objective group, of all drawn for its problem."""
        for _ranked, _cursor, votes in reversed(self._cache.values()):
            if completion in votes:
                return votes[completion]
        return None

    def complete(self, request: CompletionRequest) -> list[str]:
        text = request.problem_text or next(
            (m.get("content", "") for m in reversed(request.messages) if m.get("role") == "user"), "")
        n = max(1, request.n)
        if not text.strip():
            raise LLMBackendError("empty problem text", hint="pass the problem statement")
        seed = request.seed or 0
        key = (text, seed)
        if key not in self._cache:
            ranked, votes = self._ranked(text, seed, max(n, self.samples), request.timeout)
            self._cache[key] = (ranked, 0, votes)
            while len(self._cache) > 64:
                self._cache.popitem(last=False)
        ranked, cursor, votes = self._cache[key]
        if request.feedback:      # a retry: move on to candidates not returned yet
            cursor = min(cursor + n, max(0, len(ranked) - n))
        self._cache[key] = (ranked, cursor, votes)
        out = ranked[cursor:cursor + n]
        while len(out) < n:       # exactly n strings, as the interface promises
            out.append(ranked[len(out) % len(ranked)] if ranked else "")
        return out

    def close(self) -> None:
        self._cache.clear()
