"""The embedded model's compact target: a flat, scalar rendering of a Formulation v1 model.

A small model writes far fewer tokens than a JSON formulation takes, so it is trained to write this
instead, and :func:`decode` turns what it writes back into a Formulation v1 JSON object.

Example (numbers of the text are placeholders, see :mod:`optsolve.train.numbers`)::

    <var> <v0> rickshaws <nint> <var> <v1> ox_carts <nint>
    <max> <n0> * <v0> + <n2> * <v1>
    <con> <n1> * <v0> + <n3> * <v1> <= <n4>
    <con> <v0> <= <v1>

:func:`encode` builds this from a gold formulation: sets, indexed parameters, ``sum`` and ``forall``
are expanded (the formulation is *scalarised*), parameters become their values, and each value that
appears in the text becomes its placeholder. Expression structure is kept (no constant folding), so
``(price[p] - cost[p]) * x[p]`` becomes ``( <n0> - <n1> ) * <v0>``: every number stays one the model
can copy. Expressions are read with :mod:`ast` into our own walk; nothing is ever evaluated as code.
"""

from __future__ import annotations

import ast
import itertools
import re
from collections.abc import Iterator
from typing import Any

from optsolve.errors import FormalizeError
from optsolve.formulation.schema import RESERVED
from optsolve.train.numbers import Masked, format_number

DOMAINS = {"reals": "<real>", "nonnegative_reals": "<pos>", "integers": "<int>",
           "nonnegative_integers": "<nint>", "binary": "<bin>", "boolean": "<bin>"}
DOMAIN_OF = {"<real>": "reals", "<pos>": "nonnegative_reals", "<int>": "integers",
             "<nint>": "nonnegative_integers", "<bin>": "binary"}
KEYWORDS = ("<var>", "<max>", "<min>", "<con>", "<lb>", "<ub>", "<sep>", *DOMAIN_OF)
MAX_VARS = 40
FUNCTIONS = ("abs", "min", "max", "exp", "log", "sqrt")


# the literal fractions of the compact language: a third and two thirds, written as the model learned them
# (gold formulations rounded them to 6 decimals until session 31) and read back exactly, as the text means
# them: "at most a third of the 90 containers" allows 30, which 0.333333 * 90 = 29.99997 does not
THIRDS = {"0.333333": 1 / 3, "0.666667": 2 / 3}


def special_tokens(n_placeholders: int = 48, n_vars: int = MAX_VARS) -> list[str]:
    """Every special token of the compact language (keywords, placeholders, variable slots)."""
    return [*KEYWORDS, *(f"<n{i}>" for i in range(n_placeholders)), *(f"<v{i}>" for i in range(n_vars))]


class Unsupported(Exception):
    """The formulation uses something the compact language does not express (logic, min/max...)."""


# ---------------------------------------------------------------------------------------------
# encode: gold formulation -> compact target
# ---------------------------------------------------------------------------------------------

def _elements(defn: Any) -> list[Any]:
    if isinstance(defn, dict):
        if "range" in defn:
            lo, hi = defn["range"]
            if hi - lo > 1000:
                raise Unsupported("set too large")
            return list(range(int(lo), int(hi) + 1))
        return list(defn.get("elements", []))
    return list(defn)


def _ident(s: str) -> str:
    out = re.sub(r"[^0-9a-zA-Z_]+", "_", s).strip("_").lower()
    return out or "v"


def _first_mention(text: str, label: str) -> int:
    """Where ``text`` first mentions the thing a variable label names (``x_radio_spots`` -> "radio
    spot"), or a large number when it does not."""
    words = label.split("_")
    if len(words) > 1 and len(words[0]) <= 2:     # x_, y_: a prefix, not a name
        words = words[1:]
    words = [w for w in words if w]
    tries = [" ".join(words), " ".join(words).rstrip("s"), *(w.rstrip("s") for w in reversed(words) if len(w) > 2)]
    best = 10**9
    for t in tries:
        if t:
            i = text.find(t)
            if i >= 0:
                best = min(best, i)
                break
    return best


