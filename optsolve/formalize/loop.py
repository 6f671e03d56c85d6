"""The self-correction loop and self-consistency voting.

One *sample* is a conversation: ask, then parse -> validate -> compile -> solve; on any failure the
model's reply and the error go back into the conversation and it tries again, up to ``max_attempts``
rounds. ``samples`` conversations run and their objective values vote. Every round is an
:class:`Attempt` (they are training data too).
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel

from optsolve.errors import (
    FormalizeError,
    LLMBackendError,
    OptsolveError,
    ParseError,
    SandboxError,
    SolverError,
)
from optsolve.formalize import prompts
from optsolve.formalize.backends.base import CompletionRequest, LLMBackend
from optsolve.formalize.extract import extract_code, extract_json
from optsolve.solvers.result import SolveOptions, SolveResult, Status

log = logging.getLogger(__name__)

NO_SOLUTION = {Status.INFEASIBLE, Status.UNBOUNDED, Status.INFEASIBLE_OR_UNBOUNDED}
#: relative tolerance under which two objective values are one vote
VOTE_RTOL = 1e-6
#: temperature used for self-consistency when the caller left it at 0 (identical samples vote nothing)
SAMPLING_TEMPERATURE = 0.7


class Attempt(BaseModel):
    """One round of one sample."""

    index: int                      # 0-based over the whole call
    sample: int                     # which self-consistency sample
    round: int                      # 0-based round inside the sample
    raw: str                        # what the LLM wrote
    formulation: dict[str, Any] | None = None
    error: dict[str, Any] | None = None
    status: str                     # a solve status, or parse_error/validation_error/compile_error/...
    objective: float | None = None
    seconds: float = 0.0


@dataclass
class Event:
    kind: Literal["formalizing", "attempt", "compiling", "solving", "result"]
    message: str
    attempt: int | None = None
    data: dict[str, Any] | None = None


EventSink = Callable[[Event], None]


@dataclass
class SampleOutcome:
    sample: int
    formulation: dict[str, Any] | None
    result: SolveResult | None
    route: str | None
    ok: bool                 # compiled (plan) or solved with a solution
    script: str | None = None  # code mode: the script that ran


def _stage_status(err: OptsolveError) -> tuple[str, str]:
    """(stage named in feedback, attempt status) for an error."""
    code = err.code
    if isinstance(err, ParseError) and code == "E_PARSE":
        return "parse", "parse_error"
    if code in ("E_VALIDATION", "E_FORBIDDEN"):
        return "validation", "validation_error"
    if code in ("E_COMPILE", "E_LIMIT"):
        return "compile", "compile_error"
    if isinstance(err, SandboxError):
        return "run", "sandbox_error"
    return "solve", "solver_error"


def _error_text(err: OptsolveError) -> tuple[str, str]:
    msg = f"[{err.code}] {err.message}"
    if err.where:
        msg = f"[{err.code}] {err.where}: {err.message}"
    details = f"Hint: {err.hint}" if err.hint else ""
    return msg, details


def _no_solution_feedback(res: SolveResult) -> tuple[str, str]:
    if res.status == Status.INFEASIBLE:
        details = ""
        if res.explanation:
            details = "These constraints conflict: " + "; ".join(res.explanation[:8]) + "."
        return ("the model is infeasible, but the problem describes a feasible situation",
                details + " Check the direction of each inequality, the units, and whether a "
                          "requirement was read as an equality.")
    if res.status == Status.UNBOUNDED:
        return ("the objective is unbounded, but the problem has a finite optimum",
                "A limit in the text is missing, a variable lacks its nonnegative domain, or the objective "
                "sense is reversed.")
    return ("the model is infeasible or unbounded",
            "Check every inequality's direction, the objective sense, and the variables' domains.")


class Loop:
    """Runs samples and repair rounds against one backend."""

    def __init__(self, backend: LLMBackend, *, problem: str, base_messages: list[dict[str, str]],
                 mode: Literal["formulation", "code"], max_attempts: int, temperature: float,
                 seed: int, solve_options: SolveOptions, solve: bool, json_schema: dict[str, Any] | None,
                 max_tokens: int = 2048, timeout: float | None = None,
                 on_event: EventSink | None = None, reject_trivial: bool = True) -> None:
        self.backend = backend
        self.problem = problem
        self.base_messages = base_messages
        self.mode = mode
        self.max_attempts = max(1, max_attempts)
        self.temperature = temperature
        self.seed = seed
        self.solve_options = solve_options
        self.solve = solve
        self.json_schema = json_schema
        self.max_tokens = max_tokens
        self.timeout = timeout
        self.on_event = on_event
        self.reject_trivial = reject_trivial
        self.attempts: list[Attempt] = []
        self.prompt_version = prompts.CODE_PROMPT if mode == "code" else prompts.FORMULATION_PROMPT

    def emit(self, kind: Literal["formalizing", "attempt", "compiling", "solving", "result"], message: str,
             attempt: int | None = None, data: dict[str, Any] | None = None) -> None:
        if self.on_event is not None:
            self.on_event(Event(kind, message, attempt, data))

    def _ask(self, messages: list[dict[str, str]], n: int, seed: int, feedback: str | None) -> list[str]:
        req = CompletionRequest(messages=messages, problem_text=self.problem, n=n,
                                temperature=self.temperature, max_tokens=self.max_tokens,
                                json_schema=self.json_schema if self.mode == "formulation" else None,
                                seed=seed, timeout=self.timeout, feedback=feedback)
        replies = self.backend.complete(req)
        if len(replies) < n:
            raise LLMBackendError(f"backend {self.backend.name!r} returned {len(replies)} completions, "
                                  f"expected {n}")
        return list(replies[:n])

    # -- one reply through the pipeline ---------------------------------------------------------
    def _evaluate(self, raw: str, attempt_index: int) -> tuple[dict[str, Any] | None, SolveResult | None,
                                                               str | None, OptsolveError | None]:
        """(formulation, result, route, error) for one reply."""
        if self.mode == "code":
            return self._evaluate_code(raw, attempt_index)
        from optsolve.formulation import compile_model, load_formulation
        from optsolve.solvers import route

        formulation: dict[str, Any] | None = None
        try:
            obj = extract_json(raw)
            form = load_formulation(obj)
            formulation = form.to_json_dict()
            self.emit("compiling", "compiling the model", attempt_index)
            gm = compile_model(form)
            backend_name = route(gm) if self.solve_options.solver is None else self.solve_options.solver
            if not self.solve:
                return formulation, None, backend_name, None
            self.emit("solving", f"solving with {backend_name}", attempt_index, {"solver": backend_name})
            res = self._solve_guarded(gm, attempt_index)
            return formulation, res, res.solver or backend_name, None
        except OptsolveError as err:
            if isinstance(err, LLMBackendError):
                raise
            return formulation, None, None, err

    def _solve_guarded(self, gm: Any, attempt_index: int) -> SolveResult:
        """Solve; a bug in the solver layer must not kill the loop or reach the user as a traceback. A
        failure inside the optional infeasibility explanation is retried without it."""
        from dataclasses import replace

        from optsolve.solvers import solve as run_solve

        try:
            return run_solve(gm, self.solve_options)
        except OptsolveError:
            raise
        except Exception as exc:
            log.warning("solver failure on attempt %d (%s: %s); retrying without the explanation",
                        attempt_index, type(exc).__name__, exc)
            first = exc
        try:
            return run_solve(gm, replace(self.solve_options, explain=False))
        except OptsolveError:
            raise
        except Exception as exc:
            log.exception("solver failure on attempt %d", attempt_index)
            raise SolverError(f"internal solver failure: {type(exc).__name__}: {exc}",
                              hint="report this; try --solver with another backend") from first

    def _evaluate_code(self, raw: str, attempt_index: int) -> tuple[dict[str, Any] | None, SolveResult | None,
                                                                    str | None, OptsolveError | None]:
        try:
            script = extract_code(raw)
        except OptsolveError as err:
            return None, None, None, err
        if not self.solve:
            return None, None, "sandbox", None
        from optsolve.formalize.code_mode import run_code

        self.emit("solving", "running the script in the sandbox", attempt_index)
        # a SandboxError here means the sandbox itself cannot run: not the model's fault, so it propagates
        res = run_code(script, time_limit=self.solve_options.time_limit or 60.0)
        return None, res, res.solver or "sandbox", None

    # -- one sample -----------------------------------------------------------------------------
    def run_sample(self, sample: int, first_reply: str | None, first_seconds: float = 0.0) -> SampleOutcome:
        """One conversation. ``first_reply`` came from the batched first request, which took
        ``first_seconds`` of LLM time for this sample (its share); later rounds ask for themselves."""
        messages = list(self.base_messages)
        last: SampleOutcome = SampleOutcome(sample, None, None, None, False)
        feedback: str | None = None
        for rnd in range(self.max_attempts):
            t0 = time.perf_counter() - (first_seconds if rnd == 0 else 0.0)
            index = len(self.attempts)
            if rnd == 0 and first_reply is not None:
                raw = first_reply
            else:
                raw = self._ask(messages, 1, self.seed + 1000 * sample + rnd, feedback)[0]
            formulation, res, route_name, err = self._evaluate(raw, index)
            att = Attempt(index=index, sample=sample, round=rnd, raw=raw, formulation=formulation,
                          seconds=0.0, status="")
            if err is not None:
                stage, att.status = _stage_status(err)
                att.error = err.to_dict()
                error_msg, details = _error_text(err)
            elif res is not None and res.status in NO_SOLUTION:
                att.status = res.status.value
                att.error = {"code": "E_NO_SOLUTION", "message": f"the model is {res.status.value}"}
                if res.explanation:
                    att.error["explanation"] = list(res.explanation)
                stage = "solve"
                error_msg, details = _no_solution_feedback(res)
                last = SampleOutcome(sample, formulation, res, route_name, False)
            elif res is not None and res.status == Status.ERROR:
                if self.mode == "code":  # the script itself failed: its error and stderr go back
                    att.status = "script_error"
                    att.error = {"code": "E_SANDBOX", "message": res.message or "the script failed"}
                    stage, error_msg, details = "run", res.message or "the script failed", ""
                else:
                    att.status = "solver_error"
                    att.error = {"code": "E_SOLVER", "message": res.message or "the solver failed"}
                    stage, error_msg = "solve", f"the solver failed: {res.message or 'unknown error'}"
                    details = ""
                last = SampleOutcome(sample, formulation, None, route_name, False)
            elif (self.reject_trivial and self.mode == "formulation" and rnd < self.max_attempts - 1
                  and formulation is not None and not formulation.get("objective")
                  and _GOAL.search(self.problem)):
                att.status = "no_objective"
                att.objective = res.objective if res is not None else None
                att.error = {"code": "E_NO_OBJECTIVE", "message": "the model has no objective"}
                stage = "validation"
                error_msg = "the problem asks to maximize or minimize something, but the model has no objective"
                details = 'Add "objective": {"sense": "maximize" or "minimize", "expr": ...}.'
                last = SampleOutcome(sample, formulation, res, route_name, True)
            elif (self.reject_trivial and res is not None and rnd < self.max_attempts - 1
                  and _trivial(res)):
                # every variable zero and the objective zero: almost always a misread problem (a
                # maximize with no positive coefficient, a minimize missing its demands). Ask again, and
                # keep this solution in case every other round is worse.
                att.status = "trivial"
                att.objective = res.objective
                att.error = {"code": "E_TRIVIAL", "message": "every variable is zero at the optimum"}
                stage = "solve"
                error_msg = "the optimum sets every variable to zero with objective 0"
                details = ("The problem surely expects some activity: check the objective's coefficients and "
                           "sense, and that every requirement (demands, minimums) is a constraint.")
                last = SampleOutcome(sample, formulation, res, route_name, True)
            else:
                att.status = res.status.value if res is not None else "compiled"
                att.objective = res.objective if res is not None else None
                att.seconds = time.perf_counter() - t0
                self.attempts.append(att)
                self.emit("attempt", f"attempt {index + 1}: {att.status}", index,
                          {"sample": sample, "status": att.status, "objective": att.objective})
                script = extract_code(raw) if self.mode == "code" else None
                return SampleOutcome(sample, formulation, res, route_name, True, script)
            att.seconds = time.perf_counter() - t0
            self.attempts.append(att)
            self.emit("attempt", f"attempt {index + 1}: {att.status}: {error_msg}", index,
                      {"sample": sample, "status": att.status, "error": att.error})
            feedback = f"{error_msg} {details}".strip()
            messages = [*messages, {"role": "assistant", "content": raw},
                        prompts.repair_message(self.prompt_version, stage, error_msg, details)]
        return last

    def run(self, samples: int) -> list[SampleOutcome]:
        samples = max(1, samples)
        # the first round of every sample in one call (servers batch n completions cheaply)
        t0 = time.perf_counter()
        firsts = self._ask(self.base_messages, samples, self.seed, None)
        share = (time.perf_counter() - t0) / samples
        return [self.run_sample(s, firsts[s], share) for s in range(samples)]


#: words saying the text has a goal (so a model without an objective misread it)
_GOAL = re.compile(r"\b(maximi[sz]|minimi[sz]|optimi[sz]|as (?:much|many|few|little|large|small|cheap|"
                   r"high|low) as possible|(?:reduce|decrease|increase|lower) the (?:total|number|cost|amount))",
                   re.IGNORECASE)


def _trivial(res: SolveResult) -> bool:
    """A solved model whose optimum is 0 with every variable 0."""
    if res.status not in (Status.OPTIMAL, Status.FEASIBLE) or res.objective is None or abs(res.objective) > 1e-9:
        return False

    def zero(v: Any) -> bool:
        if isinstance(v, dict):
            return all(zero(x) for x in v.values())
        return v is None or (isinstance(v, (int, float)) and abs(v) <= 1e-9)

    return bool(res.variables) and all(zero(v) for v in res.variables.values())


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= VOTE_RTOL * max(1.0, abs(a), abs(b))


def vote(outcomes: list[SampleOutcome]) -> tuple[SampleOutcome | None, float, list[list[int]]]:
    """The majority outcome, its confidence (cluster size / number of samples) and the clusters.

    Samples with a solution cluster by objective value (within :data:`VOTE_RTOL` relative); a
    satisfaction problem's samples (no objective) form one cluster. Ties go to the earliest sample.
    """
    n = max(1, len(outcomes))
    clusters: list[list[int]] = []
    keys: list[float | None] = []
    for i, o in enumerate(outcomes):
        if not o.ok:
            continue
        obj = o.result.objective if o.result is not None else None
        for c, key in enumerate(keys):
            if (key is None and obj is None) or (key is not None and obj is not None and _close(key, obj)):
                clusters[c].append(i)
                break
        else:
            clusters.append([i])
            keys.append(obj)
    if clusters:
        best = max(clusters, key=lambda c: (len(c), -c[0]))
        return outcomes[best[0]], len(best) / n, clusters
    # nothing solved: the samples that reached the solver with no solution still say something
    reached = [i for i, o in enumerate(outcomes) if o.result is not None]
    if reached:
        by_status: dict[str, list[int]] = {}
        for i in reached:
            res = outcomes[i].result
            assert res is not None
            by_status.setdefault(res.status.value, []).append(i)
        best = max(by_status.values(), key=lambda c: (len(c), -c[0]))
        return outcomes[best[0]], len(best) / n, list(by_status.values())
    return None, 0.0, []


def failure(attempts: list[Attempt], backend: str) -> FormalizeError:
    last = attempts[-1].error if attempts else None
    last_msg = f" Last error: {last.get('message')}" if last else ""
    return FormalizeError(
        f"could not formalize the problem: {len(attempts)} attempt(s) with backend {backend!r} produced no "
        f"model that compiles and solves.{last_msg}",
        hint="rephrase the problem with every number and requirement stated plainly, raise --max-attempts, "
             "or configure a larger model (--backend openai --base-url URL --model NAME)",
        attempts=attempts, details={"attempts": len(attempts)})
