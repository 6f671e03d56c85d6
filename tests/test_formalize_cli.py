"""``optsolve run|plan|bench`` in real subprocesses: exit codes, stdin, --json, config file, bench."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from test_formalize_http import BAKERY, BAKERY_MODEL, FakeOpenAI

ROOT = Path(__file__).resolve().parents[1]


def run(args: list[str], tmp_path: Path, stdin: str | None = None, env: dict[str, str] | None = None,
        timeout: float = 120) -> subprocess.CompletedProcess[str]:
    e = {k: v for k, v in os.environ.items() if not k.startswith("OPTSOLVE_")}
    e.update({"OPTSOLVE_RETRIEVER": "tfidf", "HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path / "cfg"),
              "XDG_CACHE_HOME": str(tmp_path / "cache"), "PYTHONPATH": str(ROOT)})
    e.update(env or {})
    return subprocess.run([sys.executable, "-m", "optsolve", *args], input=stdin, capture_output=True,
                          text=True, cwd=tmp_path, env=e, timeout=timeout)


def replies(tmp_path: Path, *items: Any, name: str = "replies.jsonl") -> str:
    path = tmp_path / name
    path.write_text("".join(json.dumps(i) + "\n" for i in items))
    return str(path)


def no_traceback(p: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in p.stderr and "Traceback" not in p.stdout


def test_empty_text_exits_2(tmp_path: Path) -> None:
    p = run(["run", ""], tmp_path)
    assert p.returncode == 2, p.stderr
    assert "E_INPUT" in p.stderr and "empty" in p.stderr
    no_traceback(p)
    p = run(["run", "-"], tmp_path, stdin="   ")
    assert p.returncode == 2 and "empty" in p.stderr


def test_not_english_and_not_a_problem_exit_2(tmp_path: Path) -> None:
    p = run(["面包店生产面包和蛋糕，每周最多有四十小时的烤箱时间，求最大利润。"], tmp_path)
    assert p.returncode == 2 and "English" in p.stderr
    p = run(["Tell me a story about a dragon."], tmp_path, env={"OPTSOLVE_BACKEND": "scripted"})
    assert p.returncode == 2 and "optimization problem" in p.stderr
    no_traceback(p)


def test_stdin_and_readable_output(tmp_path: Path) -> None:
    script = replies(tmp_path, "I am not sure.", BAKERY_MODEL)
    p = run(["run", "-", "--backend", "scripted", "--model", script], tmp_path, stdin=BAKERY)
    assert p.returncode == 0, p.stderr
    out = p.stdout
    for part in ("Variables", "Objective", "Constraints", "Status: optimal", "1,200", "bread", "cakes",
                 "Confidence: 1.00", "attempts: 2"):
        assert part in out, part
    assert "attempt 1: parse_error" in p.stderr


def test_default_command_json(tmp_path: Path) -> None:
    script = replies(tmp_path, BAKERY_MODEL)
    p = run([BAKERY, "--backend", "scripted", "--model", script, "--json"], tmp_path)
    assert p.returncode == 0, p.stderr
    data = json.loads(p.stdout)
    assert data["status"] == "optimal" and data["objective"] == pytest.approx(1200)
    assert data["variables"] == {"bread": 10, "cakes": 20} and data["solver"] == "highs"
    assert data["formulation"]["objective"]["sense"] == "maximize"
    assert len(data["attempts"]) == 1 and data["attempts"][0]["status"] == "optimal"
    assert data["confidence"] == 1.0 and data["backend"] == "scripted"


def test_file_option_and_config_file(tmp_path: Path) -> None:
    (tmp_path / "problem.txt").write_text(BAKERY)
    script = replies(tmp_path, BAKERY_MODEL)
    (tmp_path / "optsolve.toml").write_text(f'[formalize]\nbackend = "scripted"\nmodel = "{script}"\n')
    p = run(["run", "--file", "problem.txt", "--json"], tmp_path)
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["backend"] == "scripted"
    p = run(["run", "--file", "missing.txt"], tmp_path)
    assert p.returncode == 2 and "no such file" in p.stderr


def test_infeasible_exits_3(tmp_path: Path) -> None:
    bad = json.loads(json.dumps(BAKERY_MODEL))
    bad["constraints"]["cap"] = {"expr": "bread <= 2"}
    script = replies(tmp_path, bad, bad)
    p = run(["run", BAKERY, "--backend", "scripted", "--model", script, "--max-attempts", "2"], tmp_path)
    assert p.returncode == 3, p.stderr
    assert "infeasible" in p.stdout
    no_traceback(p)


def test_formalize_failure_exits_5_and_lists_attempts(tmp_path: Path) -> None:
    script = replies(tmp_path, "garbage", "more garbage")
    p = run(["run", BAKERY, "--backend", "scripted", "--model", script, "--max-attempts", "2"], tmp_path)
    assert p.returncode == 5
    assert "E_FORMALIZE" in p.stderr and "attempt 2 (sample 1): parse_error" in p.stderr
    assert "larger model" in p.stderr
    no_traceback(p)
    p = run(["run", BAKERY, "--backend", "scripted", "--model", script, "--max-attempts", "2", "--json"],
            tmp_path)
    assert p.returncode == 5 and json.loads(p.stdout)["error"]["code"] == "E_FORMALIZE"


def test_default_backend_runs_offline_end_to_end(tmp_path: Path) -> None:
    """With nothing configured the shipped embedded model runs offline: the bundled problem gets a
    formulation that compiles and solves, in the spec's JSON, with every attempt recorded."""
    bakery = (ROOT / "optsolve" / "examples" / "bakery.txt").read_text()
    # a generous draw bound: on a loaded machine the default 6 s cuts samples (and may change the answer)
    p = run(["run", "-", "--json"], tmp_path, stdin=bakery, timeout=300, env={"OPTSOLVE_LLM_TIMEOUT": "240"})
    no_traceback(p)
    assert p.returncode in (0, 3, 5), p.stderr
    data = json.loads(p.stdout)
    if p.returncode == 5:  # nothing compiled: a typed formalizer error, saying what to do instead
        assert data["error"]["code"] in ("E_FORMALIZE", "E_LLM_BACKEND") and data["error"]["message"]
        return
    assert data["backend"] == "embedded"
    assert data["attempts"] and data["formulation"]["variables"]
    assert data["status"] in ("optimal", "infeasible", "unbounded")
    # the confidence is the model's own vote among the 32 candidates it drew, not "1 of 1 sample"
    ag = data["agreement"]
    assert ag["basis"] == "candidates" and ag["of"] == 32 and 0 <= ag["votes"] <= 32  # 0: a rewrite from the text
    assert data["confidence"] == pytest.approx(ag["votes"] / 32)


