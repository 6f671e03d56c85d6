"""Scheduling, CP and SAT families: job shop (disjunctive ``or``), single machine, lane assignment
(``all_different``), exam timetabling, graph colouring (SAT) and feature selection (MaxSAT, soft)."""

from __future__ import annotations

import random
from typing import Any

from optsolve.datagen import realize as R
from optsolve.datagen.base import Level
from optsolve.datagen.families.common import Classic, listing, md_table, question, size, vec

Out = tuple[dict[str, Any], str, dict[str, Any]]


class JobShop(Classic):
    name = "job_shop"
    kind = "cp"
    description = "Job shop: each job visits machines in its own order; no overlap on a machine; min makespan."
    styles = ("table", "sentences")

    def build(self, rng: random.Random, level: Level, template: str) -> Out:
        nj = size(rng, level, (2, 3), (3, 4), (4, 6))
        nm = size(rng, level, (2, 2), (3, 3), (3, 4))
        J, M = list(range(1, nj + 1)), list(range(1, nm + 1))
        route = {j: rng.sample(M, nm) for j in J}
        p = {str(j): {str(m): rng.randint(1, 9) for m in M} for j in J}
        nxt: dict[str, dict[str, dict[str, int]]] = {}
        for j in J:
            for a, b in zip(route[j], route[j][1:]):
                nxt.setdefault(str(j), {}).setdefault(str(a), {})[str(b)] = 1
        form = {
            "sets": {"Jobs": {"range": [1, nj]}, "Machines": {"range": [1, nm]}},
            "parameters": {"dur": {"index": ["Jobs", "Machines"], "values": p},
                           "next": {"index": ["Jobs", "Machines", "Machines"], "values": nxt, "default": 0}},
            "variables": {"start": {"index": ["Jobs", "Machines"], "domain": "nonnegative_integers"},
                          "makespan": {"domain": "nonnegative_integers"}},
            "objective": {"sense": "minimize", "expr": "makespan"},
            "constraints": {
                "route": {"forall": "j in Jobs, a in Machines, b in Machines if next[j, a, b] == 1",
                          "expr": "start[j, b] >= start[j, a] + dur[j, a]"},
                "no_overlap": {"forall": "i in Jobs, j in Jobs, m in Machines if i < j",
                               "expr": "(start[i, m] + dur[i, m] <= start[j, m]) or "
                                       "(start[j, m] + dur[j, m] <= start[i, m])"},
                "finish": {"forall": "j in Jobs, m in Machines", "expr": "makespan >= start[j, m] + dur[j, m]"}},
        }
        if template == "table":
            data = md_table(["Job", "Machine order", *[f"Time on M{m}" for m in M]],
                            [[j, " -> ".join(f"M{m}" for m in route[j]), *[p[str(j)][str(m)] for m in M]] for j in J])
            data += "\n"
        else:
            data = " ".join(f"Job {j} visits " + ", then ".join(f"machine {m} for {p[str(j)][str(m)]} hours"
                                                                for m in route[j]) + "." for j in J) + " "
        text = (f"A workshop has {nj} jobs (1 to {nj}) and {nm} machines (1 to {nm}). Every job visits every machine "
                "once, in its own fixed order, and a machine handles one job at a time without interruption. "
                "Times are whole hours.\n" + data
                + question(rng, "minimize", "the makespan (when the last job finishes)"))
        return form, text, {"jobs": nj, "machines": nm}


