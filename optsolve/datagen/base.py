"""The family API every data-generation component codes against.

A :class:`Family` draws one problem instance at a requested difficulty level from a seeded
``random.Random``: the gold Formulation v1 (a plain JSON dict), a natural-language statement of the same
problem, and the template id of the phrasing skeleton used (so that splits can hold templates apart).
Generation is a pure function of the rng state: the same seed gives the same instance.
"""

from __future__ import annotations

import random
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, Literal

from optsolve.datagen.complexity import complexity
from optsolve.errors import DatagenError

Level = Literal["easy", "medium", "hard"]
LEVELS: tuple[Level, ...] = ("easy", "medium", "hard")

#: versions of the texts a family can draw (``optsolve datagen --texts``). 1: the texts drawn up to
#: session 13, on which the shipped embedded model was trained; 2 (the default): a word problem whose
#: gold counts whole items says so in its text, and is never called "an LP", since a text that leaves
#: integrality unsaid has two right answers (NL4Opt's LP optimum and the gold's integer one).
TEXT_VERSIONS = (1, 2)
TEXTS = 2


@dataclass
class Instance:
    """One generated problem: gold formulation plus its text."""

    family: str
    level: Level
    template: str          # template id: which text template/phrasing skeleton (for splits by template)
    formulation: dict[str, Any]   # gold Formulation v1 (plain JSON dict)
    text: str              # natural-language problem statement
    meta: dict[str, Any] = field(default_factory=dict)   # entity names, kind ("lp", "milp", ...)


class Family(ABC):
    """A seed problem family: a generator of (formulation, text) pairs at a difficulty level."""

    name: str = ""
    kind: str = ""          # "lp", "milp", "ip", "qp", "nlp", "minlp", "cp", "sat", "maxsat"
    description: str = ""
    #: phrasing skeletons, short names ("table", "per_entity"...)
    styles: tuple[str, ...] = ()
    #: template ids as they appear in ``Instance.template``: ``"<family>.<style>"``, unique across families
    templates: tuple[str, ...] = ()

    def __init__(self) -> None:
        if self.styles and not self.templates:
            self.templates = tuple(f"{self.name}.{s}" for s in self.styles)

    @abstractmethod
    def generate(self, rng: random.Random, level: Level) -> Instance:
        """Draw one instance; deterministic for the state of ``rng``."""

    def with_texts(self, version: int) -> Family:
        """This family drawing texts of ``version`` (:data:`TEXT_VERSIONS`). Families whose texts have
        one version return themselves; the same rng state gives the same formulation in every version."""
        if version not in TEXT_VERSIONS:
            raise DatagenError(f"unknown text version {version}",
                               hint=f"use one of {', '.join(map(str, TEXT_VERSIONS))}")
        return self

    def __repr__(self) -> str:
        return f"<Family {self.name} ({self.kind})>"


def check_level(level: str) -> Level:
    if level not in LEVELS:
        raise DatagenError(f"unknown level {level!r}", hint=f"use one of {', '.join(LEVELS)}")
    return level  # type: ignore[return-value]


def get_family(name: str) -> Family:
    """The registered family called ``name``; an unknown name raises :class:`DatagenError`."""
    from optsolve.datagen.families import FAMILIES

    try:
        return FAMILIES[name]
    except KeyError:
        known = ", ".join(sorted(FAMILIES))
        raise DatagenError(f"unknown family {name!r}", hint=f"known families: {known}") from None


def __getattr__(name: str) -> Any:
    # FAMILIES lives in the families package (which imports this module): expose it lazily here too.
    if name == "FAMILIES":
        from optsolve.datagen.families import FAMILIES

        return FAMILIES
    raise AttributeError(name)


__all__ = ["LEVELS", "Family", "Instance", "Level", "check_level", "complexity", "get_family"]