def test_readable_confidence_says_what_it_counts(tmp_path: Path) -> None:
    script = replies(tmp_path, {"match": "bakery", "replies": [BAKERY_MODEL], "agreement": [7, 16]})
    p = run([BAKERY, "--backend", "scripted", "--model", script], tmp_path)
    assert p.returncode == 0, p.stderr
    assert "Confidence: 0.44 (7/16 candidates agree)" in p.stdout
    assert "low agreement" not in p.stderr
    low = replies(tmp_path, {"match": "bakery", "replies": [BAKERY_MODEL], "agreement": [3, 16]}, name="low.jsonl")
    p = run([BAKERY, "--backend", "scripted", "--model", low], tmp_path)
    assert p.returncode == 0, p.stderr
    assert "Confidence: 0.19 (3/16 candidates agree)" in p.stdout
    assert "only 3 of the 16 candidates reach this optimum" in p.stderr
    # a candidate the backend rewrote from the text, which none of those it drew agrees with
    rewritten = replies(tmp_path, {"match": "bakery", "replies": [BAKERY_MODEL], "agreement": [0, 16]},
                        name="rewritten.jsonl")
    p = run([BAKERY, "--backend", "scripted", "--model", rewritten], tmp_path)
    assert p.returncode == 0, p.stderr
    assert "Confidence: 0.00 (0/16 candidates agree: one of them rewritten from the text)" in p.stdout
    assert "none of the 16 candidates drawn reach this optimum" in p.stderr
    bad = replies(tmp_path, {"match": "bakery", "replies": [BAKERY_MODEL], "agreement": [17, 16]}, name="bad.jsonl")
    p = run([BAKERY, "--backend", "scripted", "--model", bad], tmp_path)
    no_traceback(p)
    assert p.returncode != 0 and "agreement" in p.stderr and "[7, 16]" in p.stderr


def test_default_backend_answers_the_bundled_bakery_correctly(tmp_path: Path) -> None:
    """The issue's done-when: the bundled problem's optimum is 1200 (10 bread, 20 cakes). None of the
    shipped model's 32 candidates writes the flour row; the text-guided completion does
    (optsolve.train.grounding.TextReading.complete), and the answer says so."""
    bakery = (ROOT / "optsolve" / "examples" / "bakery.txt").read_text()
    # a generous draw bound: on a loaded machine the default 6 s cuts samples (and may change the answer)
    p = run(["run", "-", "--json"], tmp_path, stdin=bakery, timeout=300, env={"OPTSOLVE_LLM_TIMEOUT": "240"})
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout)
    assert out["objective"] == pytest.approx(1200)
    assert out["agreement"]["basis"] == "candidates" and out["agreement"]["of"] == 32


