"""Build-and-solve overhead: optsolve (Formulation JSON -> compile_model -> direct HiGHS) against the same
model written directly in Pyomo (+ appsi HiGHS) and directly in highspy with numpy arrays.

    python benchmarks/bench_build_solve.py [--reps 3] [--sources 100] [--sinks 1000] [--assign 150]

For each model and approach: the median total wall time (JSON text to solution for optsolve; model
construction to solution for the others), the median HiGHS run time inside it, and the overhead ratio
total / HiGHS time. Every approach must reach the same optimum (checked). Random data from a fixed seed.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from optsolve.formulation import compile_model, load_formulation
from optsolve.solvers.highs_backend import HighsBackend, new_highs
from optsolve.solvers.result import SolveOptions, Status

# --- data ------------------------------------------------------------------------------------------

def transport_data(m: int, n: int, seed: int = 0) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    demand = rng.integers(10, 100, n)
    supply = rng.integers(10, 100, m).astype(float)
    supply *= demand.sum() * 1.1 / supply.sum()  # 10 % slack: feasible
    cost = rng.integers(1, 1000, (m, n))
    return {"supply": np.round(supply, 3), "demand": demand, "cost": cost}


def transport_json(d: dict[str, Any]) -> str:
    m, n = d["cost"].shape
    f = {
        "name": "transportation",
        "sets": {"I": {"range": [1, m]}, "J": {"range": [1, n]}},
        "parameters": {
            "supply": {"index": ["I"], "values": d["supply"].tolist()},
            "demand": {"index": ["J"], "values": d["demand"].tolist()},
            "cost": {"index": ["I", "J"], "values": d["cost"].tolist()},
        },
        "variables": {"x": {"index": ["I", "J"], "domain": "nonnegative_reals"}},
        "objective": {"sense": "minimize", "expr": "sum(cost[i, j] * x[i, j] for i in I for j in J)"},
        "constraints": {
            "supply_cap": {"forall": "i in I", "expr": "sum(x[i, j] for j in J) <= supply[i]"},
            "demand_met": {"forall": "j in J", "expr": "sum(x[i, j] for i in I) >= demand[j]"},
        },
    }
    return json.dumps(f)


def assignment_data(n: int, seed: int = 1) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    return {"cost": rng.integers(1, 1000, (n, n))}


def assignment_json(d: dict[str, Any]) -> str:
    n = d["cost"].shape[0]
    f = {
        "name": "assignment",
        "sets": {"W": {"range": [1, n]}, "T": {"range": [1, n]}},
        "parameters": {"cost": {"index": ["W", "T"], "values": d["cost"].tolist()}},
        "variables": {"x": {"index": ["W", "T"], "domain": "binary"}},
        "objective": {"sense": "minimize", "expr": "sum(cost[w, t] * x[w, t] for w in W for t in T)"},
        "constraints": {
            "one_task": {"forall": "w in W", "expr": "sum(x[w, t] for t in T) == 1"},
            "one_worker": {"forall": "t in T", "expr": "sum(x[w, t] for w in W) == 1"},
        },
    }
    return json.dumps(f)


# --- approaches: each returns (objective, highs seconds) ------------------------------------------

def ours(text: str) -> tuple[float, float]:
    gm = compile_model(load_formulation(text))
    raw = HighsBackend().solve(gm, SolveOptions())
    assert raw.status is Status.OPTIMAL, raw.status
    return float(raw.objective or 0.0), float(raw.solver_seconds or 0.0)


def ours_full(text: str) -> tuple[float, float]:
    """The public entry point: also maps the values back to the user's names (name -> {"i,j": v})."""
    from optsolve.solvers import solve

    res = solve(text, solver="highs")
    assert res.status is Status.OPTIMAL, res.status
    return float(res.objective or 0.0), float(res.solver_seconds or 0.0)


def direct_highspy(kind: str, d: dict[str, Any]) -> tuple[float, float]:
    import highspy

    cost = d["cost"].astype(float)
    m, n = cost.shape
    nv = m * n
    # rows: m "row sums" (x[i, :]) then n "column sums" (x[:, j]); column-wise: x[i,j] is in rows i, m+j
    a_start = np.arange(0, 2 * nv + 1, 2, dtype=np.int32)[:-1]
    ii, jj = np.divmod(np.arange(nv), n)
    a_index = np.empty(2 * nv, dtype=np.int32)
    a_index[0::2] = ii
    a_index[1::2] = m + jj
    a_value = np.ones(2 * nv)
    inf = highspy.kHighsInf
    if kind == "transport":
        row_lo = np.concatenate([np.full(m, -inf), d["demand"].astype(float)])
        row_hi = np.concatenate([d["supply"].astype(float), np.full(n, inf)])
        ub = np.full(nv, inf)
        integrality = np.zeros(nv, dtype=np.int32)
    else:
        row_lo = row_hi = np.ones(m + n)
        ub = np.ones(nv)
        integrality = np.ones(nv, dtype=np.int32)
    h = new_highs()
    h.passModel(nv, m + n, 2 * nv, int(highspy.MatrixFormat.kColwise), int(highspy.ObjSense.kMinimize), 0.0,
                cost.ravel(), np.zeros(nv), ub, row_lo, row_hi, a_start, a_index, a_value, integrality)
    h.run()
    assert h.getModelStatus() == highspy.HighsModelStatus.kOptimal
    return float(h.getInfo().objective_function_value), float(h.getRunTime())


