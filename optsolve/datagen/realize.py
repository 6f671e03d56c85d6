"""Surface realiser helpers: number formats, phrase variation, pools of names, contexts and units.

Everything takes the caller's ``random.Random`` so generation stays a pure function of the seed. The
helpers return *text*; the numbers that go into formulations are always the exact values, written by
:func:`num` (the canonical way a number appears in a gold expression).
"""

from __future__ import annotations

import math
import random
import re
from collections.abc import Sequence
from typing import TypeVar

T = TypeVar("T")

_SMALL = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
          "eleven", "twelve"]


# --- names ---------------------------------------------------------------------------------------

def snake(text: str) -> str:
    """``"Ox carts"`` -> ``"ox_carts"``; ``"2-piece suits"`` -> ``"2_piece_suits"``."""
    s = re.sub(r"[^0-9a-zA-Z]+", "_", text.strip().lower()).strip("_")
    return s or "item"


def var_name(entity: str) -> str:
    """The canonical scalar variable of an entity in word problems: ``x_`` + snake_case (plural) name."""
    return "x_" + snake(entity)


def ident(text: str) -> str:
    """A safe identifier for sets/parameters/constraints: snake_case, never starting with a digit."""
    s = snake(text)
    return s if not s[0].isdigit() else "n_" + s


# --- numbers -------------------------------------------------------------------------------------

def num(v: float) -> str:
    """Canonical number in a gold expression: ``3``, ``2.5``, ``0.35`` (no float noise, no exponent)."""
    if isinstance(v, bool):
        raise TypeError("bool is not a number here")
    r = round(float(v), 6)
    if r == int(r) and abs(r) < 1e15:
        return str(int(r))
    if (third := _third(v)) is not None:
        return repr(third)
    s = f"{r:.6f}".rstrip("0").rstrip(".")
    return s


def _third(v: float) -> float | None:
    """``v`` as the closest float to a whole number of thirds ("a third", "two thirds") when it is one,
    else None. Written rounded to 6 decimals, ``x <= 0.333333 * (x + y + z)`` is a tighter limit than the
    text's "at most a third": with 30 of 90 containers it is infeasible, and the gold optimum of an
    integer model came out lower than the text's (979 for 990; 6 of 894 hard container texts, session 31)."""
    t = round(float(v) * 3)
    return t / 3 if t % 3 and abs(float(v) * 3 - t) < 1e-9 else None


def clean(v: float) -> float | int:
    """An exact JSON number: an int when integral, a whole number of thirds as the closest float, otherwise
    rounded to 6 decimals."""
    r = round(float(v), 6)
    if r == int(r):
        return int(r)
    third = _third(v)
    return third if third is not None else r


def commas(n: float) -> str:
    """``1500`` -> ``1,500``; ``2.5`` -> ``2.5``."""
    r = round(float(n), 6)
    if r == int(r):
        return f"{int(r):,}"
    whole = math.floor(abs(r))
    frac = num(abs(r) - whole).lstrip("0")
    return ("-" if r < 0 else "") + f"{whole:,}" + frac


def fmt_int(rng: random.Random, n: float, words: float = 0.12) -> str:
    """A count in text: ``1,500`` or ``1500``; small integers sometimes in words (``five``)."""
    r = round(float(n), 6)
    if r == int(r) and 0 <= r <= 12 and rng.random() < words:
        return _SMALL[int(r)]
    if r >= 1000 and rng.random() < 0.5:
        return num(r)
    return commas(r)


def fmt_money(rng: random.Random, v: float) -> str:
    """``$1,500`` / ``$1500`` / ``1500 dollars`` / ``$1,500.00``."""
    r = round(float(v), 2)
    c = rng.random()
    if c < 0.55:
        return "$" + commas(r)
    if c < 0.75:
        return "$" + num(r)
    if c < 0.92:
        return f"{commas(r)} dollars"
    if r == int(r) and r < 100000:
        return f"${int(r):,}.00"
    return "$" + commas(r)


