"""Route a grounded model to a backend, solve it, map the answer back to the user's names."""

from __future__ import annotations

import math
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from optsolve.errors import BackendUnavailableError, OptsolveError, SolverError, UnsupportedModelError
from optsolve.formulation import Formulation, compile_model
from optsolve.formulation.ir import GroundModel, Lin
from optsolve.solvers.base import REGISTRY, Backend, backend_names, get_backend
from optsolve.solvers.result import RawSolution, SolveOptions, SolveResult, Status

__all__ = ["SolveOptions", "SolveResult", "Status", "backend_names", "candidates", "route", "solve",
           "solve_model"]


_AVAILABLE: dict[str, Backend | None] = {}


def _installed(name: str) -> Backend | None:
    """The backend if its package is installed (checked once per process)."""
    if name not in _AVAILABLE:
        try:
            b: Backend | None = get_backend(name)
        except (ImportError, AttributeError):
            b = None
        _AVAILABLE[name] = b if b is not None and b.available() else None
    return _AVAILABLE[name]


def _weighted_terms(model: GroundModel) -> int:
    n = sum(1 for c in model.constraints if c.weight is not None) if "soft" in model.features else 0
    obj = model.objective
    if obj is not None and isinstance(obj.expr, Lin):
        n += len(obj.expr.coefs)
    return n


def candidates(model: GroundModel) -> list[str]:
    """Names of the available backends that accept the model, in preference order (registry order,
    except that a backend past its ``soft_terms_limit`` goes after the others)."""
    ranked: list[tuple[int, int, str]] = []
    terms: int | None = None
    for k, spec in enumerate(REGISTRY):
        b = _installed(spec.name)
        if b is None or not b.accepts(model.features):
            continue
        penalty = 0
        if spec.soft_terms_limit is not None:
            if terms is None:
                terms = _weighted_terms(model)
            penalty = int(terms >= spec.soft_terms_limit)
        ranked.append((penalty, k, spec.name))
    return [name for _, _, name in sorted(ranked)]


def route(model: GroundModel, solver: str | None = None) -> str:
    """The backend ``solve`` would use (or check that a forced one can take the model)."""
    if solver:
        b = _load(solver)
        if not b.available():
            raise BackendUnavailableError(f"solver {solver!r} is not installed",
                                          hint=f"pip install the package for {b.modules}")
        if not b.accepts(model.features):
            missing = sorted(model.features - b.supports) or sorted(b.requires - model.features)
            raise BackendUnavailableError(f"solver {solver!r} cannot take this model (features: "
                                          f"{', '.join(missing)})",
                                          hint=f"omit --solver, or try one of {candidates(model) or '-'}")
        return solver
    found = candidates(model)
    if not found:
        raise UnsupportedModelError(f"no installed solver supports this model's features: "
                                    f"{', '.join(sorted(model.features))}",
                                    hint="simplify the model (e.g. remove exp/log from logic constraints)")
    return found[0]


def _load(name: str) -> Backend:
    try:
        return get_backend(name)
    except (ImportError, AttributeError) as exc:
        raise BackendUnavailableError(f"solver {name!r} could not be loaded: {exc}") from None


def _column(seg: np.ndarray, kind: str) -> list[Any]:
    """Values of one variable group as Python numbers: ints for integral kinds, bools for booleans."""
    seg = np.where(np.abs(seg) < 1e-12, 0.0, seg)
    if kind == "continuous":
        return seg.tolist()  # type: ignore[no-any-return]
    finite = np.isfinite(seg)
    rounded = np.rint(np.where(finite, seg, 0.0))
    ok = finite & (np.abs(seg - rounded) <= 1e-6)
    if kind == "boolean":
        return [bool(x) for x in rounded.astype(np.int64).tolist()]
    if ok.all():
        return rounded.astype(np.int64).tolist()  # type: ignore[no-any-return]
    ints = rounded.astype(np.int64).tolist()
    floats = seg.tolist()
    return [i if k else x for i, x, k in zip(ints, floats, ok.tolist())]


def _keys(elements: tuple[tuple[Any, ...], ...]) -> list[str]:
    """``"a,3"`` keys of every index tuple, in product order (string building kept in comprehensions)."""
    keys = [str(e) for e in elements[0]]
    for elems in elements[1:]:
        strs = [str(e) for e in elems]
        keys = [k + "," + x for k in keys for x in strs]
    return keys


