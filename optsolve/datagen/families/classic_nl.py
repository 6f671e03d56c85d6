"""Quadratic and nonlinear families: Markowitz portfolio (QP), least-squares fit (QP), advertising with
diminishing returns (sqrt, NLP), reliability budget (exp, NLP), grant allocation (log, NLP) and
integer team sizing with sqrt productivity (MINLP)."""

from __future__ import annotations

import random
from typing import Any

from optsolve.datagen import realize as R
from optsolve.datagen.base import Level
from optsolve.datagen.families.common import Classic, listing, matrix_text, md_table, question, size, vec

Out = tuple[dict[str, Any], str, dict[str, Any]]


class Portfolio(Classic):
    name = "portfolio_qp"
    kind = "qp"
    description = "Markowitz: minimise variance subject to a target expected return, fully invested."
    styles = ("table", "sentences")

    ASSETS = ("stocks", "bonds", "gold", "real estate", "tech fund", "energy fund", "emerging markets",
              "cash", "commodities", "health fund", "utilities", "small caps")

    def build(self, rng: random.Random, level: Level, template: str) -> Out:
        n = size(rng, level, (2, 3), (4, 5), (6, 9))
        names = rng.sample(list(self.ASSETS), n)
        ids = list(names)
        mu = {a: rng.randint(2, 14) / 100 for a in ids}
        # covariance from a one-factor model plus idiosyncratic variance: positive semidefinite by construction
        beta = {a: rng.uniform(0.2, 1.5) for a in ids}
        fvar = rng.uniform(0.01, 0.04)
        cov = {a: {b: round(beta[a] * beta[b] * fvar + (rng.uniform(0.005, 0.04) if a == b else 0), 4)
                   for b in ids} for a in ids}
        for a in ids:                            # symmetric, and diagonal dominance keeps it PSD after rounding
            for b in ids:
                cov[b][a] = cov[a][b] if ids.index(a) < ids.index(b) else cov[b][a]
        lo_mu, hi_mu = min(mu.values()), max(mu.values())
        target = round(lo_mu + (hi_mu - lo_mu) * rng.uniform(0.2, 0.7), 3)
        form: dict[str, Any] = {
            "sets": {"Assets": ids},
            "parameters": {"ret": {"index": ["Assets"], "values": mu},
                           "cov": {"index": ["Assets", "Assets"], "values": cov}, "target": target},
            "variables": {"w": {"index": ["Assets"], "domain": "nonnegative_reals"}},
            "objective": {"sense": "minimize", "expr": "sum(cov[i, j] * w[i] * w[j] for i in Assets for j in Assets)"},
            "constraints": {"budget": {"expr": "sum(w[i] for i in Assets) == 1"},
                            "min_return": {"expr": "sum(ret[i] * w[i] for i in Assets) >= target"}},
        }
        if level == "hard":
            cap = round(max(0.35, 1.5 / n), 2)
            form["parameters"]["max_w"] = cap
            form["constraints"]["diversify"] = {"forall": "i in Assets", "expr": "w[i] <= max_w"}
        data = matrix_text(rng, template, ids, ids, cov, "Covariance",
                           lambda r, items: f"Covariances of {r}: {items}.")
        text = (f"An investor splits a portfolio between {R.join_and(ids)} (fractions of the total, no short "
                "selling). Expected annual returns are " + listing(rng, ids, mu, lambda v: R.num(v * 100) + "%")
                + ". The covariance matrix of returns is:\n" + data + "\n"
                + f"The expected return must be at least {R.num(target * 100)}%"
                + (f" and no asset may exceed {R.num(form['parameters']['max_w'] * 100)}% of the portfolio"
                   if level == "hard" else "") + ". " + question(rng, "minimize", "the variance of the return"))
        return form, text, {"assets": ids}


