"""Formulation v1: load, check and ground the five-element model."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pydantic

from optsolve.errors import ParseError, ValidationError
from optsolve.formulation.ground import ground
from optsolve.formulation.ir import GroundModel
from optsolve.formulation.schema import Formulation, json_schema

__all__ = ["Formulation", "GroundModel", "compile_model", "json_schema", "load_formulation",
           "validate_formulation"]

MAX_DOCUMENT_BYTES = 50_000_000


def _loc(loc: tuple[Any, ...]) -> str:
    parts: list[str] = []
    for p in loc:
        if isinstance(p, int):
            parts.append(f"[{p}]")
        elif p in ("list[union[int,str]]", "RangeSet", "ElementSet", "IndexedParam", "ScalarParam",
                   "int", "float", "str") or "[" in str(p) or "function-" in str(p):
            continue
        else:
            parts.append(("." if parts else "") + str(p))
    return "".join(parts) or "formulation"


def _from_pydantic(exc: pydantic.ValidationError) -> ValidationError:
    errs = exc.errors()
    # a union reports one error per branch: keep the most specific (deepest) one per location prefix
    errs.sort(key=lambda e: -len(e["loc"]))
    first = errs[0]
    where = _loc(tuple(first["loc"]))
    msg = first["msg"]
    if first["type"] == "extra_forbidden":
        msg = f"unknown key '{first['loc'][-1]}'"
        where = _loc(tuple(first["loc"][:-1]))
    more = f" (and {len(errs) - 1} more problem(s))" if len(errs) > 1 else ""
    return ValidationError(f"{msg}{more}", where=where,
                           details={"errors": [{"loc": _loc(tuple(e["loc"])), "msg": e["msg"]}
                                               for e in errs[:10]]})


def validate_formulation(data: Any) -> Formulation:
    """Check the shape of a JSON object as Formulation v1 (names and expressions are checked later)."""
    if isinstance(data, Formulation):
        return data
    if not isinstance(data, dict):
        raise ValidationError(f"a formulation must be a JSON object, got {type(data).__name__}")
    try:
        return Formulation.model_validate(data)
    except pydantic.ValidationError as exc:
        raise _from_pydantic(exc) from None


def _parse_text(text: str, origin: str) -> Any:
    stripped = text.lstrip()
    if not stripped:
        raise ParseError("empty document", where=origin)
    if stripped[0] in "{[":
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise ParseError(f"malformed JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}",
                             where=origin) from None
        except RecursionError:
            raise ParseError("JSON nests too deeply", where=origin) from None
    try:
        import yaml

        return yaml.safe_load(text)
    except Exception as exc:  # yaml raises many types
        raise ParseError(f"neither JSON nor YAML: {str(exc).splitlines()[0][:200]}", where=origin) from None


def load_formulation(source: str | Path | dict[str, Any] | Formulation) -> Formulation:
    """Load a formulation from a path, JSON/YAML text, a dict, or pass a Formulation through."""
    if isinstance(source, Formulation):
        return source
    if isinstance(source, dict):
        return validate_formulation(source)
    if isinstance(source, Path) or (isinstance(source, str) and "\n" not in source
                                    and not source.lstrip().startswith(("{", "["))
                                    and len(source) < 4096 and Path(source).suffix in
                                    (".json", ".yaml", ".yml")):
        path = Path(source)
        if not path.exists():
            raise ParseError(f"no such file: {path}", hint="check the path")
        if path.stat().st_size > MAX_DOCUMENT_BYTES:
            raise ParseError(f"file is larger than {MAX_DOCUMENT_BYTES:,} bytes", where=str(path))
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            raise ParseError("file is not UTF-8 text", where=str(path)) from None
        return validate_formulation(_parse_text(text, str(path)))
    if len(source) > MAX_DOCUMENT_BYTES:
        raise ParseError(f"document is larger than {MAX_DOCUMENT_BYTES:,} bytes")
    return validate_formulation(_parse_text(source, "formulation"))


def compile_model(source: str | Path | dict[str, Any] | Formulation) -> GroundModel:
    """Load (if needed), check and ground a formulation."""
    return ground(load_formulation(source))