class _Scalariser:
    def __init__(self, f: dict[str, Any], masked: Masked) -> None:
        self.masked = masked
        self.sets = {k: _elements(v) for k, v in (f.get("sets") or {}).items()}
        self.params: dict[str, Any] = dict(f.get("parameters") or {})
        self.vars: dict[str, dict[str, Any]] = dict(f.get("variables") or {})
        self.var_ids: dict[tuple[str, tuple[Any, ...]], int] = {}
        self.decls: list[str] = []
        used: set[str] = set()
        found: list[tuple[tuple[str, tuple[Any, ...]], str, str, dict[str, Any]]] = []
        for name, v in self.vars.items():
            index = list(v.get("index") or [])
            dom = DOMAINS.get(v.get("domain", "reals"))
            if dom is None:
                raise Unsupported(f"domain {v.get('domain')}")
            for combo in itertools.product(*(self._set(s) for s in index)):
                if len(found) >= MAX_VARS:
                    raise Unsupported("too many variables")
                label = _ident("_".join([name, *(str(e) for e in combo)]))
                while label in used:
                    label += "_"
                used.add(label)
                found.append(((name, tuple(combo)), label, dom, v))
        # variables in the order the text first mentions them: an order the model can see
        text = masked.text.lower()
        order = sorted(range(len(found)), key=lambda i: (_first_mention(text, found[i][1]), i))
        for vid, i in enumerate(order):
            key, label, dom, v = found[i]
            self.var_ids[key] = vid
            decl = f"<var> <v{vid}> {label} {dom}"
            if v.get("lb") is not None:
                decl += f" <lb> {self.num(float(v['lb']))}"
            if v.get("ub") is not None:
                decl += f" <ub> {self.num(float(v['ub']))}"
            self.decls.append(decl)

    def _set(self, name: str) -> list[Any]:
        if name not in self.sets:
            raise Unsupported(f"unknown set {name}")
        return self.sets[name]

    def num(self, v: float) -> str:
        i = self.masked.index_of(v)
        if i is not None:
            return f"<n{i}>"
        for literal, exact in THIRDS.items():
            if abs(v - exact) < 1e-9:
                return literal
        return format_number(v)

    # -- values (indices, parameters, conditions) ----------------------------------------------
    def param_value(self, name: str, idx: tuple[Any, ...]) -> float:
        p = self.params[name]
        if isinstance(p, bool):
            raise Unsupported("boolean parameter")
        if isinstance(p, int | float):
            if idx:
                raise Unsupported("subscripted scalar")
            return float(p)
        if "value" in p:
            return float(p["value"])
        index = list(p.get("index") or [])
        vals = p.get("values")
        node = vals
        try:
            for s, e in zip(index, idx):
                if isinstance(node, dict):
                    node = node[str(e)] if str(e) in node else node[e]
                else:
                    node = node[self._set(s).index(e)]
            if node is None:
                raise KeyError
            return float(node)
        except (KeyError, IndexError, ValueError, TypeError):
            if p.get("default") is not None:
                return float(p["default"])
            raise Unsupported(f"missing value {name}{idx}") from None

    def value(self, node: ast.expr, env: dict[str, Any]) -> Any:
        if isinstance(node, ast.Constant) and isinstance(node.value, int | float | str):
            return node.value
        if isinstance(node, ast.Name):
            if node.id in env:
                return env[node.id]
            if node.id in self.params:
                return self.param_value(node.id, ())
            raise Unsupported(f"name {node.id} has no value here")
        if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name) and node.value.id in self.params:
            return self.param_value(node.value.id, self.index(node.slice, env))
        if isinstance(node, ast.BinOp):
            a, b = self.value(node.left, env), self.value(node.right, env)
            ops = {ast.Add: lambda: a + b, ast.Sub: lambda: a - b, ast.Mult: lambda: a * b,
                   ast.Div: lambda: a / b, ast.Mod: lambda: a % b}
            fn = ops.get(type(node.op))
            if fn is None:
                raise Unsupported("operator in index")
            return fn()
        if isinstance(node, ast.UnaryOp):
            v = self.value(node.operand, env)
            if isinstance(node.op, ast.Not):
                return not v
            return -v if isinstance(node.op, ast.USub) else v
        if isinstance(node, ast.BoolOp):
            vals = [self.value(x, env) for x in node.values]
            return all(vals) if isinstance(node.op, ast.And) else any(vals)
        if isinstance(node, ast.Compare):
            left = self.value(node.left, env)
            for op, comp in zip(node.ops, node.comparators):
                right = self.value(comp, env)
                ok = {ast.Eq: left == right, ast.NotEq: left != right, ast.Lt: left < right,
                      ast.LtE: left <= right, ast.Gt: left > right, ast.GtE: left >= right}.get(type(op))
                if not ok:
                    return False
                left = right
            return True
        raise Unsupported(f"value of {type(node).__name__}")

    def index(self, node: ast.expr, env: dict[str, Any]) -> tuple[Any, ...]:
        parts = node.elts if isinstance(node, ast.Tuple) else [node]
        out = []
        for p in parts:
            v = self.value(p, env)
            if isinstance(v, float) and v == int(v):
                v = int(v)
            out.append(v)
        return tuple(out)

    def bindings(self, gens: list[ast.comprehension], env: dict[str, Any]) -> Iterator[dict[str, Any]]:
        if not gens:
            yield env
            return
        g = gens[0]
        if not isinstance(g.iter, ast.Name) or g.iter.id not in self.sets:
            raise Unsupported("generator over something that is not a set")
        targets = g.target.elts if isinstance(g.target, ast.Tuple) else [g.target]
        for e in self.sets[g.iter.id]:
            if len(targets) != 1 or not isinstance(targets[0], ast.Name):
                raise Unsupported("tuple target")
            env2 = {**env, targets[0].id: e}
            if all(self.value(c, env2) for c in g.ifs):
                yield from self.bindings(gens[1:], env2)

    # -- expressions -> tokens ------------------------------------------------------------------
    def expr(self, node: ast.expr, env: dict[str, Any]) -> tuple[str, int]:
        """Tokens of ``node`` (space separated) and their precedence (1 +-, 2 */, 3 unary, 4 **, 5 atom)."""
        if isinstance(node, ast.Constant) and isinstance(node.value, int | float) and not isinstance(node.value, bool):
            return self.num(float(node.value)), 5
        if isinstance(node, ast.Name):
            if node.id in env:
                v = env[node.id]
                if isinstance(v, int | float):
                    return self.num(float(v)), 5
                raise Unsupported("element used as a number")
            if node.id in self.params:
                return self.num(self.param_value(node.id, ())), 5
            if (node.id, ()) in self.var_ids:
                return f"<v{self.var_ids[(node.id, ())]}>", 5
            raise Unsupported(f"unknown name {node.id}")
        if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name):
            name = node.value.id
            idx = self.index(node.slice, env)
            if name in self.params:
                return self.num(self.param_value(name, idx)), 5
            if (name, idx) in self.var_ids:
                return f"<v{self.var_ids[(name, idx)]}>", 5
            raise Unsupported(f"unknown subscript {name}{idx}")
        if isinstance(node, ast.BinOp):
            op = {ast.Add: ("+", 1), ast.Sub: ("-", 1), ast.Mult: ("*", 2), ast.Div: ("/", 2),
                  ast.Pow: ("**", 4)}.get(type(node.op))
            if op is None:
                raise Unsupported("operator")
            sym, prec = op
            lt, lp = self.expr(node.left, env)
            rt, rp = self.expr(node.right, env)
            if lp < prec or (sym == "**" and lp <= prec):
                lt = f"( {lt} )"
            if rp < prec or (rp == prec and sym in ("-", "/")) or (sym == "**" and rp < 5):
                rt = f"( {rt} )"
            return f"{lt} {sym} {rt}", prec
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
            t, p = self.expr(node.operand, env)
            if isinstance(node.op, ast.UAdd):
                return t, p
            if p < 3:
                t = f"( {t} )"
            return f"- {t}", 3
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "sum"
                and len(node.args) == 1 and isinstance(node.args[0], ast.GeneratorExp)):
            gen = node.args[0]
            terms = []
            for env2 in self.bindings(list(gen.generators), env):
                t, p = self.expr(gen.elt, env2)
                terms.append((t, p))
            if not terms:
                return "0", 5
            if len(terms) == 1:
                return terms[0]
            return " + ".join(t if p >= 1 else f"( {t} )" for t, p in terms), 1
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in FUNCTIONS
                and node.args and not node.keywords):
            args = " , ".join(self.expr(a, env)[0] for a in node.args)
            return f"{node.func.id} ( {args} )", 5
        raise Unsupported(f"expression {type(node).__name__}")

    def relation(self, node: ast.expr, env: dict[str, Any]) -> str:
        if not isinstance(node, ast.Compare):
            raise Unsupported("constraint that is not a comparison")
        syms = {ast.LtE: "<=", ast.GtE: ">=", ast.Eq: "==", ast.Lt: "<=", ast.Gt: ">="}
        parts = [self.expr(node.left, env)[0]]
        for op, comp in zip(node.ops, node.comparators):
            if type(op) not in syms:
                raise Unsupported("comparison")
            parts += [syms[type(op)], self.expr(comp, env)[0]]
        return " ".join(parts)


