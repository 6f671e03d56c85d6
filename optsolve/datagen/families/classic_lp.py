"""Classic LP families with indexed sets and parameters: transportation, blending, network flows,
multi-period production planning, the diet table and project scheduling (CPM)."""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Any

from optsolve.datagen import realize as R
from optsolve.datagen.base import Level
from optsolve.datagen.families.common import Classic, listing, mat, matrix_text, md_table, question, size, vec

Out = tuple[dict[str, Any], str, dict[str, Any]]


class Transportation(Classic):
    name = "transportation"
    kind = "lp"
    description = "Ship from plants to customers: supplies, demands, unit costs; minimise shipping cost."
    styles = ("table", "sentences")

    def build(self, rng: random.Random, level: Level, template: str) -> Out:
        ns = size(rng, level, (2, 2), (3, 3), (4, 5))
        nd = size(rng, level, (2, 3), (3, 4), (5, 7))
        cities = R.place_names(rng, ns + nd)
        plants, stores = cities[:ns], cities[ns:]
        good = R.pick(rng, ("tons of steel", "crates of apples", "pallets", "truckloads of gravel", "units"))
        demand = {s: rng.randint(2, 12) * 10 for s in stores}
        tot = sum(demand.values())
        w = [rng.uniform(0.5, 1.5) for _ in plants]
        supply = {p: int(R.nice(tot * 1.25 * wi / sum(w) + 10, "up")) for p, wi in zip(plants, w)}
        cost = mat(plants, stores, lambda a, b: rng.randint(2, 25))
        integer = good in ("pallets", "truckloads of gravel")
        form = {
            "sets": {"Plants": plants, "Customers": stores},
            "parameters": {"supply": {"index": ["Plants"], "values": supply},
                           "demand": {"index": ["Customers"], "values": demand},
                           "cost": {"index": ["Plants", "Customers"], "values": cost}},
            "variables": {"ship": {"index": ["Plants", "Customers"],
                                   "domain": "nonnegative_integers" if integer else "nonnegative_reals"}},
            "objective": {"sense": "minimize", "expr": "sum(cost[p, c] * ship[p, c] for p in Plants for c in Customers)"},
            "constraints": {
                "supply_limit": {"forall": "p in Plants", "expr": "sum(ship[p, c] for c in Customers) <= supply[p]"},
                "demand_met": {"forall": "c in Customers", "expr": "sum(ship[p, c] for p in Plants) >= demand[c]"}},
        }
        who = R.pick(rng, (R.company_name(rng), "A distributor", "A cooperative", "A manufacturer"))
        sup_txt = listing(rng, plants, supply)
        dem_txt = listing(rng, stores, demand)
        costs = matrix_text(rng, template, plants, stores, cost, "From \\ To",
                            lambda r, items: f"From {r}, the unit cost in dollars is {items}.")
        text = (f"{who} has {R.count_word(ns)} plants ({R.join_and(plants)}) that supply {good} to "
                f"{R.count_word(nd)} customers ({R.join_and(stores)}). Plant capacities are {sup_txt}; customer "
                f"demands, which must be met, are {dem_txt}. "
                + ("Unit shipping costs (in dollars) are:\n" + costs + "\n" if template == "table" else costs + " ")
                + question(rng, "minimize", "the total shipping cost"))
        return form, text, {"plants": plants, "customers": stores}


