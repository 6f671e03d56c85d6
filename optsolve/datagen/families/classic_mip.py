"""Classic MILP/IP families: assignment, facility location, lot sizing, shifts, cutting stock, knapsacks,
set cover, bin packing, TSP (MTZ), p-median, capital budgeting, fixed-charge transport, generalized
assignment, parallel machines and maximum coverage."""

from __future__ import annotations

import math
import random
from typing import Any

from optsolve.datagen import realize as R
from optsolve.datagen.base import Level
from optsolve.datagen.families.common import Classic, listing, mat, matrix_text, md_table, question, size, vec

Out = tuple[dict[str, Any], str, dict[str, Any]]

WORKERS = ("Ana", "Ben", "Chen", "Dara", "Eli", "Farah", "Gus", "Hana", "Ivo", "Jon", "Kim", "Lea", "Max", "Nia")
TASKS = ("welding", "painting", "wiring", "plumbing", "testing", "packing", "design", "audit", "cleaning",
         "inventory", "delivery", "support", "training", "coding")


class Assignment(Classic):
    name = "assignment"
    kind = "milp"
    description = "Assign workers to tasks one-to-one at minimum total cost (or time)."
    styles = ("table", "sentences")

    def build(self, rng: random.Random, level: Level, template: str) -> Out:
        n = size(rng, level, (3, 3), (4, 6), (7, 10))
        extra = 0 if level == "easy" else rng.randint(0, 2)
        workers = rng.sample(list(WORKERS), n + extra)
        tasks = rng.sample(list(TASKS), n)
        unit = R.pick(rng, ("hours", "dollars", "minutes"))
        cost = mat(workers, tasks, lambda w, t: rng.randint(3, 40))
        form = {
            "sets": {"Workers": workers, "Tasks": tasks},
            "parameters": {"cost": {"index": ["Workers", "Tasks"], "values": cost}},
            "variables": {"assign": {"index": ["Workers", "Tasks"], "domain": "binary"}},
            "objective": {"sense": "minimize", "expr": "sum(cost[w, t] * assign[w, t] for w in Workers for t in Tasks)"},
            "constraints": {
                "each_task": {"forall": "t in Tasks", "expr": "sum(assign[w, t] for w in Workers) == 1"},
                "one_task_each": {"forall": "w in Workers", "expr": "sum(assign[w, t] for t in Tasks) <= 1"}},
        }
        data = matrix_text(rng, template, workers, tasks, cost, "Worker \\ Task",
                           lambda r, items: f"{r} would need {items}.")
        text = (f"A manager must give each of the tasks {R.join_and(tasks)} to exactly one of "
                f"{R.join_and(workers)}; nobody takes more than one task. The {unit} each person would need:\n"
                + data + "\n" + question(rng, "minimize", f"the total {unit}"))
        return form, text, {"workers": workers, "tasks": tasks}


class FacilityLocation(Classic):
    name = "facility_location"
    kind = "milp"
    description = "Capacitated facility location: open warehouses (fixed cost) and serve customers."
    styles = ("table", "sentences")

    def build(self, rng: random.Random, level: Level, template: str) -> Out:
        nf = size(rng, level, (2, 3), (3, 4), (5, 7))
        nc = size(rng, level, (3, 4), (5, 6), (8, 12))
        places = R.place_names(rng, nf + nc)
        sites, custs = places[:nf], places[nf:]
        demand = vec(custs, lambda c: rng.randint(1, 9) * 10)
        tot = sum(demand.values())
        capv = vec(sites, lambda f: R.nice(tot * rng.uniform(0.4, 0.9), "up"))
        while sum(capv.values()) < 1.3 * tot:
            capv = {k: v * 1.25 for k, v in capv.items()}
            capv = {k: R.clean(R.nice(v, "up")) for k, v in capv.items()}
        fixed = vec(sites, lambda f: rng.randint(5, 30) * 100)
        cost = mat(sites, custs, lambda f, c: rng.randint(1, 12))
        form = {
            "sets": {"Sites": sites, "Customers": custs},
            "parameters": {"fixed": {"index": ["Sites"], "values": fixed},
                           "cap": {"index": ["Sites"], "values": capv},
                           "demand": {"index": ["Customers"], "values": demand},
                           "cost": {"index": ["Sites", "Customers"], "values": cost}},
            "variables": {"open": {"index": ["Sites"], "domain": "binary"},
                          "ship": {"index": ["Sites", "Customers"], "domain": "nonnegative_reals"}},
            "objective": {"sense": "minimize", "expr": "sum(fixed[s] * open[s] for s in Sites) + "
                                                       "sum(cost[s, c] * ship[s, c] for s in Sites for c in Customers)"},
            "constraints": {
                "serve": {"forall": "c in Customers", "expr": "sum(ship[s, c] for s in Sites) == demand[c]"},
                "capacity": {"forall": "s in Sites", "expr": "sum(ship[s, c] for c in Customers) <= cap[s] * open[s]"}},
        }
        data = matrix_text(rng, template, sites, custs, cost, "Site \\ Customer",
                           lambda r, items: f"Per unit, {r} ships at {items}.")
        text = (f"{R.company_name(rng)} may open warehouses in {R.join_and(sites)} to serve customers in "
                f"{R.join_and(custs)}. Opening a warehouse costs " + listing(rng, sites, fixed, lambda v: "$" + R.commas(v))
                + "; capacities (units) are " + listing(rng, sites, capv) + ". Customer demands (units) are "
                + listing(rng, custs, demand) + ". Unit delivery costs ($):\n" + data + "\n"
                + "Only an open warehouse can ship. " + question(rng, "minimize", "fixed plus delivery costs"))
        return form, text, {"sites": sites, "customers": custs}


