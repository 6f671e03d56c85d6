"""A backend that replies from a script: for tests, demos and replaying recorded runs.

Replies come from a list, or from a JSONL file (``--backend scripted --model replies.jsonl``) where each
line is one of

* a JSON string: the reply text;
* ``{"reply": "..."}``: the reply text;
* ``{"match": "substring of the problem", "replies": [...]}``: replies for problems containing that
  text, consumed in order (so a bench file can be replayed whatever the order of the questions); with
  ``"agreement": [votes, drawn]`` the backend plays one that voted among candidates of its own (as the
  embedded model does) and reports that agreement for those replies;
* any other JSON object: a formulation, sent back as its JSON text.

Every request is recorded in ``requests`` so tests can assert the messages sent.
"""

from __future__ import annotations

import json
from collections import deque
from pathlib import Path
from typing import Any

from optsolve.errors import ConfigError, LLMBackendError
from optsolve.formalize.backends.base import CompletionRequest, LLMBackend


def _reply_text(item: Any) -> str:
    if isinstance(item, str):
        return item
    if isinstance(item, dict) and set(item) == {"reply"}:
        return str(item["reply"])
    return json.dumps(item)


class ScriptedBackend(LLMBackend):
    name = "scripted"

    def __init__(self, replies: list[Any] | None = None, *, path: str | Path | None = None) -> None:
        self.requests: list[CompletionRequest] = []
        self._queue: deque[str] = deque()
        self._by_match: list[tuple[str, deque[str]]] = []
        self._agreement: dict[str, tuple[int, int]] = {}
        items: list[Any] = list(replies or [])
        if path is not None:
            items.extend(self._read(Path(path)))
        for item in items:
            if isinstance(item, dict) and "match" in item and "replies" in item:
                texts = [_reply_text(r) for r in item["replies"]]
                self._by_match.append((str(item["match"]), deque(texts)))
                ag = item.get("agreement")
                if ag is not None:
                    if not (isinstance(ag, list) and len(ag) == 2 and all(isinstance(x, int) for x in ag)
                            and 0 <= ag[0] <= ag[1] and ag[1] > 0):
                        raise ConfigError(f"scripted agreement {ag!r} is not [votes, drawn] with "
                                          "0 <= votes <= drawn, drawn > 0", hint='e.g. "agreement": [7, 16]')
                    self._agreement.update({t: (ag[0], ag[1]) for t in texts})
            else:
                self._queue.append(_reply_text(item))

    @staticmethod
    def _read(path: Path) -> list[Any]:
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise ConfigError(f"cannot read the scripted replies file {path}: {exc.strerror}",
                              hint="pass a JSONL file of replies with --model") from exc
        out = []
        for no, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                out.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise ConfigError(f"{path}:{no}: not JSON ({exc.msg})",
                                  hint="one JSON value per line: a string, or an object") from exc
        return out

    def complete(self, request: CompletionRequest) -> list[str]:
        self.requests.append(request)
        queue = self._queue
        for needle, q in self._by_match:
            if needle and needle in request.problem_text:
                queue = q
                break
        out = []
        for _ in range(request.n):
            if not queue:
                raise LLMBackendError("the scripted backend ran out of replies",
                                      hint="add replies to the script")
            out.append(queue.popleft())
        return out

    def agreement(self, completion: str) -> tuple[int, int] | None:
        return self._agreement.get(completion)

    @property
    def remaining(self) -> int:
        return len(self._queue) + sum(len(q) for _, q in self._by_match)
