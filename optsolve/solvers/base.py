"""The backend interface and the registry (backends declared as data).

A backend declares the features it supports (names from :data:`optsolve.formulation.ir.FEATURES`)
and whether its package is installed (checked without importing it). Routing is a filter over the
registry in preference order, not a chain of if-statements.
"""

from __future__ import annotations

import importlib
import importlib.util
from abc import ABC, abstractmethod
from dataclasses import dataclass

from optsolve.formulation.ir import GroundModel
from optsolve.solvers.result import RawSolution, SolveOptions


class Backend(ABC):
    """One solver backend. Subclasses live one per file in ``optsolve/solvers``."""

    name: str = ""
    #: features this backend can take (see ir.FEATURES)
    supports: frozenset[str] = frozenset()
    #: features a model must have for this backend to be *preferred* (e.g. pysat wants pure_boolean)
    requires: frozenset[str] = frozenset()
    #: python modules that must be importable
    modules: tuple[str, ...] = ()

    def available(self) -> bool:
        return all(importlib.util.find_spec(m) is not None for m in self.modules)

    def accepts(self, features: frozenset[str]) -> bool:
        return features <= self.supports and self.requires <= features

    @abstractmethod
    def solve(self, model: GroundModel, options: SolveOptions) -> RawSolution:
        """Solve the grounded model. Never raises for infeasible/unbounded: returns the status."""

    def version(self) -> str:
        return ""


@dataclass(frozen=True)
class BackendSpec:
    """A registry row: name, import path of the class, one line of documentation."""

    name: str
    target: str   # "module:Class"
    summary: str
    #: routing hint: above this many weighted terms (soft constraints + objective terms) the backend
    #: is known to be slower than a later one that also accepts the model, so it is tried after it
    soft_terms_limit: int | None = None

    def load(self) -> Backend:
        mod_name, cls_name = self.target.split(":")
        cls = getattr(importlib.import_module(mod_name), cls_name)
        backend: Backend = cls()
        return backend


#: preference order: routing takes the first available backend that accepts the model's features
REGISTRY: tuple[BackendSpec, ...] = (
    BackendSpec("highs", "optsolve.solvers.highs_backend:HighsBackend",
                "HiGHS through highspy, built directly from arrays: LP, MILP, convex QP"),
    # RC2 beats CP-SAT on small MaxSAT models, CP-SAT wins from ~200 weighted soft terms
    # (benchmarks/bench_maxsat.py, docs/solvers_logic.md)
    BackendSpec("pysat", "optsolve.solvers.pysat_backend:PySatBackend",
                "PySAT (RC2 MaxSAT / CaDiCaL): pure boolean clausal models, soft constraints",
                soft_terms_limit=200),
    BackendSpec("cpsat", "optsolve.solvers.cpsat_backend:CpSatBackend",
                "OR-Tools CP-SAT: integer and boolean models, logic, all_different, soft constraints"),
    BackendSpec("scip", "optsolve.solvers.pyomo_backend:ScipBackend",
                "SCIP through Pyomo's scip_direct: NLP, MINLP, nonconvex QP"),
    BackendSpec("z3", "optsolve.solvers.z3_backend:Z3Backend",
                "z3 SMT (Optimize): mixed logic and real/integer arithmetic, nonlinear logic"),
    BackendSpec("pyomo-highs", "optsolve.solvers.pyomo_backend:PyomoHighsBackend",
                "HiGHS through a Pyomo model (appsi): LP, MILP, convex QP; same answers, slower build"),
)

_CACHE: dict[str, Backend] = {}


def get_backend(name: str) -> Backend:
    for spec in REGISTRY:
        if spec.name == name:
            if name not in _CACHE:
                _CACHE[name] = spec.load()
            return _CACHE[name]
    from optsolve.errors import BackendUnavailableError

    known = ", ".join(s.name for s in REGISTRY)
    raise BackendUnavailableError(f"unknown solver {name!r}", hint=f"choose one of: {known}")


def backend_names() -> list[str]:
    return [s.name for s in REGISTRY]