class Blending(Classic):
    name = "blending"
    kind = "lp"
    description = "Blend raw materials so that each component's share lies in a band; minimise cost."
    styles = ("table", "sentences")

    def build(self, rng: random.Random, level: Level, template: str) -> Out:
        story = R.pick(rng, (("alloy", ["scrap A", "scrap B", "iron ore", "pig iron", "recycled steel", "nickel ore"],
                              ["carbon", "chromium", "nickel", "manganese"], "tons"),
                             ("animal feed", ["corn", "soy meal", "oats", "fish meal", "barley", "wheat bran"],
                              ["protein", "fat", "fiber", "calcium"], "kg"),
                             ("fuel", ["crude 1", "crude 2", "crude 3", "crude 4", "reformate", "naphtha"],
                              ["sulfur", "octane additive", "aromatics", "benzene"], "barrels")))
        prod, inputs, comps, unit = story
        ni = size(rng, level, (2, 3), (3, 4), (5, 6))
        nk = size(rng, level, (1, 2), (2, 3), (3, 4))
        ins = rng.sample(inputs, ni)
        ks = rng.sample(comps, nk)
        content = mat(ins, ks, lambda i, k: rng.randint(1, 40))
        costs = vec(ins, lambda i: rng.randint(20, 120))
        amount = R.pick(rng, (100, 200, 500, 1000))
        w = {i: rng.uniform(0.2, 1.0) for i in ins}
        x0 = {i: amount * w[i] / sum(w.values()) for i in ins}
        share = {k: sum(content[i][k] * x0[i] for i in ins) / amount for k in ks}
        lo = {k: max(0, int(share[k] - rng.uniform(1, 5))) for k in ks}
        hi = {k: int(share[k] + rng.uniform(1, 5)) + 1 for k in ks}
        avail = {i: R.nice(x0[i] * rng.uniform(1.2, 2.5), "up") for i in ins}
        I_, K_ = "Inputs", "Components"
        form = {
            "sets": {I_: ins, K_: ks},
            "parameters": {"cost": {"index": [I_], "values": costs},
                           "avail": {"index": [I_], "values": vec(ins, lambda i: avail[str(i)])},
                           "content": {"index": [I_, K_],
                                       "values": {i: {k: R.clean(content[i][k] / 100) for k in ks} for i in ins}},
                           "min_share": {"index": [K_], "values": {k: R.clean(lo[k] / 100) for k in ks}},
                           "max_share": {"index": [K_], "values": {k: R.clean(hi[k] / 100) for k in ks}},
                           "amount": amount},
            "variables": {"use": {"index": [I_], "domain": "nonnegative_reals"}},
            "objective": {"sense": "minimize", "expr": f"sum(cost[i] * use[i] for i in {I_})"},
            "constraints": {
                "total": {"expr": f"sum(use[i] for i in {I_}) == amount"},
                "availability": {"forall": f"i in {I_}", "expr": "use[i] <= avail[i]"},
                "min_content": {"forall": f"k in {K_}",
                                "expr": f"sum(content[i, k] * use[i] for i in {I_}) >= min_share[k] * amount"},
                "max_content": {"forall": f"k in {K_}",
                                "expr": f"sum(content[i, k] * use[i] for i in {I_}) <= max_share[k] * amount"}},
        }
        if template == "table":
            data = md_table(["Input", "Cost ($ per " + unit[:-1] + ")", "Available", *ks],
                            [[i, costs[i], avail[i], *[f"{content[i][k]}%" for k in ks]] for i in ins])
        else:
            data = " ".join(f"{R.cap(i)} costs ${R.num(costs[i])} per {unit[:-1]}, {R.num(avail[i])} {unit} are "
                            f"available, and it contains " + R.join_and([f"{content[i][k]}% {k}" for k in ks]) + "."
                            for i in ins)
        bands = R.join_and([f"between {lo[k]}% and {hi[k]}% {k}" for k in ks])
        text = (f"A plant must produce exactly {amount} {unit} of {prod} by blending {R.join_and(ins)}.\n"
                + (data + "\n" if template == "table" else data + " ")
                + f"The {prod} must contain {bands}. " + question(rng, "minimize", "the cost of the blend"))
        return form, text, {"inputs": ins, "components": ks}


def _graph(rng: random.Random, n: int, extra: int) -> tuple[list[str], list[tuple[str, str]]]:
    nodes = [f"N{i}" for i in range(1, n + 1)]
    arcs = {(nodes[i], nodes[i + 1]) for i in range(n - 1)}
    while len(arcs) < n - 1 + extra:
        a, b = rng.sample(range(n), 2)
        if a > b and rng.random() < 0.7:
            a, b = b, a
        arcs.add((nodes[a], nodes[b]))
    return nodes, sorted(arcs, key=lambda t: (int(t[0][1:]), int(t[1][1:])))


def _arc_text(rng: random.Random, template: str, arcs: list[tuple[str, str]], cols: list[tuple[str, dict[Any, Any]]]
              ) -> str:
    if template == "table":
        return md_table(["From", "To", *[c for c, _ in cols]], [[a, b, *[d[(a, b)] for _, d in cols]] for a, b in arcs])
    return " ".join(f"Arc {a}->{b}: " + ", ".join(f"{c.lower()} {R.num(d[(a, b)])}" for c, d in cols) + "."
                    for a, b in arcs)


def _sparse(arcs: list[tuple[str, str]], d: Mapping[tuple[str, str], float]) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    for a, b in arcs:
        out.setdefault(a, {})[b] = R.clean(d[(a, b)])
    return out


