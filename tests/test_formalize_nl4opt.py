"""NL4Opt gold structure -> Formulation v1 -> optimum, on hand-written records (and the dev file when
present)."""

from __future__ import annotations

import pytest

from optsolve.errors import DatagenError
from optsolve.formalize import nl4opt
from optsolve.solvers import solve


@pytest.mark.parametrize(("text", "value"), [
    ("200", 200), ("4,000", 4000), ("$1,500", 1500), ("70%", 0.7), ("7.5%", 0.075), ("thirty percent", 0.3),
    ("third", 1 / 3), ("twice", 2), ("two times", 2), ("3 times", 3), ("ten times", 10), ("four", 4),
    ("one hundred thousand", 100_000), ("8000 minutes", 8000), ("two hundred fifty", 250),
])
def test_parse_number(text: str, value: float) -> None:
    assert nl4opt.parse_number(text) == pytest.approx(value)


def test_parse_number_rejects_words() -> None:
    with pytest.raises(DatagenError):
        nl4opt.parse_number("plenty")


def record(**over: object) -> dict[str, object]:
    rec: dict[str, object] = {
        "document": "A shop sells lamps and fans ...",
        "vars": ["lamps", "fans"],
        "var_mention_to_first_var": {"lamps": "lamps", "lamp": "lamps", "fans": "fans", "fan": "fans"},
        "obj_declaration": {"type": "objective", "direction": "maximize", "name": "profit",
                            "terms": {"lamp": "3", "fans": "5"}},
        "const_declarations": [
            {"type": "sum", "direction": "at most", "limit": "100", "operator": "LESS_OR_EQUAL"},
            {"type": "linear", "direction": "at most", "limit": "1,000", "operator": "LESS_OR_EQUAL",
             "terms": {"lamps": "5", "fan": "15"}},
            {"type": "ratio", "direction": "at least", "limit": "20%", "var": "lamps",
             "operator": "GREATER_OR_EQUAL"},
            {"type": "xby", "x_var": "lamps", "param": "twice", "y_var": "fans", "direction": "at most",
             "operator": "LESS_OR_EQUAL"},
            {"type": "upperbound", "var": "fans", "limit": "60", "direction": "at most",
             "operator": "LESS_OR_EQUAL"},
            {"type": "lowerbound", "var": "fans", "limit": "10", "direction": "at least",
             "operator": "GREATER_OR_EQUAL"},
            {"type": "xy", "x_var": "fans", "y_var": "lamps", "direction": "at most", "operator": "LESS_OR_EQUAL"},
        ],
    }
    rec.update(over)
    return rec


def test_every_constraint_type_and_optimum() -> None:
    f = nl4opt.to_formulation(record())
    assert f["variables"]["lamps"]["domain"] == "nonnegative_reals"
    exprs = [c["expr"] for c in f["constraints"].values()]
    assert exprs == ["lamps + fans <= 100", "5 * lamps + 15 * fans <= 1000", "lamps >= 0.2 * (lamps + fans)",
                     "lamps <= 2 * fans", "fans <= 60", "fans >= 10", "fans <= lamps"]
    res = solve(f)
    # fans <= lamps <= 2 fans, lamps+fans<=100, 5l+15f<=1000: optimum at l=50, f=50 -> 400
    assert res.status.value == "optimal" and res.objective == pytest.approx(400)


def test_objvar_and_minimize_words() -> None:
    rec = record(obj_declaration={"type": "objvar", "direction": "decrease", "name": "units", "vars": []})
    rec["const_declarations"] = [{"type": "lowerbound", "var": "fans", "limit": "10", "direction": "at least",
                                  "operator": "GREATER_OR_EQUAL"},
                                 {"type": "xby", "x_var": "lamps", "param": "three times", "y_var": "fans",
                                  "direction": "at least", "operator": "GREATER_OR_EQUAL"}]
    f = nl4opt.to_formulation(rec)
    assert f["objective"] == {"sense": "minimize", "expr": "lamps + fans"}
    assert solve(f).objective == pytest.approx(40)


def test_incomplete_gold_is_rejected() -> None:
    with pytest.raises(DatagenError, match="no terms"):
        nl4opt.to_formulation(record(obj_declaration={"type": "objective", "direction": "max", "terms": {}}))
    with pytest.raises(DatagenError, match="unknown variable"):
        nl4opt.to_formulation(record(obj_declaration={"type": "objective", "direction": "max",
                                                      "terms": {"chairs": "1"}}))


def test_identifiers_are_valid_and_unique() -> None:
    rec = record(vars=["2-piece suites", "2 piece suites", "sum"],
                 var_mention_to_first_var={},
                 obj_declaration={"type": "objvar", "direction": "minimize", "vars": ["sum"]},
                 const_declarations=[])
    f = nl4opt.to_formulation(rec)
    assert list(f["variables"]) == ["x_2_piece_suites", "x_2_piece_suites_2", "sum_"]


@pytest.mark.skipif(not nl4opt.DEFAULT_DEV.is_file(), reason="NL4Opt dev data not present")
def test_dev_file_converts() -> None:
    rows = nl4opt.bench_items()
    assert len(rows) == 99
    ok = [r for r in rows if r["status"] == "optimal"]
    assert len(ok) >= 85
    coconut = next(r for r in rows if r["question"].startswith("A coconut seller"))
    assert coconut["answer"] == pytest.approx(8000 / 9)  # 50 r + 30 o, 10 r + 8 o <= 200, r <= o
