"""Check and ground a Formulation: sets, parameters, ``forall`` and ``sum`` -> :class:`GroundModel`.

Two passes. *Compile*: every expression is parsed and resolved against the model's names (unknown
names, wrong arity, non-constant exponents, unknown element literals are caught here, before any data
is touched) and turned into a Python closure over an environment of index bindings; no ``eval``.
*Instantiate*: the closures run over the sets and produce the affine/quadratic/nonlinear pieces of
:mod:`optsolve.formulation.ir`.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Callable, Iterable
from typing import Any, Union

import numpy as np

from optsolve.errors import CompileError, LimitError, ValidationError
from optsolve.formulation import expr as E
from optsolve.formulation import ir
from optsolve.formulation.schema import (
    ElementSet,
    Formulation,
    IndexedParam,
    RangeSet,
    ScalarParam,
)
from optsolve.formulation.vectorize import Frame, NotVectorizable, Vectorizer, VLin

MAX_SET_SIZE = 1_000_000
MAX_VAR_INSTANCES = 2_000_000
MAX_CONSTRAINT_INSTANCES = 2_000_000
MAX_WORK = 30_000_000          # generator bindings evaluated in one model

Elem = Union[int, str]
Value = Any   # float | int | str | ir.Lin | ir.Quad | ir.NL | ir.Formula
Env = dict[str, Any]
Fn = Callable[[Env], Value]


# --- arithmetic on grounded values -------------------------------------------------------------

def _is_num(v: Value) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def as_expr(v: Value) -> ir.Expr:
    if isinstance(v, (ir.Lin, ir.Quad, ir.NL)):
        return v
    if _is_num(v):
        return ir.Lin({}, float(v))
    raise CompileError(f"expected a numeric expression, got {_describe(v)}")


def _describe(v: Value) -> str:
    if isinstance(v, str):
        return f"the element {v!r}"
    if isinstance(v, (ir.Rel, ir.Range, ir.And, ir.Or, ir.Not, ir.Implies, ir.BoolConst, ir.AllDifferent)):
        return "a condition (comparison or logic)"
    return type(v).__name__


def _scale(v: ir.Expr, k: float) -> ir.Expr:
    if isinstance(v, ir.Lin):
        return ir.Lin({i: c * k for i, c in v.coefs.items()}, v.const * k)
    if isinstance(v, ir.Quad):
        return ir.Quad({p: c * k for p, c in v.quad.items()}, _scale(v.lin, k))  # type: ignore[arg-type]
    return ir.NL("mul", (ir.Lin({}, k), v))


def add(a: Value, b: Value, sign: float = 1.0) -> Value:
    if _is_num(a) and _is_num(b):
        return a + sign * b
    ea, eb = as_expr(a), as_expr(b)
    if isinstance(ea, ir.Lin) and isinstance(eb, ir.Lin):
        coefs = dict(ea.coefs)
        for i, c in eb.coefs.items():
            coefs[i] = coefs.get(i, 0.0) + sign * c
        return ir.Lin(coefs, ea.const + sign * eb.const)
    if isinstance(ea, (ir.Lin, ir.Quad)) and isinstance(eb, (ir.Lin, ir.Quad)):
        qa = ea if isinstance(ea, ir.Quad) else ir.Quad({}, ea)
        qb = eb if isinstance(eb, ir.Quad) else ir.Quad({}, eb)
        quad = dict(qa.quad)
        for p, c in qb.quad.items():
            quad[p] = quad.get(p, 0.0) + sign * c
        lin = add(qa.lin, qb.lin, sign)
        return ir.Quad(quad, lin)
    if sign < 0:
        eb = ir.NL("neg", (eb,))
    args: list[ir.Expr] = []
    for x in (ea, eb):
        if isinstance(x, ir.NL) and x.op == "add":
            args.extend(x.args)
        else:
            args.append(x)
    return ir.NL("add", tuple(args))


def mul(a: Value, b: Value) -> Value:
    if _is_num(a) and _is_num(b):
        return a * b
    if _is_num(a):
        return _scale(as_expr(b), float(a))
    if _is_num(b):
        return _scale(as_expr(a), float(b))
    ea, eb = as_expr(a), as_expr(b)
    if isinstance(ea, ir.Lin) and ea.is_const:
        return _scale(eb, ea.const)
    if isinstance(eb, ir.Lin) and eb.is_const:
        return _scale(ea, eb.const)
    if isinstance(ea, ir.Lin) and isinstance(eb, ir.Lin):
        quad: dict[tuple[int, int], float] = {}
        for i, ci in ea.coefs.items():
            for j, cj in eb.coefs.items():
                key = (i, j) if i <= j else (j, i)
                quad[key] = quad.get(key, 0.0) + ci * cj
        lin = ir.Lin({}, ea.const * eb.const)
        for i, ci in ea.coefs.items():
            lin.coefs[i] = lin.coefs.get(i, 0.0) + ci * eb.const
        for j, cj in eb.coefs.items():
            lin.coefs[j] = lin.coefs.get(j, 0.0) + cj * ea.const
        return ir.Quad(quad, lin)
    return ir.NL("mul", (ea, eb))


def div(a: Value, b: Value, where: str) -> Value:
    if _is_num(b) or (isinstance(b, ir.Lin) and b.is_const):
        d = float(b) if _is_num(b) else b.const
        if d == 0:
            raise CompileError("division by zero", where=where)
        return mul(a, 1.0 / d)
    return ir.NL("div", (as_expr(a), as_expr(b)))


def power(a: Value, e: Value, where: str) -> Value:
    if not _is_num(e):
        raise ValidationError("the exponent must be a constant", where=where)
    if _is_num(a):
        try:
            return float(a) ** float(e)
        except (OverflowError, ZeroDivisionError) as exc:
            raise CompileError(f"cannot compute {a} ** {e}: {exc}", where=where) from None
    if e == 1:
        return a
    if e == 0:
        return 1.0
    if e == 2 and isinstance(a, ir.Lin):
        return mul(a, a)
    return ir.NL("pow", (as_expr(a), ir.Lin({}, float(e))))


def _num_func(name: str, x: float, where: str) -> float:
    try:
        if name == "abs":
            return abs(x)
        if name == "exp":
            return math.exp(x)
        if name == "log":
            return math.log(x)
        if name == "sqrt":
            return math.sqrt(x)
    except (ValueError, OverflowError):
        raise CompileError(f"{name}({x}) is undefined", where=where) from None
    raise AssertionError(name)


# --- formulas ----------------------------------------------------------------------------------

_FORMULA_TYPES = (ir.Rel, ir.Range, ir.BoolLit, ir.BoolConst, ir.And, ir.Or, ir.Not, ir.Implies,
                  ir.AllDifferent)


def relation(lhs: Value, op: str, rhs: Value, where: str) -> ir.Formula:
    if op in ("<", ">"):
        # strict inequalities on numbers: kept as non-strict (solvers work with closed sets)
        op = op + "="
    if op == "!=":
        raise ValidationError("'!=' between expressions is not supported in constraints", where=where,
                              hint="use all_different(...) or an 'or' of two strict orderings")
    if _is_num(lhs) and _is_num(rhs):
        ok = {"<=": lhs <= rhs + 1e-9, ">=": lhs >= rhs - 1e-9, "==": abs(lhs - rhs) <= 1e-9}[op]
        return ir.BoolConst(bool(ok))
    diff = as_expr(add(lhs, rhs, -1.0))
    if isinstance(diff, ir.Lin):
        const = diff.const
        return ir.Rel(ir.Lin(diff.coefs, 0.0), op, 0.0 - const + 0.0)  # type: ignore[arg-type]
    if isinstance(diff, ir.Quad):
        const = diff.lin.const
        return ir.Rel(ir.Quad(diff.quad, ir.Lin(diff.lin.coefs, 0.0)), op, 0.0 - const + 0.0)  # type: ignore[arg-type]
    return ir.Rel(diff, op, 0.0)  # type: ignore[arg-type]


# --- the compiler ------------------------------------------------------------------------------

class _Scope:
    """Names visible to an expression: bound indices (with their set) over the model's names."""

    def __init__(self, model: _Model, bound: dict[str, str]) -> None:
        self.model = model
        self.bound = bound

    def child(self, extra: dict[str, str]) -> _Scope:
        return _Scope(self.model, {**self.bound, **extra})