class MinCostFlow(Classic):
    name = "min_cost_flow"
    kind = "lp"
    description = "Send supplies to demands through a capacitated network at minimum cost."
    styles = ("table", "arc_list")

    def build(self, rng: random.Random, level: Level, template: str) -> Out:
        n = size(rng, level, (4, 5), (6, 8), (9, 12))
        nodes, arcs = _graph(rng, n, size(rng, level, (2, 3), (4, 7), (8, 14)))
        total = rng.randint(3, 10) * 10
        src, snk = nodes[0], nodes[-1]
        mids = nodes[1:-1]
        supply = {v: 0 for v in nodes}
        supply[src] = total
        dem_nodes = [snk, *rng.sample(mids, min(len(mids), 1 if level == "easy" else 2))]
        share = [rng.randint(1, 3) for _ in dem_nodes]
        left = total
        for i, v in enumerate(dem_nodes):
            q = left if i == len(dem_nodes) - 1 else total * share[i] // sum(share)
            supply[v] -= q
            left -= q
        cap = {a: (total if int(a[1][1:]) == int(a[0][1:]) + 1 else rng.randint(1, 6) * 10) for a in arcs}
        cost = {a: rng.randint(1, 15) for a in arcs}
        form = {
            "sets": {"Nodes": nodes},
            "parameters": {"supply": {"index": ["Nodes"], "values": {src: total}, "default": 0},
                           "demand": {"index": ["Nodes"], "values": {v: -supply[v] for v in dem_nodes}, "default": 0},
                           "cap": {"index": ["Nodes", "Nodes"], "values": _sparse(arcs, cap), "default": 0},
                           "cost": {"index": ["Nodes", "Nodes"], "values": _sparse(arcs, cost), "default": 0}},
            "variables": {"flow": {"index": ["Nodes", "Nodes"], "domain": "nonnegative_reals"}},
            "objective": {"sense": "minimize", "expr": "sum(cost[i, j] * flow[i, j] for i in Nodes for j in Nodes)"},
            "constraints": {
                "capacity": {"forall": "i in Nodes, j in Nodes", "expr": "flow[i, j] <= cap[i, j]"},
                "balance": {"forall": "n in Nodes", "expr": "sum(flow[n, j] for j in Nodes) - sum(flow[i, n] for i in "
                                                            "Nodes) == supply[n] - demand[n]"}},
        }
        dem = R.join_and([f"{-supply[v]} units at {v}" for v in dem_nodes])
        text = (f"A network has nodes {R.join_and(nodes)}. Node {src} supplies {total} units of goods, which must "
                f"arrive as {dem}; the other nodes only pass flow on. Shipments can only use these arcs "
                f"(capacity in units, cost in dollars per unit):\n" + _arc_text(rng, template, arcs,
                                                                               [("Capacity", cap), ("Cost", cost)])
                + "\n" + question(rng, "minimize", "the total transportation cost"))
        return form, text, {"nodes": nodes}


class MaxFlow(Classic):
    name = "max_flow"
    kind = "lp"
    description = "Maximum flow from a source to a sink through capacitated pipes or roads."
    styles = ("table", "arc_list")

    def build(self, rng: random.Random, level: Level, template: str) -> Out:
        n = size(rng, level, (4, 5), (6, 8), (9, 12))
        nodes, arcs = _graph(rng, n, size(rng, level, (2, 4), (5, 8), (9, 15)))
        cap = {a: rng.randint(2, 20) * 5 for a in arcs}
        s, t = nodes[0], nodes[-1]
        what = R.pick(rng, (("pipes", "liters of water per minute"), ("roads", "vehicles per hour"),
                            ("links", "gigabits per second")))
        form = {
            "sets": {"Nodes": nodes},
            "parameters": {"cap": {"index": ["Nodes", "Nodes"], "values": _sparse(arcs, cap), "default": 0}},
            "variables": {"flow": {"index": ["Nodes", "Nodes"], "domain": "nonnegative_reals"}},
            "objective": {"sense": "maximize",
                          "expr": f"sum(flow['{s}', j] for j in Nodes) - sum(flow[i, '{s}'] for i in Nodes)"},
            "constraints": {
                "capacity": {"forall": "i in Nodes, j in Nodes", "expr": "flow[i, j] <= cap[i, j]"},
                "conservation": {"forall": f"n in Nodes if n != '{s}' and n != '{t}'",
                                 "expr": "sum(flow[i, n] for i in Nodes) == sum(flow[n, j] for j in Nodes)"}},
        }
        text = (f"A system of {what[0]} connects points {R.join_and(nodes)}. The capacities, in {what[1]}, of the "
                f"{what[0]} that exist are:\n" + _arc_text(rng, template, arcs, [("Capacity", cap)]) + "\n"
                + question(rng, "maximize", f"the flow from {s} to {t}"))
        return form, text, {"source": s, "sink": t}


