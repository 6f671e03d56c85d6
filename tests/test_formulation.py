"""Formulation v1: parsing, checks, grounding and the bad inputs of the core issue."""

from __future__ import annotations

import json
import subprocess
import time

import pytest

from optsolve.errors import (
    CompileError,
    ForbiddenSyntaxError,
    LimitError,
    ParseError,
    ValidationError,
)
from optsolve.formulation import compile_model, ir, json_schema, load_formulation
from optsolve.formulation.expr import parse_expr, parse_forall

BASE = {
    "name": "product_mix",
    "sets": {"P": ["chairs", "tables"], "T": {"range": [1, 4]}},
    "parameters": {
        "profit": {"index": ["P"], "values": {"chairs": 5, "tables": 7}},
        "hours": {"index": ["P", "T"], "values": [[2, 1, 0, 3], [1, 1, 2, 2]]},
        "capacity": 100,
    },
    "variables": {"x": {"index": ["P"], "domain": "nonnegative_integers"}, "open": {"domain": "binary"}},
    "objective": {"sense": "maximize", "expr": "sum(profit[p] * x[p] for p in P)"},
    "constraints": {
        "labor": {"forall": "t in T", "expr": "sum(hours[p, t] * x[p] for p in P) <= capacity * open"},
        "ratio": {"expr": "x['chairs'] >= 0.6 * sum(x[p] for p in P)"},
    },
}


def with_(path: str, value: object) -> dict:
    data = json.loads(json.dumps(BASE))
    cur = data
    keys = path.split(".")
    for k in keys[:-1]:
        cur = cur[k]
    cur[keys[-1]] = value
    return data


def test_spec_example_grounds():
    gm = compile_model(BASE)
    assert gm.n_vars == 3
    assert [c.label for c in gm.constraints] == ["labor[1]", "labor[2]", "labor[3]", "labor[4]", "ratio"]
    assert gm.objective is not None and gm.objective.expr.coefs == {0: 5.0, 1: 7.0}
    labor1 = gm.constraints[0].formula
    assert isinstance(labor1, ir.Rel) and labor1.sense == "<=" and labor1.rhs == 0
    assert labor1.expr.coefs == {0: 2.0, 1: 1.0, 2: -100.0}
    assert "linear" in gm.features and "integer" in gm.features and "binary" in gm.features


def test_json_schema_export():
    s = json_schema()
    assert s["title"] == "Formulation v1"
    assert "variables" in s["properties"]


def test_yaml_loading():
    f = load_formulation("variables:\n  x: {domain: nonnegative_reals, ub: 4}\nobjective: {sense: maximize, expr: x}\n")
    assert f.variables["x"].ub == 4


@pytest.mark.parametrize(
    "source, err, needle",
    [
        ("__import__('os').system('true')", ForbiddenSyntaxError, "function"),
        ("x.__class__", ForbiddenSyntaxError, "attribute"),
        ("(lambda: 1)()", ForbiddenSyntaxError, ""),
        ("open('/etc/passwd')", ForbiddenSyntaxError, "open"),
        ("x[1:2]", ForbiddenSyntaxError, "slice"),
        ("[i for i in I]", ForbiddenSyntaxError, "comprehension"),
        ("1 if x else 2", ForbiddenSyntaxError, "conditional"),
        ("x +", ParseError, "syntax"),
        ("sum(x)", ForbiddenSyntaxError, "generator"),
        ("exp(1, 2)", ParseError, "argument"),
    ],
)
def test_forbidden_and_malformed_expressions(source, err, needle):
    with pytest.raises(err) as ei:
        parse_expr(source, "objective")
    assert needle in str(ei.value)
    assert "objective" in str(ei.value)


def test_huge_and_deep_expressions_fail_fast():
    t0 = time.perf_counter()
    with pytest.raises(LimitError):
        parse_expr("x + " * 60_000 + "x", "objective")
    with pytest.raises(LimitError):
        parse_expr("(" * 5000 + "x" + ")" * 5000, "objective")
    with pytest.raises(LimitError):
        parse_expr("-" * 5000 + "x", "objective")
    assert time.perf_counter() - t0 < 2.0