class _Model:
    """Resolved sets, parameters and variables of a formulation."""

    def __init__(self, f: Formulation) -> None:
        self.f = f
        self.sets: dict[str, list[Elem]] = {}
        self.set_index: dict[str, dict[Elem, int]] = {}
        for name, defn in f.sets.items():
            where = f"set '{name}'"
            if isinstance(defn, RangeSet):
                lo, hi = defn.range
                if hi - lo + 1 > MAX_SET_SIZE:
                    raise LimitError(f"range [{lo}, {hi}] has {hi - lo + 1:,} elements; the limit is "
                                     f"{MAX_SET_SIZE:,}", where=where)
                elems: list[Elem] = list(range(lo, hi + 1))
            else:
                raw = defn.elements if isinstance(defn, ElementSet) else defn
                if len(raw) > MAX_SET_SIZE:
                    raise LimitError(f"{len(raw):,} elements; the limit is {MAX_SET_SIZE:,}", where=where)
                elems = list(raw)
                seen: set[Elem] = set()
                for e in elems:
                    if e in seen:
                        raise ValidationError(f"element {e!r} appears twice", where=where)
                    seen.add(e)
            self.sets[name] = elems
            self.set_index[name] = {e: i for i, e in enumerate(elems)}
        self.scalars: dict[str, float] = {}
        self.params: dict[str, tuple[tuple[str, ...], ParamData, float | None]] = {}
        for name, pdef in f.parameters.items():
            self._add_param(name, pdef)
        self.var_index: dict[str, tuple[str, ...]] = {}
        for name, v in f.variables.items():
            where = f"variable '{name}'"
            for s in v.index:
                if s not in self.sets:
                    raise _unknown(s, self.sets, "set", where)
            if v.lb is not None and v.ub is not None and v.lb > v.ub:
                raise ValidationError(f"lb {v.lb} is greater than ub {v.ub}", where=where)
            self.var_index[name] = tuple(v.index)
        clash = (set(self.sets) & set(f.parameters)) | (set(self.sets) & set(f.variables)) | (
            set(f.parameters) & set(f.variables))
        if clash:
            raise ValidationError(f"name(s) {sorted(clash)} used for more than one element",
                                  hint="give sets, parameters and variables distinct names")

    def _add_param(self, name: str, pdef: Any) -> None:
        where = f"parameter '{name}'"
        if isinstance(pdef, bool):
            raise ValidationError("value must be a number, not a boolean", where=where)
        if isinstance(pdef, (int, float)):
            self.scalars[name] = _finite(pdef, where)
            return
        if isinstance(pdef, ScalarParam):
            self.scalars[name] = _finite(pdef.value, where)
            return
        assert isinstance(pdef, IndexedParam)
        if not pdef.index:
            if pdef.values is None and pdef.default is not None:
                self.scalars[name] = _finite(pdef.default, where)
                return
            if isinstance(pdef.values, (int, float)) and not isinstance(pdef.values, bool):
                self.scalars[name] = _finite(pdef.values, where)
                return
            raise ValidationError("a parameter without 'index' must have a number as 'values'", where=where)
        for s in pdef.index:
            if s not in self.sets:
                raise _unknown(s, self.sets, "set", where)
        index = tuple(pdef.index)
        default = None if pdef.default is None else _finite(pdef.default, where)
        shape = tuple(len(self.sets[s]) for s in index)
        dense = _dense_from_lists(pdef.values, shape)
        if dense is not None:
            if not np.isfinite(dense).all():
                raise ValidationError("values must be finite numbers", where=where)
            self.params[name] = (index, ParamData(self, index, dense=dense), default)
            return
        table: dict[tuple[Elem, ...], float] = {}
        if pdef.values is not None:
            self._fill(table, pdef.values, index, (), where)
        self.params[name] = (index, ParamData(self, index, table=table), default)

    def dense_param(self, name: str, max_size: int) -> Any:
        """The parameter as a dense array (NaN where missing and no default), or None if too large."""
        _index, data, default = self.params[name]
        return data.dense_array(default, max_size)

    def _fill(self, table: dict[tuple[Elem, ...], float], values: Any, index: tuple[str, ...],
              prefix: tuple[Elem, ...], where: str) -> None:
        depth = len(prefix)
        set_name = index[depth]
        elems = self.sets[set_name]
        last = depth == len(index) - 1
        here = f"{where} at [{', '.join(str(p) for p in prefix)}]" if prefix else where
        if isinstance(values, list):
            if len(values) != len(elems):
                raise ValidationError(f"expected {len(elems)} values along set '{set_name}', got "
                                      f"{len(values)}", where=here)
            items: Iterable[tuple[Elem, Any]] = zip(elems, values)
        elif isinstance(values, dict):
            lookup = self.set_index[set_name]
            pairs = []
            for k, v in values.items():
                key = _element_key(k, lookup)
                if key is None:
                    raise ValidationError(f"key {k!r} is not an element of set '{set_name}'", where=here)
                pairs.append((key, v))
            items = pairs
        else:
            raise ValidationError(f"expected an array or object along set '{set_name}', got "
                                  f"{type(values).__name__} {str(values)[:40]}", where=here)
        for e, v in items:
            if last:
                if v is None:
                    continue
                if isinstance(v, bool) or not isinstance(v, (int, float)):
                    raise ValidationError(f"value {str(v)[:40]!r} for [{', '.join(map(str, (*prefix, e)))}] "
                                          "is not a number", where=where)
                table[(*prefix, e)] = _finite(v, where)
            else:
                self._fill(table, v, index, (*prefix, e), where)