def test_plan_json(tmp_path: Path) -> None:
    script = replies(tmp_path, BAKERY_MODEL)
    p = run(["plan", BAKERY, "--backend", "scripted", "--model", script, "--json"], tmp_path)
    assert p.returncode == 0, p.stderr
    data = json.loads(p.stdout)
    assert data["route"] == "highs" and data["formulation"]["constraints"]["oven"]
    assert data["attempts"][0]["status"] == "compiled" and "status" not in data


def test_http_backend_from_cli(tmp_path: Path) -> None:
    srv = FakeOpenAI(default=[json.dumps(BAKERY_MODEL)])
    try:
        p = run([BAKERY, "--json"], tmp_path, env={"OPTSOLVE_BASE_URL": srv.base_url})
    finally:
        srv.close()
    assert p.returncode == 0, p.stderr
    data = json.loads(p.stdout)
    assert data["backend"] == "openai" and data["objective"] == pytest.approx(1200)
    assert srv.requests[0]["body"]["model"] == "fake-model"


def test_bench_on_tiny_jsonl(tmp_path: Path) -> None:
    wrong = json.loads(json.dumps(BAKERY_MODEL))
    wrong["objective"]["expr"] = "30 * bread + 43 * cakes"  # 1160: off by 3.3%
    items = [
        {"question": BAKERY, "answer": 1200},
        {"en_question": "FARM: maximize profit of wheat and corn with at most 10 acres.", "en_answer": "1,200.0"},
        {"Question": "SHOP: minimize cost with at least 3 items.", "Answer": 999},
    ]
    bench_file = tmp_path / "tiny.jsonl"
    bench_file.write_text("".join(json.dumps(i) + "\n" for i in items))
    script = replies(tmp_path,
                     {"match": "bakery", "replies": [BAKERY_MODEL]},
                     {"match": "FARM", "replies": [BAKERY_MODEL]},
                     {"match": "SHOP", "replies": ["junk", "junk"]})
    p = run(["bench", str(bench_file), "--backend", "scripted", "--model", script, "--max-attempts", "2",
             "--out", "res.jsonl", "--json", "--no-progress"], tmp_path)
    assert p.returncode == 0, p.stderr
    summary = json.loads(p.stdout)
    assert summary["items"] == 3
    assert summary["accuracy"] == pytest.approx(2 / 3) and summary["accuracy_5pct"] == pytest.approx(2 / 3)
    assert summary["execution_rate"] == pytest.approx(2 / 3)
    assert summary["mean_attempts"] == pytest.approx(4 / 3)
    assert summary["latency_p50"] > 0 and summary["latency_p95"] >= summary["latency_p50"]
    rows = [json.loads(line) for line in (tmp_path / "res.jsonl").read_text().splitlines()]
    assert [r["index"] for r in rows] == [0, 1, 2]
    assert [r["status"] for r in rows] == ["optimal", "optimal", "formalize_error"]
    assert rows[0]["objective"] == pytest.approx(1200) and rows[2]["attempts"] == 2
    assert all("seconds" in r for r in rows)
    # --limit and the readable summary
    script = replies(tmp_path, {"match": "bakery", "replies": [wrong]}, name="r2.jsonl")
    p = run(["bench", str(bench_file), "--limit", "1", "--backend", "scripted", "--model", script], tmp_path)
    assert p.returncode == 0, p.stderr
    assert "1 items" in p.stdout and "accuracy (strict, 1e-4 rel): 0.0%" in p.stdout
    assert "accuracy (5% rule):          100.0%" in p.stdout  # 1160 vs 1200 is within 5%


def test_bench_nl4opt_export(tmp_path: Path) -> None:
    from optsolve.formalize.nl4opt import DEFAULT_DEV
    if not DEFAULT_DEV.is_file():
        pytest.skip("NL4Opt dev data not present")
    p = run(["bench", "--nl4opt-dev", "--export", "nl4opt_dev.jsonl"], tmp_path)
    assert p.returncode == 0, p.stderr
    rows = [json.loads(line) for line in (tmp_path / "nl4opt_dev.jsonl").read_text().splitlines()]
    assert len(rows) >= 85 and all(isinstance(r["answer"], float) for r in rows)
    assert {"question", "answer"} <= set(rows[0])


