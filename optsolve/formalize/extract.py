"""Pull the JSON object (or the Python script) out of what an LLM wrote."""

from __future__ import annotations

import json
import re
from typing import Any

from optsolve.errors import ParseError

_FENCE = re.compile(r"```[ \t]*([A-Za-z0-9_+-]*)[ \t]*\n(.*?)```", re.DOTALL)


def _balanced_objects(text: str) -> list[str]:
    """Every top-level ``{...}`` span, respecting strings and escapes."""
    spans: list[str] = []
    depth = 0
    start = -1
    in_str = False
    esc = False
    for i, ch in enumerate(text):
        if in_str:
            if esc:
                esc = False
            elif ch == "\\":
                esc = True
            elif ch == '"':
                in_str = False
            continue
        if ch == '"' and depth > 0:
            in_str = True
        elif ch == "{":
            if depth == 0:
                start = i
            depth += 1
        elif ch == "}" and depth > 0:
            depth -= 1
            if depth == 0:
                spans.append(text[start:i + 1])
    return spans


_WRAPPERS = ("formulation", "model", "formulation_v1")


def _unwrap(obj: dict[str, Any]) -> dict[str, Any]:
    """``{"formulation": {...}}`` (a common LLM habit) is the inner object."""
    if len(obj) == 1:
        key, inner = next(iter(obj.items()))
        if key.lower() in _WRAPPERS and isinstance(inner, dict):
            return inner
    return obj


def extract_json(text: str) -> dict[str, Any]:
    """The formulation object in an LLM reply: fenced or bare, with prose around it.

    Raises :class:`ParseError` with a message fit to be fed back to the model.
    """
    if not text or not text.strip():
        raise ParseError("the reply was empty", hint="answer with one JSON object, the formulation")
    candidates: list[str] = []
    for _lang, body in _FENCE.findall(text):
        candidates.append(body.strip())
    candidates.append(text.strip())
    last_err: json.JSONDecodeError | None = None
    for cand in candidates:
        pieces = [cand, *_balanced_objects(cand)]
        for piece in pieces:
            try:
                obj = json.loads(piece)
            except json.JSONDecodeError as exc:
                last_err = exc
                continue
            if isinstance(obj, dict):
                return _unwrap(obj)
    if last_err is not None and "{" in text:
        raise ParseError(f"the reply is not valid JSON: {last_err.msg} at line {last_err.lineno} column "
                         f"{last_err.colno}",
                         hint="answer with one complete JSON object: double-quoted keys and strings, no "
                              "comments, no trailing commas")
    raise ParseError("the reply holds no JSON object", hint="answer with one JSON object, the formulation")


def extract_code(text: str) -> str:
    """The Python script in an LLM reply (the longest fenced python block, else the whole reply)."""
    blocks = [body for lang, body in _FENCE.findall(text or "") if lang.lower() in ("python", "py", "")]
    if blocks:
        return max(blocks, key=len).strip() + "\n"
    if not text or not text.strip():
        raise ParseError("the reply was empty", hint="answer with one ```python code block")
    return text.strip() + "\n"
