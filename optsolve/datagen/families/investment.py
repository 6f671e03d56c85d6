"""NL4Opt-style investment split: divide a sum of money between options (continuous, canonical shape)."""

from __future__ import annotations

import random
from typing import Any

from optsolve.datagen import realize as R
from optsolve.datagen.base import Family, Instance, Level
from optsolve.datagen.families.wordprob import lin

OPTIONS = (
    ("GICs", 0.01, 0.035, 1), ("index ETFs", 0.05, 0.09, 4), ("government bonds", 0.02, 0.045, 2),
    ("corporate bonds", 0.04, 0.07, 3), ("real estate", 0.05, 0.1, 5), ("a money market fund", 0.015, 0.03, 1),
    ("tech stocks", 0.07, 0.14, 8), ("a savings account", 0.005, 0.02, 1), ("cryptocurrency", 0.1, 0.25, 10),
    ("foreign bonds", 0.03, 0.11, 4), ("the tourism industry", 0.05, 0.12, 6), ("the pharmaceutical industry",
                                                                                 0.04, 0.1, 5),
    ("a dairy farm", 0.03, 0.08, 4), ("gold", 0.02, 0.06, 3), ("municipal bonds", 0.02, 0.04, 2),
)
INVESTORS = ("{person}", "{person}'s family", "{company}", "A retired teacher", "A credit union", "A pension fund",
             "A young couple", "A university endowment")


