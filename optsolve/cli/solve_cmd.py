"""``optsolve solve FILE``, ``optsolve check FILE``, ``optsolve schema``."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from rich.console import Console

from optsolve.errors import EXIT_OK, InputError
from optsolve.formulation import compile_model, json_schema, load_formulation


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("solve", help="solve a Formulation v1 file (JSON or YAML)",
                       description="Compile a Formulation v1 model, route it to a solver and solve it.\n"
                                   "Exit codes: 0 solved, 2 bad input, 3 infeasible/unbounded, 4 solver "
                                   "failure.", formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("file", help="formulation file (.json/.yaml), or - for standard input")
    p.add_argument("--json", action="store_true", help="print the result as JSON (formulation-v1.md)")
    p.add_argument("--solver", help="force a backend: highs, cpsat, pysat, scip, z3, pyomo-highs")
    p.add_argument("--time-limit", type=float, default=None, metavar="S", help="bound the solve to S seconds")
    p.add_argument("--emit", choices=["pyomo", "lp", "mps"],
                   help="write the model instead of solving: a runnable Pyomo script (stdout), or an LP/MPS file")
    p.add_argument("--out", "-o", help="output path for --emit lp/mps (default: the input name with .lp/.mps)")
    p.add_argument("--no-explain", action="store_true", help="skip the infeasibility explanation")
    p.set_defaults(func=_solve)

    c = sub.add_parser("check", help="validate and compile a formulation without solving it")
    c.add_argument("file")
    c.add_argument("--json", action="store_true")
    c.set_defaults(func=_check)

    s = sub.add_parser("schema", help="print the JSON Schema of Formulation v1")
    s.set_defaults(func=_schema)


def _read(path: str) -> str:
    if path == "-":
        return sys.stdin.read()
    p = Path(path)
    if not p.exists():
        raise InputError(f"no such file: {path}", hint="check the path")
    if p.is_dir():
        raise InputError(f"{path} is a directory", hint="pass a .json or .yaml formulation file")
    try:
        return p.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise InputError(f"{path} is not UTF-8 text") from None


def _solve(args: argparse.Namespace) -> int:
    from optsolve.cli.render import exit_code_for_status, render_result
    from optsolve.solvers import SolveOptions, solve_model

    f = load_formulation(_read(args.file))
    if args.emit:
        return _emit(args, f)
    gm = compile_model(f)
    res = solve_model(gm, SolveOptions(time_limit=args.time_limit, solver=args.solver,
                                       explain=not args.no_explain))
    if args.json:
        print(json.dumps(res.to_json_dict(), indent=2))
    else:
        render_result(res, Console())
    return exit_code_for_status(res.status, bool(res.variables))


def _emit(args: argparse.Namespace, f: object) -> int:
    from optsolve.solvers import emit

    if args.emit == "pyomo":
        print(emit.emit_pyomo(f))  # type: ignore[arg-type]
        return EXIT_OK
    gm = compile_model(f)  # type: ignore[arg-type]
    stem = "model" if args.file == "-" else str(Path(args.file).with_suffix(""))
    out = args.out or f"{stem}.{args.emit}"
    (emit.emit_lp if args.emit == "lp" else emit.emit_mps)(gm, out)
    print(f"wrote {out}", file=sys.stderr)
    return EXIT_OK


def _check(args: argparse.Namespace) -> int:
    from optsolve.solvers import candidates, route

    gm = compile_model(_read(args.file))
    info: dict[str, Any] = {"ok": True, "variables": gm.n_vars, "constraints": gm.n_constraints,
            "features": sorted(gm.features), "route": route(gm), "candidates": candidates(gm)}
    if args.json:
        print(json.dumps(info, indent=2))
    else:
        print(f"ok: {gm.n_vars:,} variables, {gm.n_constraints:,} constraints; features: "
              f"{', '.join(info['features'])}; solver: {info['route']}")
    return EXIT_OK


def _schema(args: argparse.Namespace) -> int:
    print(json.dumps(json_schema(), indent=2))
    return EXIT_OK
