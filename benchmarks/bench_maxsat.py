"""PySAT (RC2) against CP-SAT on pure boolean models with soft constraints / objectives.

The issue asks for "PySAT (RC2) or CP-SAT, whichever is faster" for pure boolean models with soft
constraints. This runs both backends on the same grounded models (what routing would hand them), for
three families of growing size, and prints the median wall time of ``backend.solve`` (encoding
included) over several random instances, and checks that both reach the same optimum.

Families:

* ``maxsat``: random weighted partial MaxSAT: ``n`` booleans, ``2n`` hard random 3-clauses (satisfiable
  region), one soft unit clause per variable (weight 1..10) and ``n`` soft random 2-clauses (weight 1..5).
* ``maxsat3``: the same with ``n`` soft random 3-clauses instead of 2-clauses (harder for both).
* ``colour``: minimum colouring of a random graph G(n, d/n) with up to 8 colours, written as clauses
  (``not (x[u,k] and x[v,k])``, ``implies(x[v,k], used[k])``), an exactly-one per vertex and the
  objective ``min sum(used)``: logic plus a linear objective, as the formalizer would write it.

Usage::

    python benchmarks/bench_maxsat.py                      # default sizes, 5 instances each
    python benchmarks/bench_maxsat.py --family colour --sizes 20 40 --instances 3 --threads 1

``--threads`` sets CP-SAT's workers (default: the backend's default, 8); RC2 is single-threaded.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections.abc import Callable

from optsolve.formulation.ir import (
    And,
    BoolLit,
    Formula,
    GroundConstraint,
    GroundModel,
    GroundObjective,
    Implies,
    Lin,
    Not,
    Or,
    Rel,
    VarGroup,
    VarInfo,
)
from optsolve.solvers.base import get_backend
from optsolve.solvers.result import SolveOptions


def _model(name: str, vars_: list[VarInfo], cons: list[GroundConstraint], obj: GroundObjective | None,
           feats: set[str]) -> GroundModel:
    ids: dict[str, list[int]] = {}
    for i, v in enumerate(vars_):
        ids.setdefault(v.name, []).append(i)
    groups = {k: VarGroup(k, ("I",), lst) for k, lst in ids.items()}
    feats |= {"binary", "pure_boolean"} | ({"no_objective"} if obj is None else set())
    return GroundModel(name, vars_, cons, obj, groups, frozenset(feats))


def maxsat(n: int, seed: int, soft_width: int = 2) -> GroundModel:
    rng = random.Random(seed)
    vars_ = [VarInfo("x", (i,), "boolean", 0, 1) for i in range(n)]

    def clause(w: int) -> Or:
        return Or(tuple(BoolLit(v, rng.random() < 0.5) for v in rng.sample(range(n), w)))

    cons = [GroundConstraint("hard", (i,), clause(3)) for i in range(2 * n)]
    cons += [GroundConstraint("unit", (i,), BoolLit(i, rng.random() < 0.7), float(rng.randint(1, 10)))
             for i in range(n)]
    cons += [GroundConstraint("pair", (i,), clause(soft_width), float(rng.randint(1, 5))) for i in range(n)]
    return _model(f"maxsat{n}", vars_, cons, None, {"logic", "clausal", "soft"})


def maxsat3(n: int, seed: int) -> GroundModel:
    return maxsat(n, seed, soft_width=3)


def colour(n: int, seed: int, degree: float = 5.0, k: int = 8) -> GroundModel:
    rng = random.Random(seed)
    p = degree / n
    edges = [(u, v) for u in range(n) for v in range(u + 1, n) if rng.random() < p]
    vars_ = [VarInfo("x", (v, c), "binary", 0, 1) for v in range(n) for c in range(k)]
    used0 = len(vars_)
    vars_ += [VarInfo("used", (c,), "binary", 0, 1) for c in range(k)]

    def x(v: int, c: int) -> int:
        return v * k + c

    cons: list[GroundConstraint] = []
    for v in range(n):
        cons.append(GroundConstraint("one", (v,), Rel(Lin({x(v, c): 1.0 for c in range(k)}), "==", 1)))
        for c in range(k):
            cons.append(GroundConstraint("mark", (v, c), Implies(BoolLit(x(v, c)), BoolLit(used0 + c))))
    for u, v in edges:
        for c in range(k):
            f: Formula = Not(And((BoolLit(x(u, c)), BoolLit(x(v, c)))))
            cons.append(GroundConstraint("edge", (u, v, c), f))
    for c in range(k - 1):   # symmetry breaking: colours are used in order
        cons.append(GroundConstraint("order", (c,), Implies(BoolLit(used0 + c + 1), BoolLit(used0 + c))))
    obj = GroundObjective("minimize", Lin({used0 + c: 1.0 for c in range(k)}))
    return _model(f"colour{n}", vars_, cons, obj, {"logic", "linear"})


FAMILIES: dict[str, tuple[Callable[[int, int], GroundModel], list[int]]] = {
    "maxsat": (maxsat, [25, 50, 100, 150, 200]),
    "maxsat3": (maxsat3, [25, 50, 75, 100]),
    "colour": (colour, [20, 40, 80, 160]),
}


def run(family: str, sizes: list[int], instances: int, threads: int | None, time_limit: float) -> None:
    build, _ = FAMILIES[family]
    backends = {"pysat": get_backend("pysat"), "cpsat": get_backend("cpsat")}
    print(f"\n{family}: median seconds over {instances} instances (time limit {time_limit:g} s each)")
    print(f"{'n':>6} {'vars':>7} {'cons':>7} {'pysat/RC2':>11} {'cpsat':>11} {'faster':>8}  optima agree")
    for n in sizes:
        times: dict[str, list[float]] = {b: [] for b in backends}
        agree = True
        timeouts = {b: 0 for b in backends}
        gm = build(n, 0)
        for seed in range(instances):
            gm = build(n, seed)
            objs = {}
            for name, b in backends.items():
                opts = SolveOptions(time_limit=time_limit, seed=seed, explain=False,
                                    threads=threads if name == "cpsat" else None)
                t0 = time.perf_counter()
                r = b.solve(gm, opts)
                times[name].append(time.perf_counter() - t0)
                if r.status.value != "optimal":
                    timeouts[name] += 1
                objs[name] = r.objective if r.status.value == "optimal" else None
            if None not in objs.values() and abs((objs["pysat"] or 0) - (objs["cpsat"] or 0)) > 1e-6:
                agree = False
        med = {b: statistics.median(t) for b, t in times.items()}
        cell = {b: f"{med[b]:.3f}" + ("*" * min(timeouts[b], 3)) for b in backends}
        fast = "pysat" if med["pysat"] < med["cpsat"] else "cpsat"
        print(f"{n:>6} {gm.n_vars:>7} {gm.n_constraints:>7} {cell['pysat']:>11} {cell['cpsat']:>11} "
              f"{fast:>8}  {'yes' if agree else 'NO'}")
        sys.stdout.flush()
    print("(* = an instance stopped at the time limit; its time counts as the limit)")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--family", choices=[*FAMILIES, "all"], default="all")
    ap.add_argument("--sizes", type=int, nargs="*", help="override the family's sizes")
    ap.add_argument("--instances", type=int, default=5)
    ap.add_argument("--threads", type=int, default=None, help="CP-SAT workers (default 8, the backend default)")
    ap.add_argument("--time-limit", type=float, default=60.0)
    a = ap.parse_args(argv)
    fams = list(FAMILIES) if a.family == "all" else [a.family]
    for fam in fams:
        run(fam, a.sizes or FAMILIES[fam][1], a.instances, a.threads, a.time_limit)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
