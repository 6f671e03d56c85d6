"""NL4Opt-style word problems: a small scenario engine shared by the word-problem families.

A family is a :class:`Scenario` (story pools, entities, attributes, objective choices, the relation
kinds it may state). One instance is drawn in three steps:

1. a *reference plan* ``x0`` (positive integers) is drawn first and every constraint is built so that
   ``x0`` satisfies it: the instance is feasible by construction, and bounded (a maximisation always
   gets a resource limit with positive coefficients, a minimisation has nonnegative costs);
2. the gold formulation is written in the canonical compact shape (see docs/datagen_families.md):
   scalar variables ``x_<entity in snake_case>``, numbers inline, constraints named by kind and in the
   order their sentences appear in the text;
3. the text is realised with one of the scenario's templates (how coefficients are stated: per entity,
   per attribute, "respectively", or a table), synonyms, number formats and statement order varied.
"""

from __future__ import annotations

import copy
import math
import random
from dataclasses import dataclass, field
from typing import Any

from optsolve.datagen import realize as R
from optsolve.datagen.base import TEXTS, Family, Instance, Level

# --- scenario data --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Ent:
    """An entity (a decision): ``plural`` names it in text and in its variable name."""

    plural: str
    sing: str = ""
    measure: str | None = None      # None: a countable item; else the unit ("acre", "kilogram", "hour")

    @property
    def count(self) -> bool:
        return self.measure is None

    @property
    def s(self) -> str:
        return self.sing or self.plural

    @property
    def var(self) -> str:
        return R.var_name(self.plural)

    def each(self, rng: random.Random) -> str:
        if self.count:
            d = R.pick(rng, ("each", "each", "a", "one", "every"))
            return f"{R.a_an(self.s) if d == 'a' else d} {self.s}"
        d = R.pick(rng, ("each", "one", "a", "every"))
        return f"{R.a_an(self.measure or '') if d == 'a' else d} {self.measure} of {self.s}"

    def per(self) -> str:
        return f"per {self.s}" if self.count else f"per {self.measure} of {self.s}"

    @property
    def measures(self) -> str:
        m = self.measure or ""
        return m if m in ("MWh", "kg", "kWh") else m + "s"

    def many(self) -> str:
        return self.plural if self.count else f"{self.measures} of {self.s}"

    def qty(self, rng: random.Random, n: float) -> str:
        if self.count:
            return f"{R.fmt_int(rng, n)} {self.s if n == 1 else self.plural}"
        return f"{R.fmt_int(rng, n)} {self.measure if n == 1 else self.measures} of {self.s}"

    def number_of(self) -> str:
        return f"the number of {self.plural}" if self.count else f"the number of {self.measures} of {self.s}"


@dataclass(frozen=True)
class Attr:
    """A per-entity quantity: a resource used, a content, a capacity, a cost."""

    key: str                       # stem of constraint names ("labor" -> labor_limit / labor_min)
    unit: str                      # "hours of labor" (plural form); "" for money
    verbs: tuple[str, ...] = ("requires", "uses", "needs", "takes")
    lo: float = 1
    hi: float = 10
    money: bool = False
    noun: str = ""                 # "labor time"; defaults to the unit's last word
    whole: bool = False            # coefficients are whole numbers (people, machines...)
    need: tuple[str, ...] = ()     # requirement sentences: {S} subject, {ge} "at least", {amt}, {p} period
    limit: tuple[str, ...] = ()    # limit sentences: {S} subject, {le} "at most", {amt}, {p} period

    @property
    def what(self) -> str:
        return self.noun or (self.unit.split(" of ")[-1] if self.unit else "money")

    def amount(self, rng: random.Random, v: float) -> str:
        if self.money:
            return R.fmt_money(rng, v)
        unit = self.unit
        if abs(v - 1) < 1e-9:
            first, _, rest = unit.partition(" ")
            if first.endswith("s") and first not in ("kWh", "lbs"):
                first = first[:-1]
            unit = (first + " " + rest).strip()
        return f"{R.fmt_int(rng, v)} {unit}"


@dataclass(frozen=True)
class Objective:
    """What is optimised: an attribute (profit, cost, sugar), or the total count (attr None)."""

    sense: str                     # "maximize" | "minimize"
    attr: Attr | None
    phrase: tuple[str, ...]        # "profit", "total profit", "the total cost"


@dataclass(frozen=True)
class Context:
    """A story: who, which entities (a story draws 2-4 of them), which quantities."""

    subjects: tuple[str, ...]                 # "A furniture store", "{person}", "{company}"
    ents: tuple[Ent, ...]
    attrs_le: tuple[Attr, ...] = ()           # limited resources (<=)
    attrs_ge: tuple[Attr, ...] = ()           # requirements (>=)
    items: str = "items"                      # generic noun for all entities together
    objectives: tuple[Objective, ...] = ()    # empty: the scenario's
    intro: tuple[str, ...] = ()               # empty: the scenario's


