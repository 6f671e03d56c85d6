"""The expression language of Formulation v1: source text -> our own tree, under a whitelist.

Python's :mod:`ast` parses the text (it is a subset of Python expression syntax); we convert the Python
tree into the node types below and reject everything else. Nothing is ever evaluated with ``eval`` or
``exec``. Size and nesting are bounded before and during parsing so hostile input fails promptly.
"""

from __future__ import annotations

import ast
import re
import sys
from dataclasses import dataclass
from typing import Union

from optsolve.errors import ForbiddenSyntaxError, LimitError, ParseError

MAX_EXPR_CHARS = 100_000
MAX_DEPTH = 60

FUNCTIONS = frozenset({"abs", "min", "max", "exp", "log", "sqrt", "implies", "sum", "all_different"})
#: functions that take a generator: sum(E for i in I), min/max(E for ...), all_different(E for ...)
GENERATOR_FUNCTIONS = frozenset({"sum", "min", "max", "all_different"})


@dataclass(frozen=True, slots=True)
class Num:
    value: float


@dataclass(frozen=True, slots=True)
class Str:
    value: str


@dataclass(frozen=True, slots=True)
class BoolLiteral:
    value: bool


@dataclass(frozen=True, slots=True)
class Name:
    id: str


@dataclass(frozen=True, slots=True)
class Subscript:
    name: str
    index: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Add:
    """n-ary sum with signs: ``terms = ((+1, a), (-1, b))`` for ``a - b``."""

    terms: tuple[tuple[int, Node], ...]


@dataclass(frozen=True, slots=True)
class Mul:
    left: Node
    right: Node


@dataclass(frozen=True, slots=True)
class Div:
    left: Node
    right: Node


@dataclass(frozen=True, slots=True)
class Pow:
    base: Node
    exp: Node


@dataclass(frozen=True, slots=True)
class Neg:
    operand: Node


@dataclass(frozen=True, slots=True)
class Gen:
    """``for var in set_name if cond1 if cond2``."""

    var: str
    set_name: str
    conds: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Call:
    func: str
    args: tuple[Node, ...]
    gens: tuple[Gen, ...] = ()


@dataclass(frozen=True, slots=True)
class Compare:
    ops: tuple[str, ...]          # "<=", ">=", "==", "<", ">", "!="
    operands: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class BoolOp:
    op: str                       # "and" | "or"
    values: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Not:
    operand: Node


Node = Union[Num, Str, BoolLiteral, Name, Subscript, Add, Mul, Div, Pow, Neg, Call, Compare, BoolOp, Not]

_CMP = {ast.LtE: "<=", ast.GtE: ">=", ast.Eq: "==", ast.Lt: "<", ast.Gt: ">", ast.NotEq: "!="}


def _token(node: ast.AST, source: str) -> str:
    seg = ast.get_source_segment(source, node)
    if seg is None:
        seg = type(node).__name__
    return seg if len(seg) <= 60 else seg[:57] + "..."


def _paren_depth(source: str) -> int:
    depth = best = 0
    for ch in source:
        if ch in "([{":
            depth += 1
            best = max(best, depth)
        elif ch in ")]}":
            depth -= 1
    return best


def _guard(source: str, where: str) -> None:
    if not isinstance(source, str):
        raise ParseError("expression must be a string", where=where)
    if len(source) > MAX_EXPR_CHARS:
        raise LimitError(f"expression is {len(source):,} characters long; the limit is {MAX_EXPR_CHARS:,}",
                         where=where, hint="use sum(... for i in I) over sets instead of writing terms out")
    if _paren_depth(source) > MAX_DEPTH:
        raise LimitError(f"expression nests more than {MAX_DEPTH} brackets deep", where=where)
    if not source.strip():
        raise ParseError("expression is empty", where=where)


def _parse_python(source: str, where: str) -> ast.expr:
    old = sys.getrecursionlimit()
    try:
        # long written-out sums parse into left-deep trees: allow it, bounded by MAX_EXPR_CHARS
        sys.setrecursionlimit(max(old, 60_000))
        tree = ast.parse(source.strip(), mode="eval")
    except SyntaxError as exc:
        col = f" at column {exc.offset}" if exc.offset else ""
        raise ParseError(f"invalid syntax{col}: {exc.msg}", where=where,
                         details={"token": (exc.text or "").strip()[:60]}) from None
    except (RecursionError, MemoryError, ValueError) as exc:
        raise LimitError(f"expression too complex to parse ({type(exc).__name__})", where=where) from None
    finally:
        sys.setrecursionlimit(old)
    return tree.body


