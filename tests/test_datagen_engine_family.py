"""Tiny problem families for the datagen engine tests (no tests here).

They are registered in ``FAMILIES`` only while the datagen tests run (:func:`register` /
:func:`unregister`, from an autouse fixture), never merely because pytest collected this module: some
of them fail on purpose and must not leak into other tests that iterate over every family. Workers
import this module by name (``family_modules=["test_datagen_engine_family"]``) with
``OPTSOLVE_TEST_FAMILIES=1`` in their environment, which registers them there.
"""

from __future__ import annotations

import os
import random
import signal

from optsolve.datagen.base import Family, Instance, Level
from optsolve.datagen.families import FAMILIES

_NAMES = ["alder", "birch", "cedar", "dogwood", "elm", "fir", "ginkgo", "hazel", "ivy", "juniper", "kapok",
          "larch", "maple", "nutmeg", "oak", "pine", "quince", "rowan", "spruce", "teak", "umbrella", "vine",
          "willow", "yew", "zelkova"]
_CITIES = ["Aston", "Brill", "Corfe", "Dunmore", "Elford", "Fenwick", "Garth", "Hale", "Ilsley", "Jarrow"]


class TinyMix(Family):
    """Two products, two resources, a ratio: an NL4Opt-style LP (integer at medium/hard)."""

    name = "tiny_mix"
    kind = "lp"
    description = "two products share two resources"
    templates = ("t0", "t1", "t2")

    def generate(self, rng: random.Random, level: Level) -> Instance:
        a, b = rng.sample(_NAMES, 2)
        city = rng.choice(_CITIES)
        pa, pb = rng.randint(3, 90), rng.randint(3, 90)
        ha, hb = rng.randint(1, 9), rng.randint(1, 9)
        wa, wb = rng.randint(1, 9), rng.randint(1, 9)
        hours, wood = rng.randint(40, 400), rng.randint(40, 400)
        share = rng.choice([20, 25, 30, 40])
        integer = level != "easy"
        tpl = rng.choice(self.templates)
        dom = "nonnegative_integers" if integer else "nonnegative_reals"
        f = {
            "name": "tiny_mix",
            "sets": {"P": [a, b]},
            "parameters": {
                "profit": {"index": ["P"], "values": {a: pa, b: pb}},
                "hours": {"index": ["P"], "values": {a: ha, b: hb}},
                "wood": {"index": ["P"], "values": {a: wa, b: wb}},
                "hours_cap": hours, "wood_cap": wood, "share": share / 100,
            },
            "variables": {"x": {"index": ["P"], "domain": dom}},
            "objective": {"sense": "maximize", "expr": "sum(profit[p] * x[p] for p in P)"},
            "constraints": {
                "hours": {"expr": "sum(hours[p] * x[p] for p in P) <= hours_cap"},
                "wood": {"expr": "sum(wood[p] * x[p] for p in P) <= wood_cap"},
                "ratio": {"expr": f"x['{a}'] >= share * sum(x[p] for p in P)"},
            },
        }
        unit = "units" if integer else "tons"
        if tpl == "t0":
            text = (f"A workshop in {city} makes {a} and {b}. Each {a} needs {ha} hours and {wa} boards; each {b} "
                    f"needs {hb} hours and {wb} boards. There are {hours} hours and {wood} boards. At least "
                    f"{share}% of the {unit} must be {a}. Profit is ${pa} per {a} and ${pb} per {b}. "
                    "Maximize profit.")
        elif tpl == "t1":
            text = (f"{city} Mills sells {a} for a profit of ${pa} and {b} for ${pb}. Making one {a} uses {wa} "
                    f"boards and {ha} labour hours, one {b} uses {wb} boards and {hb} hours, with {wood} boards "
                    f"and {hours} hours available. No less than {share} percent of output must be {a}. "
                    f"How many {unit} of each should be made to maximise profit?")
        else:
            text = (f"Maximize the profit of a {city} plant producing {a} (${pa} each) and {b} (${pb} each). "
                    f"Labour: {ha} h per {a}, {hb} h per {b}, {hours} h in total. Boards: {wa} per {a}, {wb} per "
                    f"{b}, {wood} in total. The {a} share of all {unit} is at least {share}%.")
        return Instance(self.name, level, tpl, f, text, {"kind": "lp"})


class TinyDiet(Family):
    """Minimum-cost mix meeting two nutrient minimums."""

    name = "tiny_diet"
    kind = "lp"
    description = "cheapest mix of two foods"
    templates = ("d0", "d1")

    def generate(self, rng: random.Random, level: Level) -> Instance:
        a, b = rng.sample(_NAMES, 2)
        ca, cb = rng.randint(1, 20), rng.randint(1, 20)
        pa, pb = rng.randint(1, 12), rng.randint(1, 12)
        va, vb = rng.randint(1, 12), rng.randint(1, 12)
        need_p, need_v = rng.randint(20, 200), rng.randint(20, 200)
        tpl = rng.choice(self.templates)
        f = {
            "name": "tiny_diet",
            "variables": {"xa": {"domain": "nonnegative_reals"}, "xb": {"domain": "nonnegative_reals"}},
            "objective": {"sense": "minimize", "expr": f"{ca} * xa + {cb} * xb"},
            "constraints": {
                "protein": {"expr": f"{pa} * xa + {pb} * xb >= {need_p}"},
                "vitamin": {"expr": f"{va} * xa + {vb} * xb >= {need_v}"},
            },
        }
        if tpl == "d0":
            text = (f"A farmer mixes {a} feed (${ca} per bag) and {b} feed (${cb} per bag). A bag of {a} has {pa} "
                    f"units of protein and {va} of vitamins; a bag of {b} has {pb} and {vb}. The mix needs at "
                    f"least {need_p} units of protein and {need_v} of vitamins. Minimize the cost.")
        else:
            text = (f"Find the cheapest blend of {a} and {b}: they cost ${ca} and ${cb} per kilogram, give {pa} "
                    f"and {pb} grams of protein and {va} and {vb} mg of vitamin per kilogram; the blend must "
                    f"contain {need_p} grams of protein and {need_v} mg of vitamin or more.")
        return Instance(self.name, level, tpl, f, text, {"kind": "lp"})


