"""optsolve.datagen: OptMATH-style synthesis of solver-verified (text, formulation, optimum) data.

>>> from optsolve.datagen import DatagenConfig, run_datagen
>>> summary = run_datagen(DatagenConfig(out=Path("data"), n=2000, workers=2))

Families and the realiser live in :mod:`optsolve.datagen.base` / :mod:`optsolve.datagen.families`; the
batch engine in :mod:`optsolve.datagen.engine`; export formats in :mod:`optsolve.datagen.exports`.
Names are imported lazily so that ``import optsolve.datagen`` stays cheap in spawned workers.
"""

from __future__ import annotations

from typing import Any

_LAZY = {
    "DatagenConfig": "optsolve.datagen.engine",
    "RunSummary": "optsolve.datagen.engine",
    "run_datagen": "optsolve.datagen.engine",
    "build_report": "optsolve.datagen.report",
    "Family": "optsolve.datagen.base",
    "Instance": "optsolve.datagen.base",
    "LEVELS": "optsolve.datagen.base",
    "get_family": "optsolve.datagen.base",
    "complexity": "optsolve.datagen.complexity",
}


def __getattr__(name: str) -> Any:
    mod = _LAZY.get(name)
    if mod is None:
        raise AttributeError(f"module 'optsolve.datagen' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(mod), name)


__all__ = sorted(_LAZY)
