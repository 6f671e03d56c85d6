"""Numbers are copied, not generated: every number of a problem text becomes a placeholder token.

``mask_numbers("It costs $1,500 and 60% ...")`` gives the text with ``<n0>``, ``<n1>``... in place of
the numbers, and the value of each placeholder (``1500.0``, ``0.6``). The embedded model reads the
masked text and writes placeholders where a formulation uses a number of the text; the values are put
back after decoding. This keeps the output short (one token per number) and makes the model exact on
numbers it has never seen.

Handled: ``1,500``, ``$1,500.50``, ``60%`` / ``60 percent`` (value 0.6), ``1.5 million``,
``2 thousand``, ``3k``, number words (``one`` .. ``twenty``, ``thirty``..., ``a dozen``), multipliers
(``twice``/``double`` 2, ``triple``/``thrice`` 3, ``half`` 0.5, ``a third`` 1/3, ``a quarter`` 0.25).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

MAX_PLACEHOLDERS = 48

_WORDS: dict[str, float] = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
    "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30,
    "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90, "hundred": 100,
    "twice": 2, "double": 2, "doubled": 2, "thrice": 3, "triple": 3, "tripled": 3, "quadruple": 4,
    "half": 0.5, "dozen": 12,
}
_FRACTIONS: dict[str, float] = {"a third": 1 / 3, "one third": 1 / 3, "a quarter": 0.25,
                                "one quarter": 0.25, "one fourth": 0.25, "a fourth": 0.25,
                                "one fifth": 0.2, "a fifth": 0.2, "two thirds": 2 / 3}
_SCALE = {"million": 1e6, "millions": 1e6, "thousand": 1e3, "thousands": 1e3, "billion": 1e9, "k": 1e3}

_NUM = r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?|\.\d+"
_PATTERN = re.compile(
    r"(?P<frac>\b(?:" + "|".join(sorted(_FRACTIONS, key=len, reverse=True)) + r")\b)"
    r"|(?P<cur>\$\s?)?(?P<num>" + _NUM + r")"
    r"(?:\s?(?P<pct>%|percent\b|per cent\b))?"
    r"(?:\s?(?P<scale>million\b|thousand\b|billion\b|k\b))?"
    r"|(?P<word>\b(?:" + "|".join(sorted(_WORDS, key=len, reverse=True)) + r")\b)",
    re.IGNORECASE,
)


def placeholder(i: int) -> str:
    return f"<n{i}>"


@dataclass
class Masked:
    """A text with its numbers replaced by placeholders, and the values of the placeholders."""

    text: str
    values: list[float]
    spans: list[str]          # the original text of each placeholder (for explanations)
    # every mention in the original text: (start, end, placeholder index), in order
    mentions: list[tuple[int, int, int]] = field(default_factory=list)

    def index_of(self, value: float, rel: float = 1e-9) -> int | None:
        """The first placeholder whose value equals ``value`` (within ``rel``), else None."""
        for i, v in enumerate(self.values):
            if abs(v - value) <= rel * max(1.0, abs(v), abs(value)):
                return i
        return None


def _value(m: re.Match[str]) -> float:
    if m.group("frac"):
        return _FRACTIONS[m.group("frac").lower()]
    if m.group("word"):
        return float(_WORDS[m.group("word").lower()])
    raw = m.group("num").replace(",", "")
    v = float(raw)
    if m.group("scale"):
        v *= _SCALE[m.group("scale").lower()]
    if m.group("pct"):
        v /= 100.0
    return v


def mask_numbers(text: str, limit: int = MAX_PLACEHOLDERS) -> Masked:
    """Replace every number of ``text`` with ``<nK>``: K numbers the distinct values in order of first
    appearance (a repeated value repeats its placeholder); at most ``limit`` distinct values."""
    values: list[float] = []
    spans: list[str] = []
    out: list[str] = []
    mentions: list[tuple[int, int, int]] = []
    pos = 0
    for m in _PATTERN.finditer(text):
        if len(values) >= limit:
            break
        # a digit glued to letters (a name such as "P1" or "x2") is part of a word, not a quantity
        start = m.start()
        if m.group("num") and start > 0 and text[start - 1].isalpha() and not m.group("cur"):
            continue
        try:
            v = _value(m)
        except (ValueError, KeyError):
            continue
        out.append(text[pos:start])
        # equal values share a placeholder: the model can then tell which mention a number copies
        k = next((i for i, u in enumerate(values) if abs(u - v) <= 1e-9 * max(1.0, abs(u))), None)
        if k is None:
            k = len(values)
            values.append(v)
            spans.append(m.group(0))
        out.append(f" {placeholder(k)} ")
        mentions.append((start, m.end(), k))
        pos = m.end()
    out.append(text[pos:])
    masked = re.sub(r"[ \t]+", " ", "".join(out)).strip()
    return Masked(masked, values, spans, mentions)


def format_number(v: float) -> str:
    """A number as short as it can be written without losing it (``3``, ``0.25``, ``1e-06``)."""
    if v == int(v) and abs(v) < 1e15:
        return str(int(v))
    return repr(float(v))
