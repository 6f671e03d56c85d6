"""Export: a runnable Pyomo script of the user's formulation, and LP / MPS files of the grounded model.

* :func:`emit_pyomo` translates the *formulation* (sets, parameters, indexed variables, rule functions
  whose bodies are our expression trees printed as Python source) into a self-contained script that
  builds a Pyomo ``ConcreteModel``, solves it with HiGHS (LP/MILP/convex QP) or SCIP (otherwise) and
  prints the status and objective. Strings are written with ``repr``; names are validated identifiers;
  nothing from the input is executed while emitting.
* :func:`emit_lp` / :func:`emit_mps` write the grounded model through HiGHS's writer, with columns and
  rows named after the user's labels (``x(chairs,1)``, made safe for the formats and unique).
"""

from __future__ import annotations

import keyword
import os
import re
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from optsolve.errors import SolverError, UnsupportedModelError, ValidationError
from optsolve.formulation import expr as E
from optsolve.formulation.ir import GroundModel
from optsolve.formulation.schema import Formulation, RangeSet

_DOMAINS = {"reals": "pyo.Reals", "nonnegative_reals": "pyo.NonNegativeReals", "integers": "pyo.Integers",
            "nonnegative_integers": "pyo.NonNegativeIntegers", "binary": "pyo.Binary", "boolean": "pyo.Binary"}
_FUNCS = {"exp": "pyo.exp", "log": "pyo.log", "sqrt": "pyo.sqrt", "abs": "abs"}
_SCRIPT_NAMES = frozenset({"model", "pyo", "sys", "relation", "minimum", "maximum", "solve", "main"})

# Python operator precedence, high binds tighter
_OR, _AND, _NOT, _CMP, _ADD, _MUL, _NEG, _POW, _ATOM = range(1, 10)


def _num(v: float) -> str:
    if float(v).is_integer() and abs(v) < 2**53:
        return str(int(v))
    return repr(float(v))


def _literal(v: Any) -> str:
    if isinstance(v, bool):
        return repr(v)
    if isinstance(v, (int, float)):
        return _num(v)
    return repr(v)


