"""Cost and effect of CP-SAT's LP screen (``optsolve/solvers/cpsat_backend.py``, ``lp_screen``).

Two measurements, both on CP-SAT with unbounded integer variables (the case the screen runs for):

* **cost**: a small feasible logic model (three rows and one disjunction over four unbounded integers):
  the median wall time of the screen alone and of the whole ``CpSatBackend.solve`` (screen included),
  over ``--repeat`` runs.
* **effect**: the infeasible 6-row cycle a fine-tuned embedded model wrote (``b >= 3m + o + a >= 3b`` with
  two lower bounds): solved with the screen, and, with ``--unscreened``, by CP-SAT alone in a child
  process under a ``--limit-gb`` address-space limit (it allocated 22 GB unconstrained in session 28).

Usage::

    python benchmarks/bench_lp_screen.py [--repeat 30] [--unscreened] [--limit-gb 3]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time

from optsolve.formulation import compile_model, load_formulation
from optsolve.solvers.cpsat_backend import CpSatBackend, lp_screen
from optsolve.solvers.logic_util import hard_indices
from optsolve.solvers.result import SolveOptions

FEASIBLE = {"name": "mix", "variables": {k: {"domain": "nonnegative_integers"} for k in "abcd"},
            "constraints": {"c1": {"expr": "3 * a + 2 * b + c >= 20"}, "c2": {"expr": "a + b + c + d <= 40"},
                            "e": {"expr": "(a >= 3) or (b >= 4)"}},
            "objective": {"sense": "minimize", "expr": "5 * a + 4 * b + 3 * c + d"}}
CYCLE = {"name": "cycle", "variables": {k: {"domain": "nonnegative_integers"} for k in ("m", "b", "o", "a")},
         "constraints": {"c1": {"expr": "9 * m + 18 * b + 9 * o + 48 * a >= 2000"},
                         "c2": {"expr": "14 * m + 37 * b + 15 * o + 2 * a >= 4000"},
                         "c3": {"expr": "m <= o"}, "cycle": {"expr": "b >= 3 * m + o + a >= 3 * b"}},
         "objective": {"sense": "minimize", "expr": "60 * m + 6 * b + 7 * o + 73 * a"}}

_CHILD = r'''
import json, resource, sys, time
lim = int(float(sys.argv[1]) * 2**30)
resource.setrlimit(resource.RLIMIT_AS, (lim, lim))
from ortools.sat.python import cp_model
from optsolve.formulation import compile_model, load_formulation
from optsolve.solvers.cpsat_backend import _Builder
b = _Builder(compile_model(load_formulation(json.loads(sys.argv[2]))))
b.build(with_assumptions=False)
s = cp_model.CpSolver(); s.parameters.num_workers = 1; s.parameters.max_time_in_seconds = 60
t = time.perf_counter()
try:
    print(s.status_name(s.solve(b.m)), round(time.perf_counter() - t, 2))
except MemoryError:
    print("MemoryError", round(time.perf_counter() - t, 2))
'''


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=30)
    ap.add_argument("--unscreened", action="store_true", help="also run CP-SAT alone on the cycle (in a child)")
    ap.add_argument("--limit-gb", type=float, default=3.0)
    a = ap.parse_args()
    backend, opts = CpSatBackend(), SolveOptions(seed=0)
    gm = compile_model(load_formulation(FEASIBLE))
    for _ in range(3):
        backend.solve(gm, opts)
    screen, whole = [], []
    for _ in range(a.repeat):
        t = time.perf_counter()
        lp_screen(gm, hard_indices(gm))
        screen.append(time.perf_counter() - t)
        t = time.perf_counter()
        backend.solve(gm, opts)
        whole.append(time.perf_counter() - t)
    print(f"feasible logic model: screen median {1000 * statistics.median(screen):.2f} ms, whole CP-SAT "
          f"solve median {1000 * statistics.median(whole):.2f} ms ({a.repeat} runs)")
    cyc = compile_model(load_formulation(CYCLE))
    t = time.perf_counter()
    raw = backend.solve(cyc, opts)
    print(f"infeasible cycle, screened: {raw.status.value} in {1000 * (time.perf_counter() - t):.1f} ms {raw.extra}")
    if a.unscreened:
        p = subprocess.run([sys.executable, "-c", _CHILD, str(a.limit_gb), json.dumps(CYCLE)],
                           capture_output=True, text=True, timeout=300)
        out = (p.stdout.strip().splitlines() or [p.stderr.strip().splitlines()[-1] if p.stderr.strip() else "?"])[-1]
        print(f"infeasible cycle, CP-SAT alone (1 worker, {a.limit_gb:g} GB limit): {out}")


if __name__ == "__main__":
    main()