@dataclass(frozen=True)
class Scenario:
    """One word-problem family: pools and rules."""

    name: str
    description: str
    intro: tuple[str, ...]                    # "{S} makes {ents}." ({S} subject, {ents} the list)
    contexts: tuple[Context, ...]
    objectives: tuple[Objective, ...] = ()
    make: tuple[str, str] = ("make", "made")  # verb base / past participle
    relations: tuple[str, ...] = ("ub", "lb", "total_le", "total_ge", "ratio_ge", "ratio_le", "xby",
                                  "xy", "diff")
    x_range: tuple[int, int] = (5, 60)
    n_le: dict[str, tuple[int, int]] = field(default_factory=lambda: {
        "easy": (1, 2), "medium": (1, 2), "hard": (2, 3)})
    n_ge: dict[str, tuple[int, int]] = field(default_factory=lambda: {
        "easy": (0, 1), "medium": (0, 1), "hard": (0, 2)})


# --- the instance under construction -----------------------------------------------------------------


@dataclass
class Stmt:
    """One sentence of the text; ``name``/``expr`` set when it states a constraint."""

    text: str
    name: str | None = None
    expr: str | None = None
    fixed: str = "body"            # "intro" | "body" | "question"


def lin(coefs: dict[str, float]) -> str:
    """Canonical linear expression ``2 * x_a + x_b`` (coefficient 1 omitted)."""
    parts = []
    for v, c in coefs.items():
        if abs(c) < 1e-12:
            continue
        t = v if abs(c - 1) < 1e-12 else f"{R.num(c)} * {v}"
        parts.append(t)
    return " + ".join(parts) if parts else "0"


