"""Readable terminal rendering of formulations and results (shared by solve, run, plan and client)."""

from __future__ import annotations

import json
import math
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from optsolve.errors import EXIT_INFEASIBLE, EXIT_OK, EXIT_SOLVER
from optsolve.formulation.schema import Formulation, IndexedParam, ScalarParam, set_elements
from optsolve.solvers.result import SolveResult, Status


def exit_code_for_status(status: Status, has_values: bool = True) -> int:
    if status in (Status.OPTIMAL, Status.FEASIBLE):
        return EXIT_OK
    if status in (Status.INFEASIBLE, Status.UNBOUNDED, Status.INFEASIBLE_OR_UNBOUNDED):
        return EXIT_INFEASIBLE
    if status is Status.TIME_LIMIT and has_values:
        return EXIT_OK
    return EXIT_SOLVER


def fmt_num(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return f"{v:,}"
    if isinstance(v, float):
        if math.isfinite(v) and v == int(v) and abs(v) < 1e15:
            return f"{int(v):,}"
        return f"{v:,.6g}"
    return str(v)


def render_formulation(f: Formulation, console: Console) -> None:
    """The five elements, readably."""
    title = f.name or "model"
    console.print(f"[bold]Formulation[/bold] {title}" + (f": {f.description}" if f.description else ""))
    if f.sets:
        console.print("[bold]Sets[/bold]")
        for name, s in f.sets.items():
            elems = set_elements(s)
            shown = ", ".join(map(str, elems[:8])) + (", ..." if len(elems) > 8 else "")
            console.print(f"  {name} = {{{shown}}}  ({len(elems)} elements)", markup=False)
    if f.parameters:
        console.print("[bold]Parameters[/bold]")
        for name, p in f.parameters.items():
            if isinstance(p, (int, float)):
                console.print(f"  {name} = {fmt_num(p)}", markup=False)
            elif isinstance(p, ScalarParam):
                console.print(f"  {name} = {fmt_num(p.value)}", markup=False)
            elif isinstance(p, IndexedParam):
                vals = json.dumps(p.values, separators=(",", ":"))
                vals = vals if len(vals) <= 70 else vals[:67] + "..."
                console.print(f"  {name}[{', '.join(p.index)}] = {vals}", markup=False)
    if f.variables:
        console.print("[bold]Variables[/bold]")
        for name, v in f.variables.items():
            idx = f"[{', '.join(v.index)}]" if v.index else ""
            bounds = []
            if v.lb is not None:
                bounds.append(f"lb={fmt_num(v.lb)}")
            if v.ub is not None:
                bounds.append(f"ub={fmt_num(v.ub)}")
            desc = f"  # {v.description}" if v.description else ""
            console.print(f"  {name}{idx} in {v.domain}{' ' + ' '.join(bounds) if bounds else ''}{desc}",
                          markup=False)
    console.print("[bold]Objective[/bold]")
    if f.objective is None:
        console.print("  (none: find a feasible solution)")
    else:
        console.print(f"  {f.objective.sense} {f.objective.expr}", markup=False)
    if f.constraints:
        console.print("[bold]Constraints[/bold]")
        for name, c in f.constraints.items():
            fa = f"  for {c.forall}" if c.forall else ""
            soft = f"  (soft, weight {fmt_num(c.soft.weight)})" if c.soft else ""
            console.print(f"  {name}: {c.expr}{fa}{soft}", markup=False)


def nonzero_rows(variables: dict[str, Any], tol: float = 1e-9) -> list[tuple[str, Any]]:
    rows: list[tuple[str, Any]] = []
    for name, val in variables.items():
        if isinstance(val, dict):
            for k, v in val.items():
                if (isinstance(v, bool) and v) or (not isinstance(v, bool) and abs(v) > tol):
                    rows.append((f"{name}[{k}]", v))
        elif (isinstance(val, bool) and val) or (not isinstance(val, bool) and abs(val) > tol):
            rows.append((name, val))
    return rows


def render_result(res: SolveResult, console: Console, max_rows: int = 60) -> None:
    color = {"optimal": "green", "feasible": "yellow", "time_limit": "yellow"}.get(res.status.value, "red")
    console.print(f"Model: {res.n_vars:,} variables, {res.n_constraints:,} constraints; solver: {res.solver}")
    console.print(f"Status: [bold {color}]{res.status.value}[/]")
    if res.objective is not None:
        console.print(f"Objective: [bold]{fmt_num(res.objective)}[/bold]")
    if res.bound is not None and res.objective is not None and abs(res.bound - res.objective) > 1e-9:
        console.print(f"Best bound: {fmt_num(res.bound)}")
    if res.message:
        console.print(f"Note: {res.message}", markup=False)
    if res.explanation:
        why: dict[bool | None, str] = {True: " (irreducible: removing any one makes the rest feasible)",
               False: " (a conflicting set; the search budget ran out before it was minimal)"}
        console.print("[bold red]Conflicting constraints[/bold red]"
                      f"{why.get(res.explanation_irreducible, '')}:")
        for lab in res.explanation:
            console.print(f"  - {lab}", markup=False)
    rows = nonzero_rows(res.variables)
    if rows:
        table = Table(title=f"Nonzero variables: {len(rows)}", title_justify="left", min_width=30)
        table.add_column("variable")
        table.add_column("value", justify="right")
        for name, v in rows[:max_rows]:
            table.add_row(Text(name), fmt_num(v))
        if len(rows) > max_rows:
            table.add_row(f"... {len(rows) - max_rows} more (use --json)", "")
        console.print(table)
    elif res.status.has_solution:
        console.print("All variables are zero.")
    console.print(f"Time: {res.seconds:.3f} s" + (f" (solver {res.solver_seconds:.3f} s)"
                                                   if res.solver_seconds is not None else ""))
