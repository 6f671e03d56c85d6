"""``optsolve bench``: formalize and solve every item of a benchmark file and score it.

Input: JSONL with the text in ``question``, ``en_question`` or ``Question`` and the optimum in ``answer``,
``en_answer`` or ``Answer``. Output: one line per item (``index`` = 0-based line number, ``objective``,
``status``, ``seconds``, ``attempts``...) and a summary:

* strict accuracy: |pred - gt| <= 1e-4 * max(1, |gt|);
* 5% accuracy: |pred - gt| <= 0.05 * max(1, |gt|) (the looser rule some papers use);
* execution rate: items where a formulation compiled and the solver returned a solution;
* mean attempts (LLM rounds per item, over all samples), latency p50/p95 (seconds per item).

An item whose answer is not a number (e.g. "No Best Solution") counts as correct when our pipeline also
finds no finite optimum (infeasible/unbounded).
"""

from __future__ import annotations

import contextlib
import json
import math
import re
import sys
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from optsolve.errors import InputError, OptsolveError
from optsolve.formalize.backends.base import LLMBackend

TEXT_KEYS = ("question", "en_question", "Question")
ANSWER_KEYS = ("answer", "en_answer", "Answer")
STRICT_RTOL = 1e-4
LOOSE_RTOL = 0.05


def read_items(path: str | Path, limit: int | None = None) -> list[dict[str, Any]]:
    p = Path(path)
    if not p.is_file():
        raise InputError(f"bench file not found: {p}", hint="pass a JSONL file with question/answer fields")
    items: list[dict[str, Any]] = []
    with p.open(encoding="utf-8") as fh:
        for no, line in enumerate(fh):
            if limit is not None and len(items) >= limit:
                break
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                raise InputError(f"{p}:{no + 1}: not JSON ({exc.msg})", hint="one JSON object per line") from exc
            text = next((obj[k] for k in TEXT_KEYS if k in obj), None)
            if text is None:
                raise InputError(f"{p}:{no + 1}: no question field",
                                 hint=f"each line needs one of {', '.join(TEXT_KEYS)}")
            answer = next((obj[k] for k in ANSWER_KEYS if k in obj), None)
            items.append({"index": no, "question": str(text), "answer": parse_answer(answer)})
    return items


def parse_answer(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value) if math.isfinite(float(value)) else None
    m = re.search(r"-?\d[\d,]*(?:\.\d+)?(?:[eE][-+]?\d+)?|-?\.\d+", str(value))
    if not m:
        return None
    try:
        return float(m.group(0).replace(",", ""))
    except ValueError:
        return None


def is_correct(pred: float | None, gt: float | None, status: str, rtol: float) -> bool:
    if gt is None:
        return pred is None and status in ("infeasible", "unbounded", "infeasible_or_unbounded")
    if pred is None:
        return False
    return abs(pred - gt) <= rtol * max(1.0, abs(gt))


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    s = sorted(values)
    k = (len(s) - 1) * q
    lo, hi = math.floor(k), math.ceil(k)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


def run_item(item: dict[str, Any], options: Any, backend: LLMBackend) -> dict[str, Any]:
    from optsolve.errors import FormalizeError
    from optsolve.formalize import formalize

    t0 = time.perf_counter()
    row: dict[str, Any] = {"index": item["index"], "answer": item["answer"]}
    try:
        res = formalize(item["question"], options, backend=backend)
        result = res.result
        row.update(objective=result.objective if result else None,
                   status=result.status.value if result else "compiled",
                   attempts=len(res.attempts), confidence=res.confidence,
                   executed=bool(result is not None and result.status.has_solution))
    except FormalizeError as err:
        row.update(objective=None, status="formalize_error", attempts=len(err.attempts), executed=False,
                   error=err.to_dict())
    except OptsolveError as err:
        row.update(objective=None, status="error", attempts=0, executed=False, error=err.to_dict())
    row["seconds"] = round(time.perf_counter() - t0, 4)
    row["correct"] = is_correct(row["objective"], item["answer"], row["status"], STRICT_RTOL)
    row["correct_5pct"] = is_correct(row["objective"], item["answer"], row["status"], LOOSE_RTOL)
    return row


def summarize(rows: list[dict[str, Any]]) -> dict[str, Any]:
    n = len(rows)
    secs = [r["seconds"] for r in rows]
    return {
        "items": n,
        "accuracy": sum(r["correct"] for r in rows) / n if n else 0.0,
        "accuracy_5pct": sum(r["correct_5pct"] for r in rows) / n if n else 0.0,
        "execution_rate": sum(r["executed"] for r in rows) / n if n else 0.0,
        "mean_attempts": sum(r["attempts"] for r in rows) / n if n else 0.0,
        "latency_p50": percentile(secs, 0.5),
        "latency_p95": percentile(secs, 0.95),
        "errors": sum(r["status"] in ("error", "formalize_error") for r in rows),
    }


def run_bench(items: Iterable[dict[str, Any]], options: Any, backend: LLMBackend, *,
              out: str | Path | None = None, progress: bool | None = None) -> dict[str, Any]:
    from tqdm import tqdm

    items = list(items)
    rows: list[dict[str, Any]] = []
    with contextlib.ExitStack() as stack:
        fh = stack.enter_context(Path(out).open("w", encoding="utf-8")) if out else None
        bar = tqdm(items, desc="bench", unit="item", file=sys.stderr,
                   disable=(not progress) if progress is not None else None)
        for item in bar:
            row = run_item(item, options, backend)
            rows.append(row)
            if fh:
                fh.write(json.dumps(row) + "\n")
                fh.flush()
            ok = sum(r["correct"] for r in rows)
            bar.set_postfix(acc=f"{ok}/{len(rows)}")
    summary = summarize(rows)
    summary["rows"] = rows
    return summary