class InvestmentFamily(Family):
    name = "investment_split"
    kind = "lp"
    description = "Split a sum between two to four investments: minimums, caps, shares, risk; maximise return."
    styles = ("sentences", "respectively", "rates_first")

    def generate(self, rng: random.Random, level: Level) -> Instance:
        n = {"easy": 2, "medium": rng.choice((2, 3)), "hard": rng.choice((3, 4))}[level]
        opts = rng.sample(list(OPTIONS), n)
        names = [o[0] for o in opts]
        key = {o[0]: R.snake(o[0].removeprefix("a ").removeprefix("the ")) for o in opts}
        var = {k: "x_" + key[k] for k in names}
        rate = {o[0]: round(rng.randint(int(o[1] * 1000), int(o[2] * 1000)) / 5) * 5 / 1000 for o in opts}
        total = R.pick(rng, (5000, 10000, 20000, 50000, 75000, 100000, 150000, 250000, 500000, 1000000))
        who = R.pick(rng, INVESTORS).format(person=R.person(rng), company=R.company_name(rng))
        # reference split (fractions summing to 1)
        w = [rng.uniform(0.2, 1.0) for _ in opts]
        x0 = {o[0]: total * wi / sum(w) for o, wi in zip(opts, w)}
        all_in = rng.random() < 0.6
        allv = lin({var[k]: 1 for k in names})
        template = R.pick(rng, self.styles)
        money = R.fmt_money(rng, total)
        intro = R.pick(rng, [f"{who} has {money} to invest and is considering {R.join_and(names)}.",
                             f"{who} wants to put {money} to work in {R.join_and(names)}.",
                             f"{who} plans to invest up to {money} in {R.join_and(names)}."
                             if not all_in else f"{who} will invest all of its {money} in {R.join_and(names)}."])
        intro = R.cap(intro.replace("all of its", "all of the"))
        stmts: list[tuple[str, str | None, str | None]] = []
        if all_in:
            stmts.append((R.pick(rng, [f"The entire {money} must be invested.", "All of the money is to be invested.",
                                       f"Every dollar of the {money} has to be placed."]), "budget",
                          f"{allv} == {R.num(total)}"))
        else:
            stmts.append((R.pick(rng, [f"No more than {money} can be invested in total.",
                                       f"The total invested cannot exceed {money}."]), "budget",
                          f"{allv} <= {R.num(total)}"))
        if template == "respectively":
            info = [f"{R.cap(R.join_and(names))} yield {R.join_and([R.fmt_pct(rng, rate[k]) for k in names])} "
                    f"{R.pick(rng, ('per year', 'annually', ''))}, respectively.".replace(" ,", ",").replace("  ", " ")]
        else:
            info = [R.pick(rng, [f"{R.cap(k)} {R.pick(rng, ('yields', 'returns', 'pays', 'earns'))} "
                                 f"{R.fmt_pct(rng, rate[k])} per year.",
                                 f"The annual return on {k} is {R.fmt_pct(rng, rate[k])}.",
                                 f"Money in {k} earns {R.fmt_pct(rng, rate[k])}."]) for k in names]
        n_rel = {"easy": rng.randint(1, 2), "medium": rng.randint(2, 3), "hard": rng.randint(3, 5)}[level]
        used: set[str] = set()
        for _ in range(n_rel):
            kind = rng.choice(("min", "max", "share_min", "share_max", "ratio", "risk"))
            k = rng.choice(names)
            v = var[k]
            nm = {"min": f"min_{key[k]}", "max": f"max_{key[k]}", "share_min": f"share_{key[k]}_min",
                  "share_max": f"share_{key[k]}_max"}.get(kind, kind)
            if nm in used or (kind == "ratio" and any(u.startswith(("ratio_", "order_")) for u in used)):
                continue
            if kind == "min":
                amt = R.nice(x0[k] * rng.uniform(0.3, 0.9), "down")
                stmts.append((R.pick(rng, [f"At least {R.fmt_money(rng, amt)} must go into {k}.",
                                           f"{who} wants to place a minimum of {R.fmt_money(rng, amt)} in {k}.",
                                           f"To meet a long-term goal, no less than {R.fmt_money(rng, amt)} is "
                                           f"invested in {k}."]), nm, f"{v} >= {R.num(amt)}"))
            elif kind == "max":
                amt = R.nice(x0[k] * rng.uniform(1.05, 1.5), "up")
                stmts.append((R.pick(rng, [f"At most {R.fmt_money(rng, amt)} can be put into {k}.",
                                           f"The investment in {k} cannot exceed {R.fmt_money(rng, amt)}.",
                                           f"No more than {R.fmt_money(rng, amt)} may go into {k}."]),
                              nm, f"{v} <= {R.num(amt)}"))
            elif kind == "share_min":
                share = x0[k] / sum(x0.values())
                p = int(share * rng.uniform(0.5, 0.95) * 20) / 20
                if p <= 0:
                    continue
                stmts.append((R.pick(rng, [f"At least {R.fmt_pct(rng, p)} of the invested money must be in {k}.",
                                           f"{who} is risk averse and wants at least {R.fmt_pct(rng, p)} of the "
                                           f"money safely in {k}."]), nm, f"{v} >= {R.num(p)} * ({allv})"))
            elif kind == "share_max":
                share = x0[k] / sum(x0.values())
                p = -(-int(share * rng.uniform(1.05, 1.6) * 100) // 5) * 5 / 100
                if p >= 0.95:
                    continue
                stmts.append((R.pick(rng, [f"At most {R.fmt_pct(rng, p)} of the total investment can be in {k}.",
                                           f"Internal policy limits {k} to {R.fmt_pct(rng, p)} of the invested "
                                           "amount."]), nm, f"{v} <= {R.num(p)} * ({allv})"))
            elif kind == "ratio" and n >= 2:
                a, b = rng.sample(names, 2)
                if x0[a] < x0[b]:
                    a, b = b, a
                ks = [m for m in (1.5, 2, 3) if x0[a] >= m * x0[b]]
                if ks:
                    m = rng.choice(ks)
                    nm = f"ratio_{key[a]}_{key[b]}"
                    stmts.append((f"The amount in {a} must be at least {R.fmt_times(rng, m)} the amount in {b}.",
                                  nm, f"{var[a]} >= {R.num(m)} * {var[b]}"))
                else:
                    nm = f"order_{key[b]}_{key[a]}"
                    stmts.append((f"The money in {b} cannot exceed the money in {a}.", nm, f"{var[b]} <= {var[a]}"))
            elif kind == "risk":
                risk = {o[0]: o[3] for o in opts}
                avg = sum(risk[k2] * x0[k2] for k2 in names) / sum(x0.values())
                cap = round(avg * rng.uniform(1.0, 1.3) * 2) / 2
                if cap < avg:
                    cap += 0.5
                nm = "risk"
                info.append(f"Their risk scores are {R.join_and([f'{risk[k2]} for {k2}' for k2 in names])}.")
                stmts.append((f"The average risk score of the portfolio must be at most {R.num(cap)}.", nm,
                              f"{lin({var[k2]: risk[k2] for k2 in names})} <= {R.num(cap)} * ({allv})"))
            used.add(nm)
        body = [(t, None, None) for t in info] + stmts
        if template == "rates_first":
            order = body
        else:
            order = list(body)
            rng.shuffle(order)
        q = R.pick(rng, [f"How much should be invested in each option to maximize the {R.pick(rng, ('total', 'annual', 'average'))} return?",
                         "Formulate an LP that maximizes the return on the investment.",
                         f"Determine the allocation that maximises {R.pick(rng, ('the profit', 'the total return', 'the interest earned'))}."])
        text = " ".join([intro, *[t for t, _, _ in order], q])
        form: dict[str, Any] = {
            "name": self.name,
            "variables": {var[k]: {"domain": "nonnegative_reals"} for k in names},
            "objective": {"sense": "maximize", "expr": lin({var[k]: rate[k] for k in names})},
            "constraints": {nm: {"expr": ex} for _, nm, ex in order if nm and ex},
        }
        return Instance(self.name, level, f"{self.name}.{template}", form, text,
                        {"kind": "lp", "entities": var, "total": total})