class LotSizing(Classic):
    name = "lot_sizing"
    kind = "milp"
    description = "Single-item lot sizing with setup costs, capacity and inventory balance inv[t - 1]."
    styles = ("table", "sentences")

    def build(self, rng: random.Random, level: Level, template: str) -> Out:
        nt = size(rng, level, (3, 4), (5, 8), (9, 14))
        T = list(range(1, nt + 1))
        demand = vec(T, lambda t: rng.randint(0, 12) * 10)
        capacity = R.nice(max(demand.values()) * rng.uniform(1.2, 2.0) + 10, "up")
        setup = rng.randint(2, 20) * 25
        unit = rng.randint(2, 12)
        hold = R.pick(rng, (0.5, 1, 1.5, 2, 3))
        item = R.pick(rng, ("bikes", "batches of paint", "engines", "cases of soda", "boards"))
        form = {
            "sets": {"Periods": {"range": [1, nt]}},
            "parameters": {"demand": {"index": ["Periods"], "values": demand}, "capacity": capacity,
                           "setup_cost": setup, "unit_cost": unit, "hold_cost": hold},
            "variables": {"make": {"index": ["Periods"], "domain": "nonnegative_reals"},
                          "inv": {"index": ["Periods"], "domain": "nonnegative_reals"},
                          "setup": {"index": ["Periods"], "domain": "binary"}},
            "objective": {"sense": "minimize", "expr": "sum(setup_cost * setup[t] + unit_cost * make[t] + "
                                                       "hold_cost * inv[t] for t in Periods)"},
            "constraints": {
                "first": {"forall": "t in Periods if t == 1", "expr": "inv[t] == make[t] - demand[t]"},
                "balance": {"forall": "t in Periods if t > 1", "expr": "inv[t] == inv[t - 1] + make[t] - demand[t]"},
                "setup_link": {"forall": "t in Periods", "expr": "make[t] <= capacity * setup[t]"}},
        }
        per = R.pick(rng, ("week", "month", "day"))
        if template == "table":
            dtxt = md_table([R.cap(per), "Demand"], [[t, demand[str(t)]] for t in T]) + "\n"
        else:
            dtxt = f"Demand in {per}s 1 to {nt} is " + ", ".join(str(demand[str(t)]) for t in T) + ". "
        text = (f"A workshop plans the production of {item} over {nt} {per}s, starting with no stock. " + dtxt
                + f"In any {per} with production it pays a setup cost of ${setup} and can make at most "
                f"{R.num(capacity)} {item}; each unit costs ${unit} to make and ${R.num(hold)} per {per} to keep in stock "
                f"(on the stock at the end of the {per}). Demand must be met from production and stock, without "
                "backlog. " + question(rng, "minimize", "the total cost"))
        return form, text, {"periods": nt}


class WorkforceShifts(Classic):
    name = "workforce_shifts"
    kind = "ip"
    description = "Cyclic staffing: workers start in a period and work consecutive periods; cover needs."
    styles = ("table", "sentences")

    DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")

    def build(self, rng: random.Random, level: Level, template: str) -> Out:
        if level == "easy":
            n_per, length = 7, 5
        elif level == "medium":
            n_per, length = R.pick(rng, ((7, 4), (8, 3), (12, 4)))
        else:
            n_per, length = R.pick(rng, ((24, 8), (24, 6), (12, 5)))
        if n_per == 7:
            periods = list(self.DAYS)
            what, story = "day", "days of the week"
        else:
            periods = [f"{(i * 24 // n_per):02d}:00" for i in range(n_per)]
            what, story = "period", f"{24 // n_per}-hour periods of the day (cyclic)"
        covers = {p: {q: int((j - i) % n_per < length) for j, q in enumerate(periods)} for i, p in enumerate(periods)}
        need = vec(periods, lambda p: rng.randint(2, 20))
        wage_vary = level != "easy"
        wage = vec(periods, lambda p: rng.randint(8, 14) * 10)
        params: dict[str, Any] = {"need": {"index": ["Periods"], "values": need},
                                  "covers": {"index": ["Starts", "Periods"], "values": covers}}
        if wage_vary:
            params["wage"] = {"index": ["Starts"], "values": wage}
        form = {
            "sets": {"Starts": periods, "Periods": periods},
            "parameters": params,
            "variables": {"staff": {"index": ["Starts"], "domain": "nonnegative_integers"}},
            "objective": {"sense": "minimize", "expr": "sum(wage[s] * staff[s] for s in Starts)" if wage_vary
                          else "sum(staff[s] for s in Starts)"},
            "constraints": {"coverage": {"forall": "p in Periods",
                                         "expr": "sum(covers[s, p] * staff[s] for s in Starts) >= need[p]"}},
        }
        who, org = R.pick(rng, (("nurses", "A hospital"), ("call-center agents", "A call center"),
                                 ("security guards", "A security firm"), ("bus drivers", "A transit agency"),
                                 ("cashiers", "A supermarket")))
        if template == "table":
            ntxt = md_table([R.cap(what), "Required"], [[p, need[p]] for p in periods]) + "\n"
        else:
            ntxt = "The minimum numbers on duty are " + listing(rng, periods, need) + ". "
        text = (f"{org} plans its {who} over the {story}. " + ntxt
                + f"Each of the {who} works {length} consecutive {what}s (wrapping around) from their starting {what} "
                + ("and then is off. " if what == "day" else "and then rests. ")
                + (("A worker starting on each " + what + " costs " + listing(rng, periods, wage, lambda v: "$" + R.num(v))
                    + ". " + question(rng, "minimize", "the total wage cost")) if wage_vary
                   else question(rng, "minimize", f"the number of {who} hired")))
        return form, text, {"periods": periods, "length": length}