class ShortestPath(Classic):
    name = "shortest_path"
    kind = "lp"
    description = "Shortest route between two places over a road network (flow formulation)."
    styles = ("table", "arc_list")

    def build(self, rng: random.Random, level: Level, template: str) -> Out:
        n = size(rng, level, (4, 5), (6, 8), (9, 12))
        nodes, arcs = _graph(rng, n, size(rng, level, (2, 4), (5, 9), (10, 16)))
        places = R.place_names(rng, n)
        ren = dict(zip(nodes, places))
        arcs = [(ren[a], ren[b]) for a, b in arcs]
        length = {a: rng.randint(2, 30) for a in arcs}
        s, t = places[0], places[-1]
        form: dict[str, Any] = {
            "sets": {"Places": places},
            "parameters": {"dist": {"index": ["Places", "Places"], "values": _sparse(arcs, length), "default": 0},
                           "road": {"index": ["Places", "Places"], "values": _sparse(arcs, {a: 1 for a in arcs}),
                                    "default": 0}},
            "variables": {"use": {"index": ["Places", "Places"], "domain": "nonnegative_reals"}},
            "objective": {"sense": "minimize", "expr": "sum(dist[i, j] * use[i, j] for i in Places for j in Places)"},
            "constraints": {
                "only_roads": {"forall": "i in Places, j in Places", "expr": "use[i, j] <= road[i, j]"},
                "flow": {"forall": "n in Places",
                         "expr": f"sum(use[n, j] for j in Places) - sum(use[i, n] for i in Places) == "
                                 f"(1 if n == '{s}' else 0) - (1 if n == '{t}' else 0)"}},
        }
        # conditional expressions are outside the expression language: write the balance per role instead
        form["constraints"]["flow"] = {"forall": f"n in Places if n != '{s}' and n != '{t}'",
                                       "expr": "sum(use[n, j] for j in Places) == sum(use[i, n] for i in Places)"}
        form["constraints"]["leave_start"] = {"expr": f"sum(use['{s}', j] for j in Places) - "
                                                      f"sum(use[i, '{s}'] for i in Places) == 1"}
        form["constraints"]["reach_end"] = {"expr": f"sum(use[i, '{t}'] for i in Places) - "
                                                    f"sum(use['{t}', j] for j in Places) == 1"}
        text = (f"A courier must drive from {s} to {t}. The one-way roads and their lengths in km are:\n"
                + _arc_text(rng, template, arcs, [("Km", length)]) + "\n"
                + question(rng, "minimize", "the distance driven"))
        return form, text, {"start": s, "end": t}