class WordFamily(Family):
    """A word-problem family driven by a :class:`Scenario`."""

    kind = "lp"
    styles = ("per_entity", "per_attribute", "respectively", "bullets", "table")
    # ``variety``: more phrasings of the same statements (training data; see :meth:`varied`)
    variety = False
    # ``texts``: the version of the texts drawn (see :data:`optsolve.datagen.base.TEXT_VERSIONS`)
    texts = TEXTS

    def __init__(self, sc: Scenario) -> None:
        self.sc = sc
        self.name = sc.name
        self.description = sc.description
        # family-level kind: "milp" when some story counts items (integers); meta["kind"] is per instance
        self.kind = "milp" if any(e.count for c in sc.contexts for e in c.ents) else "lp"
        super().__init__()

    def varied(self) -> WordFamily:
        """This family with ``variety`` on: every statement may also take one of the extra phrasings
        below (NL4Opt's ways of saying the same things), and the models are unchanged. Off, the
        family draws exactly what it always drew, so evaluation sets made by ``optsolve datagen``
        stay the same instances; the training pipeline turns it on (``--variety``)."""
        twin = copy.copy(self)
        twin.variety = True
        return twin

    def with_texts(self, version: int) -> WordFamily:
        """This family drawing texts of ``version``: 1 states whether the quantities are whole numbers in
        a quarter of the texts only (and may ask for "an LP" of an integer program), 2 states it in every
        text whose gold counts whole items. The formulations are the same; version 2's texts differ from
        version 1's only in instances with integer gold (the statement, then the later draws)."""
        super().with_texts(version)
        if version == self.texts:
            return self
        twin = copy.copy(self)
        twin.texts = version
        return twin

    # -- drawing -----------------------------------------------------------------------------
    def generate(self, rng: random.Random, level: Level) -> Instance:
        sc = self.sc
        ctx = R.pick(rng, sc.contexts)
        eset = ctx.ents
        n_ent = {"easy": 2, "medium": rng.choice((2, 3)), "hard": rng.choice((3, 3, 4))}[level]
        n_ent = min(n_ent, len(eset))
        ents = rng.sample(list(eset), n_ent)
        integer = all(e.count for e in ents)
        x0 = {e.var: rng.randint(*sc.x_range) for e in ents}
        obj = R.pick(rng, ctx.objectives or sc.objectives)
        n_le = rng.randint(*sc.n_le[level])
        n_ge = rng.randint(*sc.n_ge[level])
        if obj.sense == "maximize":
            n_le = max(1, n_le)
        okey = obj.attr.key if obj.attr else None
        pool_le = [a for a in ctx.attrs_le if a.key != okey]
        pool_ge = [a for a in ctx.attrs_ge if a.key != okey]
        if obj.sense == "minimize" and pool_ge:
            n_ge = max(1, n_ge)
        les = rng.sample(pool_le, min(n_le, len(pool_le)))
        pool_ge = [a for a in pool_ge if a.key not in {b.key for b in les}]
        ges = rng.sample(pool_ge, min(n_ge, len(pool_ge)))
        n_rel = {"easy": rng.randint(0, 1), "medium": rng.randint(1, 2), "hard": rng.randint(2, 4)}[level]
        need_ge = obj.sense == "minimize" and not ges
        # coefficients
        coef: dict[str, dict[str, float]] = {}
        for a in [*les, *ges, *([obj.attr] if obj.attr else [])]:
            coef[a.key] = {e.var: (float(rng.randint(int(a.lo), int(a.hi))) if a.whole
                                   else R.nice_coef(rng, a.lo, a.hi)) for e in ents}
        subject = self._subject(rng, ctx)
        period = R.pick(rng, ("", "", *R.PERIOD_WORDS))
        stmts: list[Stmt] = []
        # intro
        stmts.append(Stmt(self._intro(rng, subject, ents, ctx), fixed="intro"))
        full = subject
        ref = R.short_ref(subject)

        def subj() -> str:
            return R.cap(ref) if ref != full and rng.random() < 0.6 else full

        # limits / requirements
        for a in les:
            cap = sum(coef[a.key][v] * x0[v] for v in x0) * rng.uniform(1.0, 1.35)
            cap = R.nice(cap, "up")
            name = "budget" if a.money else f"{a.key}_limit"
            stmts.append(Stmt(self._limit_text(rng, subj(), a, cap, period), name,
                                 f"{lin(coef[a.key])} <= {R.num(cap)}"))
        for a in ges:
            req = sum(coef[a.key][v] * x0[v] for v in x0) * rng.uniform(0.6, 1.0)
            req = R.nice(req, "down")
            stmts.append(Stmt(self._req_text(rng, subj(), a, req, period), f"{a.key}_min",
                                 f"{lin(coef[a.key])} >= {R.num(req)}"))
        kinds = list(sc.relations)
        if need_ge:
            forced: list[str] = [k for k in ("total_ge", "lb") if k in kinds]
            rel_kinds = [forced[0]] if forced else []
            n_rel = max(n_rel - 1, 0)
        else:
            rel_kinds = []
        rel_kinds += [rng.choice(kinds) for _ in range(n_rel)]
        used: set[str] = set()
        for k in rel_kinds:
            st = self._relation(rng, k, ents, x0, subj(), period, ctx.items)
            if st is not None and st.name not in used:
                used.add(st.name or "")
                stmts.append(st)
        # attribute information (coefficients)
        template = self._template(rng, level, len(coef))
        info = self._info(rng, template, ents, [a for a in [obj.attr, *les, *ges] if a is not None], coef)
        # order: intro, then info and constraints interleaved, question last (sometimes first)
        body = [s for s in stmts if s.fixed == "body"]
        if template in ("table", "bullets"):
            order = [stmts[0], *info, *self._shuffle(rng, body)]
        else:
            order = [stmts[0], *self._shuffle(rng, [*info, *body])]
        # version 1 said whether the quantities are whole numbers in a quarter of the texts only
        if rng.random() < 0.25 or (integer and self.texts >= 2):
            order.append(Stmt(self._nonneg_text(rng, ctx.items, integer), fixed="body"))
        question = self._question(rng, subj(), ents, obj, integer)
        if rng.random() < 0.12:            # the question first, then the facts
            order.insert(1, Stmt(question + R.pick(rng, ("", " The details:", " Consider the following.")),
                                 fixed="question"))
        else:
            order.append(Stmt(question, fixed="question"))
        text = " ".join(s.text for s in order)
        text = text.replace("\n ", "\n").strip()
        # gold formulation
        domain = "nonnegative_integers" if integer else "nonnegative_reals"
        obj_coefs = coef[obj.attr.key] if obj.attr else {e.var: 1.0 for e in ents}
        form: dict[str, Any] = {
                                 "name": sc.name,
                                 "variables": {e.var: {"domain": domain} for e in ents},
                                 "objective": {"sense": obj.sense, "expr": lin(obj_coefs)},
                                 "constraints": {s.name: {"expr": s.expr} for s in order if s.name and s.expr},
        }
        meta = {"kind": "milp" if integer else "lp",
                                 "entities": {e.plural: e.var for e in ents},
                                 "reference_plan": x0, "subject": subject}
        return Instance(sc.name, level, f"{sc.name}.{template}", form, text, meta)

    @staticmethod
    def _shuffle(rng: random.Random, items: list[Stmt]) -> list[Stmt]:
        items = list(items)
        rng.shuffle(items)
        return items

    def _template(self, rng: random.Random, level: Level, n_attr: int) -> str:
        opts = ["per_entity", "per_attribute", "respectively", "bullets"]
        if level != "easy" and n_attr >= 2:
            opts.append("table")
        return rng.choice(opts)

    def _subject(self, rng: random.Random, ctx: Context) -> str:
        s = R.pick(rng, ctx.subjects)
        return s.format(person=R.person(rng), company=R.company_name(rng), city=R.pick(rng, R.CITY_NAMES))

    def _intro(self, rng: random.Random, subject: str, ents: list[Ent], ctx: Context) -> str:
        t = R.pick(rng, ctx.intro or self.sc.intro)
        names = [e.plural if e.count else e.s for e in ents]
        ents_txt = R.join_and(names, R.pick(rng, ("and", "and", "or")) if "either" in t else "and")
        n = R.count_word(len(ents))
        return R.cap(t.format(S=subject, s=_lower_subject(subject), ents=ents_txt, n=n, items=ctx.items))

    # -- sentences ---------------------------------------------------------------------------------
    def _limit_text(self, rng: random.Random, subject: str, a: Attr, cap: float, period: str) -> str:
        amt = a.amount(rng, cap)
        p = f" {period}" if period and " per " not in a.unit else ""
        s = _lower_subject(subject)
        if a.limit:
            return R.cap(R.pick(rng, a.limit).format(S=subject, le=R.le_word(rng), amt=amt, p=p))
        if a.money:
            opts = [f"{subject} has a budget of {amt}{p}.",
                                 f"{subject} can spend {R.le_word(rng)} {amt}{p}.",
                                 f"The total cost cannot exceed {amt}{p}.",
                                 f"{R.cap(s)} has {R.le_word(rng)} {amt} to spend{p}.",
                                 f"There is a budget of {amt} available{p}.",
                                 f"Spending must stay within {amt}{p}."]
            opts = opts + ([f"The budget is {amt}{p}.",
                                 f"{subject} does not want to spend more than {amt}{p}.",
                                 f"{subject} wants to spend {R.le_word(rng)} {amt}{p}.",
                                 f"{subject} has a total of {amt} to spend{p}.",
                                 f"A maximum of {amt} can be spent{p}."] if self.variety else [])
        else:
            opts = [f"There are {amt} available{p}.",
                    f"{subject} has {amt} available{p}.",
                    f"{subject} can use {R.le_word(rng)} {amt}{p}.",
                    f"{R.cap(R.le_word(rng))} {amt} can be used{p}.",
                    f"The total {a.what} used cannot exceed {amt}{p}.",
                    f"{subject} only has {amt}{p}.",
                    f"Available {a.what} is limited to {amt}{p}."]
            opts = opts + ([f"{subject} has {R.le_word(rng)} {amt} available{p}.",
                                  f"Only {amt} are available{p}.",
                                  f"{subject} receives {amt}{p}.",
                                  f"A total of {amt} is available{p}.",
                                  f"{subject} has {amt} at its disposal{p}.",
                                  f"Due to limited supplies, {s} has only {amt}{p}.",
                                  f"{subject} can use a total of {amt}{p}.",
                                  *([f"The {a.what} is available for {R.le_word(rng)} "
                                     f"{R.fmt_int(rng, cap)} {a.unit.partition(' of ')[0]}{p}."]
                                    if " of " in a.unit else [])] if self.variety else [])
        return R.pick(rng, opts)

    def _req_text(self, rng: random.Random, subject: str, a: Attr, req: float, period: str) -> str:
        amt = a.amount(rng, req)
        p = f" {period}" if period and " per " not in a.unit else ""
        if a.need:
            t = R.pick(rng, a.need).format(S=subject, ge=R.ge_word(rng), amt=amt, p=p)
            return R.cap(t)
        if a.money:
            opts = [f"The total must come to {R.ge_word(rng)} {amt}{p}.",
                    f"{subject} needs to generate {R.ge_word(rng)} {amt}{p}."]
            opts = opts + ([f"{subject} must earn {R.ge_word(rng)} {amt}{p}."] if self.variety else [])
        else:
            opts = [f"{subject} needs {R.ge_word(rng)} {amt}{p}.",
                    f"{R.cap(R.ge_word(rng))} {amt} {'is' if a.money else 'are'} required{p}.",
                    f"The total {a.what} must be {R.ge_word(rng)} {amt}{p}.",
                    f"{subject} must get {R.ge_word(rng)} {amt}{p}.",
                    f"A minimum of {amt} must be reached{p}.",
                    f"There must be {R.ge_word(rng)} {amt} in total{p}."]
            opts = opts + ([f"{subject} requires {R.ge_word(rng)} {amt}{p}.",
                                  f"{subject} needs to get {R.ge_word(rng)} {amt}{p}.",
                                  f"In total, {R.ge_word(rng)} {amt} must be obtained{p}.",
                                  f"{subject} has to meet a requirement of {R.ge_word(rng)} {amt}{p}.",
                                  f"The requirement is {R.ge_word(rng)} {amt}{p}."] if self.variety else [])
        return R.pick(rng, opts)

    def _relation(self, rng: random.Random, kind: str, ents: list[Ent], x0: dict[str, int], subject: str,
                  period: str, items: str) -> Stmt | None:
        mk, made = self.sc.make
        p = f" {period}" if period and rng.random() < 0.5 else ""
        e = rng.choice(ents)
        v = e.var
        total = sum(x0.values())
        allv = lin({x.var: 1 for x in ents})
        if kind == "ub":
            n = R.nice(x0[v] * rng.uniform(1.0, 1.5), "up")
            q = e.qty(rng, n)
            t = R.pick(rng, [f"{subject} can {mk} {R.le_word(rng)} {q}{p}.",
                             f"{R.cap(R.le_word(rng))} {q} can be {made}{p}.",
                             f"Demand for {e.many()} is limited to {R.fmt_int(rng, n)}{p}.",
                             f"{R.cap(e.number_of())} cannot exceed {R.fmt_int(rng, n)}{p}.",
                             f"{R.cap(e.number_of())} is limited to {R.fmt_int(rng, n)}{p}.",
                             *([f"{subject} cannot {mk} more than {q}{p}.",
                                f"The demand for {e.many()} is {R.le_word(rng)} {R.fmt_int(rng, n)}{p}.",
                                f"There is a limit of {R.fmt_int(rng, n)} {e.many()}{p}.",
                                f"{R.cap(R.le_word(rng))} {R.fmt_int(rng, n)} of the {items} can be "
                                f"{e.many()}.",
                                f"The maximum number of {e.many()} is {R.fmt_int(rng, n)}{p}."] if self.variety else [])])
            return Stmt(t, f"max_{R.snake(e.plural)}", f"{v} <= {R.num(n)}")
        if kind == "lb":
            n = R.nice(x0[v] * rng.uniform(0.3, 0.9), "down")
            if n <= 0 or n > x0[v]:
                return None
            q = e.qty(rng, n)
            t = R.pick(rng, [f"{R.cap(R.ge_word(rng))} {q} must be {made}{p}.",
                             f"{subject} must {mk} {R.ge_word(rng)} {q}{p}.",
                             f"There must be {R.ge_word(rng)} {q}.",
                             f"A minimum of {q} is required{p}.",
                             f"To meet its commitments, {_lower_subject(subject)} needs {R.ge_word(rng)} {q}.",
                             *([f"{R.cap(e.number_of())} must be {R.ge_word(rng)} {R.fmt_int(rng, n)}{p}.",
                                f"In order to stay in business, {R.ge_word(rng)} {q} should be {made}.",
                                f"Due to a contract, {_lower_subject(subject)} must {mk} "
                                f"{R.ge_word(rng)} {q}{p}.",
                                f"The minimum number of {e.many()} is {R.fmt_int(rng, n)}{p}.",
                                f"{subject} must {mk} {R.ge_word(rng)} {q}{p} for its regular customers.",
                                f"To fulfil its orders, {_lower_subject(subject)} must {mk} "
                                f"{R.ge_word(rng)} {q}{p}."] if self.variety else [])])
            return Stmt(t, f"min_{R.snake(e.plural)}", f"{v} >= {R.num(n)}")
        if kind == "total_le":
            n = R.nice(total * rng.uniform(1.0, 1.3), "up")
            t = R.pick(rng, [f"In total, {R.le_word(rng)} {R.fmt_int(rng, n)} {items} can be {made}{p}.",
                             f"{subject} can handle {R.le_word(rng)} {R.fmt_int(rng, n)} {items} in total{p}.",
                             f"The total number of {items} cannot exceed {R.fmt_int(rng, n)}{p}.",
                             f"Because of limited space, {R.le_word(rng)} {R.fmt_int(rng, n)} {items} of "
                             "any type are allowed.",
                             *([f"{subject} can {mk} {R.le_word(rng)} {R.fmt_int(rng, n)} {items} "
                                f"of either type{p}.",
                                f"{subject} has capacity for {R.le_word(rng)} {R.fmt_int(rng, n)} "
                                f"{items}{p}.",
                                f"{subject} can {mk} a maximum of {R.fmt_int(rng, n)} {items} "
                                f"combined{p}."] if self.variety else [])])
            return Stmt(t, "total_max", f"{allv} <= {R.num(n)}")
        if kind == "total_ge":
            n = R.nice(total * rng.uniform(0.6, 1.0), "down")
            if n <= 0:
                return None
            t = R.pick(rng, [f"{subject} must {mk} {R.ge_word(rng)} {R.fmt_int(rng, n)} {items} in total{p}.",
                             f"{R.cap(R.ge_word(rng))} {R.fmt_int(rng, n)} {items}, in any combination, are "
                             f"needed{p}.",
                             f"The total number of {items} must be {R.ge_word(rng)} {R.fmt_int(rng, n)}{p}.",
                             f"Altogether, {R.ge_word(rng)} {R.fmt_int(rng, n)} {items} are required{p}.",
                             *([f"{subject} needs {R.ge_word(rng)} {R.fmt_int(rng, n)} {items} "
                                f"combined{p}.",
                                f"A total of {R.ge_word(rng)} {R.fmt_int(rng, n)} {items} must be "
                                f"{made}{p}."] if self.variety else [])])
            return Stmt(t, "total_min", f"{allv} >= {R.num(n)}")
        if kind in ("ratio_ge", "ratio_le"):
            share = x0[v] / total
            if kind == "ratio_ge":
                pv = int(share * rng.uniform(0.5, 1.0) * 20) / 20
                thirds = [t for t in (1 / 3, 2 / 3) if pv < t < share - 1e-6]
                if thirds and rng.random() < 0.5:          # "at least a third": NL4Opt writes these
                    pv = thirds[-1]
                if pv < 0.05:
                    return None
                pct = R.fmt_pct(rng, pv)
                t = R.pick(rng, [f"{R.cap(R.ge_word(rng))} {pct} of all {items} must be {e.many()}.",
                                 f"{R.cap(e.many())} must make up {R.ge_word(rng)} {pct} of the {items}.",
                                 f"{subject} requires that {R.ge_word(rng)} {pct} of the {items} are "
                                 f"{e.many()}.",
                                 f"{R.cap(e.many())} should account for {R.ge_word(rng)} {pct} of the total.",
                                 *([f"{R.cap(R.ge_word(rng))} {pct} of the {items} must be by {e.many()}."]
                                   if items == "trips" else []),
                                 *([f"{subject} wants {R.ge_word(rng)} {pct} of the {items} to be "
                                    f"{e.many()}.",
                                    f"{R.cap(R.ge_word(rng))} {pct} of the {items} should be "
                                    f"{e.many()}.",
                                    f"Since {e.many()} are popular, {R.ge_word(rng)} {pct} of all "
                                    f"{items} must be {e.many()}."] if self.variety else [])])
                return Stmt(t, f"share_{R.snake(e.plural)}_min", f"{v} >= {R.num(pv)} * ({allv})")
            pv = math.ceil(share * rng.uniform(1.0, 1.5) * 20) / 20
            thirds = [t for t in (1 / 3, 2 / 3) if share + 1e-6 < t < pv]
            if thirds and rng.random() < 0.5:
                pv = thirds[0]
            if pv >= 0.95 or pv <= 0:
                return None
            pct = R.fmt_pct(rng, pv)
            t = R.pick(rng, [f"{R.cap(R.le_word(rng))} {pct} of all {items} can be {e.many()}.",
                             f"{R.cap(e.many())} cannot exceed {pct} of the total number of {items}.",
                             f"{R.cap(e.many())} may make up {R.pick(rng, ('at most', 'no more than'))} {pct} of the {items}.",
                             f"{subject} wants {R.le_word(rng)} {pct} of the {items} to be {e.many()}.",
                             *([f"{R.cap(R.le_word(rng))} {pct} of the {items} can be {e.many()}.",
                                f"{R.cap(e.many())} can account for {R.le_word(rng)} {pct} of the "
                                "total."] if self.variety else [])])
            return Stmt(t, f"share_{R.snake(e.plural)}_max", f"{v} <= {R.num(pv)} * ({allv})")
        a, b = rng.sample(ents, 2)
        if x0[a.var] < x0[b.var]:
            a, b = b, a
        if kind == "xby" and x0[b.var] >= 0.5 * x0[a.var] and rng.random() < 0.25:
            t = R.pick(rng, [f"{R.cap(b.number_of())} must be {R.ge_word(rng)} half {a.number_of()}.",
                             f"There must be {R.ge_word(rng)} half as many {b.many()} as {a.many()}."])
            return Stmt(t, f"ratio_{R.snake(b.plural)}_{R.snake(a.plural)}", f"{b.var} >= 0.5 * {a.var}")
        if kind == "xby" and rng.random() < 0.2:          # "at most k times as many a as b"
            ks = [k for k in (1.5, 2, 3, 4) if x0[a.var] <= k * x0[b.var]]
            if ks:
                k = ks[0]
                m = R.fmt_times(rng, k)
                t = R.pick(rng, [f"{R.cap(a.number_of())} can be at most {m} {b.number_of()}.",
                                 f"There can be no more than {m} as many {a.many()} as {b.many()}."])
                return Stmt(t, f"ratio_{R.snake(a.plural)}_{R.snake(b.plural)}_max",
                            f"{a.var} <= {R.num(k)} * {b.var}")
        if kind == "xby":
            ks = [k for k in (1.5, 2, 2, 3, 4) if x0[a.var] >= k * x0[b.var]]
            if not ks:
                kind = "xy"
            else:
                k = rng.choice(ks)
                m = R.fmt_times(rng, k)
                t = R.pick(rng, [f"There must be {R.ge_word(rng)} {m} as many {a.many()} as {b.many()}.",
                                 f"{R.cap(a.number_of())} must be {R.ge_word(rng)} {m} {b.number_of()}.",
                                 f"{subject} wants {R.ge_word(rng)} {m} as many {a.many()} as {b.many()}.",
                                 f"{R.cap(a.number_of())} should be {R.ge_word(rng)} {m} that of {b.many()}.",
                                 *([f"{subject} must {mk} {R.ge_word(rng)} {m} as many {a.many()} as "
                                    f"{b.many()}.",
                                    f"The number of {a.many()} must be {R.ge_word(rng)} {m} the "
                                    f"number of {b.many()}."] if self.variety else [])])
                return Stmt(t, f"ratio_{R.snake(a.plural)}_{R.snake(b.plural)}",
                            f"{a.var} >= {R.num(k)} * {b.var}")
        if kind == "xy":
            t = R.pick(rng, [f"{R.cap(b.number_of())} must not exceed {a.number_of()}.",
                             f"{R.cap(b.number_of())} cannot be larger than {a.number_of()}.",
                             f"There should be no more {b.many()} than {a.many()}.",
                             f"{subject} must {mk} at least as many {a.many()} as {b.many()}.",
                             # NL4Opt's convention: "more than" / "exceed" read as non-strict
                             f"{R.cap(a.number_of())} must exceed {b.number_of()}.",
                             f"{R.cap(b.number_of())} must be less than {a.number_of()}.",
                             *([f"{R.cap(a.number_of())} must be {R.ge_word(rng)} {b.number_of()}.",
                                f"{subject} must {mk} more {a.many()} than {b.many()}.",
                                f"{R.cap(b.number_of())} must not exceed that of {a.many()}.",
                                f"{R.cap(b.number_of())} can be at most {a.number_of()}."] if self.variety else [])])
            return Stmt(t, f"order_{R.snake(b.plural)}_{R.snake(a.plural)}", f"{b.var} <= {a.var}")
        if kind == "diff":
            d = R.nice(max(x0[a.var] - x0[b.var], 1) * rng.uniform(1.0, 1.5), "up")
            dd = R.fmt_int(rng, d)
            t = R.pick(rng, [f"{R.cap(a.number_of())} can be at most {dd} more than {b.number_of()}.",
                             f"{subject} can {mk} at most {dd} more {a.many()} than {b.many()}.",
                             f"{R.cap(a.number_of())} cannot exceed {b.number_of()} by more than {dd}.",
                             f"{R.cap(a.number_of())} may exceed {b.number_of()} by no more than {dd}."])
            return Stmt(t, f"diff_{R.snake(a.plural)}_{R.snake(b.plural)}", f"{a.var} <= {b.var} + {R.num(d)}")
        return None

    def _info(self, rng: random.Random, template: str, ents: list[Ent], attrs: list[Attr],
              coef: dict[str, dict[str, float]]) -> list[Stmt]:
        out: list[Stmt] = []
        if template == "per_entity":
            mk = self.sc.make[0]
            if self.variety and len(ents) <= 3 and rng.random() < 0.3:
                # every entity in one sentence, one verb for its resources ("A batch of bread takes 2
                # hours of oven time and 1 kg of flour, and a batch of cakes takes ...")
                verb = R.pick(rng, ("takes", "requires", "needs", "uses"))
                clauses = []
                for e in ents:
                    res = [a.amount(rng, coef[a.key][e.var]) for a in attrs if not a.money]
                    bits = ([f"{verb} {R.join_and(res)}"] if res else []) + [
                        _uses(rng, a, coef[a.key][e.var], True) for a in attrs if a.money]
                    clauses.append(f"{e.each(rng)} {R.join_and(bits)}")
                joined = ", and ".join(clauses) if len(clauses) == 2 else "; ".join(clauses)
                return [Stmt(R.cap(joined) + ".")]
            for e in ents:
                parts = []
                for a in attrs:
                    parts.append(_uses(rng, a, coef[a.key][e.var], self.variety))
                if self.variety and e.count and not any(a.money for a in attrs) and rng.random() < 0.3:
                    amts = [a.amount(rng, coef[a.key][e.var]) for a in attrs]
                    out.append(Stmt(f"To {mk} {R.a_an(e.s)} {e.s} requires {R.join_and(amts)}."))
                    continue
                out.append(Stmt(f"{R.cap(e.each(rng))} {R.join_and(parts)}."))
        elif template == "per_attribute":
            for a in attrs:
                parts = [f"{e.each(rng)} {_uses(rng, a, coef[a.key][e.var], self.variety)}" for e in ents]
                if self.variety and a.key == "profit" and rng.random() < 0.25:
                    # "Each batch of bread earns $30 profit and each batch of cakes earns $45."
                    parts = [f"{e.each(rng)} earns {a.amount(rng, coef[a.key][e.var])}"
                             + (" profit" if i == 0 else "") for i, e in enumerate(ents)]
                    out.append(Stmt(R.cap(R.join_and(parts) + ".")))
                    continue
                if self.variety and a.money and rng.random() < 0.4:
                    head = R.pick(rng, ("the {k} per {e} is {v}", "the {k} for each {e} is {v}",
                                        "the {k} of {an} {e} is {v}"))
                    parts = [head.format(k=a.key, e=e.s, an=R.a_an(e.s), v=a.amount(rng, coef[a.key][e.var]))
                             for e in ents]
                conj = R.pick(rng, ("while", "whereas", "and"))
                if len(parts) == 2:
                    out.append(Stmt(R.cap(f"{parts[0]}, {conj} {parts[1]}.")))
                else:
                    out.append(Stmt(R.cap(R.join_and(parts) + ".")))
        elif template == "respectively":
            names = [e.many() for e in ents]
            for a in attrs:
                vals = [a.amount(rng, coef[a.key][e.var]) for e in ents]
                if a.money:
                    head = {"profit": "yield a profit of", "revenue": "bring in", "cost": "cost",
                            "return": "return", "wage": "are paid"}.get(a.key, "cost")
                    if self.variety and rng.random() < 0.3:
                        out.append(Stmt(f"The {a.key} per unit of {R.join_and(names)} is {R.join_and(vals)}, "
                                        "respectively."))
                        continue
                    out.append(Stmt(f"{R.cap(R.join_and(names))} {head} {R.join_and(vals)} "
                                    f"{R.pick(rng, ('each', 'per unit', 'apiece'))}, respectively."))
                else:
                    # text version 1 keeps the plural it always wrote ("ha" for "has"): the shipped model's
                    # training texts are drawn again exactly
                    verb = R.verb_plural(R.pick(rng, a.verbs), irregular=self.texts >= 2)
                    out.append(Stmt(f"{R.cap(R.join_and(names))} {verb} {R.join_and(vals)} each, respectively."))
        elif template == "bullets":
            lines = []
            for e in ents:
                head = R.cap(e.plural) if e.count else f"{R.cap(e.s)} (per {e.measure})"
                parts = [(f"{_col(a).split(' (')[0].lower()} {a.amount(rng, coef[a.key][e.var])}" if a.money
                          else a.amount(rng, coef[a.key][e.var])) for a in attrs]
                lines.append(f"- {head}: " + ", ".join(parts))
            out.append(Stmt(R.pick(rng, ("Per unit:", "Details per unit:", "The figures for each option:"))
                            + "\n" + "\n".join(lines) + "\n"))
        else:  # table
            cols = ["Item", *[_col(a) for a in attrs]]
            rows = [[R.cap(e.plural if e.count else f"{e.s} (per {e.measure})"),
                     *[R.num(coef[a.key][e.var]) for a in attrs]] for e in ents]
            lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
            lines += ["| " + " | ".join(r) + " |" for r in rows]
            out.append(Stmt(R.pick(rng, ("The data per unit are:", "The table below gives the figures per unit:",
                                         "Per unit:")) + "\n" + "\n".join(lines) + "\n"))
        return out

    def _nonneg_text(self, rng: random.Random, items: str, integer: bool) -> str:
        if integer:
            return R.pick(rng, ["Only whole numbers of each can be chosen.",
                                f"Fractional {items} are not allowed.",
                                "The quantities must be non-negative integers."])
        return R.pick(rng, ["Quantities cannot be negative.", "All amounts must be non-negative.",
                            "Fractional amounts are allowed."])

    def _question(self, rng: random.Random, subject: str, ents: list[Ent], obj: Objective,
                  integer: bool = False) -> str:
        sc = self.sc
        mk = sc.make[0]
        word = R.pick(rng, R.MAX_WORDS if obj.sense == "maximize" else R.MIN_WORDS)
        ph = R.pick(rng, obj.phrase)
        names = R.join_and([e.many() for e in ents])
        s = _lower_subject(subject)
        models = ("an LP", "a linear program", "an optimization model", "a model")
        if integer and self.texts >= 2:     # not "an LP" for an integer program
            models = ("an integer program", "an integer linear program", "an optimization model", "a model")
        opts = [f"How many {names} should {s} {mk} to {word} {ph}?",
                f"Formulate {R.pick(rng, models)} "
                f"to {word} {ph}.",
                f"{R.cap(s)} wants to {word} {ph}. How many of each should be {sc.make[1]}?",
                f"Determine how many {names} to {mk} so as to {word} {ph}.",
                f"What plan {word.replace('ize', 'izes').replace('ise', 'ises')} {ph}?"]
        opts = opts + ([f"How many of each should {s} {mk} to {word} {ph}?",
                              f"Find the number of each to {mk} in order to {word} {ph}.",
                              f"What is the optimal number of {names} to {mk} to {word} {ph}?",
                              f"How many {names} should be {sc.make[1]} in order to {word} {ph}?"] if self.variety else [])
        q = R.pick(rng, opts)
        if rng.random() < 0.15 and ph.split()[-1] in ("profit", "cost", "revenue", "costs"):
            best = "maximum" if obj.sense == "maximize" else "minimum"
            q += f" What is the {best} {ph.split()[-1].rstrip('s') if ph.endswith('costs') else ph.split()[-1]}?"
        return q


