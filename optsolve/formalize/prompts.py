"""Prompt templates (files under ``prompts/``, versioned by their id) and message building.

The formulation prompt follows LLMOPT's five-element instruction: role, the five elements in order,
the output format and the expression rules, then few-shot examples retrieved from the local library
by similarity, then the problem.
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from typing import Any

from optsolve.errors import ConfigError

#: the prompt versions in use; bump the file names (and these) when a prompt changes meaning
FORMULATION_PROMPT = "formalize-v1"
CODE_PROMPT = "code-v1"


@lru_cache(maxsize=32)
def template(version: str, part: str) -> str:
    """The text of ``prompts/<version>.<part>.md``."""
    try:
        return (resources.files("optsolve.formalize") / "prompts" / f"{version}.{part}.md").read_text(
            encoding="utf-8")
    except (FileNotFoundError, OSError) as exc:
        raise ConfigError(f"prompt template {version}.{part}.md is missing",
                          hint="reinstall optsolve; the prompts ship inside the package") from exc


def fill(text: str, **values: str) -> str:
    """Replace ``{name}`` placeholders; other braces (JSON, user text) are left alone."""
    for key, value in values.items():
        text = text.replace("{" + key + "}", value)
    return text


def formulation_messages(problem: str, examples: list[dict[str, Any]]) -> list[dict[str, str]]:
    """System prompt, few-shot pairs, then the problem."""
    messages = [{"role": "system", "content": template(FORMULATION_PROMPT, "system").strip()}]
    user_t = template(FORMULATION_PROMPT, "user")
    for ex in examples:
        messages.append({"role": "user", "content": fill(user_t, problem=ex["text"]).strip()})
        messages.append({"role": "assistant",
                         "content": json.dumps(ex["formulation"], separators=(",", ":"))})
    messages.append({"role": "user", "content": fill(user_t, problem=problem).strip()})
    return messages


def code_messages(problem: str, contract: str) -> list[dict[str, str]]:
    return [
        {"role": "system", "content": fill(template(CODE_PROMPT, "system"), contract=contract).strip()},
        {"role": "user", "content": fill(template(CODE_PROMPT, "user"), problem=problem).strip()},
    ]


def repair_message(version: str, stage: str, error: str, details: str = "") -> dict[str, str]:
    body = fill(template(version, "repair"), stage=stage, error=error, details=details)
    return {"role": "user", "content": "\n".join(line for line in body.splitlines() if line.strip())}
