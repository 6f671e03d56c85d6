"""benchmarks/structure_check.py: rows compared with the gold's, normalised (no solver, no model)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

import structure_check as sc

GOLD = ("<var> <v0> x_boxes <nint> <var> <v1> x_crates <nint> <max> <n0> * <v0> + <n1> * <v1> "
        "<con> <n2> * <v0> + <n3> * <v1> <= <n4> <con> <v1> <= <v0> + <n5>")
VALUES = [7.0, 14.0, 1.0, 8.0, 700.0, 30.0]


def _rows(compact: str) -> set[str]:
    gold = sc.gold_names(GOLD)
    names = [n for _, n in sc._DECL.findall(compact)]
    return sc.rows_of(compact, VALUES, sc.match(gold, names))


def test_rows_equal_the_gold_up_to_order_names_repeats_and_unit_coefficients() -> None:
    want = sc.rows_of(GOLD, VALUES, {"x_boxes": "v0", "x_crates": "v1"})
    same = ("<var> <v0> crates <nint> <var> <v1> boxes <nint> <max> <n1> * <v0> + <n0> * <v1> "
            "<con> <n3> * <v0> + <v1> <= <n4> <con> <v0> <= <v1> + <n5> <con> <v0> <= <v1> + <n5>")
    assert _rows(same) == want      # variables swapped, sum reordered, 1 * boxes unwritten, a row twice


def test_a_comparison_about_other_items_or_a_missing_row_is_not_the_gold() -> None:
    want = sc.rows_of(GOLD, VALUES, {"x_boxes": "v0", "x_crates": "v1"})
    turned = GOLD.replace("<v1> <= <v0> + <n5>", "<v0> <= <v1> + <n5>").replace("x_", "")
    missing = GOLD.replace(" <con> <v1> <= <v0> + <n5>", "").replace("x_", "")
    assert _rows(turned) != want and _rows(missing) != want
    assert _rows(GOLD.replace("x_", "")) == want