class TinyBoom(TinyMix):
    """Like tiny_mix, but its generator raises for about one seed in five."""

    name = "tiny_boom"

    def generate(self, rng: random.Random, level: Level) -> Instance:
        if rng.random() < 0.2:
            raise ValueError("boom: this generator fails on purpose")
        inst = super().generate(rng, level)
        inst.family = self.name
        return inst


_CALLS = {"n": 0}


class TinyKill(TinyMix):
    """Like tiny_mix, but SIGKILLs its own process on its N-th call in that process when
    OPTSOLVE_TEST_KILL_AT=N is set (to kill a pool worker mid-run)."""

    name = "tiny_kill"

    def generate(self, rng: random.Random, level: Level) -> Instance:
        _CALLS["n"] += 1
        at = os.environ.get("OPTSOLVE_TEST_KILL_AT")
        if at and _CALLS["n"] >= int(at):
            os.kill(os.getpid(), signal.SIGKILL)
        inst = super().generate(rng, level)
        inst.family = self.name
        return inst


NL4OPT_DOC = ("A coconut seller has to transport coconuts using either rickshaws or ox carts. The rickshaws "
              "can take 50 coconuts each and cost $10 per trip. The ox carts can take 30 coconuts each and "
              "cost $8 per trip. The seller has at most $200 to spend on transporting the coconuts. Due to "
              "pollution, the number of rickshaws must not exceed the number of ox carts. Formulate a LP to "
              "maximize the number of coconuts that can be transported.")


class TinyCopy(Family):
    """Emits a near copy of an NL4Opt dev text (one number changed): the contamination check must drop it."""

    name = "tiny_copy"
    kind = "lp"
    description = "NL4Opt text with one number changed"
    templates = ("c0",)

    def generate(self, rng: random.Random, level: Level) -> Instance:
        budget = rng.randint(150, 400)
        text = NL4OPT_DOC.replace("$200", f"${budget}")
        f = {
            "variables": {"r": {"domain": "nonnegative_integers"}, "o": {"domain": "nonnegative_integers"}},
            "objective": {"sense": "maximize", "expr": "50 * r + 30 * o"},
            "constraints": {"budget": {"expr": f"10 * r + 8 * o <= {budget}"}, "pollution": {"expr": "r <= o"}},
        }
        return Instance(self.name, level, "c0", f, text, {"kind": "lp"})


class TinyStatus(Family):
    """Infeasible, unbounded or optimal, one third each (by the rng)."""

    name = "tiny_status"
    kind = "lp"
    description = "sometimes infeasible or unbounded"
    templates = ("s0",)

    def generate(self, rng: random.Random, level: Level) -> Instance:
        case = rng.choice(["infeasible", "unbounded", "optimal"])
        lo, hi = rng.randint(5, 50), rng.randint(60, 90)
        if case == "infeasible":
            lo, hi = hi, lo
        cons = {"lo": {"expr": f"x >= {lo}"}}
        if case != "unbounded":
            cons["hi"] = {"expr": f"x + y <= {hi}"}
        f = {"variables": {"x": {"domain": "nonnegative_reals"}, "y": {"domain": "nonnegative_reals"}},
             "objective": {"sense": "maximize", "expr": "2 * x + 3 * y"}, "constraints": cons}
        word = rng.choice(_NAMES)
        text = (f"Case {case} {word} {rng.randint(0, 10**6)}: make at least {lo} units of {word}; "
                f"{'together at most ' + str(hi) + ' units' if case != 'unbounded' else 'no limit'}. "
                "Maximize 2 per unit of x and 3 per unit of y.")
        return Instance(self.name, level, "s0", f, text, {"kind": "lp", "case": case})


class TinyBad(TinyMix):
    """Like tiny_mix, but about one gold model in three names an undefined parameter (a family bug)."""

    name = "tiny_bad"

    def generate(self, rng: random.Random, level: Level) -> Instance:
        inst = super().generate(rng, level)
        inst.family = self.name
        if rng.random() < 0.34:
            inst.formulation["constraints"]["hours"]["expr"] = "sum(hourz[p] * x[p] for p in P) <= hours_cap"
        return inst


TINY: tuple[Family, ...] = (TinyMix(), TinyDiet(), TinyBoom(), TinyKill(), TinyCopy(), TinyStatus(), TinyBad())
ENV = "OPTSOLVE_TEST_FAMILIES"


def register() -> None:
    for fam in TINY:
        FAMILIES.setdefault(fam.name, fam)


def unregister() -> None:
    for fam in TINY:
        if FAMILIES.get(fam.name) is fam:
            del FAMILIES[fam.name]


if os.environ.get(ENV) == "1":
    register()