def _lower_subject(subject: str) -> str:
    if subject[:2] in ("A ", "An") or subject.startswith(("The ", "the ")):
        return subject[0].lower() + subject[1:]
    return subject


def _uses(rng: random.Random, a: Attr, v: float, variety: bool = False) -> str:
    amt = a.amount(rng, v)
    if a.money:
        if a.key == "profit":
            return R.pick(rng, [f"yields a profit of {amt}", f"earns {amt} in profit", f"brings a profit of {amt}",
                                f"generates {amt} of profit",
                                *([f"gives a profit of {amt}", f"makes a profit of {amt}", f"nets {amt}",
                                   f"earns {amt} profit",
                                   f"results in a profit of {amt}"] if variety else [])])
        if a.key == "revenue":
            return R.pick(rng, [f"brings in {amt}", f"sells for {amt}", f"generates revenue of {amt}",
                                *([f"can be sold for {amt}", f"earns {amt} in revenue"] if variety else [])])
        if a.key == "return":
            return R.pick(rng, [f"returns {amt}", f"yields {amt}"])
        if a.key == "wage":
            return R.pick(rng, [f"is paid {amt}", f"earns {amt}", f"costs {amt} in wages"])
        return R.pick(rng, [f"costs {amt}", f"has a cost of {amt}", f"comes at a cost of {amt}"])
    return f"{R.pick(rng, a.verbs)} {amt}"


def _col(a: Attr) -> str:
    if a.money:
        return f"{R.cap(a.key)} ($)"
    u = a.unit
    if " of " in u:
        unit, _, what = u.partition(" of ")
        return f"{R.cap(what)} ({unit})"
    return R.cap(u)