SHOP = ("A shop makes chairs and tables. A chair takes 3 hours of work and a table 5 hours; 16 hours are "
        "available. A chair earns $4 and a table $7. How many of each should it make to maximize profit?")
SHOP_MODEL = {"variables": {"chairs": {"domain": "nonnegative_integers"}, "tables": {"domain": "nonnegative_integers"}},
              "objective": {"sense": "maximize", "expr": "4 * chairs + 7 * tables"},
              "constraints": {"hours": {"expr": "3 * chairs + 5 * tables <= 16"}}}


def test_whole_numbers_the_text_never_asked_for_are_pointed_out(tmp_path: Path) -> None:
    """A formulation counting in whole numbers what the text never says must be whole: the answer (22, in
    integers) comes with the optimum allowing fractions (22.4, NL4Opt's reading); not when the text says
    the quantities are whole, nor when the formulation is continuous."""
    p = run([SHOP, "--backend", "scripted", "--model", replies(tmp_path, SHOP_MODEL)], tmp_path)
    assert p.returncode == 0, p.stderr
    assert "22" in p.stdout
    assert "does not say that chairs and tables must be whole numbers" in p.stderr
    assert "allowing fractions, the optimum would be 22.4" in p.stderr
    whole = SHOP.replace("How many", "Only whole numbers of each can be made. How many")
    p = run([whole, "--backend", "scripted", "--model", replies(tmp_path, SHOP_MODEL)], tmp_path)
    assert p.returncode == 0 and "allowing fractions" not in p.stderr, p.stderr
    frac = SHOP.replace("How many", "Fractional amounts are allowed. How many")
    p = run([frac, "--backend", "scripted", "--model", replies(tmp_path, SHOP_MODEL)], tmp_path)
    assert p.returncode == 0 and "says fractions are allowed, but the formulation counts chairs and tables" in p.stderr
    cont = json.loads(json.dumps(SHOP_MODEL))
    for v in cont["variables"].values():
        v["domain"] = "nonnegative_reals"
    p = run([SHOP, "--backend", "scripted", "--model", replies(tmp_path, cont)], tmp_path)
    assert p.returncode == 0 and "22.4" in p.stdout and "allowing fractions" not in p.stderr, p.stderr


def test_the_embedded_reading_shows_the_whole_number_optimum() -> None:
    """The embedded formalizer solves counts the text does not call whole as fractions (22.4 chairs and
    tables' worth of profit): the note gives the optimum in whole numbers (22); none when the text says
    whole numbers or allows fractions, and none when whole numbers change nothing."""
    from optsolve.formalize.integrality import whole_number_note, whole_numbers

    cont = json.loads(json.dumps(SHOP_MODEL))
    for v in cont["variables"].values():
        v["domain"] = "nonnegative_reals"
    note = whole_number_note(SHOP, cont, 22.4)
    assert note is not None and "in whole numbers the optimum would be 22." in note
    assert "say in the text whether they must be whole numbers" in note
    assert whole_number_note(SHOP.replace("How many", "Only whole numbers of each can be made. How many"), cont, 22.4) is None
    assert whole_number_note(SHOP.replace("How many", "Fractional amounts are allowed. How many"), cont, 22.4) is None
    even = json.loads(json.dumps(cont))
    even["constraints"]["hours"]["expr"] = "3 * chairs + 5 * tables <= 15"     # 21 either way
    assert whole_number_note(SHOP, even, 21.0) is None
    assert whole_number_note(SHOP, SHOP_MODEL, 22.0) is None                      # nothing continuous
    out = whole_numbers({"variables": {"x": {}, "open": {"domain": "binary"}, "y": {"domain": "nonnegative_reals"}}})
    assert out is not None and out[1] == ["x", "y"] and out[0]["variables"]["x"]["domain"] == "integers"
    assert out[0]["variables"]["open"]["domain"] == "binary"


def test_relaxing_leaves_binary_decisions_alone() -> None:
    from optsolve.formalize.integrality import relaxed

    f = {"variables": {"x": {"index": ["I"], "domain": "integers"}, "open": {"domain": "binary"},
                       "y": {"domain": "nonnegative_reals"}}, "objective": None, "constraints": {}}
    out = relaxed(f)
    assert out is not None and out[1] == ["x"]
    assert out[0]["variables"]["x"]["domain"] == "reals" and out[0]["variables"]["open"]["domain"] == "binary"
    assert f["variables"]["x"]["domain"] == "integers"          # the input is not changed
    assert relaxed({"variables": {"open": {"domain": "binary"}}}) is None
