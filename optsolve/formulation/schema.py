"""Formulation v1 as pydantic models (the contract of ``shared/spec/formulation-v1.md``).

These models check the *shape* of a formulation. Names, arities and expressions are checked by
:mod:`optsolve.formulation.check`, which parses every expression into our own tree.
"""

from __future__ import annotations

import keyword
import re
from typing import Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, StrictFloat, StrictInt, field_validator

Element = Union[StrictInt, str]
Number = Union[StrictInt, StrictFloat]

NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
#: names a set, parameter, variable or constraint may not take: the expression language's functions and
#: every Python keyword (expressions are parsed as Python syntax, so ``yield <= 3`` could only fail as
#: "invalid syntax"; now the name itself is refused, saying why)
RESERVED = frozenset({
    "sum", "abs", "min", "max", "exp", "log", "sqrt", "implies", "all_different",
    *keyword.kwlist,
})

Domain = Literal["reals", "nonnegative_reals", "integers", "nonnegative_integers", "binary", "boolean"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RangeSet(_Strict):
    """``{"range": [lo, hi]}``: the integers lo..hi, both included."""

    range: tuple[StrictInt, StrictInt]
    description: str | None = None


class ElementSet(_Strict):
    """Extension: ``{"elements": [...], "description": "..."}``, the same as a bare array."""

    elements: list[Element]
    description: str | None = None


SetDef = Union[list[Element], RangeSet, ElementSet]


class IndexedParam(_Strict):
    index: list[str] = Field(default_factory=list)
    values: Any = None
    default: Number | None = None
    description: str | None = None


class ScalarParam(_Strict):
    """Extension: ``{"value": 3, "description": "..."}``, the same as a bare number."""

    value: Number
    description: str | None = None


ParamDef = Union[StrictInt, StrictFloat, ScalarParam, IndexedParam]


class Variable(_Strict):
    index: list[str] = Field(default_factory=list)
    domain: Domain = "reals"
    lb: Number | None = None
    ub: Number | None = None
    description: str | None = None


class Objective(_Strict):
    sense: Literal["minimize", "maximize"]
    expr: str
    description: str | None = None


class Soft(_Strict):
    weight: Number

    @field_validator("weight")
    @classmethod
    def _positive(cls, v: float) -> float:
        if v <= 0:
            raise ValueError("soft weight must be > 0")
        return v


class Constraint(_Strict):
    expr: str
    forall: str | None = None
    soft: Soft | None = None
    description: str | None = None


class Formulation(_Strict):
    """A five-element optimization model: sets, parameters, variables, objective, constraints."""

    name: str | None = None
    description: str | None = None
    sets: dict[str, SetDef] = Field(default_factory=dict)
    parameters: dict[str, ParamDef] = Field(default_factory=dict)
    variables: dict[str, Variable] = Field(default_factory=dict)
    objective: Objective | None = None
    constraints: dict[str, Constraint] = Field(default_factory=dict)

    @field_validator("constraints")
    @classmethod
    def _constraint_names(cls, v: dict[str, Any]) -> dict[str, Any]:
        # constraint names are labels, never referenced in expressions: any short printable text
        for name in v:
            if not name.strip() or len(name) > 200 or not name.isprintable():
                raise ValueError(f"constraint name {name[:40]!r} must be 1-200 printable characters")
        return v

    @field_validator("sets", "parameters", "variables")
    @classmethod
    def _names(cls, v: dict[str, Any]) -> dict[str, Any]:
        for name in v:
            if not NAME_RE.match(name):
                raise ValueError(f"name {name!r} is not an identifier (letters, digits, _; not starting "
                                 "with a digit)")
            if name in RESERVED:
                raise ValueError(f"name {name!r} is reserved; choose another")
        return v

    # -- convenience -------------------------------------------------------------------------
    def to_json_dict(self) -> dict[str, Any]:
        """The formulation as a plain JSON object (None fields dropped)."""
        return self.model_dump(mode="json", exclude_none=True)

    def to_json(self, indent: int | None = None) -> str:
        return self.model_dump_json(exclude_none=True, indent=indent)


def set_elements(defn: SetDef) -> list[Element]:
    """The elements of a set definition, in order (a range is expanded; callers check its size)."""
    if isinstance(defn, RangeSet):
        lo, hi = defn.range
        return list(range(lo, hi + 1))
    if isinstance(defn, ElementSet):
        return list(defn.elements)
    return list(defn)


def json_schema() -> dict[str, Any]:
    """JSON Schema of Formulation v1 (``optsolve schema``); usable for LLM structured output."""
    schema = Formulation.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://optsolve.dev/schema/formulation-v1.json"
    schema["title"] = "Formulation v1"
    return schema