class _Emitter:
    def __init__(self, f: Formulation) -> None:
        from optsolve.formulation.ground import _Model

        self.f = f
        self.m = _Model(f)  # resolved sets and parameter tables (raises the usual validation errors)
        self.uses_minmax = False
        self.uses_abs = False
        self.uses_logic = False
        self.uses_soft = False
        self.lines: list[str] = []
        self.obj_name = "objective"
        # component names that clash with ConcreteModel attributes get a trailing underscore
        import pyomo.environ as pyo

        probe = pyo.ConcreteModel()
        taken = set(f.sets) | set(f.parameters) | set(f.variables) | set(f.constraints)
        self.comp: dict[str, str] = {}
        for n in taken:
            new = n
            while hasattr(probe, new) or (new != n and new in taken):
                new += "_"
            self.comp[n] = new
        self.taken = {self.comp[n] for n in taken}

    # --- expression translation -------------------------------------------------------------------
    def attr(self, name: str) -> str:
        return f"model.{self.comp.get(name, name)}"

    def local(self, name: str) -> str:
        return name + "_" if name in _SCRIPT_NAMES or keyword.iskeyword(name) else name

    def set_of(self, name: str, pos: int) -> str | None:
        if name in self.m.params:
            return self.m.params[name][0][pos]
        if name in self.m.var_index:
            return self.m.var_index[name][pos]
        return None

    def index_src(self, name: str, pos: int, node: E.Node, bound: dict[str, str], filt: bool) -> str:
        if isinstance(node, E.Str):
            set_name = self.set_of(name, pos)
            if set_name is not None and node.value not in self.m.set_index[set_name]:
                try:
                    as_int = int(node.value)
                except ValueError:
                    as_int = None
                if as_int is not None and as_int in self.m.set_index[set_name]:
                    return str(as_int)
            return repr(node.value)
        return self.src(node, bound, filt, _ADD)

    def src(self, node: E.Node, bound: dict[str, str], filt: bool, need: int = 0) -> str:
        text, prec = self.tr(node, bound, filt)
        return f"({text})" if prec < need else text

    def tr(self, node: E.Node, bound: dict[str, str], filt: bool) -> tuple[str, int]:
        """(python source, precedence). ``filt``: inside an ``if`` filter (plain values wanted)."""
        if isinstance(node, E.Num):
            return _num(node.value), _ATOM
        if isinstance(node, E.Str):
            return repr(node.value), _ATOM
        if isinstance(node, E.BoolLiteral):
            return repr(node.value), _ATOM
        if isinstance(node, E.Name):
            if node.id in bound:
                return bound[node.id], _ATOM
            if node.id in self.m.scalars:
                return (f"pyo.value({self.attr(node.id)})" if filt else self.attr(node.id)), _ATOM
            return self.attr(node.id), _ATOM
        if isinstance(node, E.Subscript):
            idx = ", ".join(self.index_src(node.name, k, a, bound, filt) for k, a in enumerate(node.index))
            return f"{self.attr(node.name)}[{idx}]", _ATOM
        if isinstance(node, E.Add):
            parts = []
            for k, (sign, term) in enumerate(node.terms):
                if k == 0:
                    parts.append(("-" + self.src(term, bound, filt, _NEG)) if sign < 0 else
                                 self.src(term, bound, filt, _ADD))
                else:
                    parts.append((" - " if sign < 0 else " + ") + self.src(term, bound, filt,
                                                                          _MUL if sign < 0 else _ADD))
            return "".join(parts), (_ADD if len(parts) > 1 or node.terms[0][0] > 0 else _NEG)
        if isinstance(node, E.Mul):
            return f"{self.src(node.left, bound, filt, _MUL)} * {self.src(node.right, bound, filt, _NEG)}", _MUL
        if isinstance(node, E.Div):
            return f"{self.src(node.left, bound, filt, _MUL)} / {self.src(node.right, bound, filt, _NEG)}", _MUL
        if isinstance(node, E.Pow):
            return f"{self.src(node.base, bound, filt, _ATOM)} ** {self.src(node.exp, bound, filt, _NEG)}", _POW
        if isinstance(node, E.Neg):
            return "-" + self.src(node.operand, bound, filt, _NEG), _NEG
        if isinstance(node, E.Call):
            return self.call(node, bound, filt), _ATOM
        if isinstance(node, E.Compare):
            if filt:
                out = self.src(node.operands[0], bound, filt, _ADD)
                for op, o in zip(node.ops, node.operands[1:]):
                    out += f" {op} {self.src(o, bound, filt, _ADD)}"
                return out, _CMP
            return self.relation(node, bound), _CMP
        if isinstance(node, E.BoolOp):
            if not filt:
                raise self.logic("and/or")
            prec = _AND if node.op == "and" else _OR
            return f" {node.op} ".join(self.src(v, bound, filt, prec + 1) for v in node.values), prec
        if isinstance(node, E.Not):
            if not filt:
                raise self.logic("not")
            return "not " + self.src(node.operand, bound, filt, _NOT), _NOT
        raise ValidationError(f"cannot translate {type(node).__name__} to Pyomo")

    # --- logic: Pyomo logical expressions over BooleanVars, comparisons reified with disjuncts ----
    def lg(self, node: E.Node, bound: dict[str, str]) -> str:
        """Python source of a proposition (a Pyomo logical expression)."""
        self.uses_logic = True
        if isinstance(node, E.Compare):
            if len(node.ops) == 1 and node.ops[0] == "!=":
                a = self.src(node.operands[0], bound, False, _ADD)
                b = self.src(node.operands[1], bound, False, _ADD)
                return f"pyo.lnot(holds({a} == {b}))"
            if "!=" in node.ops:
                raise UnsupportedModelError("a chained comparison with '!=' has no Pyomo form",
                                            hint="split it into separate comparisons")
            if len(node.ops) == 1 or (len(node.ops) == 2 and node.ops[0][0] == node.ops[1][0]):
                return f"holds({self.relation(node, bound)})"
            parts = [E.Compare((op,), (a, b)) for op, a, b in zip(node.ops, node.operands, node.operands[1:])]
            return f"pyo.land({', '.join(self.lg(p, bound) for p in parts)})"
        if isinstance(node, E.BoolOp):
            fn = "pyo.land" if node.op == "and" else "pyo.lor"
            return f"{fn}({', '.join(self.lg(v, bound) for v in node.values)})"
        if isinstance(node, E.Not):
            return f"pyo.lnot({self.lg(node.operand, bound)})"
        if isinstance(node, E.Call) and node.func == "implies":
            return f"pyo.implies({self.lg(node.args[0], bound)}, {self.lg(node.args[1], bound)})"
        if isinstance(node, E.Call) and node.func == "all_different":
            if node.gens:
                g, inner = self.gens_src(node.gens, bound)
                return f"all_different([{self.src(node.args[0], inner, False, 0)} {g}])"
            return f"all_different([{', '.join(self.src(a, bound, False, 0) for a in node.args)}])"
        name = node.name if isinstance(node, E.Subscript) else node.id if isinstance(node, E.Name) else None
        if name is not None and name not in bound and name in self.f.variables and \
                self.f.variables[name].domain in ("binary", "boolean"):
            return f"boolean({self.src(node, bound, False, _ATOM)})"
        raise UnsupportedModelError(f"expected a condition (comparison, logic, or a binary/boolean variable) "
                                    f"in the Pyomo export, got {type(node).__name__}")

    def logic(self, what: str) -> UnsupportedModelError:
        return UnsupportedModelError(f"the Pyomo export does not support logic ({what}) in constraints",
                                     hint="solve with optsolve (CP-SAT/z3 take logic), or rewrite with binary "
                                          "variables and linear constraints")

    def relation(self, node: E.Compare, bound: dict[str, str]) -> str:
        ops = ["<=" if o == "<" else ">=" if o == ">" else o for o in node.ops]
        if "!=" in ops:
            raise UnsupportedModelError("'!=' between expressions has no Pyomo constraint form",
                                        hint="use all_different(...) or two orderings with a binary variable")
        srcs = [self.src(o, bound, False, _ADD) for o in node.operands]
        if len(ops) == 1:
            return f"{srcs[0]} {ops[0]} {srcs[1]}"
        if len(ops) == 2 and ops[0] == ops[1] == "<=":
            return f"pyo.inequality({srcs[0]}, {srcs[1]}, {srcs[2]})"
        if len(ops) == 2 and ops[0] == ops[1] == ">=":
            return f"pyo.inequality({srcs[2]}, {srcs[1]}, {srcs[0]})"
        raise UnsupportedModelError(f"the chained comparison {' '.join(node.ops)} has no Pyomo form",
                                    hint="split it into two constraints")

    def gens_src(self, gens: Iterable[E.Gen], bound: dict[str, str]) -> tuple[str, dict[str, str]]:
        inner = dict(bound)
        parts = []
        for g in gens:
            inner[g.var] = self.local(g.var)
            part = f"for {inner[g.var]} in {self.attr(g.set_name)}"
            for c in g.conds:
                part += f" if {self.src(c, inner, True, _NOT)}"
            parts.append(part)
        return " ".join(parts), inner

    def call(self, node: E.Call, bound: dict[str, str], filt: bool) -> str:
        fn = node.func
        if fn in ("implies", "all_different"):
            raise self.logic(f"{fn}() inside an arithmetic expression")
        if node.gens:
            g, inner = self.gens_src(node.gens, bound)
            body = self.src(node.args[0], inner, filt, 0)
            if fn == "sum":
                return f"sum({body} {g})"
            self.uses_minmax = True
            return f"{'minimum' if fn == 'min' else 'maximum'}({body} {g})"
        args = [self.src(a, bound, filt, 0) for a in node.args]
        if fn in ("min", "max"):
            self.uses_minmax = True
            return f"{'minimum' if fn == 'min' else 'maximum'}([{', '.join(args)}])"
        if fn == "abs":
            self.uses_abs = True
        return f"{_FUNCS[fn]}({args[0]})"

    # --- the script -------------------------------------------------------------------------------
    def emit(self, solver: str) -> str:
        f = self.f
        out = self.lines
        title = f.name or "model"
        out.append(f'"""Pyomo model {title!r}, generated by optsolve from its Formulation v1.')
        if f.description:
            out.append("")
            out.append(_docstring_safe(f.description))
        out.append("")
        out.append(f"Run: python this_file.py   (needs pyomo and {'highspy' if solver == 'highs' else 'pyscipopt'})")
        out.append('"""')
        out.append("")
        out.append("import sys")
        out.append("")
        out.append("import pyomo.environ as pyo")
        out.append("from pyomo.common.errors import PyomoException")
        out.append("")
        body: list[str] = []
        self._sets(body)
        self._params(body)
        self._vars(body)
        if any(c.soft is not None for c in f.constraints.values()):
            self._constraints(body)
            self._objective(body)
        else:
            self._objective(body)
            self._constraints(body)
        if self.uses_logic:
            out.append("from pyomo.gdp import Disjunct, Disjunction")
            out.append("")
        out.extend(self._helpers(solver))
        out.append(f"model = pyo.ConcreteModel(name={title!r})")
        out.append("")
        out.extend(body)
        out.extend(self._solve_block(solver))
        return "\n".join(out) + "\n"

    def _comment(self, body: list[str], desc: str | None) -> None:
        if desc:
            for line in desc.splitlines() or [""]:
                body.append(f"# {line}".rstrip())

    def _sets(self, body: list[str]) -> None:
        if not self.f.sets:
            return
        body.append("# --- sets ---")
        for name, defn in self.f.sets.items():
            self._comment(body, getattr(defn, "description", None))
            if isinstance(defn, RangeSet):
                lo, hi = defn.range
                body.append(f"{self.attr(name)} = pyo.RangeSet({lo}, {hi})")
            else:
                elems = ", ".join(_literal(e) for e in self.m.sets[name])
                body.append(f"{self.attr(name)} = pyo.Set(initialize=[{elems}], ordered=True)")
        body.append("")

    def _params(self, body: list[str]) -> None:
        if not self.f.parameters:
            return
        body.append("# --- parameters ---")
        for name, pdef in self.f.parameters.items():
            self._comment(body, getattr(pdef, "description", None))
            if name in self.m.scalars:
                body.append(f"{self.attr(name)} = pyo.Param(initialize={_num(self.m.scalars[name])}, "
                            "within=pyo.Reals)")
                continue
            sets, _data, default = self.m.params[name]
            entries = self.param_entries(name)
            if len(sets) == 1:
                items = [f"{_literal(k[0])}: {_num(v)}" for k, v in entries]
            else:
                items = [f"({', '.join(_literal(e) for e in k)}): {_num(v)}" for k, v in entries]
            data = _wrap_dict(items, indent=4)
            idx = ", ".join(self.attr(s) for s in sets)
            extra = f", default={_num(default)}" if default is not None else ""
            body.append(f"{self.attr(name)} = pyo.Param(")
            body.append(f"    {idx},")
            body.append(f"    initialize={data},")
            body.append(f"    within=pyo.Reals{extra},")
            body.append(")")
        body.append("")

    def param_entries(self, name: str) -> list[tuple[tuple[Any, ...], float]]:
        """(element tuple, value) of the given entries of an indexed parameter, in set order."""
        sets, data, _default = self.m.params[name]
        if hasattr(data, "items"):  # a plain dict
            return [(k, float(v)) for k, v in data.items()]
        import numpy as np

        arr = data.dense_array(None, 2**62)  # NaN where no value was given
        elems = [self.m.sets[s] for s in sets]
        out = []
        for pos in zip(*np.nonzero(~np.isnan(arr))):
            out.append((tuple(e[int(p)] for e, p in zip(elems, pos)), float(arr[pos])))
        return out

    def _vars(self, body: list[str]) -> None:
        if not self.f.variables:
            return
        body.append("# --- variables ---")
        for name, v in self.f.variables.items():
            self._comment(body, v.description)
            args = [self.attr(s) for s in v.index]
            args.append(f"domain={_DOMAINS[v.domain]}")
            if v.lb is not None or v.ub is not None:
                lb = "None" if v.lb is None else _num(v.lb)
                ub = "None" if v.ub is None else _num(v.ub)
                args.append(f"bounds=({lb}, {ub})")
            body.append(f"{self.attr(name)} = pyo.Var({', '.join(args)})")
        body.append("")

    def _objective(self, body: list[str]) -> None:
        ob = self.f.objective
        soft = any(c.soft is not None for c in self.f.constraints.values())
        if ob is None and not soft:
            return
        name = "objective"
        while name in self.taken:
            name += "_"
        self.obj_name = name
        body.append("# --- objective ---")
        body.append("")
        if ob is not None:
            self._comment(body, ob.description)
            expr = self.src(E.parse_expr(ob.expr, "objective"), {}, False, _ADD if soft else 0)
            maximize = ob.sense == "maximize"
        else:
            expr, maximize = "0", False
        if soft:
            body.append("# the objective plus (minus, when maximising) the weights of the violated soft constraints"
                        if ob is not None else "# the total weight of the violated soft constraints")
            expr = f"{expr} {'-' if maximize else '+'} sum(soft_violations)" if ob is not None \
                else "sum(soft_violations)"
        body.append(f"def {name}_rule(model):")
        body.append(f"    return {expr}")
        body.append("")
        body.append("")
        sense = "pyo.maximize" if maximize else "pyo.minimize"
        body.append(f"model.{name} = pyo.Objective(rule={name}_rule, sense={sense})")
        body.append("")
        body.append("")

    def _constraints(self, body: list[str]) -> None:
        if not self.f.constraints:
            return
        body.append("# --- constraints ---")
        for cname, c in self.f.constraints.items():
            where = f"constraint '{cname}'"
            node = E.parse_expr(c.expr, where)
            body.append("")
            self._comment(body, c.description)
            comp = self.comp[cname]
            gens = E.parse_forall(c.forall, where) if c.forall else ()
            if c.soft is not None:
                self._soft(body, cname, node, gens, float(c.soft.weight))
                continue
            bound = {g.var: self.local(g.var) for g in gens}
            params = ", ".join(["model", *[bound[g.var] for g in gens]])
            arithmetic = (isinstance(node, E.Compare) and "!=" not in node.ops) or isinstance(node, E.BoolLiteral)
            if arithmetic:
                ret = f"relation({self.src(node, bound, False, 0)})"
                kind = "pyo.Constraint"
            else:
                ret = self.lg(node, bound)
                kind = "pyo.LogicalConstraint"
            body.append(f"def {comp}_rule({params}):")
            body.append(f"    return {ret}")
            body.append("")
            body.append("")
            if not gens:
                body.append(f"model.{comp} = {kind}(rule={comp}_rule)")
            elif not any(g.conds for g in gens):
                sets = ", ".join(self.attr(g.set_name) for g in gens)
                body.append(f"model.{comp} = {kind}({sets}, rule={comp}_rule)")
            else:
                g_src, inner = self.gens_src(gens, {})
                names = [inner[g.var] for g in gens]
                tup = names[0] if len(names) == 1 else f"({', '.join(names)})"
                dom = f"{comp}_domain"
                while dom in self.taken:
                    dom += "_"
                body.append(f"model.{dom} = pyo.Set(dimen={len(names)}, initialize=[{tup} {g_src}])")
                body.append(f"model.{comp} = {kind}(model.{dom}, rule={comp}_rule)")
            body.append("")

    def _soft(self, body: list[str], cname: str, node: E.Node, gens: tuple[E.Gen, ...], weight: float) -> None:
        """A soft constraint: a loop over its instances, each adding a penalised proposition."""
        self.uses_soft = True
        body.append(f"# soft constraint {cname!r}: each violated instance costs {_num(weight)} in the objective")
        indent = ""
        bound: dict[str, str] = {}
        for g in gens:
            bound[g.var] = self.local(g.var)
            body.append(f"{indent}for {bound[g.var]} in {self.attr(g.set_name)}:")
            indent += "    "
            for cond in g.conds:
                body.append(f"{indent}if {self.src(cond, bound, True, 0)}:")
                indent += "    "
        body.append(f"{indent}soft({_num(weight)}, {self.lg(node, bound)})")
        body.append("")

    def _helpers(self, solver: str) -> list[str]:
        h = [
            "",
            "def relation(expr):",
            '    """A constraint body; a comparison that folds to True/False (no variables) is kept as such."""',
            "    if expr is True:",
            "        return pyo.Constraint.Feasible",
            "    if expr is False:",
            "        return pyo.Constraint.Infeasible",
            "    return expr",
            "",
        ]
        if self.uses_minmax:
            h += [
                "",
                "def minimum(values):",
                '    """min() that also works on expressions: min(a, b) = (a + b - |a - b|) / 2."""',
                "    values = list(values)",
                "    if not any(pyo.is_potentially_variable(v) for v in values):",
                "        return min(pyo.value(v) for v in values)",
                "    acc = values[0]",
                "    for v in values[1:]:",
                "        acc = (acc + v - abs(acc - v)) / 2",
                "    return acc",
                "",
                "",
                "def maximum(values):",
                '    """max() that also works on expressions: max(a, b) = (a + b + |a - b|) / 2."""',
                "    values = list(values)",
                "    if not any(pyo.is_potentially_variable(v) for v in values):",
                "        return max(pyo.value(v) for v in values)",
                "    acc = values[0]",
                "    for v in values[1:]:",
                "        acc = (acc + v + abs(acc - v)) / 2",
                "    return acc",
                "",
            ]
        if self.uses_logic:
            h += _LOGIC_HELPERS
        if self.uses_soft:
            h += _SOFT_HELPERS
        if solver == "scip_direct" and (self.uses_abs or self.uses_minmax):
            h += [
                "",
                "# Pyomo 6.10's scip_direct has no handler for the abs() node; register the generic one.",
                "try:",
                "    from pyomo.contrib.solver.solvers.scip import base as _scip_base",
                "    from pyomo.core.expr.numeric_expr import AbsExpression as _Abs",
                "",
                "    _scip_base._operator_map.setdefault(_Abs, _scip_base._handle_unary)",
                "except ImportError:",
                "    pass",
                "",
            ]
        h.append("")
        return h

    def _solve_block(self, solver: str) -> list[str]:
        has_obj = self.f.objective is not None or self.uses_soft
        obj = f"model.{self.obj_name}" if has_obj else None
        user_vars = ", ".join(self.attr(v) for v in self.f.variables)
        lines = ["", "def main():"]
        if self.uses_logic:
            lines += [
                "    # logic -> linear: propositions become binaries, disjunctions big-M constraints",
                '    pyo.TransformationFactory("core.logical_to_linear").apply_to(model)',
                "    try:",
                '        pyo.TransformationFactory("gdp.bigm").apply_to(model)',
                "    except Exception as exc:  # big-M needs finite bounds on the variables in comparisons",
                '        print("error: cannot linearise the logic:", exc)',
                '        print("hint: give the variables that appear in logical comparisons finite bounds")',
                "        return 2",
            ]
        lines += [
            f"    solver = pyo.SolverFactory({solver!r})",
            "    try:",
            "        results = solver.solve(model)  # loads the solution into the variables",
            "    except PyomoException:  # nothing to load: infeasible, unbounded, or no solution in time",
            "        results = solver.solve(model, load_solutions=False)",
            "    condition = results.solver.termination_condition",
            '    print("status:", condition)',
            "    if condition not in (pyo.TerminationCondition.optimal, pyo.TerminationCondition.feasible,",
            "                         pyo.TerminationCondition.maxTimeLimit):",
            "        return 1",
        ]
        if obj:
            lines.append(f'    print("objective:", pyo.value({obj}))')
        lines += [
            f"    for component in ({user_vars}{',' if len(self.f.variables) == 1 else ''}):",
            "        for var in component.values():",
            "            if var.value is not None and abs(var.value) > 1e-9:",
            '                print(f"  {var.name} = {var.value:g}")',
            "    return 0",
            "",
            "",
            'if __name__ == "__main__":',
            "    sys.exit(main())",
        ]
        return lines