def fmt_pct(rng: random.Random, p: float) -> str:
    """A share in text: ``60%``, ``60 percent``, ``60 per cent``; a few exact fractions in words."""
    words = {0.5: "half", 0.25: "a quarter", 1 / 3: "a third", 2 / 3: "two thirds", 0.2: "a fifth"}
    for k, w in words.items():
        if abs(p - k) < 1e-9 and (rng.random() < 0.35 or k in (1 / 3, 2 / 3)):
            return w
    pc = num(p * 100)
    c = rng.random()
    if c < 0.6:
        return f"{pc}%"
    if c < 0.9:
        return f"{pc} percent"
    return f"{pc} per cent"


def fmt_times(rng: random.Random, k: float) -> str:
    """A multiplier: ``twice`` / ``two times`` / ``2 times`` / ``1.5 times``."""
    if k == 2 and rng.random() < 0.5:
        return "twice"
    if k == int(k) and 2 <= k <= 10 and rng.random() < 0.5:
        return f"{_SMALL[int(k)]} times"
    return f"{num(k)} times"


def nice(v: float, mode: str = "round") -> float:
    """Round to a 'nice' number for its magnitude (2 significant-ish digits) up, down or nearest."""
    if v <= 0:
        return 0.0
    mag = 10 ** math.floor(math.log10(v))
    step = mag / 2 if v / mag < 5 else mag
    if v < 10:
        step = 1.0
    q = v / step
    out = (math.ceil(q) if mode == "up" else math.floor(q) if mode == "down" else round(q)) * step
    return float(out if out > 0 else step)


def nice_coef(rng: random.Random, lo: float, hi: float, decimals: float = 0.15) -> float:
    """A coefficient between lo and hi: an integer, or sometimes a half/tenth (``2.5``, ``0.3``)."""
    if hi <= 3 or (hi < 50 and rng.random() < decimals):
        step = 0.5 if hi > 3 else 0.1
        n = rng.randint(max(1, math.ceil(lo / step)), max(1, math.floor(hi / step)))
        return round(n * step, 6)
    v = rng.uniform(lo, hi)
    if hi >= 200:
        return nice(v)
    return float(max(1, round(v)))


# third-person verbs whose plural drops more than an "s" ("has" -> "ha" read "Servings ... ha 25 grams")
_IRREGULAR_PLURAL = {"has": "have", "is": "are", "does": "do", "goes": "go", "was": "were"}


def verb_plural(verb: str, irregular: bool = True) -> str:
    """``"reaches"`` -> ``"reach"``, ``"carries"`` -> ``"carry"``, ``"has"`` -> ``"have"``, ``"can carry"``
    unchanged; ``irregular=False``: "has" -> "ha", as datagen's text version 1 wrote it."""
    first, _, rest = verb.partition(" ")
    if first in ("can", "may", "must"):
        return verb
    if irregular and first in _IRREGULAR_PLURAL:
        first = _IRREGULAR_PLURAL[first]
    elif first.endswith("ies"):
        first = first[:-3] + "y"
    elif first.endswith(("ches", "shes", "sses", "xes")):
        first = first[:-2]
    elif first.endswith("s") and not first.endswith("ss"):
        first = first[:-1]
    return (first + " " + rest).strip()


def short_ref(subject: str) -> str:
    """A later reference to a subject: ``"A bakery in Salem"`` -> ``"the bakery"``; names unchanged."""
    if "," in subject and not subject.startswith(("A ", "An ")):
        return subject.split(",")[0]
    for art in ("A ", "An "):
        if subject.startswith(art):
            rest = subject[len(art):]
            for cut in (" in ", " near "):
                rest = rest.split(cut)[0]
            return "the " + rest.rstrip(",")
    return subject


# --- choice & phrasing ---------------------------------------------------------------------------

def pick(rng: random.Random, items: Sequence[T]) -> T:
    return items[rng.randrange(len(items))]


def sample(rng: random.Random, items: Sequence[T], k: int) -> list[T]:
    return rng.sample(list(items), k)