def _parse(src: str) -> ast.expr:
    try:
        return ast.parse(src.strip(), mode="eval").body
    except SyntaxError as exc:
        raise Unsupported(f"syntax: {exc}") from None


def _forall(src: str) -> list[ast.comprehension]:
    # "i in I, j in J if i != j" -> the generators of "0 for i in I for j in J if i != j"
    text = re.sub(r",\s*(?=[A-Za-z_][A-Za-z0-9_]*\s+in\b)", " for ", src.strip())
    node = _parse(f"[0 for {text}]")
    if not isinstance(node, ast.ListComp):
        raise Unsupported("forall")
    return list(node.generators)


def encode(formulation: dict[str, Any], masked: Masked, max_constraints: int = 60) -> str:
    """The compact target of a gold formulation; raises :class:`Unsupported` when it cannot be said."""
    s = _Scalariser(formulation, masked)
    out = list(s.decls)
    obj = formulation.get("objective")
    if obj:
        sense = "<max>" if obj["sense"] == "maximize" else "<min>"
        out.append(f"{sense} {s.expr(_parse(obj['expr']), {})[0]}")
    n = 0
    for c in (formulation.get("constraints") or {}).values():
        if c.get("soft"):
            raise Unsupported("soft constraint")
        node = _parse(c["expr"])
        gens = _forall(c["forall"]) if c.get("forall") else []
        for env in s.bindings(gens, {}):
            out.append(f"<con> {s.relation(node, env)}")
            n += 1
            if n > max_constraints:
                raise Unsupported("too many constraints")
    return " ".join(out)


