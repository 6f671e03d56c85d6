"""Between results (formulation-v1.md JSON dicts) and protobuf messages, in both directions."""

from __future__ import annotations

import json
from typing import Any

from optsolve.service.pb import pb2

_COMPACT = (",", ":")


def status_enum(name: str) -> Any:
    try:
        return pb2.Status.Value("STATUS_" + name.upper())
    except ValueError:
        return pb2.Status.Value("STATUS_ERROR")


def status_name(value: int) -> str:
    try:
        return str(pb2.Status.Name(value)).removeprefix("STATUS_").lower()
    except ValueError:
        return "error"


def dumps(value: Any) -> str:
    return json.dumps(value, separators=_COMPACT, default=str)


def solve_response(result: dict[str, Any] | None, formulation: dict[str, Any] | None, *,
                   attempts: list[Any] | None = None, confidence: float = 1.0, route: str = "formulation",
                   request_id: str = "", total_seconds: float = 0.0, formalizer: str = "",
                   agreement: dict[str, Any] | None = None) -> Any:
    """A SolveResponse from a result dict (``SolveResult.to_json_dict()``)."""
    if result is None:
        result = {"status": "error", "objective": None, "variables": {}, "solver": "", "seconds": 0.0,
                  "message": "the formalizer produced no solve result"}
    name = str(result.get("status", "error"))
    resp = pb2.SolveResponse(
        status=status_enum(name), status_name=name,
        formulation_json=dumps(formulation) if formulation is not None else "",
        solution_json=dumps(result.get("variables") or {}),
        solver=str(result.get("solver") or ""), seconds=float(result.get("seconds") or 0.0),
        explanation=[str(x) for x in (result.get("explanation") or [])],
        message=str(result.get("message") or ""),
        attempts=len(attempts or []), attempts_json=dumps(attempts or []),
        confidence=float(confidence), request_id=request_id, result_json=dumps(result),
        total_seconds=float(total_seconds), route=route or "", formalizer=formalizer,
        agreement_json=dumps(agreement) if agreement else "",
    )
    obj = result.get("objective")
    if obj is not None:
        resp.objective = float(obj)
        resp.has_objective = True
    if result.get("bound") is not None:
        resp.bound = float(result["bound"])
    return resp


def result_dict(resp: Any) -> dict[str, Any]:
    """The result dict of a SolveResponse (from ``result_json``, else rebuilt from the fields)."""
    if resp.result_json:
        out: dict[str, Any] = json.loads(resp.result_json)
        return out
    return {
        "status": resp.status_name or status_name(resp.status),
        "objective": resp.objective if resp.HasField("objective") else None,
        "variables": json.loads(resp.solution_json or "{}"),
        "solver": resp.solver, "seconds": resp.seconds,
        "explanation": list(resp.explanation) or None, "message": resp.message or None,
        "bound": resp.bound if resp.HasField("bound") else None,
    }