class RegressionFit(Classic):
    name = "least_squares_fit"
    kind = "qp"
    description = "Fit a line (or a quadratic) to observations by least squares."
    styles = ("table", "sentences")

    def build(self, rng: random.Random, level: Level, template: str) -> Out:
        n = size(rng, level, (4, 6), (8, 12), (15, 25))
        quad = level == "hard" and rng.random() < 0.6
        a, b, c = rng.uniform(-3, 3), rng.uniform(0, 20), rng.uniform(-0.2, 0.2)
        ts = list(range(1, n + 1))
        y = vec(ts, lambda t: round(b + a * int(t) + (c * int(t) ** 2 if quad else 0) + rng.gauss(0, 1.5), 1))
        low = min(y.values())
        if low <= 0:                   # positive observations read unambiguously in text
            y = {k: R.clean(round(v - low + 1, 1)) for k, v in y.items()}
        model = "c0 + c1 * t[k] + c2 * t[k] ** 2" if quad else "c0 + c1 * t[k]"
        form: dict[str, Any] = {
            "sets": {"Obs": {"range": [1, n]}},
            "parameters": {"t": {"index": ["Obs"], "values": vec(ts, lambda t: int(t))},
                           "y": {"index": ["Obs"], "values": y}},
            "variables": {"c0": {"domain": "reals"}, "c1": {"domain": "reals"},
                          **({"c2": {"domain": "reals"}} if quad else {})},
            "objective": {"sense": "minimize", "expr": f"sum(({model} - y[k]) ** 2 for k in Obs)"},
            "constraints": {},
        }
        if level != "easy":
            form["constraints"]["nonneg_slope"] = {"expr": "c1 >= 0"} if a > 0 else {"expr": "c1 <= 0"}
        if template == "table":
            data = md_table(["t", "y"], [[t, y[str(t)]] for t in ts]) + "\n"
        else:
            data = "The observations (t, y) are " + ", ".join(f"({t}, {R.num(y[str(t)])})" for t in ts) + ". "
        shape = "y = c0 + c1*t + c2*t^2" if quad else "y = c0 + c1*t"
        extra = ""
        if level != "easy":
            extra = f"The slope c1 must be {'non-negative' if a > 0 else 'non-positive'}. "
        text = (f"An analyst fits the model {shape} to {n} measurements. " + data + extra
                + question(rng, "minimize", "the sum of squared errors"))
        return form, text, {"quadratic": quad}


class AdResponse(Classic):
    name = "ad_response_nlp"
    kind = "nlp"
    description = "Budget over channels with diminishing (square-root) response; maximise sales."
    styles = ("table", "sentences")

    CHANNELS = ("search ads", "TV", "radio", "print", "social media", "email", "billboards", "podcasts",
                "influencers", "events")

    def build(self, rng: random.Random, level: Level, template: str) -> Out:
        n = size(rng, level, (2, 3), (4, 5), (6, 9))
        chans = rng.sample(list(self.CHANNELS), n)
        a = vec(chans, lambda c: rng.randint(5, 40))
        budget = rng.randint(5, 50) * 10
        capv = vec(chans, lambda c: R.nice(budget * rng.uniform(0.3, 0.8), "up"))
        form: dict[str, Any] = {
            "sets": {"Channels": chans},
            "parameters": {"eff": {"index": ["Channels"], "values": a}, "budget": budget,
                           "cap": {"index": ["Channels"], "values": capv}},
            "variables": {"spend": {"index": ["Channels"], "domain": "nonnegative_reals"}},
            "objective": {"sense": "maximize", "expr": "sum(eff[c] * sqrt(spend[c]) for c in Channels)"},
            "constraints": {"total": {"expr": "sum(spend[c] for c in Channels) <= budget"},
                            "channel_cap": {"forall": "c in Channels", "expr": "spend[c] <= cap[c]"}},
        }
        if template == "table":
            data = md_table(["Channel", "Coefficient", "Max spend ($k)"], [[c, a[c], capv[c]] for c in chans]) + "\n"
        else:
            data = " ".join(f"For {c} the coefficient is {a[c]} and at most ${R.num(capv[c])} can be "
                            "spent." for c in chans) + " "
        text = (f"A marketing team has ${budget} to spread over {R.join_and(chans)}. Sales from a channel grow with "
                "the square root of its spend: sales = coefficient x sqrt(spend), with all money in thousands of dollars. " + data
                + question(rng, "maximize", "total sales"))
        return form, text, {"channels": chans}


class Reliability(Classic):
    name = "reliability_exp"
    kind = "nlp"
    description = "Spend maintenance hours to cut expected failures that decay exponentially; minimise risk."
    styles = ("table", "sentences")

    def build(self, rng: random.Random, level: Level, template: str) -> Out:
        n = size(rng, level, (2, 3), (4, 5), (6, 9))
        units = [f"unit_{chr(ord('a') + i)}" for i in range(n)]
        risk = vec(units, lambda u: rng.randint(10, 100))
        k = vec(units, lambda u: rng.choice((0.05, 0.1, 0.15, 0.2, 0.3)))
        hours = rng.randint(2, 12) * 10
        form: dict[str, Any] = {
            "sets": {"Units": units},
            "parameters": {"base": {"index": ["Units"], "values": risk}, "rate": {"index": ["Units"], "values": k},
                           "hours": hours},
            "variables": {"h": {"index": ["Units"], "domain": "nonnegative_reals"}},
            "objective": {"sense": "minimize", "expr": "sum(base[u] * exp(-rate[u] * h[u]) for u in Units)"},
            "constraints": {"crew": {"expr": "sum(h[u] for u in Units) <= hours"}},
        }
        if level == "hard":
            form["constraints"]["min_care"] = {"forall": "u in Units", "expr": "h[u] >= 2"}
        if template == "table":
            data = md_table(["Unit", "Base failures", "Decay rate"], [[u, risk[u], k[u]] for u in units]) + "\n"
        else:
            data = " ".join(f"For {u}, base = {risk[u]} and rate = {R.num(k[u])}." for u in units) + " "
        text = (f"A plant has {hours} maintenance hours for {R.join_and(units)}. Expected yearly failures of a unit "
                "given h hours of maintenance are base x exp(-rate x h). " + data
                + ("Each unit must get at least 2 hours. " if level == "hard" else "")
                + question(rng, "minimize", "the expected number of failures"))
        return form, text, {"units": units}