def _dense_from_lists(values: Any, shape: tuple[int, ...]) -> Any:
    """Nested arrays of numbers with exactly the sets' shape, as a float array (else None)."""
    if not isinstance(values, list) or not shape:
        return None
    try:
        arr = np.asarray(values, dtype=np.float64)
    except (ValueError, TypeError):
        return None
    if arr.shape != shape:
        return None
    # bools are numbers to numpy but not to the spec: leave those to the checking path
    probe = values
    while isinstance(probe, list) and probe:
        probe = probe[0]
    if isinstance(probe, bool):
        return None
    return arr


class ParamData:
    """The values of an indexed parameter: a dict by element tuple, or a dense array, or both."""

    def __init__(self, model: _Model, index: tuple[str, ...], *, table: dict[tuple[Elem, ...], float] | None = None,
                 dense: Any = None) -> None:
        self._model = model
        self._index = index
        self._table = table
        self._dense = dense
        self._dense_cache: Any = None
        self._lookups = [model.set_index[s] for s in index]

    def get(self, key: tuple[Elem, ...]) -> float | None:
        if self._table is not None:
            return self._table.get(key)
        pos = []
        for k, lk in zip(key, self._lookups):
            p = lk.get(k)
            if p is None:
                return None
            pos.append(p)
        v = float(self._dense[tuple(pos)])
        return None if math.isnan(v) else v

    def items(self) -> Iterable[tuple[tuple[Elem, ...], float]]:
        """The given entries (not the default), as (element tuple, value), in set order for arrays."""
        if self._table is not None:
            yield from self._table.items()
            return
        elems = [list(lk) for lk in self._lookups]
        for pos in zip(*np.nonzero(~np.isnan(self._dense))):
            yield tuple(e[int(p)] for e, p in zip(elems, pos)), float(self._dense[pos])

    def dense_array(self, default: float | None, max_size: int) -> Any:
        if self._dense is not None and default is None:
            return self._dense
        if self._dense_cache is None:
            shape = tuple(len(lk) for lk in self._lookups)
            if int(np.prod(shape)) > max_size:
                return None
            if self._dense is not None:
                arr = self._dense.copy()
            else:
                arr = np.full(shape, np.nan)
                assert self._table is not None
                if self._table:
                    pos = np.array([[lk[k] for k, lk in zip(key, self._lookups)] for key in self._table],
                                   dtype=np.int64)
                    arr[tuple(pos.T)] = np.fromiter(self._table.values(), dtype=np.float64,
                                                    count=len(self._table))
            if default is not None:
                arr[np.isnan(arr)] = default
            self._dense_cache = arr
        return self._dense_cache