class ProductionPlanning(Classic):
    name = "production_planning"
    kind = "lp"
    description = "Multi-period production with inventory carried over (inv[p, t - 1]) and capacity."
    styles = ("table", "sentences")

    def build(self, rng: random.Random, level: Level, template: str) -> Out:
        np_ = size(rng, level, (1, 2), (2, 3), (3, 4))
        nt = size(rng, level, (3, 4), (4, 6), (6, 12))
        prods = rng.sample(["widgets", "gears", "valves", "panels", "pumps", "motors", "brackets"], np_)
        T = list(range(1, nt + 1))
        hours = vec(prods, lambda p: rng.choice((0.5, 1, 1.5, 2, 3)))
        demand = {p: {str(t): rng.randint(2, 12) * 10 for t in T} for p in prods}
        load = [sum(hours[p] * demand[p][str(t)] for p in prods) for t in T]
        capacity = R.nice(max(sum(load) / nt * 1.15, max(load) * 0.8), "up")
        pcost = vec(prods, lambda p: rng.randint(5, 40))
        hcost = vec(prods, lambda p: rng.choice((0.5, 1, 1.5, 2, 3)))
        init = vec(prods, lambda p: rng.choice((0, 0, 10, 20)))
        # feasibility: cumulative capacity must cover cumulative demand in every prefix
        cum_need = 0.0
        for i, t in enumerate(T):
            cum_need += sum(hours[p] * max(0, demand[p][str(t)]) for p in prods)
            if cum_need - sum(hours[p] * init[p] for p in prods) > capacity * (i + 1):
                capacity = R.nice((cum_need - sum(hours[p] * init[p] for p in prods)) / (i + 1), "up")
        form = {
            "sets": {"Products": prods, "Periods": {"range": [1, nt]}},
            "parameters": {"demand": {"index": ["Products", "Periods"], "values": demand},
                           "hours": {"index": ["Products"], "values": hours}, "capacity": capacity,
                           "prod_cost": {"index": ["Products"], "values": pcost},
                           "hold_cost": {"index": ["Products"], "values": hcost},
                           "init": {"index": ["Products"], "values": init}},
            "variables": {"make": {"index": ["Products", "Periods"], "domain": "nonnegative_reals"},
                          "inv": {"index": ["Products", "Periods"], "domain": "nonnegative_reals"}},
            "objective": {"sense": "minimize", "expr": "sum(prod_cost[p] * make[p, t] + hold_cost[p] * inv[p, t] "
                                                       "for p in Products for t in Periods)"},
            "constraints": {
                "first_period": {"forall": "p in Products, t in Periods if t == 1",
                                 "expr": "inv[p, t] == init[p] + make[p, t] - demand[p, t]"},
                "balance": {"forall": "p in Products, t in Periods if t > 1",
                            "expr": "inv[p, t] == inv[p, t - 1] + make[p, t] - demand[p, t]"},
                "capacity_limit": {"forall": "t in Periods", "expr": "sum(hours[p] * make[p, t] for p in Products) "
                                                                     "<= capacity"}},
        }
        per = R.pick(rng, ("month", "week", "quarter"))
        if template == "table":
            dtxt = md_table([f"{R.cap(per)}", *prods], [[t, *[demand[p][str(t)] for p in prods]] for t in T])
            dtxt = "Demand per " + per + ":\n" + dtxt + "\n"
        else:
            dtxt = " ".join(f"Demand for {p} over the {nt} {per}s is {', '.join(str(demand[p][str(t)]) for t in T)}."
                            for p in prods) + " "
        text = (f"A factory plans production of {R.join_and(prods)} for the next {nt} {per}s. " + dtxt
                + f"Each {per} it has {R.num(capacity)} machine hours. "
                + " ".join(f"One unit of {p} needs {R.num(hours[p])} machine hours and costs ${R.num(pcost[p])} to "
                           f"make; keeping one in stock from one {per} to the next costs ${R.num(hcost[p])}; there "
                           f"are {R.num(init[p])} in stock at the start." for p in prods)
                + f" Holding cost is charged on the stock left at the end of each {per}. Demand must be met on time. "
                + question(rng, "minimize", "production plus holding cost"))
        return form, text, {"products": prods, "periods": nt}


