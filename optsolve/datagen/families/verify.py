"""Measure the families: generate N instances per level, compile, solve, report optimal rates.

    python -m optsolve.datagen.families.verify [N] [FAMILY ...] [--time-limit S]

Prints one line per family (optimal count per level, mean complexity, slowest solve, backends) and the
total optimal rate. This is the command behind the figures in docs/datagen_families.md.
"""

from __future__ import annotations

import argparse
import collections
import random
import statistics
import time

from optsolve.datagen.base import LEVELS
from optsolve.datagen.complexity import complexity
from optsolve.datagen.families import FAMILIES


def main(argv: list[str] | None = None) -> int:
    from optsolve.formulation import compile_model, load_formulation
    from optsolve.solvers import SolveOptions, solve

    ap = argparse.ArgumentParser(prog="python -m optsolve.datagen.families.verify")
    ap.add_argument("n", nargs="?", type=int, default=20)
    ap.add_argument("families", nargs="*")
    ap.add_argument("--time-limit", type=float, default=20.0)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args(argv)
    names = args.families or list(FAMILIES)
    ok_all = total = 0
    for name in names:
        fam = FAMILIES[name]
        cells = []
        for level in LEVELS:
            status: collections.Counter[str] = collections.Counter()
            scores: list[float] = []
            secs: list[float] = []
            backends: collections.Counter[str] = collections.Counter()
            for s in range(args.n):
                inst = fam.generate(random.Random(1000 * s + args.seed), level)
                try:
                    gm = compile_model(load_formulation(inst.formulation))
                except Exception as exc:   # report, keep measuring the rest
                    status[f"compile_error:{type(exc).__name__}"] += 1
                    continue
                scores.append(complexity(gm))
                t0 = time.perf_counter()
                res = solve(gm, SolveOptions(time_limit=args.time_limit))
                secs.append(time.perf_counter() - t0)
                status[res.status.value] += 1
                backends[res.solver] += 1
            ok = status["optimal"]
            ok_all += ok
            total += args.n
            extra = "" if ok == args.n else f" {dict(status)}"
            cells.append(f"{level}: {ok}/{args.n} cx={statistics.mean(scores) if scores else 0:.0f} "
                         f"max={max(secs) if secs else 0:.2f}s{extra} {dict(backends)}")
        print(f"{name:28s} | " + " | ".join(cells), flush=True)
    print(f"TOTAL optimal {ok_all}/{total} = {ok_all / max(total, 1):.4f}")
    return 0 if ok_all == total else 1


if __name__ == "__main__":
    raise SystemExit(main())