class _IdMap:
    """Element tuple -> variable id, computed from positions (no per-instance dict)."""

    def __init__(self, model: _Model, sets: tuple[str, ...], base: int) -> None:
        self._lookups = [model.set_index[s] for s in sets]
        self._shape = tuple(len(lk) for lk in self._lookups)
        self._base = base

    def get(self, key: tuple[Elem, ...]) -> int | None:
        off = 0
        for k, lk, size in zip(key, self._lookups, self._shape):
            p = lk.get(k)
            if p is None:
                return None
            off = off * size + p
        return self._base + off


def _element_key(k: Any, lookup: dict[Elem, int]) -> Elem | None:
    if k in lookup:
        return k  # type: ignore[no-any-return]
    if isinstance(k, str):
        try:
            ik = int(k)
        except ValueError:
            return None
        return ik if ik in lookup else None
    if isinstance(k, int) and str(k) in lookup:
        return str(k)
    return None


def _finite(v: float, where: str) -> float:
    x = float(v)
    if not math.isfinite(x):
        raise ValidationError(f"value {v} is not finite", where=where)
    return x


def _unknown(name: str, known: Iterable[str], kind: str, where: str) -> ValidationError:
    close = difflib.get_close_matches(name, list(known), n=3)
    hint = f"did you mean {', '.join(repr(c) for c in close)}?" if close else None
    return ValidationError(f"unknown {kind} '{name}'", where=where, hint=hint, details={"token": name})