def a_an(word: str) -> str:
    w = word.strip().lower()
    if w.startswith(("hour", "honest", "heir", "mwh", "fm")):
        return "an"
    return "an" if w[:1] in "aeiou" and not w.startswith(("uni", "use", "one", "eu")) else "a"


def join_and(items: Sequence[str], conj: str = "and") -> str:
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    if len(items) == 2:
        return f"{items[0]} {conj} {items[1]}"
    return ", ".join(items[:-1]) + f", {conj} " + items[-1]


def cap(s: str) -> str:
    return s[:1].upper() + s[1:] if s else s


def count_word(n: int) -> str:
    return _SMALL[n] if 0 <= n <= 12 else str(n)


LE_WORDS = ("at most", "no more than", "a maximum of", "up to", "not more than")
GE_WORDS = ("at least", "no less than", "a minimum of", "not less than")
MAX_WORDS = ("maximize", "maximise")
MIN_WORDS = ("minimize", "minimise")


def le_word(rng: random.Random) -> str:
    return pick(rng, LE_WORDS)


def ge_word(rng: random.Random) -> str:
    return pick(rng, GE_WORDS)


# --- pools -----------------------------------------------------------------------------------------

PERSON_NAMES = (
    "Maria", "James", "Aisha", "Kenji", "Olga", "Pedro", "Fatima", "Liam", "Chen", "Amara", "Noah",
    "Priya", "Lucas", "Ingrid", "Tomas", "Zara", "Mateo", "Yuki", "Emeka", "Sofia", "Ravi", "Hannah",
    "Diego", "Leila", "Owen", "Mei", "Arjun", "Chloe", "Bilal", "Nadia", "Felix", "Rosa", "Ahmed",
    "Grace", "Ivan", "Lena", "Kofi", "Elena", "Sam", "Jasmine", "Victor", "Ana", "Hugo", "Thandiwe",
    "Marco", "Eva", "Dmitri", "Layla", "Ben", "Carmen", "Wei", "Isabel", "Tariq", "Julia", "George",
)

COMPANY_WORDS = (
    "Northwind", "Bluebird", "Summit", "Evergreen", "Redwood", "Silverline", "Apex", "Harbor",
    "Maple", "Granite", "Sunrise", "Pioneer", "Cedar", "Falcon", "Orchid", "Riverbend", "Starlight",
    "Ironwood", "Brightway", "Golden Gate", "Lakeside", "Horizon", "Copperfield", "Westbrook", "Nova",
    "Oakridge", "Crescent", "Meridian", "Aurora", "Pinecrest", "Sterling", "Vantage", "Keystone",
)

CITY_NAMES = (
    "Springfield", "Riverton", "Lakeview", "Fairview", "Greenville", "Ashford", "Bridgeport",
    "Clearwater", "Dover", "Eastwood", "Franklin", "Glenwood", "Hillcrest", "Kingston", "Milford",
    "Newport", "Oakdale", "Pinehurst", "Redfield", "Salem", "Trenton", "Westfield", "Yorkton",
    "Ashland", "Brookside", "Cedar Falls", "Dunmore", "Elmira", "Foxborough", "Granby", "Hartley",
    "Ivyton", "Jasper", "Kenwood", "Linford", "Marston", "Northam", "Oxley", "Prescott", "Quincy",
)

PERIOD_WORDS = ("per day", "per week", "each week", "per month", "each day", "every week", "per shift")


def company_name(rng: random.Random) -> str:
    return f"{pick(rng, COMPANY_WORDS)} {pick(rng, ('Inc.', 'Ltd.', 'Co.', 'Industries', 'Group', 'Works'))}"


def person(rng: random.Random) -> str:
    return pick(rng, PERSON_NAMES)


def place_names(rng: random.Random, k: int) -> list[str]:
    return rng.sample(list(CITY_NAMES), k)


def label_names(prefix: str, k: int, rng: random.Random | None = None) -> list[str]:
    """``["A", "B", ...]``-style or ``["P1", ...]`` element names."""
    if k <= 26 and prefix == "":
        return [chr(ord("A") + i) for i in range(k)]
    return [f"{prefix}{i + 1}" for i in range(k)]
