"""Helpers shared by the classic (indexed) OR families: sizes per level, data tables, nested values."""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Sequence
from typing import Any

from optsolve.datagen import realize as R
from optsolve.datagen.base import Family, Instance, Level

Elem = str | int


def size(rng: random.Random, level: Level, easy: tuple[int, int], medium: tuple[int, int],
         hard: tuple[int, int]) -> int:
    lo, hi = {"easy": easy, "medium": medium, "hard": hard}[level]
    return rng.randint(lo, hi)


def vec(elems: Sequence[Elem], f: Callable[[Elem], float]) -> dict[str, float | int]:
    """``{"A": 3, "B": 5}``: values of a one-index parameter keyed by element (ints as strings)."""
    return {str(e): R.clean(f(e)) for e in elems}


def mat(rows: Sequence[Elem], cols: Sequence[Elem], f: Callable[[Elem, Elem], float]) -> dict[str, Any]:
    """Nested values of a two-index parameter keyed by elements."""
    return {str(r): {str(c): R.clean(f(r, c)) for c in cols} for r in rows}


def md_table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    out = ["| " + " | ".join(str(h) for h in header) + " |", "|" + "---|" * len(header)]
    for r in rows:
        out.append("| " + " | ".join(R.num(x) if isinstance(x, (int, float)) else str(x) for x in r) + " |")
    return "\n".join(out)


def matrix_text(rng: random.Random, template: str, rows: Sequence[Elem], cols: Sequence[Elem],
                m: dict[str, Any], corner: str, sentence: Callable[[Elem, str], str]) -> str:
    """A matrix as a table or as one sentence per row (``sentence(row, "4 to X, 6 to Y")``)."""
    if template == "table":
        return md_table([corner, *[str(c) for c in cols]],
                        [[str(r), *[m[str(r)][str(c)] for c in cols]] for r in rows])
    parts = []
    for r in rows:
        items = [f"{R.num(m[str(r)][str(c)])} {R.pick(rng, ('to', 'for'))} {c}" for c in cols]
        parts.append(sentence(r, R.join_and(items)))
    return " ".join(parts)


def listing(rng: random.Random, elems: Sequence[Elem], vals: dict[str, Any], fmt: Callable[[float], str]
            = R.num) -> str:
    """``A: 3, B: 5 and C: 7`` or ``3 for A, 5 for B and 7 for C``."""
    if rng.random() < 0.5:
        return R.join_and([f"{e}: {fmt(vals[str(e)])}" for e in elems])
    return R.join_and([f"{fmt(vals[str(e)])} for {e}" for e in elems])


class Classic(Family):
    """Base of the indexed families: subclasses implement ``build`` and get ``generate`` for free."""

    def build(self, rng: random.Random, level: Level, template: str) -> tuple[dict[str, Any], str, dict[str, Any]]:
        raise NotImplementedError

    def generate(self, rng: random.Random, level: Level) -> Instance:
        template = R.pick(rng, self.styles)
        form, text, meta = self.build(rng, level, template)
        text = re.sub(r"([.:]) \| ", r"\1\n| ", text)      # a table always starts on its own line
        form = {"name": self.name, **form}
        meta = {"kind": self.kind, **meta}
        return Instance(self.name, level, f"{self.name}.{template}", form, text, meta)


def question(rng: random.Random, sense: str, what: str) -> str:
    w = R.pick(rng, R.MIN_WORDS if sense == "minimize" else R.MAX_WORDS)
    return R.pick(rng, [f"Formulate a model to {w} {what}.", f"How should this be done to {w} {what}?",
                        f"Find the plan that {w}s {what}.".replace("zes", "zes").replace("ises", "ises"),
                        f"The goal is to {w} {what}."])