class Compiler:
    """Compiles expression trees to closures, checking names and arities statically."""

    def __init__(self, model: _Model, groups: dict[str, _IdMap], var_kinds: Any) -> None:
        self.m = model
        self.groups = groups
        self.var_kinds = var_kinds
        self.work = 0
        self.where = ""

    # -- entry points --------------------------------------------------------------------------
    def compile(self, node: E.Node, scope: _Scope, where: str) -> Fn:
        self.where = where
        return self._c(node, scope)

    def bindings(self, gens: tuple[E.Gen, ...], scope: _Scope, where: str) -> tuple[Callable[[Env], Iterable[Env]], _Scope]:
        """Compile generators; returns a function yielding environments, and the inner scope."""
        self.where = where
        steps: list[tuple[str, list[Elem], list[Fn]]] = []
        cur = scope
        for g in gens:
            if g.set_name not in self.m.sets:
                raise _unknown(g.set_name, self.m.sets, "set", where)
            if g.var in self.m.scalars or g.var in self.m.params or g.var in self.m.var_index:
                raise ValidationError(f"index name '{g.var}' hides a parameter or variable", where=where,
                                      hint="use a different index letter")
            cur = cur.child({g.var: g.set_name})
            conds = [self._c(c, cur) for c in g.conds]
            steps.append((g.var, self.m.sets[g.set_name], conds))

        def gen(env: Env) -> Iterable[Env]:
            yield from self._expand(steps, 0, dict(env))

        return gen, cur

    def _expand(self, steps: list[tuple[str, list[Elem], list[Fn]]], k: int, env: Env) -> Iterable[Env]:
        if k == len(steps):
            yield env
            return
        var, elems, conds = steps[k]
        self.work += len(elems)
        if self.work > MAX_WORK:
            raise LimitError(f"the model needs more than {MAX_WORK:,} index combinations", where=self.where,
                             hint="reduce set sizes or add filters")
        for e in elems:
            env[var] = e
            if conds and not all(_truth(c(env), self.where) for c in conds):
                continue
            yield from self._expand(steps, k + 1, env)

    # -- nodes ---------------------------------------------------------------------------------
    def _c(self, node: E.Node, scope: _Scope) -> Fn:
        where = self.where
        if isinstance(node, E.Num):
            v = node.value
            iv: float | int = int(v) if v.is_integer() and abs(v) < 2**53 else v
            return lambda env: iv
        if isinstance(node, E.Str):
            s = node.value
            return lambda env: s
        if isinstance(node, E.BoolLiteral):
            bc = ir.BoolConst(node.value)
            return lambda env: bc
        if isinstance(node, E.Name):
            return self._name(node.id, scope)
        if isinstance(node, E.Subscript):
            return self._subscript(node, scope)
        if isinstance(node, E.Add):
            parts = [(float(s), self._c(t, scope)) for s, t in node.terms]

            def f_add(env: Env) -> Value:
                acc: Value = 0
                for s, fn in parts:
                    acc = add(acc, fn(env), s)
                return acc
            return f_add
        if isinstance(node, E.Mul):
            fl, fr = self._c(node.left, scope), self._c(node.right, scope)
            return lambda env: mul(fl(env), fr(env))
        if isinstance(node, E.Div):
            fl, fr = self._c(node.left, scope), self._c(node.right, scope)
            return lambda env: div(fl(env), fr(env), self.where)
        if isinstance(node, E.Pow):
            if self._mentions_var(node.exp, scope):
                raise ValidationError("the exponent must be a constant, not an expression of variables",
                                      where=where, hint="rewrite x ** y with constant y")
            fb, fe = self._c(node.base, scope), self._c(node.exp, scope)
            return lambda env: power(fb(env), fe(env), self.where)
        if isinstance(node, E.Neg):
            fo = self._c(node.operand, scope)
            return lambda env: mul(fo(env), -1.0)
        if isinstance(node, E.Call):
            return self._call(node, scope)
        if isinstance(node, E.Compare):
            return self._compare(node, scope)
        if isinstance(node, E.BoolOp):
            fs = [self._c(v, scope) for v in node.values]
            is_and = node.op == "and"

            def f_bool(env: Env) -> Value:
                vals = [f(env) for f in fs]
                if all(isinstance(v, bool) for v in vals):
                    return all(vals) if is_and else any(vals)
                forms = tuple(self._formula(v) for v in vals)
                return ir.And(forms) if is_and else ir.Or(forms)
            return f_bool
        if isinstance(node, E.Not):
            fo = self._c(node.operand, scope)

            def f_not(env: Env) -> Value:
                v = fo(env)
                if isinstance(v, bool):
                    return not v
                return ir.Not(self._formula(v))
            return f_not
        raise ValidationError(f"unsupported expression {type(node).__name__}", where=where)

    def _formula(self, v: Value) -> ir.Formula:
        if isinstance(v, _FORMULA_TYPES):
            return v  # type: ignore[return-value]
        if isinstance(v, bool):
            return ir.BoolConst(v)
        if isinstance(v, ir.Lin) and len(v.coefs) == 1 and v.const == 0:
            (vid, c), = v.coefs.items()
            if c == 1.0 and self.var_kinds[vid].kind in ("binary", "boolean"):
                return ir.BoolLit(vid)
        raise ValidationError(f"expected a condition (comparison, logic, or a binary/boolean variable), got "
                              f"{_describe(v) if not isinstance(v, ir.Lin) else 'an arithmetic expression'}",
                              where=self.where)

    def _mentions_var(self, node: E.Node, scope: _Scope) -> bool:
        stack: list[Any] = [node]
        while stack:
            n = stack.pop()
            if isinstance(n, E.Name) and n.id in self.m.var_index and n.id not in scope.bound:
                return True
            if isinstance(n, E.Subscript) and n.name in self.m.var_index:
                return True
            if isinstance(n, tuple):
                stack.extend(n)
            elif hasattr(n, "__dataclass_fields__"):
                stack.extend(getattr(n, k) for k in n.__dataclass_fields__)
        return False

    def _name(self, name: str, scope: _Scope) -> Fn:
        if name in scope.bound:
            return lambda env: env[name]
        if name in self.m.scalars:
            val = self.m.scalars[name]
            return lambda env: val
        if name in self.m.params:
            raise ValidationError(f"parameter '{name}' is indexed by {list(self.m.params[name][0])}; "
                                  f"write {name}[...]", where=self.where, details={"token": name})
        if name in self.m.var_index:
            idx = self.m.var_index[name]
            if idx:
                raise ValidationError(f"variable '{name}' is indexed by {list(idx)}; write {name}[...]",
                                      where=self.where, details={"token": name})
            vid0 = self.groups[name].get(())
            assert vid0 is not None
            vid: int = vid0
            return lambda env: ir.Lin({vid: 1.0}, 0.0)
        if name in self.m.sets:
            raise ValidationError(f"set '{name}' cannot be used as a value", where=self.where,
                                  hint=f"iterate over it: sum(... for i in {name})")
        known = [*scope.bound, *self.m.scalars, *self.m.params, *self.m.var_index]
        raise _unknown(name, known, "name", self.where)

    def _index_fns(self, node: E.Subscript, sets: tuple[str, ...], scope: _Scope, kind: str) -> list[Fn]:
        if len(node.index) != len(sets):
            raise ValidationError(f"{kind} '{node.name}' takes {len(sets)} index(es) "
                                  f"({', '.join(sets) or 'none'}), got {len(node.index)}",
                                  where=self.where, details={"token": node.name})
        fns = []
        for pos, (arg, set_name) in enumerate(zip(node.index, sets)):
            if isinstance(arg, (E.Str, E.Num)):
                lit = arg.value if isinstance(arg, E.Str) else (
                    int(arg.value) if float(arg.value).is_integer() else arg.value)
                if _element_key(lit, self.m.set_index[set_name]) is None:
                    raise ValidationError(f"{lit!r} is not an element of set '{set_name}' (index {pos + 1} "
                                          f"of '{node.name}')", where=self.where, details={"token": str(lit)})
            fns.append(self._c(arg, scope))
        return fns

    def _subscript(self, node: E.Subscript, scope: _Scope) -> Fn:
        name, where = node.name, self.where
        if name in self.m.params:
            sets, table, default = self.m.params[name]
            fns = self._index_fns(node, sets, scope, "parameter")
            lookups = [self.m.set_index[s] for s in sets]

            def f_param(env: Env) -> Value:
                key = tuple(_norm_key(fn(env), lk) for fn, lk in zip(fns, lookups))
                v = table.get(key)
                if v is None:
                    if default is None:
                        raise CompileError(f"parameter '{name}' has no value for [{', '.join(map(str, key))}] "
                                           "and no default", where=self.where,
                                           hint="add the value, a 'default', or an if filter")
                    return default
                return v
            return f_param
        if name in self.m.var_index:
            sets = self.m.var_index[name]
            fns = self._index_fns(node, sets, scope, "variable")
            group = self.groups[name]
            lookups = [self.m.set_index[s] for s in sets]

            def f_var(env: Env) -> Value:
                key = tuple(_norm_key(fn(env), lk) for fn, lk in zip(fns, lookups))
                vid = group.get(key)
                if vid is None:
                    raise CompileError(f"index [{', '.join(map(str, key))}] is outside variable '{name}' "
                                       f"(sets {', '.join(sets)})", where=self.where,
                                       hint="add an if filter to the forall or sum, e.g. 'if t > 1'")
                return ir.Lin({vid: 1.0}, 0.0)
            return f_var
        if name in self.m.scalars:
            raise ValidationError(f"parameter '{name}' is a scalar; it takes no index", where=where,
                                  details={"token": name})
        if name in self.m.sets:
            raise ValidationError(f"set '{name}' cannot be indexed", where=where, details={"token": name})
        known = [*self.m.params, *self.m.var_index]
        raise _unknown(name, known, "parameter or variable", where)

    def _call(self, node: E.Call, scope: _Scope) -> Fn:
        fname, where = node.func, self.where
        if node.gens:
            gen, inner = self.bindings(node.gens, scope, where)
            body = self._c(node.args[0], inner)
            self.where = where
            if fname == "sum":
                return self._sum(gen, body)
            if fname == "all_different":
                return lambda env: ir.AllDifferent(tuple(as_expr(body(e)) for e in gen(env)))
            is_min = fname == "min"

            def f_minmax_gen(env: Env) -> Value:
                vals = [body(e) for e in gen(env)]
                if not vals:
                    raise CompileError(f"{fname}() over an empty set", where=self.where)
                return _minmax(vals, is_min)
            return f_minmax_gen
        fns = [self._c(a, scope) for a in node.args]
        if fname == "implies":
            fa, fb = fns

            def f_impl(env: Env) -> Value:
                a, b = fa(env), fb(env)
                if isinstance(a, bool) and isinstance(b, bool):
                    return (not a) or b
                return ir.Implies(self._formula(a), self._formula(b))
            return f_impl
        if fname == "all_different":
            return lambda env: ir.AllDifferent(tuple(as_expr(f(env)) for f in fns))
        if fname in ("min", "max"):
            is_min = fname == "min"
            return lambda env: _minmax([f(env) for f in fns], is_min)
        (fa,) = fns

        def f_unary(env: Env) -> Value:
            a = fa(env)
            if _is_num(a):
                return _num_func(fname, float(a), self.where)
            return ir.NL(fname, (as_expr(a),))
        return f_unary

    def _sum(self, gen: Callable[[Env], Iterable[Env]], body: Fn) -> Fn:
        def f_sum(env: Env) -> Value:
            coefs: dict[int, float] = {}
            const = 0.0
            rest: Value = None
            for e in gen(env):
                v = body(e)
                if isinstance(v, ir.Lin):
                    for i, c in v.coefs.items():
                        coefs[i] = coefs.get(i, 0.0) + c
                    const += v.const
                elif _is_num(v):
                    const += v
                else:
                    rest = v if rest is None else add(rest, v)
            lin = ir.Lin(coefs, const)
            if rest is None:
                return const if not coefs else lin
            return add(rest, lin)
        return f_sum

    def _compare(self, node: E.Compare, scope: _Scope) -> Fn:
        fns = [self._c(o, scope) for o in node.operands]
        ops, where = node.ops, self.where

        def f_cmp(env: Env) -> Value:
            vals = [f(env) for f in fns]
            if all(_is_num(v) or isinstance(v, str) for v in vals):
                # index / element / parameter comparison: a plain truth value
                out = True
                for a, op, b in zip(vals, ops, vals[1:]):
                    out = out and _compare_plain(a, op, b, where)
                return out
            if len(ops) == 2 and ops[0] in ("<=", "<") and ops[1] in ("<=", "<") and \
                    _is_num(vals[0]) and _is_num(vals[2]):
                return ir.Range(as_expr(vals[1]), float(vals[0]), float(vals[2]))
            if len(ops) == 2 and ops[0] in (">=", ">") and ops[1] in (">=", ">") and \
                    _is_num(vals[0]) and _is_num(vals[2]):
                return ir.Range(as_expr(vals[1]), float(vals[2]), float(vals[0]))
            rels = [relation(a, op, b, where) for a, op, b in zip(vals, ops, vals[1:])]
            return rels[0] if len(rels) == 1 else ir.And(tuple(rels))
        return f_cmp