_LOGIC_HELPERS = [
    "",
    "_aux = {}",
    "",
    "",
    "def _add(component, prefix):",
    '    """Add an auxiliary component to the model under a fresh name (_holds1, _flag2, ...)."""',
    "    _aux[prefix] = _aux.get(prefix, 0) + 1",
    '    model.add_component(f"_{prefix}{_aux[prefix]}", component)',
    "    return component",
    "",
    "",
    "def boolean(var):",
    '    """The proposition "var == 1" of a binary variable: a BooleanVar tied to it."""',
    "    flag = _aux.setdefault(\"booleans\", {}).get(id(var))",
    "    if flag is None:",
    '        flag = _add(pyo.BooleanVar(), "flag")',
    "        flag.associate_binary_var(var)",
    '        _aux["booleans"][id(var)] = flag',
    "    return flag",
    "",
    "",
    "def _gap(expr):",
    '    """How far a comparison must miss to count as failing: 1 over integer variables, else 1e-6."""',
    "    from pyomo.core.expr.visitor import identify_variables",
    "",
    "    return 1 if all(v.is_integer() for v in identify_variables(expr)) else 1e-6",
    "",
    "",
    "def holds(relation):",
    '    """A BooleanVar that is True exactly when the comparison holds: a disjunction between the',
    '    comparison and the ways it can fail."""',
    "    from pyomo.core.expr.relational_expr import EqualityExpression, RangedExpression",
    "",
    "    if relation is True or relation is False:  # no variables left: a fixed proposition",
    '        flag = _add(pyo.BooleanVar(), "flag")',
    "        flag.fix(relation)",
    "        return flag",
    "    if isinstance(relation, RangedExpression):",
    "        lo, body, hi = relation.args",
    "        gap = _gap(body)",
    "        fails = [body <= lo - gap, body >= hi + gap]",
    "    elif isinstance(relation, EqualityExpression):",
    "        diff = relation.args[0] - relation.args[1]",
    "        gap = _gap(diff)",
    "        fails = [diff <= -gap, diff >= gap]",
    "    else:  # lhs <= rhs",
    "        diff = relation.args[0] - relation.args[1]",
    "        fails = [diff >= _gap(diff)]",
    '    yes = _add(Disjunct(), "holds")',
    "    yes.relation = pyo.Constraint(expr=relation)",
    "    options = [yes]",
    "    for fail in fails:",
    '        no = _add(Disjunct(), "fails")',
    "        no.relation = pyo.Constraint(expr=fail)",
    "        options.append(no)",
    '    _add(Disjunction(expr=options), "either")',
    "    return yes.indicator_var",
    "",
    "",
    "def all_different(values):",
    '    """Pairwise "not equal" as one proposition."""',
    "    values = list(values)",
    "    pairs = [pyo.lnot(holds(a == b)) for k, a in enumerate(values) for b in values[k + 1:]]",
    "    return pairs[0] if len(pairs) == 1 else pyo.land(*pairs)",
    "",
]

