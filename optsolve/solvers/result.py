"""Solve results: a termination status and what we have, in the user's names."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class Status(str, Enum):
    """The statuses of formulation-v1.md."""

    OPTIMAL = "optimal"
    FEASIBLE = "feasible"
    INFEASIBLE = "infeasible"
    UNBOUNDED = "unbounded"
    INFEASIBLE_OR_UNBOUNDED = "infeasible_or_unbounded"
    TIME_LIMIT = "time_limit"
    ERROR = "error"

    @property
    def has_solution(self) -> bool:
        return self in (Status.OPTIMAL, Status.FEASIBLE) or self is Status.TIME_LIMIT


@dataclass
class SolveOptions:
    time_limit: float | None = None
    solver: str | None = None      # force a backend by name
    explain: bool = True           # compute an infeasibility explanation
    threads: int | None = None
    seed: int = 0
    verbose: bool = False
    # HiGHS's feasibility-jump MIP heuristic: None (auto) skips it on MILPs up to
    # highs_backend.SMALL_MIP_COLUMNS columns, where its fixed set-up outweighs the whole search
    mip_feasibility_jump: bool | None = None


@dataclass
class RawSolution:
    """What a backend returns: values indexed by variable id."""

    status: Status
    objective: float | None = None
    values: list[float] | None = None
    bound: float | None = None
    solver_seconds: float | None = None
    message: str | None = None
    core: list[int] | None = None          # indices into GroundModel.constraints (unsat core / IIS)
    extra: dict[str, Any] = field(default_factory=dict)


class SolveResult(BaseModel):
    """The public result (formulation-v1.md, 'Results')."""

    model_config = ConfigDict(use_enum_values=False)

    status: Status
    objective: float | None = None
    variables: dict[str, Any] = Field(default_factory=dict)
    solver: str = ""
    seconds: float = 0.0
    explanation: list[str] | None = None
    explanation_irreducible: bool | None = None   # True: dropping any one member makes the rest feasible
    message: str | None = None
    bound: float | None = None
    solver_seconds: float | None = None
    n_vars: int = 0
    n_constraints: int = 0

    def to_json_dict(self) -> dict[str, Any]:
        out = self.model_dump(mode="json")
        if out.get("explanation") is None:
            out.pop("explanation", None)
            out.pop("explanation_irreducible", None)
        return out
