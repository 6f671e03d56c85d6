"""Code mode: the LLM writes a Pyomo script; it runs only inside the sandbox.

``CODE_MODE_CONTRACT`` is the contract text for the prompt. :func:`run_code` runs a script in the
bubblewrap sandbox (:mod:`optsolve.formalize.sandbox`) under the harness
(:mod:`optsolve.formalize.code_harness`), which solves the model when the script does not, and reads the
result back from the sandbox's JSON result pipe, validated by :class:`CodeResult`. Any failure of the
script (exception, limit, timeout, forged or missing result) is a :class:`SolveResult` with status
``error`` whose message carries the reason and the tail of the script's stderr, ready to be fed back to
the formalizer. Only a sandbox that cannot start raises (:class:`SandboxError`).
"""

from __future__ import annotations

import math
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from optsolve.errors import SandboxError
from optsolve.formalize.sandbox import SandboxLimits, SandboxResult, SandboxResultError, run_sandboxed
from optsolve.solvers.result import SolveResult, Status

__all__ = ["CODE_MODE_CONTRACT", "MAX_SCRIPT_CHARS", "CodeResult", "code_limits", "run_code"]

#: longest script accepted (characters)
MAX_SCRIPT_CHARS = 200_000
#: seconds allowed on top of the solver time limit for interpreter start, Pyomo import and model build
STARTUP_SECONDS = 30.0

CODE_MODE_CONTRACT = """\
- Write plain Python 3.11 using Pyomo (`import pyomo.environ as pyo`). Only the standard library, Pyomo,
  numpy and the solvers below are available. No network, no input files, no user interaction; write
  files only under /tmp if at all.
- Build one concrete model and assign it to the variable `m`:
  `m = pyo.ConcreteModel()`, with `pyo.Var` (domains: `pyo.NonNegativeReals`, `pyo.NonNegativeIntegers`,
  `pyo.Binary`, `pyo.Reals`, ...), `pyo.Constraint` and exactly one active `pyo.Objective`
  (`sense=pyo.maximize` or `sense=pyo.minimize`). Put every number from the problem in the script.
- Preferred: do NOT call a solver. When the script ends, the harness solves `m` itself (HiGHS for
  linear / mixed-integer / convex quadratic models, SCIP automatically for nonlinear ones) and reports
  the status, the objective value and every variable's value. To force a solver, set
  `SOLVER = "highs"` or `SOLVER = "scip"` at top level.
- If you solve it yourself, use `results = pyo.SolverFactory("highs").solve(m)` (HiGHS) or
  `pyo.SolverFactory("scip_direct").solve(m)` (SCIP; also `"appsi_highs"`), and then call the provided
  helper `report(m, results)` (already defined; do not import or define it). The time limit in seconds is
  in the predefined variable `TIME_LIMIT` (pass it as `timelimit=TIME_LIMIT`).
- Use descriptive variable component names (`m.bread`, `m.x[i]`); the result lists values under these
  names, with tuple indices joined by commas.
- Do not print large amounts of output, spawn processes, or catch and hide exceptions: errors are shown
  to you so that you can fix the script.
"""