_SOFT_HELPERS = [
    "",
    "soft_violations = []",
    "",
    "",
    "def soft(weight, proposition):",
    '    """A soft constraint: the proposition may fail at a cost of `weight` in the objective."""',
    '    met = _add(pyo.Var(domain=pyo.Binary), "met")',
    '    flag = _add(pyo.BooleanVar(), "flag")',
    "    flag.associate_binary_var(met)",
    '    _add(pyo.LogicalConstraint(expr=pyo.equivalent(flag, proposition)), "soft")',
    "    soft_violations.append(weight * (1 - met))",
    "",
]


def _docstring_safe(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"""', '\\"\\"\\"')


def _wrap_dict(items: list[str], indent: int, width: int = 100) -> str:
    if not items:
        return "{}"
    one = "{" + ", ".join(items) + "}"
    if len(one) + indent + 12 <= width:
        return one
    pad = " " * (indent + 4)
    lines, cur = [], ""
    for it in items:
        piece = it + ","
        if cur and len(pad) + len(cur) + 1 + len(piece) > width:
            lines.append(pad + cur)
            cur = piece
        else:
            cur = f"{cur} {piece}" if cur else piece
    if cur:
        lines.append(pad + cur)
    return "{\n" + "\n".join(lines) + "\n" + " " * indent + "}"


def _pick_solver(f: Formulation) -> str:
    """HiGHS when the direct highs backend could take the model, else SCIP."""
    from optsolve.formulation import compile_model
    from optsolve.solvers.highs_backend import HighsBackend

    gm = compile_model(f)
    linearised = gm.features - {"logic", "all_different", "soft", "clausal"}
    return "highs" if HighsBackend().accepts(linearised) else "scip_direct"


def emit_pyomo(f: Formulation, solver: str | None = None) -> str:
    """A readable, runnable, self-contained Pyomo script of the formulation.

    ``solver``: ``"highs"`` or ``"scip_direct"``; by default chosen from the model's features.
    Logic, ``all_different`` and soft constraints become Pyomo logical constraints over comparisons
    reified with disjunctions (``pyomo.gdp``), linearised in the script with ``core.logical_to_linear``
    and ``gdp.bigm`` (which needs finite bounds on the variables inside comparisons).
    """
    chosen = solver or _pick_solver(f)
    if chosen not in ("highs", "scip_direct", "appsi_highs"):
        raise UnsupportedModelError(f"unknown solver {chosen!r} for the Pyomo export",
                                    hint="use highs or scip_direct")
    return _Emitter(f).emit(chosen)


# --- LP / MPS -----------------------------------------------------------------------------------

_LP_BAD = re.compile(r"[^A-Za-z0-9_(),.!\"#$%&/;?@`'{}|~-]")


def safe_name(label: str) -> str:
    """``x[chairs,1]`` -> ``x(chairs,1)``; other characters the LP format forbids become ``_``."""
    s = label.replace("[", "(").replace("]", ")")
    s = _LP_BAD.sub("_", s)
    if not s or s[0].isdigit() or s[0] in ".-":
        s = "_" + s
    return s[:255]


def _unique(names: Iterable[str]) -> list[str]:
    seen: set[str] = set()
    out = []
    for n in names:
        cand, k = n, 1
        while cand in seen:
            k += 1
            cand = f"{n}~{k}"
        seen.add(cand)
        out.append(cand)
    return out


def _write(model: GroundModel, path: str | os.PathLike[str]) -> Path:
    import highspy

    from optsolve.solvers.highs_backend import build_arrays, new_highs, pass_arrays

    a = build_arrays(model)
    if a.false_constraints:
        c = model.constraints[a.false_constraints[0]]
        raise SolverError(f"constraint {c.label} has no variables and never holds; the model is infeasible "
                          "as written", where=c.label, hint="fix the constraint before exporting")
    h = new_highs()
    pass_arrays(h, a)
    for j, name in enumerate(_unique(safe_name(v.label) for v in model.vars)):
        h.passColName(j, name)
    for r, name in enumerate(_unique(safe_name(model.constraints[ci].label) for ci in a.row_of)):
        h.passRowName(r, name)
    p = Path(path)
    st = h.writeModel(str(p))
    if st == highspy.HighsStatus.kError:
        raise SolverError(f"HiGHS could not write {p}", hint="check the directory exists and is writable")
    return p


def emit_lp(model: GroundModel, path: str | os.PathLike[str]) -> Path:
    """Write the grounded model (LP/MILP/QP) as a CPLEX LP file."""
    p = Path(path)
    if p.suffix.lower() != ".lp":
        raise ValidationError(f"an LP file name must end in .lp, got {p.name!r}")
    return _write(model, p)


def emit_mps(model: GroundModel, path: str | os.PathLike[str]) -> Path:
    """Write the grounded model (LP/MILP/QP) as a (free) MPS file."""
    p = Path(path)
    if p.suffix.lower() != ".mps":
        raise ValidationError(f"an MPS file name must end in .mps, got {p.name!r}")
    return _write(model, p)


def model_text(model: GroundModel, fmt: str) -> str:
    """The LP or MPS text of the model (for printing to stdout)."""
    if fmt not in ("lp", "mps"):
        raise ValidationError(f"unknown export format {fmt!r}", hint="use lp or mps")
    with tempfile.TemporaryDirectory() as tmp:
        p = Path(tmp) / f"model.{fmt}"
        _write(model, p)
        return p.read_text()