def _patterns(width: int, sizes: list[int], limit: int = 80) -> list[list[int]]:
    pats: list[list[int]] = []

    def rec(i: int, left: int, cur: list[int]) -> None:
        if len(pats) >= limit:
            return
        if i == len(sizes):
            if any(cur) and all(left < s for s in sizes):      # maximal patterns only
                pats.append(list(cur))
            return
        for k in range(left // sizes[i], -1, -1):
            cur.append(k)
            rec(i + 1, left - k * sizes[i], cur)
            cur.pop()

    rec(0, width, [])
    return pats


class CuttingStock(Classic):
    name = "cutting_stock"
    kind = "ip"
    description = "Cut stock rolls with listed patterns to meet piece demands with the fewest rolls."
    styles = ("table", "sentences")

    def build(self, rng: random.Random, level: Level, template: str) -> Out:
        width = R.pick(rng, (100, 120, 150, 200))
        ni = size(rng, level, (2, 2), (3, 3), (4, 5))
        sizes = sorted(rng.sample(range(width // 7, width // 2), ni), reverse=True)
        pats = _patterns(width, sizes, {"easy": 8, "medium": 20, "hard": 45}[level])
        # each size must appear in some pattern
        for i, s in enumerate(sizes):
            if not any(p[i] for p in pats):
                p = [0] * ni
                p[i] = width // s
                pats.append(p)
        pieces = [f"{s}cm" for s in sizes]
        P = [f"P{k + 1}" for k in range(len(pats))]
        demand = vec(pieces, lambda s: rng.randint(2, 12) * 5)
        form = {
            "sets": {"Patterns": P, "Pieces": pieces},
            "parameters": {"count": {"index": ["Patterns", "Pieces"],
                                     "values": {P[k]: {pieces[i]: pats[k][i] for i in range(ni)} for k in range(len(P))}},
                           "demand": {"index": ["Pieces"], "values": demand}},
            "variables": {"rolls": {"index": ["Patterns"], "domain": "nonnegative_integers"}},
            "objective": {"sense": "minimize", "expr": "sum(rolls[p] for p in Patterns)"},
            "constraints": {"meet_demand": {"forall": "i in Pieces",
                                            "expr": "sum(count[p, i] * rolls[p] for p in Patterns) >= demand[i]"}},
        }
        if template == "table":
            ptxt = md_table(["Pattern", *pieces], [[P[k], *pats[k]] for k in range(len(P))]) + "\n"
        else:
            ptxt = " ".join(f"Pattern {P[k]} yields " + R.join_and([f"{pats[k][i]} of {pieces[i]}" for i in range(ni)
                                                                     if pats[k][i]]) + "." for k in range(len(P))) + " "
        text = (f"A paper mill cuts {width}cm-wide rolls into narrower pieces. Orders require "
                + listing(rng, pieces, demand) + " pieces. The cutting patterns that can be used are:\n" + ptxt
                + "Extra pieces may be produced. " + question(rng, "minimize", "the number of rolls cut"))
        return form, text, {"width": width, "patterns": len(P)}


class Knapsack(Classic):
    name = "knapsack"
    kind = "ip"
    description = "0-1 knapsack: choose items under a weight (or budget) limit to maximise value."
    styles = ("table", "sentences")

    THINGS = ("tent", "stove", "camera", "laptop", "rope", "first-aid kit", "water filter", "jacket", "lantern",
              "book", "drone", "tripod", "binoculars", "sleeping bag", "map set", "radio", "solar panel", "kettle",
              "hammock", "fishing rod", "snacks", "tool kit", "boots", "helmet", "gloves", "knife", "compass",
              "battery pack", "guitar", "chair", "umbrella", "cooler", "towel", "sunscreen", "notebook", "speaker",
              "blanket", "pillow", "flashlight", "axe")

    def build(self, rng: random.Random, level: Level, template: str) -> Out:
        n = size(rng, level, (4, 6), (8, 14), (20, 35))
        items = rng.sample(list(self.THINGS), n)
        weight = vec(items, lambda i: rng.randint(1, 20))
        value = vec(items, lambda i: rng.randint(5, 100))
        cap = int(sum(weight.values()) * rng.uniform(0.3, 0.6))
        form = {
            "sets": {"Items": items},
            "parameters": {"weight": {"index": ["Items"], "values": weight},
                           "value": {"index": ["Items"], "values": value}, "capacity": cap},
            "variables": {"take": {"index": ["Items"], "domain": "binary"}},
            "objective": {"sense": "maximize", "expr": "sum(value[i] * take[i] for i in Items)"},
            "constraints": {"weight_limit": {"expr": "sum(weight[i] * take[i] for i in Items) <= capacity"}},
        }
        if template == "table":
            data = md_table(["Item", "Weight (kg)", "Value"], [[i, weight[i], value[i]] for i in items]) + "\n"
        else:
            data = " ".join(f"The {i} weighs {weight[i]} kg and is worth {value[i]} points." for i in items) + " "
        text = (f"A hiker can carry at most {cap} kg and chooses among these items (each at most once):\n"
                + data + question(rng, "maximize", "the total value carried"))
        return form, text, {"items": items}


class MultiKnapsack(Classic):
    name = "multiple_knapsack"
    kind = "ip"
    description = "Pack items into several containers of different capacities; maximise packed value."
    styles = ("table", "sentences")

    def build(self, rng: random.Random, level: Level, template: str) -> Out:
        n = size(rng, level, (4, 5), (7, 10), (11, 14))
        k = size(rng, level, (2, 2), (2, 3), (3, 4))
        items = [f"crate {i + 1}" for i in range(n)]
        trucks = [f"truck {chr(ord('A') + j)}" for j in range(k)]
        weight = vec(items, lambda i: rng.randint(2, 30))
        value = vec(items, lambda i: rng.randint(10, 90))
        capv = vec(trucks, lambda t: int(sum(weight.values()) * rng.uniform(0.15, 0.45)))
        form = {
            "sets": {"Items": items, "Trucks": trucks},
            "parameters": {"weight": {"index": ["Items"], "values": weight},
                           "value": {"index": ["Items"], "values": value},
                           "cap": {"index": ["Trucks"], "values": capv}},
            "variables": {"load": {"index": ["Items", "Trucks"], "domain": "binary"}},
            "objective": {"sense": "maximize", "expr": "sum(value[i] * load[i, t] for i in Items for t in Trucks)"},
            "constraints": {
                "once": {"forall": "i in Items", "expr": "sum(load[i, t] for t in Trucks) <= 1"},
                "capacity": {"forall": "t in Trucks", "expr": "sum(weight[i] * load[i, t] for i in Items) <= cap[t]"}},
        }
        if template == "table":
            data = md_table(["Crate", "Weight (t)", "Value ($)"], [[i, weight[i], value[i]] for i in items]) + "\n"
        else:
            data = " ".join(f"{R.cap(i)} weighs {weight[i]} t and is worth ${value[i]}." for i in items) + " "
        text = (f"A shipper has {n} crates and {k} trucks with capacities " + listing(rng, trucks, capv)
                + " tonnes. Each crate goes on at most one truck.\n" + data
                + question(rng, "maximize", "the value of the crates shipped"))
        return form, text, {"items": items, "trucks": trucks}


def _coverage(rng: random.Random, sites: list[str], areas: list[str], lo: int, hi: int) -> dict[str, dict[str, int]]:
    a = {s: {u: 0 for u in areas} for s in sites}
    for s in sites:
        for u in rng.sample(areas, rng.randint(lo, min(hi, len(areas)))):
            a[s][u] = 1
    for u in areas:
        if not any(a[s][u] for s in sites):
            a[rng.choice(sites)][u] = 1
    return a


class SetCover(Classic):
    name = "set_cover"
    kind = "ip"
    description = "Choose stations so that every district is covered, at minimum cost."
    styles = ("table", "sentences")

    def build(self, rng: random.Random, level: Level, template: str) -> Out:
        ns = size(rng, level, (3, 4), (6, 8), (10, 16))
        nu = size(rng, level, (4, 5), (7, 10), (12, 20))
        sites = [f"S{i + 1}" for i in range(ns)]
        areas = R.place_names(rng, nu)
        a = _coverage(rng, sites, areas, 1, max(2, nu // 3))
        cost = vec(sites, lambda s: rng.randint(2, 20) * 10)
        form = {
            "sets": {"Sites": sites, "Districts": areas},
            "parameters": {"cost": {"index": ["Sites"], "values": cost},
                           "covers": {"index": ["Sites", "Districts"], "values": a}},
            "variables": {"build": {"index": ["Sites"], "domain": "binary"}},
            "objective": {"sense": "minimize", "expr": "sum(cost[s] * build[s] for s in Sites)"},
            "constraints": {"covered": {"forall": "d in Districts",
                                        "expr": "sum(covers[s, d] * build[s] for s in Sites) >= 1"}},
        }
        what = R.pick(rng, ("fire stations", "cell towers", "ambulance bases", "libraries"))
        if template == "table":
            data = md_table(["Site", "Cost ($k)", "Covers"], [[s, cost[s], ", ".join(u for u in areas if a[s][u])]
                                                              for s in sites]) + "\n"
        else:
            data = " ".join(f"Site {s} costs ${cost[s]} and covers {R.join_and([u for u in areas if a[s][u]])}."
                            for s in sites) + " "
        text = (f"A region must place {what} so that each district ({R.join_and(areas)}) is covered by at least "
                "one of them. The candidate sites (costs in thousands of dollars):\n" + data + question(rng, "minimize", "the total building cost"))
        return form, text, {"sites": sites, "districts": areas}


class MaxCoverage(Classic):
    name = "max_coverage"
    kind = "ip"
    description = "Open at most k sites to maximise the population covered."
    styles = ("table", "sentences")

    def build(self, rng: random.Random, level: Level, template: str) -> Out:
        ns = size(rng, level, (3, 4), (6, 8), (10, 15))
        nu = size(rng, level, (4, 6), (8, 12), (15, 25))
        k = max(1, ns // 3)
        sites = [f"T{i + 1}" for i in range(ns)]
        areas = [f"Z{j + 1}" for j in range(nu)]
        a = _coverage(rng, sites, areas, 1, max(2, nu // 3))
        pop = vec(areas, lambda u: rng.randint(1, 40) * 100)
        form = {
            "sets": {"Sites": sites, "Zones": areas},
            "parameters": {"pop": {"index": ["Zones"], "values": pop},
                           "covers": {"index": ["Sites", "Zones"], "values": a}, "k": k},
            "variables": {"open": {"index": ["Sites"], "domain": "binary"},
                          "covered": {"index": ["Zones"], "domain": "binary"}},
            "objective": {"sense": "maximize", "expr": "sum(pop[z] * covered[z] for z in Zones)"},
            "constraints": {
                "cover_link": {"forall": "z in Zones", "expr": "covered[z] <= sum(covers[s, z] * open[s] for s in Sites)"},
                "limit": {"expr": "sum(open[s] for s in Sites) <= k"}},
        }
        if template == "table":
            data = md_table(["Tower", "Zones reached"], [[s, ", ".join(u for u in areas if a[s][u])] for s in sites])
            data += "\nPopulations: " + listing(rng, areas, pop) + ".\n"
        else:
            data = " ".join(f"Tower {s} would reach {R.join_and([u for u in areas if a[s][u]])}." for s in sites)
            data += " Zone populations are " + listing(rng, areas, pop) + ". "
        text = (f"A telecom operator can build at most {k} of {ns} candidate towers. " + data
                + "A zone counts as covered if at least one built tower reaches it. "
                + question(rng, "maximize", "the population covered"))
        return form, text, {"sites": sites}


class BinPacking(Classic):
    name = "bin_packing"
    kind = "ip"
    description = "Pack items into the fewest identical bins."
    styles = ("table", "sentences")

    def build(self, rng: random.Random, level: Level, template: str) -> Out:
        n = size(rng, level, (4, 6), (7, 10), (11, 15))
        capv = R.pick(rng, (10, 20, 50, 100))
        items = [f"item{i + 1}" for i in range(n)]
        sz = {i: rng.randint(max(1, capv // 10), capv * 7 // 10) for i in items}
        # first-fit decreasing gives an upper bound on the bins needed
        bins_used: list[int] = []
        for i in sorted(items, key=lambda x: -sz[x]):
            for b in range(len(bins_used)):
                if bins_used[b] + sz[i] <= capv:
                    bins_used[b] += sz[i]
                    break
            else:
                bins_used.append(sz[i])
        nb = len(bins_used)
        bins = list(range(1, nb + 1))
        form = {
            "sets": {"Items": items, "Bins": {"range": [1, nb]}},
            "parameters": {"size": {"index": ["Items"], "values": sz}, "cap": capv},
            "variables": {"put": {"index": ["Items", "Bins"], "domain": "binary"},
                          "used": {"index": ["Bins"], "domain": "binary"}},
            "objective": {"sense": "minimize", "expr": "sum(used[b] for b in Bins)"},
            "constraints": {
                "assign": {"forall": "i in Items", "expr": "sum(put[i, b] for b in Bins) == 1"},
                "capacity": {"forall": "b in Bins", "expr": "sum(size[i] * put[i, b] for i in Items) <= cap * used[b]"},
                "order": {"forall": "b in Bins if b > 1", "expr": "used[b] <= used[b - 1]"}},
        }
        _ = bins
        what = R.pick(rng, ("boxes", "containers", "servers", "trucks"))
        if template == "table":
            data = md_table(["Item", "Size"], [[i, sz[i]] for i in items]) + "\n"
        else:
            data = "The sizes are " + listing(rng, items, sz) + ". "
        text = (f"{n} items must be packed into identical {what} of capacity {capv}; at most {nb} {what} are "
                f"available (numbered 1 to {nb}, used in order). " + data
                + question(rng, "minimize", f"the number of {what} used"))
        return form, text, {"bins": nb}


class TSP(Classic):
    name = "tsp_mtz"
    kind = "milp"
    description = "Travelling salesman tour (Miller-Tucker-Zemlin subtour elimination)."
    styles = ("table", "sentences")

    def build(self, rng: random.Random, level: Level, template: str) -> Out:
        n = size(rng, level, (4, 5), (6, 7), (8, 10))
        pts = [(rng.randint(0, 100), rng.randint(0, 100)) for _ in range(n)]
        cities = list(range(1, n + 1))
        d = mat(cities, cities, lambda i, j: 0 if i == j else round(math.dist(pts[int(i) - 1], pts[int(j) - 1])))
        form = {
            "sets": {"Cities": {"range": [1, n]}},
            "parameters": {"dist": {"index": ["Cities", "Cities"], "values": d}, "n": n},
            "variables": {"x": {"index": ["Cities", "Cities"], "domain": "binary"},
                          "u": {"index": ["Cities"], "domain": "reals", "lb": 1, "ub": n}},
            "objective": {"sense": "minimize", "expr": "sum(dist[i, j] * x[i, j] for i in Cities for j in Cities if i != j)"},
            "constraints": {
                "leave": {"forall": "i in Cities", "expr": "sum(x[i, j] for j in Cities if j != i) == 1"},
                "enter": {"forall": "j in Cities", "expr": "sum(x[i, j] for i in Cities if i != j) == 1"},
                "no_self": {"forall": "i in Cities", "expr": "x[i, i] == 0"},
                "mtz": {"forall": "i in Cities, j in Cities if i != j and i > 1 and j > 1",
                        "expr": "u[i] - u[j] + n * x[i, j] <= n - 1"}},
        }
        data = matrix_text(rng, template, cities, cities, d, "km",
                           lambda r, items: f"From city {r} the distances are {items}.")
        text = (f"A sales rep starts at city 1, must visit each of the cities 1 to {n} exactly once and return to "
                "city 1. Distances in km:\n" + data + "\n" + question(rng, "minimize", "the length of the tour"))
        return form, text, {"n": n}


class PMedian(Classic):
    name = "p_median"
    kind = "milp"
    description = "Open p depots among towns and assign each town to one, minimising demand-weighted distance."
    styles = ("table", "sentences")

    def build(self, rng: random.Random, level: Level, template: str) -> Out:
        n = size(rng, level, (4, 5), (6, 8), (9, 12))
        towns = R.place_names(rng, n)
        pts = {t: (rng.randint(0, 60), rng.randint(0, 60)) for t in towns}
        d = mat(towns, towns, lambda a, b: round(math.dist(pts[str(a)], pts[str(b)])))
        w = vec(towns, lambda t: rng.randint(1, 10) * 10)
        p = max(1, n // 3)
        form = {
            "sets": {"Towns": towns},
            "parameters": {"dist": {"index": ["Towns", "Towns"], "values": d},
                           "demand": {"index": ["Towns"], "values": w}, "p": p},
            "variables": {"depot": {"index": ["Towns"], "domain": "binary"},
                          "serve": {"index": ["Towns", "Towns"], "domain": "binary"}},
            "objective": {"sense": "minimize", "expr": "sum(demand[i] * dist[i, j] * serve[i, j] for i in Towns "
                                                       "for j in Towns)"},
            "constraints": {
                "one_depot": {"forall": "i in Towns", "expr": "sum(serve[i, j] for j in Towns) == 1"},
                "open_only": {"forall": "i in Towns, j in Towns", "expr": "serve[i, j] <= depot[j]"},
                "count": {"expr": "sum(depot[j] for j in Towns) == p"}},
        }
        data = matrix_text(rng, template, towns, towns, d, "km", lambda r, items: f"From {r}: {items}.")
        text = (f"A retailer will open exactly {p} depot{'s' if p > 1 else ''} in the towns {R.join_and(towns)}, and "
                "each town is served by one open depot. Weekly demands are " + listing(rng, towns, w)
                + ". Road distances in km:\n" + data + "\n"
                + question(rng, "minimize", "the total demand-weighted distance"))
        return form, text, {"p": p}


class CapitalBudgeting(Classic):
    name = "capital_budgeting"
    kind = "ip"
    description = "Select projects under yearly budgets with dependencies and exclusions; maximise NPV."
    styles = ("table", "sentences")

    def build(self, rng: random.Random, level: Level, template: str) -> Out:
        n = size(rng, level, (4, 5), (6, 9), (10, 15))
        ny = size(rng, level, (1, 2), (2, 3), (3, 4))
        projects = [f"P{i + 1}" for i in range(n)]
        years = list(range(1, ny + 1))
        spend = mat(projects, years, lambda p, y: rng.randint(0, 10) * 5)
        npv = vec(projects, lambda p: rng.randint(5, 60) * 5)
        budget = vec(years, lambda y: R.nice(sum(spend[p][str(y)] for p in projects) * rng.uniform(0.35, 0.6), "up"))
        cons: dict[str, Any] = {"budget": {"forall": "y in Years",
                                           "expr": "sum(spend[p, y] * pick[p] for p in Projects) <= budget[y]"}}
        rules = []
        for _ in range({"easy": 1, "medium": 2, "hard": 3}[level]):
            a, b = rng.sample(projects, 2)
            if rng.random() < 0.5:
                cons[f"requires_{a}_{b}"] = {"expr": f"pick['{a}'] <= pick['{b}']"}
                rules.append(f"{a} can only be chosen if {b} is chosen")
            else:
                cons[f"exclusive_{a}_{b}"] = {"expr": f"pick['{a}'] + pick['{b}'] <= 1"}
                rules.append(f"{a} and {b} cannot both be chosen")
        form = {
            "sets": {"Projects": projects, "Years": {"range": [1, ny]}},
            "parameters": {"npv": {"index": ["Projects"], "values": npv},
                           "spend": {"index": ["Projects", "Years"], "values": spend},
                           "budget": {"index": ["Years"], "values": budget}},
            "variables": {"pick": {"index": ["Projects"], "domain": "binary"}},
            "objective": {"sense": "maximize", "expr": "sum(npv[p] * pick[p] for p in Projects)"},
            "constraints": cons,
        }
        if template == "table":
            data = md_table(["Project", "NPV ($k)", *[f"Year {y} spend ($k)" for y in years]],
                            [[p, npv[p], *[spend[p][str(y)] for y in years]] for p in projects]) + "\n"
        else:
            data = " ".join(f"{p} has NPV ${npv[p]} and needs " + ", ".join(f"${spend[p][str(y)]} in year {y}"
                                                                         for y in years) + "." for p in projects) + " "
        text = (f"A city council considers {n} projects over {ny} year{'s' if ny > 1 else ''}; all amounts are in "
                "thousands of dollars. " + data
                + "The yearly budgets are " + listing(rng, [f"year {y}" for y in years],
                                                     {f"year {y}": budget[str(y)] for y in years},
                                                     lambda v: "$" + R.num(v))
                + ". Also, " + R.join_and(rules) + ". " + question(rng, "maximize", "the total NPV"))
        return form, text, {"projects": projects}


class FixedChargeTransport(Classic):
    name = "fixed_charge_transport"
    kind = "milp"
    description = "Transportation where using a route has a fixed charge (big-M link on each route)."
    styles = ("table", "sentences")

    def build(self, rng: random.Random, level: Level, template: str) -> Out:
        ns = size(rng, level, (2, 2), (2, 3), (3, 4))
        nd = size(rng, level, (2, 3), (3, 4), (4, 6))
        names = R.place_names(rng, ns + nd)
        src, dst = names[:ns], names[ns:]
        demand = vec(dst, lambda c: rng.randint(2, 10) * 10)
        tot = sum(demand.values())
        supply = vec(src, lambda s: R.nice(tot * rng.uniform(0.6, 1.0), "up"))
        while sum(supply.values()) < tot:
            supply = {k: v + 10 for k, v in supply.items()}
        cost = mat(src, dst, lambda a, b: rng.randint(1, 10))
        fixed = mat(src, dst, lambda a, b: rng.randint(5, 40) * 10)
        form = {
            "sets": {"Sources": src, "Destinations": dst},
            "parameters": {"supply": {"index": ["Sources"], "values": supply},
                           "demand": {"index": ["Destinations"], "values": demand},
                           "cost": {"index": ["Sources", "Destinations"], "values": cost},
                           "fixed": {"index": ["Sources", "Destinations"], "values": fixed}},
            "variables": {"ship": {"index": ["Sources", "Destinations"], "domain": "nonnegative_reals"},
                          "use": {"index": ["Sources", "Destinations"], "domain": "binary"}},
            "objective": {"sense": "minimize", "expr": "sum(cost[s, d] * ship[s, d] + fixed[s, d] * use[s, d] "
                                                       "for s in Sources for d in Destinations)"},
            "constraints": {
                "supply_limit": {"forall": "s in Sources", "expr": "sum(ship[s, d] for d in Destinations) <= supply[s]"},
                "demand_met": {"forall": "d in Destinations", "expr": "sum(ship[s, d] for s in Sources) >= demand[d]"},
                "route_open": {"forall": "s in Sources, d in Destinations", "expr": "ship[s, d] <= demand[d] * use[s, d]"}},
        }
        t1 = matrix_text(rng, template, src, dst, cost, "Unit cost", lambda r, items: f"Unit costs from {r}: {items}.")
        t2 = matrix_text(rng, template, src, dst, fixed, "Fixed charge",
                         lambda r, items: f"Fixed charges for routes from {r}: {items}.")
        text = (f"Quarries in {R.join_and(src)} (supplies " + listing(rng, src, supply) + " tons) deliver to sites "
                f"in {R.join_and(dst)} (needs " + listing(rng, dst, demand) + " tons). A route carries a per-ton cost "
                "and a fixed charge paid once if it is used at all.\n" + t1 + "\n" + t2 + "\n"
                + question(rng, "minimize", "the total cost"))
        return form, text, {}


class GeneralizedAssignment(Classic):
    name = "generalized_assignment"
    kind = "ip"
    description = "Assign jobs to agents with capacity; each job's resource use depends on the agent."
    styles = ("table", "sentences")

    def build(self, rng: random.Random, level: Level, template: str) -> Out:
        na = size(rng, level, (2, 2), (3, 3), (4, 5))
        nj = size(rng, level, (4, 5), (6, 9), (10, 15))
        agents = [f"M{i + 1}" for i in range(na)]
        jobs = [f"J{j + 1}" for j in range(nj)]
        use = mat(jobs, agents, lambda j, a: rng.randint(2, 12))
        cost = mat(jobs, agents, lambda j, a: rng.randint(5, 40))
        x0 = {j: rng.choice(agents) for j in jobs}
        load = {a: sum(use[j][a] for j in jobs if x0[j] == a) for a in agents}
        capv = vec(agents, lambda a: max(12, math.ceil(load[str(a)] * rng.uniform(1.0, 1.3))))
        form = {
            "sets": {"Jobs": jobs, "Machines": agents},
            "parameters": {"use": {"index": ["Jobs", "Machines"], "values": use},
                           "cost": {"index": ["Jobs", "Machines"], "values": cost},
                           "cap": {"index": ["Machines"], "values": capv}},
            "variables": {"x": {"index": ["Jobs", "Machines"], "domain": "binary"}},
            "objective": {"sense": "minimize", "expr": "sum(cost[j, m] * x[j, m] for j in Jobs for m in Machines)"},
            "constraints": {
                "assign": {"forall": "j in Jobs", "expr": "sum(x[j, m] for m in Machines) == 1"},
                "capacity": {"forall": "m in Machines", "expr": "sum(use[j, m] * x[j, m] for j in Jobs) <= cap[m]"}},
        }
        t1 = matrix_text(rng, template, jobs, agents, use, "Hours", lambda r, items: f"Job {r} takes {items} hours.")
        t2 = matrix_text(rng, template, jobs, agents, cost, "Cost", lambda r, items: f"Job {r} costs ${items}.")
        text = (f"Each of {nj} jobs must run on exactly one of the machines {R.join_and(agents)}, whose available "
                "hours are " + listing(rng, agents, capv) + ". Processing hours:\n" + t1 + "\nCosts ($):\n" + t2 + "\n"
                + question(rng, "minimize", "the total cost"))
        return form, text, {}


class ParallelMachines(Classic):
    name = "parallel_machines"
    kind = "milp"
    description = "Schedule jobs on identical parallel machines to minimise the makespan."
    styles = ("table", "sentences")

    def build(self, rng: random.Random, level: Level, template: str) -> Out:
        nm = size(rng, level, (2, 2), (2, 3), (3, 4))
        nj = size(rng, level, (4, 5), (6, 8), (9, 13))
        jobs = [f"job{j + 1}" for j in range(nj)]
        machines = list(range(1, nm + 1))
        dur = vec(jobs, lambda j: rng.randint(1, 20))
        form = {
            "sets": {"Jobs": jobs, "Machines": {"range": [1, nm]}},
            "parameters": {"dur": {"index": ["Jobs"], "values": dur}},
            "variables": {"x": {"index": ["Jobs", "Machines"], "domain": "binary"},
                          "makespan": {"domain": "nonnegative_reals"}},
            "objective": {"sense": "minimize", "expr": "makespan"},
            "constraints": {
                "assign": {"forall": "j in Jobs", "expr": "sum(x[j, m] for m in Machines) == 1"},
                "load": {"forall": "m in Machines", "expr": "sum(dur[j] * x[j, m] for j in Jobs) <= makespan"}},
        }
        _ = machines
        if template == "table":
            data = md_table(["Job", "Hours"], [[j, dur[j]] for j in jobs]) + "\n"
        else:
            data = "Processing times in hours are " + listing(rng, jobs, dur) + ". "
        text = (f"A print shop has {nm} identical printers and {nj} jobs, each run entirely on one printer. " + data
                + question(rng, "minimize", "the time at which the last printer finishes"))
        return form, text, {}


CLASSIC_MIP = (Assignment(), FacilityLocation(), LotSizing(), WorkforceShifts(), CuttingStock(), Knapsack(),
               MultiKnapsack(), SetCover(), MaxCoverage(), BinPacking(), TSP(), PMedian(), CapitalBudgeting(),
               FixedChargeTransport(), GeneralizedAssignment(), ParallelMachines())