def direct_pyomo(kind: str, d: dict[str, Any]) -> tuple[float, float]:
    import pyomo.environ as pyo
    from pyomo.contrib.appsi.solvers import Highs as AppsiHighs

    cost = d["cost"]
    m, n = cost.shape
    model = pyo.ConcreteModel()
    model.I = pyo.RangeSet(1, m)
    model.J = pyo.RangeSet(1, n)
    model.c = pyo.Param(model.I, model.J, initialize={(i + 1, j + 1): float(cost[i, j])
                                                        for i in range(m) for j in range(n)})
    if kind == "transport":
        model.s = pyo.Param(model.I, initialize={i + 1: float(v) for i, v in enumerate(d["supply"])})
        model.d = pyo.Param(model.J, initialize={j + 1: float(v) for j, v in enumerate(d["demand"])})
        model.x = pyo.Var(model.I, model.J, domain=pyo.NonNegativeReals)
        model.sup = pyo.Constraint(model.I, rule=lambda mm, i: sum(mm.x[i, j] for j in mm.J) <= mm.s[i])
        model.dem = pyo.Constraint(model.J, rule=lambda mm, j: sum(mm.x[i, j] for i in mm.I) >= mm.d[j])
    else:
        model.x = pyo.Var(model.I, model.J, domain=pyo.Binary)
        model.sup = pyo.Constraint(model.I, rule=lambda mm, i: sum(mm.x[i, j] for j in mm.J) == 1)
        model.dem = pyo.Constraint(model.J, rule=lambda mm, j: sum(mm.x[i, j] for i in mm.I) == 1)
    model.obj = pyo.Objective(expr=sum(model.c[i, j] * model.x[i, j] for i in model.I for j in model.J))
    new_highs()  # swallow the HiGHS banner once
    opt = AppsiHighs()
    res = opt.solve(model)
    assert str(res.termination_condition).endswith("optimal"), res.termination_condition
    highs_seconds = float(opt._solver_model.getRunTime())
    return float(pyo.value(model.obj)), highs_seconds


# --- driver ----------------------------------------------------------------------------------------

def measure(fn: Callable[[], tuple[float, float]], reps: int) -> tuple[float, float, float]:
    totals, solver = [], []
    obj = float("nan")
    for _ in range(reps):
        t0 = time.perf_counter()
        obj, s = fn()
        totals.append(time.perf_counter() - t0)
        solver.append(s)
    return statistics.median(totals), statistics.median(solver), obj


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--sources", type=int, default=100)
    ap.add_argument("--sinks", type=int, default=1000)
    ap.add_argument("--assign", type=int, default=150)
    ap.add_argument("--skip-pyomo", action="store_true", help="leave out the (slow) direct Pyomo column")
    args = ap.parse_args(argv)

    cases = []
    td = transport_data(args.sources, args.sinks)
    cases.append((f"transportation LP {args.sources}x{args.sinks} ({args.sources * args.sinks:,} vars)",
                  "transport", td, transport_json(td)))
    ad = assignment_data(args.assign)
    cases.append((f"assignment MILP {args.assign}x{args.assign} ({args.assign ** 2:,} binaries)",
                  "assign", ad, assignment_json(ad)))

    rows = []
    for title, kind, data, text in cases:
        results = {
            "optsolve (JSON -> compile -> highs)": measure(lambda text=text: ours(text), args.reps),
            "optsolve solve() (+ results by name)": measure(lambda text=text: ours_full(text), args.reps),
            "highspy direct (numpy arrays)": measure(lambda kind=kind, data=data: direct_highspy(kind, data),
                                                     args.reps),
        }
        if not args.skip_pyomo:
            results["Pyomo direct (+ appsi HiGHS)"] = measure(
                lambda kind=kind, data=data: direct_pyomo(kind, data), args.reps)
        objs = [r[2] for r in results.values()]
        assert max(objs) - min(objs) <= 1e-6 * max(1.0, abs(objs[0])), f"optima differ: {objs}"
        for name, (total, solver, obj) in results.items():
            rows.append((title, name, total, solver, total / solver if solver > 0 else float("inf"), obj))

    print(f"medians over {args.reps} repetitions")
    print()
    print("| model | approach | total s | HiGHS run s | ratio total/HiGHS | objective |")
    print("|---|---|---:|---:|---:|---:|")
    for title, name, total, solver, ratio, obj in rows:
        print(f"| {title} | {name} | {total:.3f} | {solver:.3f} | {ratio:.2f} | {obj:.6g} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