class _Converter:
    def __init__(self, source: str, where: str) -> None:
        self.source = source
        self.where = where

    def forbid(self, node: ast.AST, what: str, hint: str | None = None) -> ForbiddenSyntaxError:
        return ForbiddenSyntaxError(f"{what} is not allowed: {_token(node, self.source)!r}",
                                    where=self.where, hint=hint, details={"token": _token(node, self.source)})

    def conv(self, node: ast.AST, depth: int = 0) -> Node:
        if depth > MAX_DEPTH:
            raise LimitError(f"expression nests more than {MAX_DEPTH} levels deep", where=self.where)
        d = depth + 1
        if isinstance(node, ast.Constant):
            v = node.value
            if isinstance(v, bool):
                return BoolLiteral(v)
            if isinstance(v, (int, float)):
                return Num(float(v))
            if isinstance(v, str):
                return Str(v)
            raise self.forbid(node, "this constant")
        if isinstance(node, ast.Name):
            if node.id.startswith("__"):
                raise self.forbid(node, "a dunder name")
            if node.id in ("True", "False"):
                return BoolLiteral(node.id == "True")
            return Name(node.id)
        if isinstance(node, ast.Subscript):
            if not isinstance(node.value, ast.Name):
                raise self.forbid(node, "subscripting anything but a name",
                                  hint="write name[index], e.g. x[i, j]")
            if node.value.id.startswith("__"):
                raise self.forbid(node, "a dunder name")
            sl = node.slice
            if isinstance(sl, ast.Slice):
                raise self.forbid(node, "a slice", hint="index with elements, e.g. x[t - 1]")
            items = sl.elts if isinstance(sl, ast.Tuple) else [sl]
            return Subscript(node.value.id, tuple(self.conv(e, d) for e in items))
        if isinstance(node, ast.BinOp):
            if isinstance(node.op, (ast.Add, ast.Sub)):
                return self._add_chain(node, d)
            if isinstance(node.op, ast.Mult):
                return Mul(self.conv(node.left, d), self.conv(node.right, d))
            if isinstance(node.op, ast.Div):
                return Div(self.conv(node.left, d), self.conv(node.right, d))
            if isinstance(node.op, ast.Pow):
                return Pow(self.conv(node.left, d), self.conv(node.right, d))
            raise self.forbid(node, f"the operator {type(node.op).__name__}",
                              hint="use + - * / and ** with a constant exponent")
        if isinstance(node, ast.UnaryOp):
            if isinstance(node.op, ast.USub):
                return Neg(self.conv(node.operand, d))
            if isinstance(node.op, ast.UAdd):
                return self.conv(node.operand, d)
            if isinstance(node.op, ast.Not):
                return Not(self.conv(node.operand, d))
            raise self.forbid(node, "the operator ~")
        if isinstance(node, ast.BoolOp):
            op = "and" if isinstance(node.op, ast.And) else "or"
            return BoolOp(op, tuple(self.conv(v, d) for v in node.values))
        if isinstance(node, ast.Compare):
            ops = []
            for cmp_op in node.ops:
                name = _CMP.get(type(cmp_op))
                if name is None:
                    raise self.forbid(node, f"the comparison {type(cmp_op).__name__}",
                                      hint="use <=, >=, ==, <, >, !=")
                ops.append(name)
            return Compare(tuple(ops), tuple(self.conv(x, d) for x in [node.left, *node.comparators]))
        if isinstance(node, ast.Call):
            return self._call(node, d)
        if isinstance(node, ast.Attribute):
            raise self.forbid(node, "attribute access")
        if isinstance(node, ast.Lambda):
            raise self.forbid(node, "a lambda")
        if isinstance(node, (ast.GeneratorExp, ast.ListComp, ast.SetComp, ast.DictComp)):
            raise self.forbid(node, "a bare comprehension",
                              hint="put generators inside sum(...), min(...), max(...) or all_different(...)")
        if isinstance(node, ast.IfExp):
            raise self.forbid(node, "a conditional expression (a if c else b)",
                              hint="use implies(...), or/and, or a binary variable")
        if isinstance(node, (ast.Tuple, ast.List)):
            raise self.forbid(node, "a tuple or list", hint="index with x[i, j], not a tuple value")
        raise self.forbid(node, f"syntax {type(node).__name__}")

    def _add_chain(self, node: ast.BinOp, depth: int) -> Node:
        # flatten the left spine iteratively: long written-out sums must not recurse deeply
        terms: list[tuple[int, Node]] = []
        cur: ast.expr = node
        while isinstance(cur, ast.BinOp) and isinstance(cur.op, (ast.Add, ast.Sub)):
            sign = 1 if isinstance(cur.op, ast.Add) else -1
            terms.append((sign, self.conv(cur.right, depth)))
            cur = cur.left
        terms.append((1, self.conv(cur, depth)))
        terms.reverse()
        return Add(tuple(terms))

    def _call(self, node: ast.Call, depth: int) -> Node:
        if not isinstance(node.func, ast.Name):
            raise self.forbid(node, "calling anything but a whitelisted function",
                              hint=f"functions: {', '.join(sorted(FUNCTIONS))}")
        fname = node.func.id
        if fname not in FUNCTIONS:
            raise self.forbid(node, f"the function {fname!r}",
                              hint=f"allowed functions: {', '.join(sorted(FUNCTIONS))}")
        if node.keywords:
            raise self.forbid(node, "keyword arguments")
        if any(isinstance(a, ast.Starred) for a in node.args):
            raise self.forbid(node, "*args")
        if len(node.args) == 1 and isinstance(node.args[0], ast.GeneratorExp):
            if fname not in GENERATOR_FUNCTIONS:
                raise self.forbid(node, f"a generator inside {fname}()")
            g = node.args[0]
            return Call(fname, (self.conv(g.elt, depth),), self._gens(g.generators, depth))
        if fname == "sum":
            raise self.forbid(node, "sum() without a generator", hint="write sum(E for i in I)")
        args = tuple(self.conv(a, depth) for a in node.args)
        arity = {"abs": 1, "exp": 1, "log": 1, "sqrt": 1, "implies": 2}
        if fname in arity and len(args) != arity[fname]:
            raise ParseError(f"{fname}() takes {arity[fname]} argument(s), got {len(args)}",
                             where=self.where, details={"token": _token(node, self.source)})
        if fname in ("min", "max", "all_different") and len(args) < 2:
            raise ParseError(f"{fname}() needs at least 2 arguments or a generator", where=self.where)
        return Call(fname, args)

    def _gens(self, comps: list[ast.comprehension], depth: int) -> tuple[Gen, ...]:
        out = []
        for c in comps:
            if c.is_async:
                raise self.forbid(c, "async generators")
            if not isinstance(c.target, ast.Name):
                raise self.forbid(c.target, "unpacking in a generator", hint="write for i in I for j in J")
            if not isinstance(c.iter, ast.Name):
                raise self.forbid(c.iter, "iterating over anything but a set name",
                                  hint="write for i in I, with I a set; filter with if")
            out.append(Gen(c.target.id, c.iter.id, tuple(self.conv(x, depth) for x in c.ifs)))
        return tuple(out)


def parse_expr(source: str, where: str = "expression") -> Node:
    """Parse an expression (``where`` names its place for error messages, e.g. ``constraint 'labor'``)."""
    _guard(source, where)
    return _Converter(source, where).conv(_parse_python(source, where))


_FORALL_SPLIT = re.compile(r",\s*(?=[A-Za-z_][A-Za-z0-9_]*\s+in\s)")


def parse_forall(source: str, where: str = "forall") -> tuple[Gen, ...]:
    """Parse ``"i in I, j in J if i != j"`` (also ``"for i in I for j in J if ..."``) into generators."""
    _guard(source, where)
    text = source.strip()
    if not text.startswith("for "):
        text = " ".join("for " + part.strip() for part in _FORALL_SPLIT.split(text))
    body = _parse_python(f"[0 {text}]", where)
    if not isinstance(body, ast.ListComp):
        raise ParseError(f"cannot read forall {source!r}", where=where,
                         hint="write it as 'i in I, j in J if i != j'")
    return _Converter(f"[0 {text}]", where)._gens(body.generators, 0)