def values_by_name(model: GroundModel, values: Sequence[float]) -> dict[str, Any]:
    """Map values by variable id to the spec's shape: name -> value, or name -> {"a,3": value}."""
    arr = np.asarray(values, dtype=np.float64)
    out: dict[str, Any] = {}
    for name, group in model.groups.items():
        ids = group.ids
        if not len(ids):
            out[name] = {}
            continue
        seg = arr[ids.start:ids.stop] if isinstance(ids, range) else arr[list(ids)]
        kind = model.vars[ids[0]].kind
        col = _column(seg, kind)
        if not group.index_sets:
            out[name] = col[0]
            continue
        if group.elements:
            keys: Iterable[str] = _keys(group.elements)
        else:
            keys = (",".join(str(e) for e in model.vars[vid].index) for vid in ids)
        out[name] = dict(zip(keys, col))
    return out


def solve_model(model: GroundModel, options: SolveOptions | None = None) -> SolveResult:
    """Solve an already grounded model."""
    opts = options or SolveOptions()
    t0 = time.perf_counter()
    name = route(model, opts.solver)
    backend = _load(name)
    raw = _run(backend, model, opts)
    if raw.status is Status.ERROR and raw.extra.get("backend_limit") and not opts.solver:
        # the model is fine, the backend's arithmetic is not (CP-SAT's int64 overflow checks with
        # the ±2^31 domain of unbounded integers): the next backend that accepts it answers instead
        other = next((o for o in candidates(model) if o != name), None)
        if other is not None:
            note = f"solved by {other}: {name} could not take the model ({raw.message})"
            name, backend = other, _load(other)
            raw = _run(backend, model, opts)
            raw.message = f"{raw.message}; {note}" if raw.message else note
    explanation = minimal = None
    if raw.status is Status.INFEASIBLE and opts.explain:
        explanation, minimal = _explain(model, raw, backend, opts)
    values = values_by_name(model, raw.values) if raw.values is not None and raw.status.has_solution else {}
    objective = raw.objective
    if objective is not None and not math.isfinite(objective):
        objective = None
    if model.objective is None and "soft" not in model.features:
        objective = None  # a satisfaction problem has no objective value (not 0)
    return SolveResult(
        status=raw.status, objective=objective, variables=values, solver=name,
        seconds=round(time.perf_counter() - t0, 6), explanation=explanation,
        explanation_irreducible=minimal, message=raw.message,
        bound=raw.bound, solver_seconds=raw.solver_seconds, n_vars=model.n_vars,
        n_constraints=model.n_constraints)


def _run(backend: Backend, model: GroundModel, opts: SolveOptions) -> RawSolution:
    try:
        return backend.solve(model, opts)
    except OptsolveError:
        raise
    except Exception as exc:  # a solver library raising is a solver failure, not a crash
        raise SolverError(f"{backend.name} failed: {type(exc).__name__}: {exc}") from exc


def _explain(model: GroundModel, raw: RawSolution, backend: Backend,
             opts: SolveOptions) -> tuple[list[str], bool | None]:
    """Labels of a small conflicting set, and whether it is known to be irreducible."""
    if raw.core is not None:  # a native unsat core (CP-SAT assumptions, z3, PySAT selectors)
        idx = raw.core
        labels = [model.constraints[i].label for i in idx if 0 <= i < len(model.constraints)]
        minimal = raw.extra.get("core_irreducible")
        return list(dict.fromkeys(labels)), (bool(minimal) if minimal is not None else None)
    from optsolve.solvers.explain import explain_infeasible

    sub = SolveOptions(time_limit=opts.time_limit, explain=False, threads=opts.threads, seed=opts.seed)
    conflict = explain_infeasible(model, lambda m: backend.solve(m, sub).status, time_limit=opts.time_limit)
    return list(dict.fromkeys(conflict.labels(model))), conflict.irreducible


def solve(source: str | Path | dict[str, Any] | Formulation | GroundModel,
          options: SolveOptions | None = None, **kw: Any) -> SolveResult:
    """Load, check, ground and solve a formulation (path, JSON text, dict, Formulation or GroundModel).

    Keyword arguments override fields of ``options`` (``solve(f, time_limit=5, solver="highs")``).
    """
    opts = options or SolveOptions()
    for k, v in kw.items():
        if not hasattr(opts, k):
            raise TypeError(f"unknown solve option {k!r}")
        setattr(opts, k, v)
    t0 = time.perf_counter()
    model = source if isinstance(source, GroundModel) else compile_model(source)
    res = solve_model(model, opts)
    res.seconds = round(time.perf_counter() - t0, 6)
    return res