class LogUtility(Classic):
    name = "grant_allocation_log"
    kind = "nlp"
    description = "Split a grant between labs with logarithmic (diminishing) benefit; maximise total benefit."
    styles = ("table", "sentences")

    LABS = ("genomics", "robotics", "climate", "optics", "materials", "neuroscience", "ecology", "quantum",
            "virology", "linguistics")

    def build(self, rng: random.Random, level: Level, template: str) -> Out:
        n = size(rng, level, (2, 3), (4, 5), (6, 9))
        labs = rng.sample(list(self.LABS), n)
        w = vec(labs, lambda x: rng.randint(1, 12))
        budget = rng.randint(4, 40) * 25
        floor = R.nice(budget / n * rng.uniform(0.1, 0.4), "down")
        form: dict[str, Any] = {
            "sets": {"Labs": labs},
            "parameters": {"weight": {"index": ["Labs"], "values": w}, "budget": budget},
            "variables": {"grant": {"index": ["Labs"], "domain": "nonnegative_reals"}},
            "objective": {"sense": "maximize", "expr": "sum(weight[l] * log(1 + grant[l]) for l in Labs)"},
            "constraints": {"total": {"expr": "sum(grant[l] for l in Labs) <= budget"}},
        }
        if level != "easy":
            form["parameters"]["floor"] = floor
            form["constraints"]["minimum"] = {"forall": "l in Labs", "expr": "grant[l] >= floor"}
        if template == "table":
            data = md_table(["Lab", "Weight"], [[x, w[x]] for x in labs]) + "\n"
        else:
            data = "The weights are " + listing(rng, labs, w) + ". "
        text = (f"A foundation splits ${budget} (in thousands) between the {R.join_and(labs)} labs. The benefit of giving g ($k) "
                "to a lab is its weight times log(1 + g) (natural logarithm). " + data
                + (f"Every lab gets at least ${R.num(floor)}. " if level != "easy" else "")
                + question(rng, "maximize", "the total benefit"))
        return form, text, {"labs": labs}


class TeamSizing(Classic):
    name = "team_sizing_minlp"
    kind = "minlp"
    description = "Integer team sizes with square-root productivity under a salary budget (MINLP)."
    styles = ("table", "sentences")

    def build(self, rng: random.Random, level: Level, template: str) -> Out:
        n = size(rng, level, (2, 2), (3, 4), (5, 7))
        teams = rng.sample(["design", "backend", "frontend", "qa", "data", "ops", "mobile", "security", "support"], n)
        prod = vec(teams, lambda t: rng.randint(10, 60))
        salary = vec(teams, lambda t: rng.randint(5, 15) * 10)
        budget = R.nice(sum(salary.values()) * rng.uniform(1.5, 4), "up")
        form: dict[str, Any] = {
            "sets": {"Teams": teams},
            "parameters": {"prod": {"index": ["Teams"], "values": prod},
                           "salary": {"index": ["Teams"], "values": salary}, "budget": budget},
            "variables": {"staff": {"index": ["Teams"], "domain": "nonnegative_integers", "ub": 20}},
            "objective": {"sense": "maximize", "expr": "sum(prod[t] * sqrt(staff[t]) for t in Teams)"},
            "constraints": {"payroll": {"expr": "sum(salary[t] * staff[t] for t in Teams) <= budget"}},
        }
        if level != "easy":
            form["constraints"]["min_staff"] = {"forall": "t in Teams", "expr": "staff[t] >= 1"}
        if template == "table":
            data = md_table(["Team", "Productivity", "Salary ($k)"], [[t, prod[t], salary[t]] for t in teams]) + "\n"
        else:
            data = " ".join(f"The {t} team has productivity coefficient {prod[t]} and pays ${salary[t]} per person."
                            for t in teams) + " "
        text = (f"A company staffs the teams {R.join_and(teams)} with whole numbers of people (at most 20 per team). "
                "A team's output is its coefficient times the square root of its headcount; salaries are in thousands of "
                "dollars. " + data
                + f"Salaries must fit in ${R.num(budget)}"
                + (" and every team needs at least one person" if level != "easy" else "") + ". "
                + question(rng, "maximize", "total output"))
        return form, text, {"teams": teams}


CLASSIC_NL = (Portfolio(), RegressionFit(), AdResponse(), Reliability(), LogUtility(), TeamSizing())