# ---------------------------------------------------------------------------------------------
# decode: compact text -> Formulation v1 JSON object
# ---------------------------------------------------------------------------------------------

_TOKEN = re.compile(r"<[a-z]+\d*>|\*\*|<=|>=|==|[-+*/(),]|\d+(?:\.\d+)?(?:e[-+]?\d+)?|\.\d+|[A-Za-z_][A-Za-z0-9_]*")


def tokens(text: str) -> list[str]:
    return _TOKEN.findall(text)


def decode(text: str, values: list[float], name: str = "embedded") -> dict[str, Any]:
    """A Formulation v1 object from compact ``text``; placeholders take ``values``.

    Raises :class:`optsolve.errors.FormalizeError` on text that is not well formed (a later step
    validates, compiles and solves the result)."""
    toks = tokens(text)
    statements: list[list[str]] = []
    for t in toks:
        if t in ("<var>", "<max>", "<min>", "<con>"):
            statements.append([t])
        elif statements:
            statements[-1].append(t)
        else:
            raise FormalizeError(f"compact output starts with {t!r}, not a statement keyword")
    names: dict[str, str] = {}
    variables: dict[str, Any] = {}
    objective: dict[str, str] | None = None
    constraints: dict[str, Any] = {}

    def value(tok: str) -> str:
        m = re.fullmatch(r"<n(\d+)>", tok)
        if m:
            i = int(m.group(1))
            if i >= len(values):
                raise FormalizeError(f"the output uses number {tok}, but the text has {len(values)} numbers")
            return format_number(values[i])
        return tok

    def expr(ts: list[str], where: str) -> str:
        out = []
        for t in ts:
            if t in names:
                out.append(names[t])
            elif re.fullmatch(r"<v\d+>", t):
                raise FormalizeError(f"{where}: variable {t} is used but never declared")
            elif re.fullmatch(r"<n\d+>", t):
                out.append(value(t))
            elif re.fullmatch(r"<[a-z]+\d*>", t):
                raise FormalizeError(f"{where}: unexpected token {t}")
            elif t in THIRDS:
                out.append(format_number(THIRDS[t]))
            else:
                out.append(t)
        if not out:
            raise FormalizeError(f"{where}: empty expression")
        return " ".join(out).replace("( ", "(").replace(" )", ")")

    for st in statements:
        head, rest = st[0], st[1:]
        if head == "<var>":
            if len(rest) < 3 or not re.fullmatch(r"<v\d+>", rest[0]) or rest[2] not in DOMAIN_OF:
                raise FormalizeError(f"malformed variable declaration: {' '.join(st)}")
            label = _ident(rest[1])
            if not re.match(r"[A-Za-z_]", label):
                label = "x_" + label
            while label in variables or label in RESERVED:   # "class", "lambda", "is" come from texts
                label += "_"
            names[rest[0]] = label
            var: dict[str, Any] = {"domain": DOMAIN_OF[rest[2]]}
            i = 3
            while i + 1 < len(rest) and rest[i] in ("<lb>", "<ub>"):
                var["lb" if rest[i] == "<lb>" else "ub"] = float(value(rest[i + 1]))
                i += 2
            variables[label] = var
        elif head in ("<max>", "<min>"):
            objective = {"sense": "maximize" if head == "<max>" else "minimize",
                         "expr": expr(rest, "objective")}
        else:
            cname = f"c{len(constraints) + 1}"
            e = expr(rest, cname)
            if not any(op in rest for op in ("<=", ">=", "==")):
                raise FormalizeError(f"{cname}: constraint has no comparison: {e}")
            if all(c["expr"] != e for c in constraints.values()):   # a repeated statement says nothing new
                constraints[cname] = {"expr": e}
    if not variables:
        raise FormalizeError("the output declares no variables")
    out: dict[str, Any] = {"name": name, "variables": variables, "constraints": constraints}
    if objective:
        out["objective"] = objective
    return out
