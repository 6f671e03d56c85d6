"""The learned ranking of benchmarks/rerank.py: a conditional logit over candidates' text checks."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))

import rerank


def _cand(binding: float, votes: int, right: bool) -> dict[str, Any]:
    return {"group": 0, "votes": votes, "cov": 1.0, "comparisons": 1.0, "factors": {"binding": binding, "units": 1.0},
            "has_obj": True, "zero": False, "greedy": False, "repaired": False, "logp": -2.0, "right": right}


def _problems(n: int) -> list[dict[str, Any]]:
    # the wrong candidate comes first and has the larger group; the right one is the one the text binds
    return [{"id": str(i), "k": 32, "rule_pick": 0,
             "cands": [_cand(0.5, 20 + i % 5, False), _cand(1.0, 3 + i % 3, True)]} for i in range(n)]


def test_fit_learns_the_check_that_separates_right_from_wrong() -> None:
    train, held = _problems(20), _problems(7)
    assert rerank.picks(held, rerank.fit(train, iterations=1) * 0) == 0     # all scores equal: the first, wrong
    w = rerank.fit(train, l2=1e-3, iterations=100)
    names = rerank.feature_names(train[0]["cands"][0])
    assert len(names) == len(w) and names[0] == "binding"
    assert float(w[0]) > 0.0
    assert rerank.picks(held, w) == 7
    assert rerank.rule_picks(held) == 0


def test_fit_refuses_problems_with_no_right_candidate() -> None:
    wrong = [{"id": "0", "k": 32, "rule_pick": 0, "cands": [_cand(1.0, 5, False)]}]
    with pytest.raises(ValueError, match="no problem with a right candidate"):
        rerank.fit(wrong)
