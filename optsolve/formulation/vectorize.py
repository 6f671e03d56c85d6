"""Vectorised grounding of linear expressions with numpy.

The closure compiler of :mod:`optsolve.formulation.ground` evaluates an expression once per index
binding, which costs microseconds per term in Python. Most models are linear sums over sets, so this
module evaluates the same expression tree over *all* bindings at once: a frame holds one row per
binding, bound indices are arrays of element positions, parameters are gathered from dense arrays,
variable ids are ``base + ravel(positions)``, and a linear expression is a set of (row, column,
coefficient) triplets. Whatever it cannot handle (logic, products of variables, string arithmetic,
an index outside its set...) raises :class:`NotVectorizable`, and the caller falls back to the closure
compiler, which also produces the precise error messages. Both paths give the same model (tested).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Union

import numpy as np
import numpy.typing as npt

from optsolve.errors import LimitError
from optsolve.formulation import expr as E
from optsolve.formulation import ir

if TYPE_CHECKING:
    from optsolve.formulation.ground import _Model

IA = npt.NDArray[np.int64]
FA = npt.NDArray[np.float64]
MAX_DENSE = 20_000_000


class NotVectorizable(Exception):
    """The expression needs the per-binding path."""


@dataclass(slots=True)
class VIdx:
    set_name: str
    pos: IA


@dataclass(slots=True)
class VNum:
    val: FA


@dataclass(slots=True)
class VElem:
    value: Any


@dataclass(slots=True)
class VLin:
    rows: IA
    cols: IA
    coefs: FA
    const: FA


VVal = Union[VIdx, VNum, VElem, VLin]


@dataclass(slots=True)
class Frame:
    n: int
    bound: dict[str, VIdx]


class Vectorizer:
    def __init__(self, model: _Model, var_base: dict[str, int], max_work: int) -> None:
        self.m = model
        self.var_base = var_base
        self.max_work = max_work
        self.work = 0
        self._set_values: dict[str, npt.NDArray[Any] | None] = {}
        self._trans: dict[tuple[str, str], IA] = {}

    # -- sets ------------------------------------------------------------------------------------
    def numeric_values(self, set_name: str) -> npt.NDArray[Any]:
        if set_name not in self._set_values:
            elems = self.m.sets[set_name]
            if all(isinstance(e, int) for e in elems):
                self._set_values[set_name] = np.asarray(elems, dtype=np.int64)
            else:
                self._set_values[set_name] = None
        vals = self._set_values[set_name]
        if vals is None:
            raise NotVectorizable("arithmetic on a set of strings")
        return vals

    def positions(self, v: VVal, target: str, n: int) -> IA:
        """Positions in set ``target`` of an index value (-1 where it is not an element)."""
        if isinstance(v, VIdx):
            if v.set_name == target:
                return v.pos
            key = (v.set_name, target)
            if key not in self._trans:
                lookup = self.m.set_index[target]
                self._trans[key] = np.asarray([lookup.get(e, -1) for e in self.m.sets[v.set_name]],
                                              dtype=np.int64)
            return self._trans[key][v.pos]
        if isinstance(v, VElem):
            p = self.m.set_index[target].get(v.value, -1)
            return np.full(n, p, dtype=np.int64)
        if isinstance(v, VNum):
            vals = self.numeric_values(target)
            x = v.val
            xi = np.rint(x).astype(np.int64)
            ok = np.abs(x - xi) < 1e-9
            if len(vals) and vals[-1] - vals[0] == len(vals) - 1 and np.all(np.diff(vals) == 1):
                pos = xi - vals[0]
                ok &= (pos >= 0) & (pos < len(vals))
                return np.where(ok, pos, -1)
            order = np.argsort(vals)
            sv = vals[order]
            k = np.clip(np.searchsorted(sv, xi), 0, max(len(sv) - 1, 0))
            found = ok & (len(sv) > 0) & (sv[k] == xi)
            return np.where(found, order[k], -1)
        raise NotVectorizable("an expression used as an index")

    def as_num(self, v: VVal, n: int) -> FA:
        if isinstance(v, VNum):
            return v.val
        if isinstance(v, VIdx):
            return self.numeric_values(v.set_name)[v.pos].astype(np.float64)
        if isinstance(v, VElem) and isinstance(v.value, (int, float)):
            return np.full(n, float(v.value))
        raise NotVectorizable("not a number")

    # -- frames ------------------------------------------------------------------------------------
    def expand(self, frame: Frame, gens: tuple[E.Gen, ...]) -> tuple[Frame, IA]:
        """Bind the generators over every row; returns the new frame and each new row's parent row."""
        parent = np.arange(frame.n, dtype=np.int64)
        cur = frame
        for g in gens:
            m = len(self.m.sets[g.set_name])
            n_new = cur.n * m
            self.work += n_new
            if self.work > self.max_work:
                raise LimitError(f"the model needs more than {self.max_work:,} index combinations",
                                 hint="reduce set sizes or add filters")
            par = np.repeat(np.arange(cur.n, dtype=np.int64), m)
            pos = np.tile(np.arange(m, dtype=np.int64), cur.n)
            bound = {k: VIdx(v.set_name, v.pos[par]) for k, v in cur.bound.items()}
            bound[g.var] = VIdx(g.set_name, pos)
            nxt = Frame(n_new, bound)
            if g.conds:
                mask = np.ones(n_new, dtype=bool)
                for c in g.conds:
                    mask &= self.truth(c, nxt)
                nxt = Frame(int(mask.sum()), {k: VIdx(v.set_name, v.pos[mask]) for k, v in bound.items()})
                par = par[mask]
            parent = parent[par]
            cur = nxt
        return cur, parent

    # -- conditions --------------------------------------------------------------------------------
    def truth(self, node: E.Node, fr: Frame) -> npt.NDArray[np.bool_]:
        if isinstance(node, E.BoolLiteral):
            return np.full(fr.n, node.value)
        if isinstance(node, E.Not):
            return ~self.truth(node.operand, fr)
        if isinstance(node, E.BoolOp):
            parts = [self.truth(v, fr) for v in node.values]
            out = parts[0]
            for p in parts[1:]:
                out = (out & p) if node.op == "and" else (out | p)
            return out
        if isinstance(node, E.Compare):
            vals = [self.eval(o, fr) for o in node.operands]
            out = np.ones(fr.n, dtype=bool)
            for a, op, b in zip(vals, node.ops, vals[1:]):
                out &= self._cmp(a, op, b, fr.n)
            return out
        raise NotVectorizable("condition")

    def _cmp(self, a: VVal, op: str, b: VVal, n: int) -> npt.NDArray[np.bool_]:
        if isinstance(a, VLin) or isinstance(b, VLin):
            raise NotVectorizable("variables in a filter")
        if op in ("==", "!="):
            if isinstance(a, VIdx) and isinstance(b, (VIdx, VElem)):
                eq = a.pos == self.positions(b, a.set_name, n)
                if isinstance(b, VIdx) and b.set_name != a.set_name:
                    eq &= self.positions(b, a.set_name, n) >= 0
                return eq if op == "==" else ~eq
            if isinstance(b, VIdx) and isinstance(a, VElem):
                return self._cmp(b, op, a, n)
            if isinstance(a, VElem) and isinstance(b, VElem):
                return np.full(n, (a.value == b.value) == (op == "=="))
        x, y = self.as_num(a, n), self.as_num(b, n)
        return {"<=": x <= y, ">=": x >= y, "<": x < y, ">": x > y, "==": x == y, "!=": x != y}[op]

    # -- expressions -------------------------------------------------------------------------------
    def eval(self, node: E.Node, fr: Frame) -> VVal:
        n = fr.n
        if isinstance(node, E.Num):
            return VNum(np.full(n, node.value))
        if isinstance(node, E.Str):
            return VElem(node.value)
        if isinstance(node, E.Name):
            name = node.id
            if name in fr.bound:
                return fr.bound[name]
            if name in self.m.scalars:
                return VNum(np.full(n, self.m.scalars[name]))
            if name in self.m.var_index and not self.m.var_index[name]:
                vid = self.var_base[name]
                return VLin(np.arange(n, dtype=np.int64), np.full(n, vid, dtype=np.int64), np.ones(n),
                            np.zeros(n))
            raise NotVectorizable(name)
        if isinstance(node, E.Subscript):
            return self._subscript(node, fr)
        if isinstance(node, E.Add):
            acc: VVal | None = None
            for sign, t in node.terms:
                v = self.eval(t, fr)
                if sign < 0:
                    v = self._scale(v, np.full(n, -1.0), n)
                acc = v if acc is None else self._add(acc, v, n)
            assert acc is not None
            return acc
        if isinstance(node, E.Mul):
            a, b = self.eval(node.left, fr), self.eval(node.right, fr)
            if isinstance(a, VLin) and isinstance(b, VLin):
                raise NotVectorizable("product of variables")
            if isinstance(a, VLin):
                return self._scale(a, self.as_num(b, n), n)
            if isinstance(b, VLin):
                return self._scale(b, self.as_num(a, n), n)
            return VNum(self.as_num(a, n) * self.as_num(b, n))
        if isinstance(node, E.Div):
            a, b = self.eval(node.left, fr), self.eval(node.right, fr)
            if isinstance(b, VLin):
                raise NotVectorizable("division by a variable")
            d = self.as_num(b, n)
            if np.any(d == 0):
                raise NotVectorizable("division by zero")
            inv = 1.0 / d
            if isinstance(a, VLin):
                return self._scale(a, inv, n)
            return VNum(self.as_num(a, n) * inv)
        if isinstance(node, E.Neg):
            v = self.eval(node.operand, fr)
            return self._scale(v, np.full(n, -1.0), n)
        if isinstance(node, E.Pow):
            a, b = self.eval(node.base, fr), self.eval(node.exp, fr)
            if isinstance(a, VLin) or isinstance(b, VLin):
                raise NotVectorizable("power of a variable")
            with np.errstate(all="raise"):
                try:
                    return VNum(np.power(self.as_num(a, n), self.as_num(b, n)))
                except FloatingPointError:
                    raise NotVectorizable("power") from None
        if isinstance(node, E.Call):
            return self._call(node, fr)
        raise NotVectorizable(type(node).__name__)

    def _subscript(self, node: E.Subscript, fr: Frame) -> VVal:
        name, n = node.name, fr.n
        if name in self.m.params:
            sets = self.m.params[name][0]
            dense = self.m.dense_param(name, MAX_DENSE)
            if dense is None:
                raise NotVectorizable("sparse parameter")
            pos = [self.positions(self.eval(a, fr), s, n) for a, s in zip(node.index, sets)]
            if any(np.any(p < 0) for p in pos):
                raise NotVectorizable("index outside its set")
            vals = dense[tuple(pos)] if pos else np.full(n, float(dense))
            if np.isnan(vals).any():
                raise NotVectorizable("missing parameter value")
            return VNum(vals.astype(np.float64, copy=False))
        if name in self.m.var_index:
            sets = self.m.var_index[name]
            pos = [self.positions(self.eval(a, fr), s, n) for a, s in zip(node.index, sets)]
            if any(np.any(p < 0) for p in pos):
                raise NotVectorizable("index outside its set")
            shape = tuple(len(self.m.sets[s]) for s in sets)
            cols = self.var_base[name] + (np.ravel_multi_index(tuple(pos), shape) if pos else 0)
            return VLin(np.arange(n, dtype=np.int64), np.asarray(cols, dtype=np.int64), np.ones(n),
                        np.zeros(n))
        raise NotVectorizable(name)

    def _call(self, node: E.Call, fr: Frame) -> VVal:
        n = fr.n
        if node.func == "sum" and node.gens:
            inner, parent = self.expand(fr, node.gens)
            body = self.eval(node.args[0], inner)
            if isinstance(body, VLin):
                return VLin(parent[body.rows], body.cols, body.coefs,
                            np.bincount(parent, weights=body.const, minlength=n).astype(np.float64))
            vals = self.as_num(body, inner.n)
            return VNum(np.bincount(parent, weights=vals, minlength=n).astype(np.float64))
        if node.gens or node.func in ("implies", "all_different"):
            raise NotVectorizable(node.func)
        args = [self.eval(a, fr) for a in node.args]
        if any(isinstance(a, VLin) for a in args):
            raise NotVectorizable(f"{node.func} of variables")
        xs = [self.as_num(a, n) for a in args]
        with np.errstate(all="raise"):
            try:
                if node.func == "abs":
                    return VNum(np.abs(xs[0]))
                if node.func == "exp":
                    return VNum(np.exp(xs[0]))
                if node.func == "log":
                    return VNum(np.log(xs[0]))
                if node.func == "sqrt":
                    return VNum(np.sqrt(xs[0]))
                if node.func == "min":
                    return VNum(np.min(np.vstack(xs), axis=0))
                if node.func == "max":
                    return VNum(np.max(np.vstack(xs), axis=0))
            except FloatingPointError:
                raise NotVectorizable(node.func) from None
        raise NotVectorizable(node.func)

    def _scale(self, v: VVal, k: FA, n: int) -> VVal:
        if isinstance(v, VLin):
            return VLin(v.rows, v.cols, v.coefs * k[v.rows], v.const * k)
        return VNum(self.as_num(v, n) * k)

    def _add(self, a: VVal, b: VVal, n: int) -> VVal:
        if isinstance(a, VLin) and isinstance(b, VLin):
            return VLin(np.concatenate([a.rows, b.rows]), np.concatenate([a.cols, b.cols]),
                        np.concatenate([a.coefs, b.coefs]), a.const + b.const)
        if isinstance(a, VLin):
            return VLin(a.rows, a.cols, a.coefs, a.const + self.as_num(b, n))
        if isinstance(b, VLin):
            return VLin(b.rows, b.cols, b.coefs, b.const + self.as_num(a, n))
        return VNum(self.as_num(a, n) + self.as_num(b, n))

    # -- results -----------------------------------------------------------------------------------
    def linear(self, v: VVal, n: int, n_vars: int) -> tuple[IA, IA, FA, FA]:
        """Aggregate duplicate (row, column) pairs; CSR arrays (indptr, indices, data) and constants."""
        if not isinstance(v, VLin):
            v = VLin(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), np.zeros(0),
                     self.as_num(v, n))
        key = v.rows * max(n_vars, 1) + v.cols
        uniq, inv = np.unique(key, return_inverse=True)
        data = np.bincount(inv, weights=v.coefs, minlength=len(uniq)).astype(np.float64)
        rows = uniq // max(n_vars, 1)
        cols = uniq % max(n_vars, 1)
        indptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(rows, minlength=n), out=indptr[1:])
        return indptr, cols.astype(np.int64), data, v.const

    def element_tuples(self, fr: Frame, names: list[str]) -> list[tuple[ir.Elem, ...]]:
        cols = []
        for name in names:
            v = fr.bound[name]
            elems = np.empty(len(self.m.sets[v.set_name]), dtype=object)
            elems[:] = self.m.sets[v.set_name]
            cols.append(elems[v.pos].tolist())
        if not cols:
            return [() for _ in range(fr.n)]
        return list(zip(*cols))