class SingleMachine(Classic):
    name = "single_machine"
    kind = "cp"
    description = "One machine, release dates and weights: minimise total weighted completion time."
    styles = ("table", "sentences")

    def build(self, rng: random.Random, level: Level, template: str) -> Out:
        n = size(rng, level, (3, 4), (5, 6), (7, 9))
        J = list(range(1, n + 1))
        dur = vec(J, lambda j: rng.randint(1, 10))
        rel = vec(J, lambda j: rng.randint(0, 15))
        w = vec(J, lambda j: rng.randint(1, 5))
        form = {
            "sets": {"Jobs": {"range": [1, n]}},
            "parameters": {"dur": {"index": ["Jobs"], "values": dur}, "release": {"index": ["Jobs"], "values": rel},
                           "weight": {"index": ["Jobs"], "values": w}},
            "variables": {"start": {"index": ["Jobs"], "domain": "nonnegative_integers"}},
            "objective": {"sense": "minimize", "expr": "sum(weight[j] * (start[j] + dur[j]) for j in Jobs)"},
            "constraints": {
                "released": {"forall": "j in Jobs", "expr": "start[j] >= release[j]"},
                "no_overlap": {"forall": "i in Jobs, j in Jobs if i < j",
                               "expr": "(start[i] + dur[i] <= start[j]) or (start[j] + dur[j] <= start[i])"}},
        }
        if template == "table":
            data = md_table(["Job", "Duration", "Release", "Weight"], [[j, dur[str(j)], rel[str(j)], w[str(j)]]
                                                                       for j in J]) + "\n"
        else:
            data = " ".join(f"Job {j} takes {dur[str(j)]} minutes, can start at minute {rel[str(j)]} or later and has "
                            f"weight {w[str(j)]}." for j in J) + " "
        text = (f"{n} orders must be processed one at a time on a single oven, each without interruption, in whole "
                "minutes. " + data + question(rng, "minimize", "the total weighted completion time"))
        return form, text, {"jobs": n}


class LaneAssignment(Classic):
    name = "lane_assignment"
    kind = "cp"
    description = "All-different lanes for runners, rivals kept apart, close to preferred lanes."
    styles = ("table", "sentences")

    NAMES = ("Ada", "Bo", "Cy", "Di", "Ed", "Flo", "Gil", "Hal", "Ike", "Jo", "Kai", "Lu")

    def build(self, rng: random.Random, level: Level, template: str) -> Out:
        n = size(rng, level, (3, 4), (5, 6), (7, 9))
        runners = list(self.NAMES[:n])
        pref = vec(runners, lambda r: rng.randint(1, n))
        pairs = []
        for _ in range({"easy": 1, "medium": 2, "hard": 3}[level]):
            a, b = rng.sample(runners, 2)
            if (a, b) not in pairs and (b, a) not in pairs:
                pairs.append((a, b))
        cons: dict[str, Any] = {
            "distinct": {"expr": "all_different(lane[r] for r in Runners)"},
            "dev_up": {"forall": "r in Runners", "expr": "dev[r] >= lane[r] - pref[r]"},
            "dev_down": {"forall": "r in Runners", "expr": "dev[r] >= pref[r] - lane[r]"},
        }
        for a, b in pairs:
            cons[f"apart_{a}_{b}"] = {"expr": f"(lane['{a}'] - lane['{b}'] >= 2) or (lane['{b}'] - lane['{a}'] >= 2)"}
        form = {
            "sets": {"Runners": runners},
            "parameters": {"pref": {"index": ["Runners"], "values": pref}},
            "variables": {"lane": {"index": ["Runners"], "domain": "integers", "lb": 1, "ub": n},
                          "dev": {"index": ["Runners"], "domain": "integers", "lb": 0, "ub": n}},
            "objective": {"sense": "minimize", "expr": "sum(dev[r] for r in Runners)"},
            "constraints": cons,
        }
        if template == "table":
            data = md_table(["Runner", "Preferred lane"], [[r, pref[r]] for r in runners]) + "\n"
        else:
            data = "Preferred lanes are " + listing(rng, runners, pref) + ". "
        rivals = R.join_and([f"{a} and {b}" for a, b in pairs])
        text = (f"{n} runners ({R.join_and(runners)}) get lanes 1 to {n}, one runner per lane. " + data
                + f"Rivals must not be in adjacent or equal lanes: {rivals}. "
                + question(rng, "minimize", "the total distance (in lanes) between assigned and preferred lanes"))
        return form, text, {"runners": runners}