def _norm_key(v: Value, lookup: dict[Elem, int]) -> Elem:
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    if isinstance(v, (int, str)) and not isinstance(v, bool):
        if v in lookup:
            return v
        k = _element_key(v, lookup)
        return k if k is not None else v
    raise CompileError(f"an index must be an element, got {_describe(v)}")


def _compare_plain(a: Any, op: str, b: Any, where: str) -> bool:
    if isinstance(a, str) != isinstance(b, str) and op not in ("==", "!="):
        raise CompileError(f"cannot order {a!r} and {b!r}", where=where)
    if op == "==":
        return bool(a == b)
    if op == "!=":
        return bool(a != b)
    try:
        return bool({"<=": a <= b, ">=": a >= b, "<": a < b, ">": a > b}[op])
    except TypeError:
        raise CompileError(f"cannot compare {a!r} {op} {b!r}", where=where) from None


def _truth(v: Value, where: str) -> bool:
    if isinstance(v, bool):
        return v
    if isinstance(v, ir.BoolConst):
        return v.value
    raise ValidationError("an 'if' filter must compare indices, elements or parameters, not variables",
                          where=where)


def _minmax(vals: list[Value], is_min: bool) -> Value:
    if all(_is_num(v) for v in vals):
        return min(vals) if is_min else max(vals)
    return ir.NL("min" if is_min else "max", tuple(as_expr(v) for v in vals))


# --- instantiate -------------------------------------------------------------------------------

_KIND = {"reals": "continuous", "nonnegative_reals": "continuous", "integers": "integer",
         "nonnegative_integers": "integer", "binary": "binary", "boolean": "boolean"}


