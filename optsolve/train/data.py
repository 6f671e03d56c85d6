"""Training rows from datagen's exports, in the two formats the trainers take.

* ``chat``: TRL's conversational prompt/completion (any causal LM with a chat template: a 7B model
  with LoRA, say). SFT rows ``messages`` become ``prompt`` = every message but the last,
  ``completion`` = the last (the loss is on the formulation only).
* ``compact``: the embedded model's format. ``prompt`` = the text with numbers masked plus ``<sep>``,
  ``completion`` = the compact formulation (:mod:`optsolve.train.compact`).

Accepted inputs: datagen SFT rows (``messages``), records (``text`` + ``formulation``), DPO pairs
(``prompt``/``chosen``/``rejected``), ranked lists (``prompt``/``completions``/``scores``), and rows
already in prompt/completion form.
"""

from __future__ import annotations

import json
from typing import Any

from optsolve.errors import InputError
from optsolve.train.compact import Unsupported, encode
from optsolve.train.numbers import mask_numbers
from optsolve.train.tokenizer import SEP

LEVEL_RANK = {"easy": 0, "medium": 1, "hard": 2}


def _content(m: Any) -> str:
    if isinstance(m, str):
        return m
    if isinstance(m, list):
        return str(m[-1]["content"]) if m else ""
    if isinstance(m, dict):
        return str(m.get("content", ""))
    return str(m)


def _user_text(prompt: Any) -> str:
    if isinstance(prompt, str):
        return prompt
    users = [m["content"] for m in prompt if m.get("role") == "user"]
    if not users:
        raise InputError("a prompt without a user message", hint="prompts are a string or chat messages")
    return str(users[-1])


def _formulation(s: str | dict[str, Any]) -> dict[str, Any]:
    if isinstance(s, dict):
        return s
    try:
        out = json.loads(s)
    except json.JSONDecodeError:
        raise Unsupported("completion is not JSON") from None
    if not isinstance(out, dict):
        raise Unsupported("completion is not a JSON object")
    return out


def _is_compact(prompt: Any) -> bool:
    return isinstance(prompt, str) and prompt.endswith(SEP)


def compact_prompt(text: str) -> tuple[str, list[float]]:
    m = mask_numbers(text)
    return m.text + SEP, m.values


def compact_target(text: str, formulation: dict[str, Any]) -> str:
    return encode(formulation, mask_numbers(text))


def text_and_gold(row: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The problem text and gold formulation of an SFT row or a record."""
    if "messages" in row:
        msgs = row["messages"]
        return _user_text(msgs[:-1]), _formulation(msgs[-1]["content"])
    if "text" in row and "formulation" in row:
        return str(row["text"]), _formulation(row["formulation"])
    if "prompt" in row and "completion" in row:
        return _user_text(row["prompt"]), _formulation(_content(row["completion"]))
    raise InputError(f"row without text and formulation (keys: {sorted(row)})",
                     hint="use datagen's sft/*.jsonl (messages) or records/*.jsonl (text, formulation)")


def sft_rows(rows: list[dict[str, Any]], fmt: str) -> tuple[list[dict[str, Any]], int]:
    """Prompt/completion rows for SFT, and how many input rows could not be used."""
    out: list[dict[str, Any]] = []
    skipped = 0
    for r in rows:
        if fmt == "chat":
            if "messages" in r:
                out.append({"prompt": r["messages"][:-1], "completion": r["messages"][-1:]})
            elif "prompt" in r and "completion" in r:
                out.append({"prompt": r["prompt"], "completion": r["completion"]})
            elif "text" in r and "formulation" in r:
                f = r["formulation"] if isinstance(r["formulation"], str) else json.dumps(r["formulation"])
                out.append({"prompt": [{"role": "user", "content": r["text"]}],
                            "completion": [{"role": "assistant", "content": f}]})
            else:
                skipped += 1
            continue
        if _is_compact(r.get("prompt")) and "completion" in r:   # already in the compact format
            out.append({"prompt": r["prompt"], "completion": _content(r["completion"])})
            continue
        try:
            text, gold = text_and_gold(r)
            prompt, _ = compact_prompt(text)
            out.append({"prompt": prompt, "completion": compact_target(text, gold)})
        except (Unsupported, InputError, KeyError, TypeError, ValueError):
            skipped += 1
    return out, skipped


def _pair(prompt: Any, chosen: Any, rejected: Any, fmt: str) -> dict[str, Any] | None:
    if fmt == "chat" or _is_compact(prompt):
        return {"prompt": prompt, "chosen": _content(chosen), "rejected": _content(rejected)} \
            if fmt != "chat" else {"prompt": prompt, "chosen": chosen, "rejected": rejected}
    text = _user_text(prompt)
    try:
        p, _ = compact_prompt(text)
        c = compact_target(text, _formulation(_content(chosen)))
        j = compact_target(text, _formulation(_content(rejected)))
    except (Unsupported, InputError, KeyError, TypeError, ValueError):
        return None
    if c == j:
        return None
    return {"prompt": p, "chosen": c, "rejected": j}


def dpo_rows(rows: list[dict[str, Any]], fmt: str, curriculum: bool = False
             ) -> tuple[list[dict[str, Any]], int]:
    """Preference pairs. Ranked lists (``completions`` + ``scores``) are expanded into every pair of
    completions with different scores (the better one chosen): a pairwise reduction of the ranking, as
    RankDPO does. With ``curriculum``, pairs are ordered from easy to hard (level, then complexity, then
    the score gap, widest first: clear mistakes before near misses)."""
    out: list[tuple[tuple[int, float, float], dict[str, Any]]] = []
    skipped = 0
    for r in rows:
        level = LEVEL_RANK.get(str(r.get("level")), 1)
        cx = float(r.get("complexity") or 0.0)
        if "completions" in r and "scores" in r:
            comps, scores = r["completions"], [float(s) for s in r["scores"]]
            for i in range(len(comps)):
                for j in range(len(comps)):
                    if scores[i] > scores[j]:
                        p = _pair(r["prompt"], comps[i], comps[j], fmt)
                        if p is None:
                            skipped += 1
                        else:
                            out.append(((level, cx, -(scores[i] - scores[j])), p))
        elif {"prompt", "chosen", "rejected"} <= set(r):
            p = _pair(r["prompt"], r["chosen"], r["rejected"], fmt)
            if p is None:
                skipped += 1
            else:
                out.append(((level, cx, -float(r.get("gap", 1.0))), p))
        else:
            skipped += 1
    if curriculum:
        out.sort(key=lambda t: t[0])
    return [p for _, p in out], skipped