class CodeResult(BaseModel):
    """The JSON the harness sends through the sandbox's result pipe (checked strictly: it is untrusted)."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    status: Literal["optimal", "feasible", "infeasible", "unbounded", "infeasible_or_unbounded",
                    "time_limit", "error"]
    objective: float | None = None
    variables: dict[str, float | int | dict[str, float | int | None] | None] = Field(default_factory=dict)
    solver: str = Field(default="", max_length=64)
    termination: str | None = Field(default=None, max_length=200)
    solver_seconds: float | None = Field(default=None, ge=0)
    message: str | None = Field(default=None, max_length=8000)
    n_vars: int = Field(default=0, ge=0)
    n_constraints: int = Field(default=0, ge=0)


@lru_cache(maxsize=1)
def _harness_source() -> str:
    return (Path(__file__).with_name("code_harness.py")).read_text(encoding="utf-8")


def code_limits(time_limit: float) -> SandboxLimits:
    """Default sandbox limits for a script with solver time limit ``time_limit`` seconds."""
    return SandboxLimits(wall_seconds=time_limit + STARTUP_SECONDS,
                         cpu_seconds=math.ceil(time_limit + STARTUP_SECONDS),
                         memory_bytes=4 << 30, total_memory_bytes=4 << 30, max_processes=64, threads=1)


def _error(message: str, *, seconds: float = 0.0, solver: str = "code") -> SolveResult:
    return SolveResult(status=Status.ERROR, message=message, solver=solver, seconds=round(seconds, 4))


def _with_stderr(message: str, sres: SandboxResult, n_chars: int = 1500) -> str:
    tail = sres.stderr_tail(n_chars).strip()
    return f"{message}\n--- stderr (last {n_chars} characters) ---\n{tail}" if tail else message


def run_code(script: str, *, time_limit: float = 60, limits: SandboxLimits | None = None,
             solver: str = "auto") -> SolveResult:
    """Run an LLM-written Pyomo ``script`` in the sandbox and return its :class:`SolveResult`.

    ``solver`` is the harness's default when the script leaves solving to it ('auto': HiGHS, SCIP for
    models HiGHS cannot take; or 'highs' / 'scip'). ``solver`` of the result is ``code:<solver>``.
    Raises :class:`SandboxError` only when the sandbox cannot start (bwrap missing, namespaces disabled).
    """
    if not isinstance(script, str) or not script.strip():
        return _error("the script is empty; reply with one ```python code block that builds the model `m`")
    if len(script) > MAX_SCRIPT_CHARS:
        return _error(f"the script is {len(script)} characters, over the limit of {MAX_SCRIPT_CHARS}; "
                      "write a shorter script (use loops and data lists instead of repeated lines)")
    if "\x00" in script:
        return _error("the script contains NUL characters; send plain text")
    try:
        script.encode("utf-8")
    except UnicodeEncodeError:
        return _error("the script is not valid Unicode text (lone surrogates); send plain UTF-8 text")
    if not (time_limit > 0 and math.isfinite(time_limit)):
        raise SandboxError(f"time_limit must be a positive number of seconds, got {time_limit!r}",
                           hint="pass e.g. time_limit=60")
    if solver not in ("auto", "highs", "scip", "appsi_highs", "scip_direct"):
        raise SandboxError(f"unknown code-mode solver {solver!r}", hint="use 'auto', 'highs' or 'scip'")
    limits = limits or code_limits(time_limit)
    sres = run_sandboxed(_harness_source(),
                         inputs={"script": script, "time_limit": float(time_limit), "solver": solver},
                         limits=limits)
    return _to_solve_result(sres, limits)


def _to_solve_result(sres: SandboxResult, limits: SandboxLimits) -> SolveResult:
    if sres.timed_out:
        return _error(_with_stderr(f"the script ran longer than the wall-clock limit of "
                                   f"{limits.wall_seconds:g} s and was killed; make the model smaller or "
                                   f"pass timelimit=TIME_LIMIT to the solver", sres), seconds=sres.seconds)
    if sres.output_limit_exceeded:
        return _error(_with_stderr("the script printed too much output and was killed; do not print in loops",
                                   sres), seconds=sres.seconds)
    if sres.memory_limit_exceeded:
        return _error(_with_stderr(f"the script used more than {limits.total_memory_bytes >> 20} MiB of memory "
                                   "and was killed; build a smaller model (fewer indices, sparse data)", sres),
                      seconds=sres.seconds)
    try:
        res = sres.parse_result(CodeResult)
    except SandboxResultError as exc:
        how = sres.describe_failure()
        reason = sres.result_error or exc.message
        hint = ""
        if sres.killed_by_signal is not None:
            hint = (f" (limits: {limits.cpu_seconds} s CPU, {limits.memory_bytes >> 20} MiB memory, "
                    f"{limits.max_processes} processes)")
        return _error(_with_stderr(f"the script produced no valid result: {reason}; it {how}{hint}", sres),
                      seconds=sres.seconds)
    status = Status(res.status)
    message = res.message
    if status is Status.ERROR:
        message = _with_stderr(message or f"the script failed; it {sres.describe_failure()}", sres)
    elif not sres.ok:
        # a result was emitted, yet the process failed afterwards: keep the result, say so
        extra = f"note: after reporting, the script {sres.describe_failure()}"
        message = f"{message}; {extra}" if message else extra
    solver = f"code:{res.solver}" if res.solver else "code"
    return SolveResult(status=status, objective=res.objective, variables=dict(res.variables), solver=solver,
                       seconds=sres.seconds, message=message, solver_seconds=res.solver_seconds,
                       n_vars=res.n_vars, n_constraints=res.n_constraints)


def describe_limits(limits: SandboxLimits) -> dict[str, Any]:
    """The limits as a plain dict (for logs and attempt records)."""
    return limits.model_dump()