def _random_graph(rng: random.Random, n: int, p: float) -> list[tuple[int, int]]:
    edges = [(i, j) for i in range(1, n + 1) for j in range(i + 1, n + 1) if rng.random() < p]
    if not edges:
        edges = [(1, 2)]
    return edges


def _greedy_colours(n: int, edges: list[tuple[int, int]]) -> int:
    adj: dict[int, set[int]] = {v: set() for v in range(1, n + 1)}
    for a, b in edges:
        adj[a].add(b)
        adj[b].add(a)
    col: dict[int, int] = {}
    for v in sorted(adj, key=lambda v: -len(adj[v])):
        used = {col[u] for u in adj[v] if u in col}
        col[v] = next(c for c in range(1, n + 2) if c not in used)
    return max(col.values())


class ExamTimetabling(Classic):
    name = "exam_timetabling"
    kind = "cp"
    description = "Exams sharing students get different slots; minimise the number of slots used."
    styles = ("table", "sentences")

    SUBJECTS = ("math", "physics", "chemistry", "biology", "history", "art", "music", "French", "Spanish",
                "economics", "law", "statistics", "geography", "philosophy", "drama")

    def build(self, rng: random.Random, level: Level, template: str) -> Out:
        n = size(rng, level, (4, 5), (6, 8), (9, 13))
        exams = rng.sample(list(self.SUBJECTS), n)
        edges = _random_graph(rng, n, 0.35)
        T = _greedy_colours(n, edges) + 1
        clash: dict[str, dict[str, int]] = {}
        for a, b in edges:
            clash.setdefault(exams[a - 1], {})[exams[b - 1]] = 1
        form = {
            "sets": {"Exams": exams},
            "parameters": {"clash": {"index": ["Exams", "Exams"], "values": clash, "default": 0}},
            "variables": {"slot": {"index": ["Exams"], "domain": "integers", "lb": 1, "ub": T},
                          "last": {"domain": "integers", "lb": 1, "ub": T}},
            "objective": {"sense": "minimize", "expr": "last"},
            "constraints": {
                "separate": {"forall": "a in Exams, b in Exams if clash[a, b] == 1",
                             "expr": "(slot[a] + 1 <= slot[b]) or (slot[b] + 1 <= slot[a])"},
                "last_slot": {"forall": "e in Exams", "expr": "last >= slot[e]"}},
        }
        pairs = [(exams[a - 1], exams[b - 1]) for a, b in edges]
        if template == "table":
            data = md_table(["Exam", "Shares students with"],
                            [[e, ", ".join(sorted({y for x, y in pairs if x == e} | {x for x, y in pairs if y == e}))
                              or "-"] for e in exams]) + "\n"
        else:
            data = "These pairs share students: " + "; ".join(f"{a} and {b}" for a, b in pairs) + ". "
        text = (f"A school schedules the exams {R.join_and(exams)} into numbered slots 1 to {T}. Two exams that "
                "share students cannot be in the same slot. " + data
                + question(rng, "minimize", "the highest slot number used"))
        return form, text, {"exams": exams, "slots": T}


class GraphColoring(Classic):
    name = "graph_coloring"
    kind = "sat"
    description = "SAT: colour a map/graph with k colours so that neighbours differ (boolean model)."
    styles = ("table", "sentences")

    def build(self, rng: random.Random, level: Level, template: str) -> Out:
        n = size(rng, level, (4, 6), (7, 10), (12, 18))
        regions = R.place_names(rng, n)
        edges = _random_graph(rng, n, 0.4 if level != "hard" else 0.3)
        k = _greedy_colours(n, edges)
        colours = ["red", "green", "blue", "yellow", "purple", "orange", "white", "black", "grey"][:k]
        adj: dict[str, dict[str, int]] = {}
        for a, b in edges:
            adj.setdefault(regions[a - 1], {})[regions[b - 1]] = 1
        form = {
            "sets": {"Regions": regions, "Colours": colours},
            "parameters": {"border": {"index": ["Regions", "Regions"], "values": adj, "default": 0}},
            "variables": {"paint": {"index": ["Regions", "Colours"], "domain": "boolean"}},
            "constraints": {
                "some_colour": {"forall": "r in Regions", "expr": "sum(paint[r, c] for c in Colours) >= 1"},
                "neighbours_differ": {"forall": "a in Regions, b in Regions, c in Colours if border[a, b] == 1",
                                      "expr": "not (paint[a, c] and paint[b, c])"}},
        }
        pairs = [(regions[a - 1], regions[b - 1]) for a, b in edges]
        if template == "table":
            data = md_table(["Region", "Borders"], [[r, ", ".join(y for x, y in pairs if x == r) or "-"]
                                                    for r in regions]) + "\n"
        else:
            data = "Bordering pairs: " + "; ".join(f"{a}-{b}" for a, b in pairs) + ". "
        text = (f"Colour the map of {R.join_and(regions)} using only {R.join_and(colours, 'or')} so that no two "
                "bordering regions share a colour (a region needs at least one colour). " + data
                + "Find any valid colouring, or show that none exists.")
        return form, text, {"k": k}


