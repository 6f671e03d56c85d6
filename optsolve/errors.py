"""One error tree with stable, machine-readable codes.

Every error optsolve raises on purpose derives from :class:`OptsolveError`. Each carries

* ``code``: a stable string (``"E_PARSE"``...), part of the public contract (CLI ``--json``, gRPC details);
* ``message``: what went wrong, naming the place (element, constraint, variable, token);
* ``hint``: how to fix it, when there is something to say.

The CLI maps codes to exit codes in exactly one place (:data:`EXIT_CODES`), and the gRPC layer maps them
to status codes in exactly one place (``optsolve.service``). Messages are short: they are fed back to the
formalizer's self-correction loop.
"""

from __future__ import annotations

from typing import Any, ClassVar


class OptsolveError(Exception):
    """Base of every error optsolve raises on purpose."""

    code: ClassVar[str] = "E_INTERNAL"

    def __init__(self, message: str, *, hint: str | None = None, where: str | None = None,
                 details: dict[str, Any] | None = None) -> None:
        self.message = message
        self.hint = hint
        self.where = where
        self.details: dict[str, Any] = details or {}
        super().__init__(self.__str__())

    def __str__(self) -> str:
        text = f"{self.where}: {self.message}" if self.where else self.message
        if self.hint:
            text += f" (hint: {self.hint})"
        return text

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.where:
            out["where"] = self.where
        if self.hint:
            out["hint"] = self.hint
        if self.details:
            out["details"] = self.details
        return out


# --- bad input ---------------------------------------------------------------------------------

class InputError(OptsolveError):
    """The user's input is wrong; fixing the input fixes the problem."""

    code = "E_INPUT"


class ParseError(InputError):
    """Malformed JSON/YAML, or an expression that is not valid syntax."""

    code = "E_PARSE"


class ValidationError(InputError):
    """Well-formed input that breaks the Formulation v1 rules (unknown name, wrong arity...)."""

    code = "E_VALIDATION"


class ForbiddenSyntaxError(ValidationError):
    """An expression uses syntax outside the whitelist (attribute access, lambda, __import__...)."""

    code = "E_FORBIDDEN"


class LimitError(InputError):
    """Input over a size limit (expression length, nesting depth, set size, number of instances)."""

    code = "E_LIMIT"


class CompileError(InputError):
    """A valid-looking formulation that cannot be instantiated (index out of range, division by zero)."""

    code = "E_COMPILE"


# --- solving -----------------------------------------------------------------------------------

class SolverError(OptsolveError):
    """A solver failed or cannot take the model."""

    code = "E_SOLVER"


class BackendUnavailableError(SolverError):
    """The requested solver backend is not installed or cannot handle the model."""

    code = "E_BACKEND_UNAVAILABLE"


class UnsupportedModelError(SolverError):
    """No available backend supports every feature the model uses."""

    code = "E_UNSUPPORTED"


# --- formalizer / LLM --------------------------------------------------------------------------

class FormalizeError(OptsolveError):
    """The formalizer could not produce a formulation that compiles and solves."""

    code = "E_FORMALIZE"

    def __init__(self, message: str, *, attempts: list[Any] | None = None, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.attempts: list[Any] = attempts or []


class LLMBackendError(OptsolveError):
    """The language-model backend failed (connection, timeout, bad response)."""

    code = "E_LLM_BACKEND"


class SandboxError(OptsolveError):
    """Sandboxed code failed, broke a limit, or the sandbox itself could not start."""

    code = "E_SANDBOX"


# --- data generation / training ----------------------------------------------------------------

class DatagenError(OptsolveError):
    code = "E_DATAGEN"


class TrainingError(OptsolveError):
    code = "E_TRAINING"


class ConfigError(OptsolveError):
    """Bad configuration (flags, environment, config file)."""

    code = "E_CONFIG"


# --- the one mapping to process exit codes -----------------------------------------------------

#: exit codes of the CLI: 0 success; 1 internal error; 2 bad input or usage; 3 infeasible/unbounded
#: (set by the solve commands from the result status, not from an exception); 4 solver failure;
#: 5 formalizer or LLM failure; 6 sandbox failure.
EXIT_OK = 0
EXIT_INTERNAL = 1
EXIT_INPUT = 2
EXIT_INFEASIBLE = 3
EXIT_SOLVER = 4
EXIT_FORMALIZE = 5
EXIT_SANDBOX = 6

EXIT_CODES: dict[type[OptsolveError], int] = {
    InputError: EXIT_INPUT,
    ConfigError: EXIT_INPUT,
    SolverError: EXIT_SOLVER,
    FormalizeError: EXIT_FORMALIZE,
    LLMBackendError: EXIT_FORMALIZE,
    SandboxError: EXIT_SANDBOX,
    DatagenError: EXIT_INTERNAL,
    TrainingError: EXIT_INTERNAL,
}


def exit_code_for(err: BaseException) -> int:
    """The CLI exit code for an exception (most specific class wins)."""
    if isinstance(err, OptsolveError):
        for cls in type(err).__mro__:
            if cls in EXIT_CODES:
                return EXIT_CODES[cls]  # type: ignore[index]
    return EXIT_INTERNAL
