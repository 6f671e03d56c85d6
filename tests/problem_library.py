"""The library of standard problems: tests/problems/*.json, each with an independently computed optimum."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PROBLEMS_DIR = Path(__file__).parent / "problems"


@dataclass
class Problem:
    name: str
    formulation: dict[str, Any]
    status: str
    optimum: float | None
    backend: str
    source: str
    tol: float
    explanation: list[str] | None


def load_problems() -> list[Problem]:
    out = []
    for p in sorted(PROBLEMS_DIR.glob("*.json")):
        d = json.loads(p.read_text())
        out.append(Problem(p.stem, d["formulation"], d["status"], d.get("optimum"), d["backend"],
                           d.get("source", ""), float(d.get("tol", 1e-6)), d.get("explanation")))
    return out


def close(a: float, b: float, tol: float) -> bool:
    return abs(a - b) <= tol * max(1.0, abs(b))
