"""benchmarks/replay_rules.py --ablate: right picks with each text check switched off, on saved draws
solved again by the real solver."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))

import bench_ranking as br
import replay_rules

import optsolve.train.runtime as rt
from optsolve.train.grounding import read
from optsolve.train.runtime import Candidate, check_candidate, text_domains

TEXT = ("A clinic employs nurses and aides. Each nurse costs $900 a week and each aide $500. The clinic needs "
        "at least 30 staff in total. At most 8 nurses can be hired. Minimize the weekly cost.")
HEAD = "<var> <v0> nurses <pos> <var> <v1> aides <pos> <min> <n0> * <v0> + <n1> * <v1> <con> <v0> + <v1> >= <n2> "
RIGHT = HEAD + "<con> <v0> <= <n3>"
WRONG = HEAD + "<con> <v1> <= <n3>"       # the nurses' bound written on the aides


def test_ablate_counts_right_picks_with_each_check_off(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    values = read(TEXT).values
    relax, integral = text_domains(TEXT)
    right = Candidate(RIGHT)
    check_candidate(right, values, relax=relax, integral=integral)
    assert right.ok and right.objective is not None
    cands = [{"compact": c, "greedy": i == 0, "formulation": {}, "ok": True, "objective": 0.0, "used": 4}
             for i, c in enumerate([WRONG, WRONG, WRONG, RIGHT])]
    dump = tmp_path / "dump.jsonl"
    dump.write_text(json.dumps({"id": "clinic", "answer": right.objective, "n_values": len(values),
                                "values": values, "text": TEXT, "cands": cands}) + "\n")
    drawn = br.replay(str(dump))
    assert [c.right for c in drawn[0]["cands"]] == [False, False, False, True]
    shipped = rt.fit_factors
    counts = replay_rules.ablate(drawn, 32)
    assert rt.fit_factors is shipped                                  # put back
    assert set(counts) == {"none", *shipped(read(TEXT), RIGHT)}
    assert counts["none"] == 1                                        # the text's checks outvote three wrong draws
    assert all(v in (0, 1) for v in counts.values())

    # two checks tell them apart here (the wrong one's bindings, and a repair would change it): with the
    # repair check neutral, switching the bindings off leaves the three wrong draws to win
    def no_repairable(reading: Any, compact: str) -> dict[str, float]:
        return {**shipped(reading, compact), "repairable": 1.0}

    monkeypatch.setattr(rt, "fit_factors", no_repairable)
    counts = replay_rules.ablate(drawn, 32)
    assert counts["none"] == 1 and counts["binding"] == 0 and counts["units"] == 1