def test_long_written_out_sum_is_fine():
    node = parse_expr(" + ".join(f"{i} * x" for i in range(2000)), "objective")
    assert node is not None


@pytest.mark.parametrize(
    "path, value, err, needles",
    [
        ("objective.expr", "sum(profit[p] * y[p] for p in P)", ValidationError, ["unknown", "'y'"]),
        ("objective.expr", "sum(proft[p] * x[p] for p in P)", ValidationError, ["proft", "profit"]),
        ("objective.expr", "sum(hours[p] * x[p] for p in P)", ValidationError, ["hours", "2 index"]),
        ("objective.expr", "x['sofas']", ValidationError, ["sofas", "set 'P'"]),
        ("objective.expr", "x['chairs'] ** x['tables']", ValidationError, ["exponent"]),
        ("objective.expr", "x", ValidationError, ["indexed"]),
        ("objective.expr", "capacity[1]", ValidationError, ["scalar"]),
        ("constraints.ratio.expr", "x['chairs'] + 1", ValidationError, ["comparison"]),
        ("constraints.labor.forall", "t in Q", ValidationError, ["unknown set 'Q'"]),
        ("parameters.hours.values", [[2, 1, 0], [1, 1, 2, 2]], ValidationError, ["expected 4 values"]),
        ("parameters.hours.values", [[2, 1, "a", 3], [1, 1, 2, 2]], ValidationError, ["not a number"]),
        ("parameters.profit.values", {"chairs": 5, "sofas": 2}, ValidationError, ["sofas"]),
        ("variables.x.domain", "complex", ValidationError, ["variables.x.domain"]),
        ("variables.x.index", ["Q"], ValidationError, ["unknown set 'Q'"]),
        ("objective.sence", "max", ValidationError, ["sence"]),
        ("sets.T", {"range": [1, 10**12]}, LimitError, ["limit"]),
        # a Python keyword could only fail later as "invalid syntax" inside an expression
        ("variables.yield", {"domain": "reals"}, ValidationError, ["'yield' is reserved"]),
    ],
)
def test_validation_errors_name_the_place(path, value, err, needles):
    with pytest.raises(err) as ei:
        compile_model(with_(path, value))
    text = str(ei.value)
    for n in needles:
        assert n in text, text


def test_missing_parameter_entry_names_constraint():
    data = with_("parameters.hours", {"index": ["P", "T"], "values": {"chairs": {"1": 2}}})
    with pytest.raises(CompileError) as ei:
        compile_model(data)
    assert "hours" in str(ei.value) and "labor" in str(ei.value)


def test_default_fills_missing_entries():
    data = with_("parameters.hours", {"index": ["P", "T"], "values": {"chairs": {"1": 2}}, "default": 1})
    gm = compile_model(data)
    assert gm.constraints[0].formula.expr.coefs[0] == 2.0
    assert gm.constraints[1].formula.expr.coefs[0] == 1.0


def test_lagged_index_with_filter_and_out_of_range_error():
    data = {
        "sets": {"T": {"range": [1, 3]}},
        "variables": {"s": {"index": ["T"], "domain": "nonnegative_reals"}},
        "constraints": {"bal": {"forall": "t in T if t > 1", "expr": "s[t] >= s[t - 1] + 1"}},
    }
    gm = compile_model(data)
    assert [c.label for c in gm.constraints] == ["bal[2]", "bal[3]"]
    data["constraints"]["bal"]["forall"] = "t in T"
    with pytest.raises(CompileError) as ei:
        compile_model(data)
    assert "bal[1]" in str(ei.value) and "outside" in str(ei.value)


def test_forall_forms():
    gens = parse_forall("i in I, j in J if i != j")
    assert [g.var for g in gens] == ["i", "j"] and len(gens[1].conds) == 1
    gens2 = parse_forall("for i in I for j in J")
    assert [g.set_name for g in gens2] == ["I", "J"]


