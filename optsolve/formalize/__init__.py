"""Natural language to Formulation v1: LLM backends, five-element prompting, a bounded self-correction
loop, self-consistency voting, and a sandboxed code mode.

>>> from optsolve.formalize import formalize, FormalizeOptions
>>> res = formalize("A bakery makes bread and cakes ...", FormalizeOptions(samples=3))
>>> res.result.objective, res.confidence
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from optsolve.errors import FormalizeError, InputError, LimitError, OptsolveError
from optsolve.formalize.backends import make_backend, resolve_config
from optsolve.formalize.backends.base import CompletionRequest, LLMBackend
from optsolve.formalize.loop import SAMPLING_TEMPERATURE, Attempt, Event, Loop, SampleOutcome, failure, vote
from optsolve.solvers.result import SolveOptions, SolveResult

__all__ = [
    "MAX_TEXT_CHARS", "Attempt", "CompletionRequest", "Event", "FormalizeError", "FormalizeOptions",
    "FormalizeResult", "LLMBackend", "SampleOutcome", "check_text", "formalize", "plan", "sample_outcomes",
]

MAX_TEXT_CHARS = 20_000
FEW_SHOT_K = 3


class FormalizeOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    backend: str | None = None
    model: str | None = None
    base_url: str | None = None
    samples: int = Field(default=1, ge=1, le=64)
    max_attempts: int = Field(default=3, ge=1, le=20)
    temperature: float = Field(default=0.0, ge=0.0, le=2.0)
    mode: Literal["formulation", "code"] = "formulation"
    time_limit: float | None = Field(default=None, gt=0)
    seed: int = 0
    solver: str | None = None          # force a solver backend by name
    few_shot: int = Field(default=FEW_SHOT_K, ge=0, le=8)
    max_tokens: int = Field(default=2048, ge=16)
    llm_timeout: float | None = Field(default=None, gt=0)
    reject_trivial: bool = True        # an all-zero optimum of 0 triggers a repair round


class FormalizeResult(BaseModel):
    formulation: dict[str, Any] | None
    result: SolveResult | None
    attempts: list[Attempt]
    confidence: float
    backend: str
    route: str | None
    script: str | None = None          # code mode: the Pyomo script whose result this is
    # what ``confidence`` counts: agreeing ``votes`` of ``of`` drawn; ``basis`` "samples" (the
    # formalizer's own --samples) or "candidates" (a backend that drew and voted itself: the embedded
    # model's 16)
    agreement: dict[str, Any] | None = None

    def to_json_dict(self) -> dict[str, Any]:
        """The spec's result (when solved) plus ``formulation``, ``attempts``, ``confidence``..."""
        out: dict[str, Any] = self.result.to_json_dict() if self.result is not None else {}
        out.update({
            "formulation": self.formulation,
            "attempts": [a.model_dump(mode="json") for a in self.attempts],
            "confidence": self.confidence,
            "backend": self.backend,
            "route": self.route,
        })
        if self.agreement is not None:
            out["agreement"] = self.agreement
        if self.script is not None:
            out["script"] = self.script
        return out


# -- input checks -------------------------------------------------------------------------------

_OPT_WORDS = re.compile(
    r"\b(maxim|minim|optim|profit|cost|revenue|budget|capacit|at (?:least|most)|no (?:more|less|fewer) than|"
    r"limit|constrain|schedul|assign|allocat|how many|how much|should|must|requires?|demand|produc|"
    r"maximum|minimum|lowest|highest|fewest|most|least|cheapest|shortest|feasib|decid|select|choose|"
    r"plan|invest|blend|mix|route|transport|ship|staff|shift|knapsack|cover)", re.IGNORECASE)
_EN_STOP = frozenset(["the", "a", "an", "of", "and", "to", "in", "is", "are", "for", "each", "per", "with",
                      "at", "by", "it", "be", "can", "on", "or", "that", "this", "must", "has", "have",
                      "will", "from", "as", "than", "should", "what", "how", "which"])


def check_text(text: str) -> str:
    """The stripped problem text, or a typed error saying what is wrong with it."""
    if text is None or not str(text).strip():
        raise InputError("the problem text is empty",
                         hint='pass the problem as an argument, with --file FILE, or on standard input: '
                              'optsolve "A bakery makes bread and cakes ..."')
    text = str(text).strip()
    if len(text) > MAX_TEXT_CHARS:
        raise LimitError(f"the problem text is {len(text)} characters, over the limit of {MAX_TEXT_CHARS}",
                         hint="shorten the statement to the data and requirements that matter")
    letters = [c for c in text if c.isalpha()]
    if letters:
        latin = sum(1 for c in letters if c.isascii())
        if latin / len(letters) < 0.6:
            raise InputError("the problem text does not look like English",
                             hint="write the problem in English; the models are trained on English text")
    words = re.findall(r"[A-Za-z']+", text.lower())
    if len(words) >= 15 and sum(w in _EN_STOP for w in words) / len(words) < 0.06:
        raise InputError("the problem text does not look like English",
                         hint="write the problem in English; the models are trained on English text")
    if not _OPT_WORDS.search(text):
        raise InputError("the text does not look like an optimization problem: it names no goal "
                         "(maximize/minimize...) and no requirement (at most, at least, budget, capacity...)",
                         hint="state the decisions, the goal and the limits, e.g. 'maximize profit subject "
                              "to at most 40 hours of labor'")
    return text