class FeatureSelection(Classic):
    name = "feature_selection_maxsat"
    kind = "maxsat"
    description = "MaxSAT: pick release features under hard dependencies/conflicts; weighted soft wishes."
    styles = ("list", "table")

    FEATURES = ("dark mode", "offline sync", "search", "export", "sharing", "notifications", "widgets", "voice input",
                "two-factor login", "themes", "calendar", "chat", "analytics", "backups", "plugins", "maps")

    def build(self, rng: random.Random, level: Level, template: str) -> Out:
        n = size(rng, level, (4, 5), (6, 9), (10, 14))
        feats = rng.sample(list(self.FEATURES), n)
        ids = {f: R.snake(f) for f in feats}
        cons: dict[str, Any] = {}
        hard_txt, soft_txt, rows = [], [], []
        for _ in range({"easy": 2, "medium": 3, "hard": 5}[level]):
            a, b = rng.sample(feats, 2)
            if rng.random() < 0.5:
                cons[f"needs_{ids[a]}_{ids[b]}"] = {"expr": f"implies(pick['{ids[a]}'], pick['{ids[b]}'])"}
                hard_txt.append(f"{a} requires {b}")
            else:
                cons[f"conflict_{ids[a]}_{ids[b]}"] = {"expr": f"not (pick['{ids[a]}'] and pick['{ids[b]}'])"}
                hard_txt.append(f"{a} and {b} cannot both ship")
        cap = max(2, n // 2)
        cons["capacity"] = {"expr": f"sum(pick[f] for f in Features) <= {cap}"}
        for f in feats:
            w = rng.randint(1, 10)
            if rng.random() < 0.8:
                cons[f"want_{ids[f]}"] = {"expr": f"pick['{ids[f]}']", "soft": {"weight": w}}
                soft_txt.append(f"including {f} is worth {w} points")
                rows.append([f, "include", w])
            else:
                cons[f"avoid_{ids[f]}"] = {"expr": f"not pick['{ids[f]}']", "soft": {"weight": w}}
                soft_txt.append(f"leaving out {f} is worth {w} points")
                rows.append([f, "leave out", w])
        form = {
            "sets": {"Features": [ids[f] for f in feats]},
            "variables": {"pick": {"index": ["Features"], "domain": "boolean"}},
            "constraints": cons,
        }
        if template == "table":
            wishes = "Stakeholder wishes (points lost if not granted):\n" + md_table(["Feature", "Wish", "Points"], rows)
        else:
            wishes = "Stakeholders' wishes: " + "; ".join(soft_txt) + " (the points are lost when a wish is not met)."
        text = (f"A product team chooses which of these features ship in the next release: {R.join_and(feats)}. "
                f"At most {cap} features fit. Hard rules: " + "; ".join(hard_txt) + ". " + wishes
                + " Choose the release that loses the fewest points.")
        return form, text, {"features": feats}


CLASSIC_CP = (JobShop(), SingleMachine(), LaneAssignment(), ExamTimetabling(), GraphColoring(), FeatureSelection())
