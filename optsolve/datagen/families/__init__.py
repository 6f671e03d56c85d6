"""The registry of seed problem families: ``FAMILIES[name] -> Family``."""

from __future__ import annotations

from optsolve.datagen.base import Family
from optsolve.datagen.families.classic_cp import CLASSIC_CP
from optsolve.datagen.families.classic_lp import CLASSIC_LP
from optsolve.datagen.families.classic_mip import CLASSIC_MIP
from optsolve.datagen.families.classic_nl import CLASSIC_NL
from optsolve.datagen.families.investment import InvestmentFamily
from optsolve.datagen.families.nl4opt import WORD_FAMILIES

FAMILIES: dict[str, Family] = {}


def register(family: Family) -> Family:
    if family.name in FAMILIES:
        raise ValueError(f"duplicate family name {family.name!r}")
    FAMILIES[family.name] = family
    return family


_ALL: tuple[Family, ...] = (*WORD_FAMILIES, InvestmentFamily(), *CLASSIC_LP, *CLASSIC_MIP, *CLASSIC_CP,
                            *CLASSIC_NL)
for _f in _ALL:
    register(_f)

__all__ = ["FAMILIES", "register"]