def ground(f: Formulation, *, vectorize: bool = True) -> ir.GroundModel:
    """Check and ground a formulation (raises ValidationError / CompileError / LimitError).

    ``vectorize=False`` forces the per-binding closure path everywhere (used by tests that check both
    paths build the same model).
    """
    m = _Model(f)
    table = ir.VarTable()
    groups: dict[str, _IdMap] = {}
    var_groups: dict[str, ir.VarGroup] = {}
    var_base: dict[str, int] = {}
    for name, v in f.variables.items():
        sets = m.var_index[name]
        n = 1
        for s_ in sets:
            n *= len(m.sets[s_])
        if len(table) + n > MAX_VAR_INSTANCES:
            raise LimitError(f"the model would have more than {MAX_VAR_INSTANCES:,} variable instances",
                             where=f"variable '{name}'", hint="reduce the sizes of its index sets")
        kind = _KIND[v.domain]
        lb = None if v.lb is None else float(v.lb)
        ub = None if v.ub is None else float(v.ub)
        if v.domain in ("nonnegative_reals", "nonnegative_integers"):
            lb = 0.0 if lb is None else max(lb, 0.0)
        if kind in ("binary", "boolean"):
            lb = 0.0 if lb is None else max(lb, 0.0)
            ub = 1.0 if ub is None else min(ub, 1.0)
        elements = tuple(tuple(m.sets[s_]) for s_ in sets)
        ids = table.add_block(name, elements, kind, lb, ub)  # type: ignore[arg-type]
        var_base[name] = ids.start
        groups[name] = _IdMap(m, sets, ids.start)
        var_groups[name] = ir.VarGroup(name, sets, ids, elements)

    comp = Compiler(m, groups, table)
    vec = Vectorizer(m, var_base, MAX_WORK)
    root = _Scope(m, {})
    n_vars = len(table)

    objective = None
    if f.objective is not None:
        where = "objective"
        node = E.parse_expr(f.objective.expr, where)
        fn = comp.compile(node, root, where)
        val: Value = None
        if vectorize:
            try:
                vv = vec.eval(node, Frame(1, {}))
                _, cols, data, const = vec.linear(vv, 1, n_vars)
                val = ir.Lin(dict(zip(cols.tolist(), data.tolist())), float(const[0]))
                if not val.coefs:
                    val = float(const[0])
            except NotVectorizable:
                val = None
        if val is None:
            val = fn({})
        if not (_is_num(val) or isinstance(val, (ir.Lin, ir.Quad, ir.NL))):
            raise ValidationError("the objective must be an arithmetic expression, not a condition",
                                  where=where)
        objective = ir.GroundObjective(f.objective.sense, as_expr(val))

    parts: list[ir.LinearBlock | ir.GroundConstraint] = []
    count = 0
    for cname, c in f.constraints.items():
        where = f"constraint '{cname}'"
        node = E.parse_expr(c.expr, where)
        gens = E.parse_forall(c.forall, f"{where} (forall)") if c.forall else ()
        if gens:
            gen, scope = comp.bindings(gens, root, f"{where} (forall)")
        else:
            gen, scope = (lambda env: [env]), root
        fn = comp.compile(node, scope, where)   # static checks: names, arity, exponents
        weight = float(c.soft.weight) if c.soft else None
        block = _vector_block(vec, cname, node, gens, n_vars, weight) if vectorize else None
        if block is not None:
            parts.append(block)
            count += len(block)
        else:
            idx_names = [g.var for g in gens]
            for env in gen({}):
                index = tuple(env[k] for k in idx_names)
                comp.where = f"constraint '{ir.label(cname, index)}'"
                val = fn(env)
                if isinstance(val, bool):
                    val = ir.BoolConst(val)
                if not isinstance(val, _FORMULA_TYPES):
                    try:
                        val = comp._formula(val)
                    except ValidationError:
                        raise ValidationError("a constraint must be a comparison (<=, >=, ==), logic, or "
                                              "all_different; got an arithmetic expression", where=where,
                                              hint="add a comparison, e.g. '... <= 100'") from None
                if isinstance(val, ir.BoolConst) and val.value and weight is None:
                    continue  # trivially true instance
                if weight is None and isinstance(val, ir.And) and val.args and \
                        all(isinstance(a, (ir.Rel, ir.Range)) for a in val.args):
                    # rows that must all hold (a chain "y >= 3 * x >= 2 * y" with variables on its ends)
                    # are rows, not logic: the model stays linear (a MIP solver takes it; CP-SAT with
                    # unbounded integers ran out of memory on one such chain, session 28)
                    parts.extend(ir.GroundConstraint(cname, index, a, None) for a in val.args)
                    count += len(val.args)
                    continue
                parts.append(ir.GroundConstraint(cname, index, val, weight))
                count += 1
        if count > MAX_CONSTRAINT_INSTANCES:
            raise LimitError(f"more than {MAX_CONSTRAINT_INSTANCES:,} constraint instances", where=where)

    gm = ir.GroundModel(f.name or "model", table, ir.ConstraintList(parts), objective, var_groups)
    gm.features = features(gm)
    return gm


_SENSE = {"<=": "<=", "<": "<=", ">=": ">=", ">": ">=", "==": "=="}


