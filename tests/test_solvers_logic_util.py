"""The logic backends' shared helpers: decimal scaling, the spec's reported objective, core shrinking."""

from __future__ import annotations

from fractions import Fraction

import pytest
from logic_models import MB, le, lin

from optsolve.errors import UnsupportedModelError
from optsolve.formulation.ir import BoolLit
from optsolve.solvers.logic_util import (
    check_limit,
    decimal_scale,
    exact,
    reported_objective,
    require_scale,
    shrink_core,
)


@pytest.mark.parametrize(("values", "scale"), [
    ([1, 2, -7], 1), ([0.5, 3], 10), ([0.25, 0.1], 100), ([0.1 + 0.2], 10), ([1e-6], 10**6),
    ([1 / 3], None), ([1e-7], None), ([], 1), ([0.0, 12.5], 10),
])
def test_decimal_scale(values: list[float], scale: int | None) -> None:
    assert decimal_scale(values) == scale


def test_require_scale_names_the_place() -> None:
    with pytest.raises(UnsupportedModelError) as ei:
        require_scale([1 / 3], "constraint", "cap[2]", "CP-SAT")
    assert "cap[2]" in str(ei.value) and "z3" in str(ei.value)


def test_exact_is_the_written_decimal() -> None:
    assert exact(0.1) == Fraction(1, 10) and exact(2.5) == Fraction(5, 2) and exact(1e-5) == Fraction(1, 100000)


def test_reported_objective_follows_the_spec() -> None:
    m = MB()
    x = m.var("x", kind="integer", lb=0, ub=9)
    m.add("soft", le({x: 1}, 2), weight=1.5)
    gm = m.build()
    assert reported_objective(gm, [5]) == 1.5          # no objective: the violated weight
    assert reported_objective(gm, [1]) == 0.0
    m.minimize(lin({x: 2}, 1))
    assert reported_objective(m.build(), [5]) == 11 + 1.5
    m.maximize(lin({x: 2}, 1))
    assert reported_objective(m.build(), [5]) == 11 - 1.5
    m2 = MB()
    b = m2.var("b", kind="boolean")
    m2.add("hard", BoolLit(b))
    assert reported_objective(m2.build(), [1]) is None   # satisfaction: no objective


def test_shrink_core_is_irreducible() -> None:
    conflicts = [{1, 3}, {2, 4, 5}]
    calls = []

    def infeasible(subset: list[int]) -> list[int] | None:
        calls.append(list(subset))
        s = set(subset)
        return sorted(subset) if any(c <= s for c in conflicts) else None

    core = shrink_core([0, 1, 2, 3, 4, 5, 6], infeasible)
    assert set(core) in conflicts
    assert len(calls) <= 7
    # an inconclusive check keeps its member: the result is still a valid (infeasible) core
    core2 = shrink_core([1, 3, 7], lambda s: None)
    assert core2 == [1, 3, 7]


def test_check_limit() -> None:
    assert check_limit(None, 0.0, 5.0, None) is None
    assert check_limit(None, 0.0, 5.0, 0.1) == 1.0
    assert check_limit(None, 0.0, 5.0, 2.0) == 6.0
    assert check_limit(10.0, 0.0, 4.0, 2.0) == 6.0
    assert check_limit(10.0, 0.0, 9.99, None) == pytest.approx(0.05)