# -- the API ------------------------------------------------------------------------------------

@functools.lru_cache(maxsize=1)
def _formulation_schema() -> dict[str, Any]:
    from optsolve.formulation.schema import json_schema

    return json_schema()


def _base_messages(text: str, options: FormalizeOptions, backend: LLMBackend) -> list[dict[str, str]]:
    from optsolve.formalize import prompts

    if options.mode == "code":
        try:
            from optsolve.formalize.code_mode import CODE_MODE_CONTRACT
        except ImportError as exc:
            raise OptsolveError("code mode is not available in this build (the sandbox module is missing)",
                                hint="use the default --mode formulation") from exc
        return prompts.code_messages(text, CODE_MODE_CONTRACT)
    examples: list[dict[str, Any]] = []
    # a backend that reads only problem_text (the small embedded model) needs no retrieval
    if options.few_shot and getattr(backend, "uses_messages", True):
        from optsolve.formalize.retrieval import default_retriever
        examples = default_retriever().top_k(text, options.few_shot)
    return prompts.formulation_messages(text, examples)


def _loop(text: str, options: FormalizeOptions, backend: LLMBackend, *, solve: bool,
          on_event: Callable[[Event], None] | None = None) -> Loop:
    temperature = options.temperature
    if options.samples > 1 and temperature == 0.0:
        temperature = SAMPLING_TEMPERATURE
    json_schema = _formulation_schema() if options.mode == "formulation" else None
    return Loop(backend, problem=text, base_messages=_base_messages(text, options, backend),
                mode=options.mode, max_attempts=options.max_attempts, temperature=temperature,
                seed=options.seed,
                solve_options=SolveOptions(time_limit=options.time_limit, solver=options.solver,
                                           seed=options.seed),
                solve=solve, json_schema=json_schema, max_tokens=options.max_tokens,
                timeout=options.llm_timeout, on_event=on_event, reject_trivial=options.reject_trivial)


def sample_outcomes(text: str, options: FormalizeOptions, backend: LLMBackend) -> list[SampleOutcome]:
    """``options.samples`` formulations of ``text``, each through the repair loop and solved, before
    any vote: what self-consistency votes on, and what self-labelling filters."""
    return _loop(check_text(text), options, backend, solve=True).run(options.samples)


def _agreement(backend: LLMBackend, attempts: list[Attempt], chosen: SampleOutcome, n_samples: int,
               confidence: float) -> dict[str, Any]:
    """What the confidence counts. With one sample from a backend that voted among candidates of its
    own, its vote (k of the candidates it drew agree) says more than "1 of 1 sample"."""
    if n_samples == 1 and chosen.ok:
        raw = next((a.raw for a in reversed(attempts) if a.sample == chosen.sample), None)
        own = backend.agreement(raw) if raw is not None else None
        if own is not None and own[1] > 0:
            return {"votes": int(own[0]), "of": int(own[1]), "basis": "candidates"}
    n = max(1, n_samples)
    return {"votes": round(confidence * n), "of": n, "basis": "samples"}


def formalize(text: str, options: FormalizeOptions | None = None, *, solve: bool = True,
              on_event: Callable[[Event], None] | None = None,
              backend: LLMBackend | None = None) -> FormalizeResult:
    """Formalize ``text`` (and solve it unless ``solve=False``; the model is compile-checked either way).

    Raises :class:`InputError`/:class:`LimitError` for bad text, :class:`LLMBackendError` when the
    backend fails, and :class:`FormalizeError` (carrying every attempt) when no attempt compiles.
    """
    options = options or FormalizeOptions()
    text = check_text(text)
    own_backend = backend is None
    if backend is None:
        cfg = resolve_config(options.backend, options.model, options.base_url, timeout=options.llm_timeout)
        backend = make_backend(cfg)
    try:
        if on_event:
            on_event(Event("formalizing", f"formalizing with backend {backend.name}"))
        loop = _loop(text, options, backend, solve=solve, on_event=on_event)
        outcomes = loop.run(options.samples)
        chosen, confidence, clusters = vote(outcomes)
        if chosen is None:
            raise failure(loop.attempts, backend.name)
        agreement = _agreement(backend, loop.attempts, chosen, len(outcomes), confidence)
        confidence = agreement["votes"] / agreement["of"]
        out = FormalizeResult(formulation=chosen.formulation, result=chosen.result, attempts=loop.attempts,
                              confidence=confidence, backend=backend.name, route=chosen.route,
                              script=chosen.script, agreement=agreement)
        if on_event:
            status = chosen.result.status.value if chosen.result is not None else "compiled"
            on_event(Event("result", f"{status}, confidence {confidence:.2f}", None,
                           {"status": status, "confidence": confidence, "clusters": clusters}))
        return out
    finally:
        if own_backend:
            backend.close()


def plan(text: str, options: FormalizeOptions | None = None,
         backend: LLMBackend | None = None) -> FormalizeResult:
    """The formulation only (compile-checked, not solved)."""
    return formalize(text, options, solve=False, backend=backend)