def _vector_block(vec: Vectorizer, cname: str, node: E.Node, gens: tuple[E.Gen, ...], n_vars: int,
                  weight: float | None) -> ir.LinearBlock | None:
    """All instances of a linear constraint at once, or None when it needs the closure path."""
    if not isinstance(node, E.Compare):
        return None
    try:
        fr, _ = vec.expand(Frame(1, {}), gens) if gens else (Frame(1, {}), None)
        if fr.n == 0:
            return None
        vals = [vec.eval(o, fr) for o in node.operands]
        if len(node.ops) == 1:
            sense = _SENSE.get(node.ops[0])
            if sense is None:
                return None
            a, b = vals
            diff = vec._add(a, vec._scale(b, np.full(fr.n, -1.0), fr.n), fr.n)
            indptr, cols, data, const = vec.linear(diff, fr.n, n_vars)
            rhs = -const
            lo = rhs if sense in (">=", "==") else np.full(fr.n, -np.inf)
            hi = rhs if sense in ("<=", "==") else np.full(fr.n, np.inf)
            senses = [sense] * fr.n
        elif (len(node.ops) == 2 and all(o in ("<=", "<") for o in node.ops)) or \
                (len(node.ops) == 2 and all(o in (">=", ">") for o in node.ops)):
            lo_v, mid, hi_v = vals
            if isinstance(lo_v, VLin) or isinstance(hi_v, VLin):
                return None
            if node.ops[0] in (">=", ">"):
                lo_v, hi_v = hi_v, lo_v
            indptr, cols, data, const = vec.linear(mid, fr.n, n_vars)
            lo = vec.as_num(lo_v, fr.n) - const
            hi = vec.as_num(hi_v, fr.n) - const
            senses = ["range"] * fr.n
        else:
            return None
        if np.any(np.diff(indptr) == 0):
            return None   # an instance without variables: the closure path decides it
        index = vec.element_tuples(fr, [g.var for g in gens])
    except NotVectorizable:
        return None
    return ir.LinearBlock(cname, index, indptr, cols, data, np.asarray(lo, dtype=np.float64) + 0.0,
                          np.asarray(hi, dtype=np.float64) + 0.0, senses, weight)


# --- features ----------------------------------------------------------------------------------

def _expr_feats(e: ir.Expr, out: set[str], where: str) -> None:
    if isinstance(e, ir.Lin):
        if e.coefs:
            out.add("linear")
    elif isinstance(e, ir.Quad):
        out.add("quadratic_" + where)
    else:
        out.add("nonlinear")


def _formula_feats(fm: ir.Formula, out: set[str], top: bool = True) -> bool:
    """Adds features; returns True when the formula is purely logical over boolean literals."""
    if isinstance(fm, (ir.Rel, ir.Range)):
        _expr_feats(fm.expr, out, "constraints")
        if not top:
            out.add("logic")
        return False
    if isinstance(fm, ir.BoolLit):
        out.add("logic")
        return True
    if isinstance(fm, ir.BoolConst):
        return True
    if isinstance(fm, ir.AllDifferent):
        out.add("all_different")
        for x in fm.exprs:
            _expr_feats(x, out, "constraints")
        return False
    out.add("logic")
    if isinstance(fm, (ir.And, ir.Or)):
        return all([_formula_feats(a, out, False) for a in fm.args])
    if isinstance(fm, ir.Not):
        return _formula_feats(fm.arg, out, False)
    if isinstance(fm, ir.Implies):
        return all([_formula_feats(fm.a, out, False), _formula_feats(fm.b, out, False)])
    raise AssertionError(type(fm))


def is_convex_quadratic(q: ir.Quad, sense: str) -> bool:
    ids = sorted({i for p in q.quad for i in p})
    if len(ids) > 3000:
        return False
    pos = {v: k for k, v in enumerate(ids)}
    h = np.zeros((len(ids), len(ids)))
    for (i, j), c in q.quad.items():
        if i == j:
            h[pos[i], pos[i]] += 2 * c
        else:
            h[pos[i], pos[j]] += c
            h[pos[j], pos[i]] += c
    if sense == "maximize":
        h = -h
    eig = np.linalg.eigvalsh(h) if len(ids) else np.zeros(0)
    scale = max(1.0, float(np.abs(h).max()) if h.size else 1.0)
    return bool(eig.size == 0 or eig.min() >= -1e-9 * scale)


def features(gm: ir.GroundModel) -> frozenset[str]:
    out: set[str] = set()
    all_bool = True
    var_rows: Iterable[tuple[str, float | None, float | None]]
    if isinstance(gm.vars, ir.VarTable):
        var_rows = [(b.kind, b.lb, b.ub) for b in gm.vars.blocks() if not b.shape or all(b.shape)]
    else:
        var_rows = [(v.kind, v.lb, v.ub) for v in gm.vars]
    for kind, lb, ub in var_rows:
        if kind == "continuous":
            out.add("continuous")
            all_bool = False
        elif kind == "integer":
            out.add("integer")
            all_bool = False
            if lb is None or ub is None:
                out.add("unbounded_integer")
        else:
            out.add("binary")
    clausal = True
    parts = gm.constraints.parts() if isinstance(gm.constraints, ir.ConstraintList) else list(gm.constraints)
    for c in parts:
        if c.weight is not None:
            out.add("soft")
        if isinstance(c, ir.LinearBlock):
            if len(c.indices):
                out.add("linear")
            clausal = False
            continue
        clausal = _formula_feats(c.formula, out) and clausal
    if gm.objective is None:
        out.add("no_objective")
    else:
        ob = gm.objective.expr
        if isinstance(ob, ir.Quad):
            out.add("quadratic_objective")
            if not is_convex_quadratic(ob, gm.objective.sense):
                out.add("nonconvex_objective")
        elif isinstance(ob, ir.NL):
            out.add("nonlinear")
        elif ob.coefs:
            out.add("linear")
    if all_bool and gm.vars:
        out.add("pure_boolean")
    if clausal and gm.constraints:
        out.add("clausal")
    return frozenset(out)