def test_logic_and_all_different_ground():
    data = {
        "sets": {"J": {"range": [1, 3]}},
        "variables": {"s": {"index": ["J"], "domain": "integers", "lb": 0, "ub": 20},
                      "b": {"domain": "boolean"}},
        "constraints": {
            "disj": {"expr": "(s[1] + 3 <= s[2]) or (s[2] + 2 <= s[1])"},
            "imp": {"expr": "implies(b, s[3] >= 5)"},
            "ad": {"expr": "all_different(s[j] for j in J)"},
        },
    }
    gm = compile_model(data)
    kinds = [type(c.formula).__name__ for c in gm.constraints]
    assert kinds == ["Or", "Implies", "AllDifferent"]
    assert {"logic", "all_different", "no_objective"} <= gm.features


def test_quadratic_and_nonlinear_features():
    data = {
        "variables": {"x": {"domain": "reals"}, "y": {"domain": "reals"}},
        "objective": {"sense": "minimize", "expr": "x ** 2 + x * y + y ** 2 - x"},
        "constraints": {"c": {"expr": "x + y >= 1"}},
    }
    gm = compile_model(data)
    assert "quadratic_objective" in gm.features and "nonconvex_objective" not in gm.features
    data["objective"]["sense"] = "maximize"
    assert "nonconvex_objective" in compile_model(data).features
    data["constraints"]["c"]["expr"] = "exp(x) + log(y) <= 3"
    assert "nonlinear" in compile_model(data).features


def test_malformed_json_document():
    with pytest.raises(ParseError) as ei:
        load_formulation('{"variables": {"x": }')
    assert "line 1" in str(ei.value)


def test_cli_bad_input_exit_codes_no_traceback(tmp_path, optsolve_cmd):
    cases = {
        "malformed.json": '{"variables": ',
        "forbidden.json": json.dumps(with_("objective.expr", "__import__('os').system('echo pwned')")),
        "unknown.json": json.dumps(with_("objective.expr", "sum(q[p] for p in P)")),
        "deep.json": json.dumps(with_("objective.expr", "(" * 3000 + "1" + ")" * 3000)),
        "nonnum.json": json.dumps(with_("parameters.capacity", "lots")),
    }
    for name, text in cases.items():
        p = tmp_path / name
        p.write_text(text)
        r = subprocess.run([*optsolve_cmd, "solve", str(p)], capture_output=True, text=True, timeout=60)
        assert r.returncode == 2, (name, r.stdout, r.stderr)
        assert "Traceback" not in r.stderr and "optsolve: error [E_" in r.stderr, (name, r.stderr)
        assert "pwned" not in r.stdout
    r = subprocess.run([*optsolve_cmd, "solve", str(tmp_path / "nope.json")], capture_output=True, text=True)
    assert r.returncode == 2 and "no such file" in r.stderr
    r = subprocess.run([*optsolve_cmd, "solve", str(tmp_path / "unknown.json"), "--json"],
                       capture_output=True, text=True)
    assert r.returncode == 2 and json.loads(r.stdout)["error"]["code"] == "E_VALIDATION"


def _canonical(gm):
    """A comparable view of a grounded model."""
    out = []
    for c in gm.constraints:
        f = c.formula
        if isinstance(f, ir.Rel):
            coefs = {k: round(v, 12) for k, v in f.expr.coefs.items()} if isinstance(f.expr, ir.Lin) else repr(f.expr)
            out.append((c.label, "rel", f.sense, coefs, round(f.rhs, 12), c.weight))
        elif isinstance(f, ir.Range):
            out.append((c.label, "range", {k: round(v, 12) for k, v in f.expr.coefs.items()}, f.lo, f.hi))
        else:
            out.append((c.label, repr(f)))
    obj = None
    if gm.objective is not None:
        e = gm.objective.expr
        obj = ({k: round(v, 12) for k, v in e.coefs.items()}, e.const) if isinstance(e, ir.Lin) else repr(e)
    return [(v.label, v.kind, v.lb, v.ub) for v in gm.vars], out, obj, gm.features


def test_vectorized_and_closure_paths_build_the_same_model():
    from problem_library import load_problems

    from optsolve.formulation import load_formulation
    from optsolve.formulation.ground import ground

    for prob in load_problems():
        f = load_formulation(prob.formulation)
        assert _canonical(ground(f)) == _canonical(ground(f, vectorize=False)), prob.name