class DietTable(Classic):
    name = "diet_table"
    kind = "lp"
    description = "Stigler-style diet over a food table: nutrient minimums, serving caps, minimum cost."
    styles = ("table", "sentences")

    FOODS = ("oatmeal", "chicken", "eggs", "milk", "bread", "beans", "rice", "spinach", "salmon", "yogurt",
             "peanut butter", "carrots", "apples", "lentils", "cheese", "tofu")
    NUTS = (("calories", "kcal", 50, 400), ("protein", "g", 1, 30), ("calcium", "mg", 10, 300),
            ("iron", "mg", 1, 8), ("vitamin C", "mg", 1, 60), ("fiber", "g", 1, 10))

    def build(self, rng: random.Random, level: Level, template: str) -> Out:
        nf = size(rng, level, (3, 4), (5, 7), (8, 12))
        nn = size(rng, level, (2, 3), (3, 4), (4, 6))
        foods = rng.sample(list(self.FOODS), nf)
        nuts = rng.sample(list(self.NUTS), nn)
        nn_names = [n[0] for n in nuts]
        content = {f: {n[0]: rng.randint(n[2], n[3]) for n in nuts} for f in foods}
        price = vec(foods, lambda f: rng.choice((0.3, 0.5, 0.8, 1, 1.2, 1.5, 2, 2.5, 3)))
        cap = rng.choice((3, 4, 5))
        x0 = {f: rng.uniform(0.5, cap) for f in foods}
        need = {n[0]: R.nice(sum(content[f][n[0]] * x0[f] for f in foods) * rng.uniform(0.6, 0.95), "down")
                for n in nuts}
        form = {
            "sets": {"Foods": foods, "Nutrients": nn_names},
            "parameters": {"price": {"index": ["Foods"], "values": price},
                           "content": {"index": ["Foods", "Nutrients"], "values": content},
                           "need": {"index": ["Nutrients"], "values": need}, "max_servings": cap},
            "variables": {"servings": {"index": ["Foods"], "domain": "nonnegative_reals", "ub": cap}},
            "objective": {"sense": "minimize", "expr": "sum(price[f] * servings[f] for f in Foods)"},
            "constraints": {"nutrition": {"forall": "n in Nutrients",
                                          "expr": "sum(content[f, n] * servings[f] for f in Foods) >= need[n]"}},
        }
        units = {n[0]: n[1] for n in nuts}
        if template == "table":
            data = md_table(["Food", "Price ($)", *[f"{n} ({units[n]})" for n in nn_names]],
                            [[f, price[f], *[content[f][n] for n in nn_names]] for f in foods]) + "\n"
        else:
            data = " ".join(f"A serving of {f} costs ${R.num(price[f])} and has "
                            + R.join_and([f"{content[f][n]} {units[n]} of {n}" for n in nn_names]) + "."
                            for f in foods) + " "
        text = ("A dietitian designs the cheapest daily menu from " + R.join_and(foods) + ". Per serving:\n"
                + data + "The menu must provide at least "
                + R.join_and([f"{R.num(need[n])} {units[n]} of {n}" for n in nn_names])
                + f", and no food may be served more than {cap} times a day. Fractional servings are fine. "
                + question(rng, "minimize", "the daily cost"))
        return form, text, {"foods": foods}


class ProjectScheduling(Classic):
    name = "project_scheduling"
    kind = "lp"
    description = "Critical path: start times respecting precedences; minimise the project duration."
    styles = ("table", "sentences")

    def build(self, rng: random.Random, level: Level, template: str) -> Out:
        n = size(rng, level, (4, 5), (6, 9), (10, 15))
        names = [chr(ord("A") + i) for i in range(n)]
        dur = vec(names, lambda t: rng.randint(1, 12))
        pre: dict[str, dict[str, int]] = {}
        preds: dict[str, list[str]] = {t: [] for t in names}
        for j in range(1, n):
            for i in rng.sample(range(j), min(j, rng.randint(1, 2))):
                pre.setdefault(names[i], {})[names[j]] = 1
                preds[names[j]].append(names[i])
        form = {
            "sets": {"Tasks": names},
            "parameters": {"dur": {"index": ["Tasks"], "values": dur},
                           "pred": {"index": ["Tasks", "Tasks"], "values": pre, "default": 0}},
            "variables": {"start": {"index": ["Tasks"], "domain": "nonnegative_reals"},
                          "makespan": {"domain": "nonnegative_reals"}},
            "objective": {"sense": "minimize", "expr": "makespan"},
            "constraints": {
                "precedence": {"forall": "i in Tasks, j in Tasks if pred[i, j] == 1",
                               "expr": "start[j] >= start[i] + dur[i]"},
                "finish": {"forall": "i in Tasks", "expr": "makespan >= start[i] + dur[i]"}},
        }
        proj = R.pick(rng, ("building a house", "launching a website", "an office move", "a product launch",
                            "renovating a kitchen"))
        if template == "table":
            data = md_table(["Task", "Duration (days)", "Predecessors"],
                            [[t, dur[t], ", ".join(sorted(preds[t])) or "-"] for t in names]) + "\n"
        else:
            data = " ".join(f"Task {t} takes {dur[t]} days" + (f" and can start only after {R.join_and(sorted(preds[t]))} "
                                                                f"{'is' if len(preds[t]) == 1 else 'are'} finished."
                                                                if preds[t] else ".") for t in names) + " "
        text = (f"A project ({proj}) consists of {n} tasks, {names[0]} to {names[-1]}. " + data
                + "Tasks may run in parallel when their predecessors are done. "
                + question(rng, "minimize", "the time to finish the whole project"))
        return form, text, {"tasks": names}


CLASSIC_LP = (Transportation(), Blending(), MinCostFlow(), MaxFlow(), ShortestPath(), ProductionPlanning(),
              DietTable(), ProjectScheduling())
