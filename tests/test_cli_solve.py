"""`optsolve solve` end to end in subprocesses: report, JSON per the spec, exit codes, emit."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from problem_library import PROBLEMS_DIR, close

PROBLEMS = Path(PROBLEMS_DIR)


def _write(tmp_path: Path, name: str) -> Path:
    d = json.loads((PROBLEMS / f"{name}.json").read_text())
    p = tmp_path / f"{name}.json"
    p.write_text(json.dumps(d["formulation"]))
    return p


def run(cmd, *args, **kw):
    return subprocess.run([*cmd, *args], capture_output=True, text=True, timeout=120, **kw)


def test_readable_report(tmp_path, optsolve_cmd):
    r = run(optsolve_cmd, "solve", str(_write(tmp_path, "transportation")))
    assert r.returncode == 0, r.stderr
    assert "Status: optimal" in r.stdout and "Objective: 1,280" in r.stdout
    assert "ship[s1,d1]" in r.stdout or "ship[" in r.stdout
    assert "variables" in r.stdout and "constraints" in r.stdout


def test_json_result_matches_spec(tmp_path, optsolve_cmd):
    r = run(optsolve_cmd, "solve", str(_write(tmp_path, "product_mix")), "--json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert {"status", "objective", "variables", "solver", "seconds"} <= set(out)
    assert out["status"] == "optimal" and close(out["objective"], 280.0, 1e-6)
    assert set(out["variables"]["x"]) == {"desk", "table", "chair"}
    assert out["solver"] == "highs"


def test_tuple_keys_joined_with_comma(tmp_path, optsolve_cmd):
    r = run(optsolve_cmd, "solve", str(_write(tmp_path, "assignment")), "--json")
    out = json.loads(r.stdout)
    assert "ann,t2" in out["variables"]["a"]
    assert sum(out["variables"]["a"].values()) == 4


def test_infeasible_exit_code_and_explanation(tmp_path, optsolve_cmd):
    p = _write(tmp_path, "infeasible_lp")
    r = run(optsolve_cmd, "solve", str(p), "--json")
    assert r.returncode == 3
    out = json.loads(r.stdout)
    assert out["status"] == "infeasible" and set(out["explanation"]) == {"small", "big"}
    r = run(optsolve_cmd, "solve", str(p))
    assert r.returncode == 3 and "Conflicting constraints" in r.stdout and "small" in r.stdout


def test_unbounded_exit_code(tmp_path, optsolve_cmd):
    r = run(optsolve_cmd, "solve", str(_write(tmp_path, "unbounded_lp")), "--json")
    assert r.returncode == 3 and json.loads(r.stdout)["status"] == "unbounded"


def test_forced_solver_and_unfit_solver(tmp_path, optsolve_cmd):
    p = _write(tmp_path, "knapsack")
    r = run(optsolve_cmd, "solve", str(p), "--solver", "cpsat", "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["solver"] == "cpsat" and json.loads(r.stdout)["objective"] == 43
    r = run(optsolve_cmd, "solve", str(_write(tmp_path, "nlp_exp")), "--solver", "highs")
    assert r.returncode == 4 and "cannot take this model" in r.stderr and "Traceback" not in r.stderr
    r = run(optsolve_cmd, "solve", str(p), "--solver", "gurobi")
    assert r.returncode == 4 and "unknown solver" in r.stderr


def test_stdin_and_yaml(tmp_path, optsolve_cmd):
    r = run(optsolve_cmd, "solve", "-", "--json",
            input="variables: {x: {domain: nonnegative_integers, ub: 7}}\nobjective: {sense: maximize, expr: 3 * x}\n")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["objective"] == 21


@pytest.mark.parametrize("fmt", ["lp", "mps"])
def test_emit_files_load_back_into_highs(tmp_path, optsolve_cmd, fmt):
    import highspy

    p = _write(tmp_path, "lot_sizing")
    out = tmp_path / f"model.{fmt}"
    r = run(optsolve_cmd, "solve", str(p), "--emit", fmt, "-o", str(out))
    assert r.returncode == 0, r.stderr
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    assert h.readModel(str(out)) == highspy.HighsStatus.kOk
    h.run()
    assert close(h.getInfo().objective_function_value, 1970.0, 1e-6)


def test_emit_pyomo_script_runs(tmp_path, optsolve_cmd):
    p = _write(tmp_path, "facility_location")
    r = run(optsolve_cmd, "solve", str(p), "--emit", "pyomo")
    assert r.returncode == 0, r.stderr
    script = tmp_path / "model.py"
    script.write_text(r.stdout)
    import sys

    r2 = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120)
    assert r2.returncode == 0, r2.stderr
    assert "270" in r2.stdout


def test_help_texts(optsolve_cmd):
    r = run(optsolve_cmd, "--help")
    assert r.returncode == 0 and "solve" in r.stdout
    r = run(optsolve_cmd, "solve", "--help")
    assert r.returncode == 0 and "--time-limit" in r.stdout and "Exit codes" in r.stdout


def test_scip_log_flood_does_not_deadlock_past_time_limit(tmp_path, optsolve_cmd):
    """An unbounded log-NLP makes SCIP write thousands of stderr lines; the solve must still stop."""
    p = tmp_path / "nlp.json"
    p.write_text(json.dumps({
        "sets": {"I": {"range": [1, 3]}},
        "variables": {"x": {"index": ["I"], "domain": "nonnegative_reals"}},
        "objective": {"sense": "maximize", "expr": "sum(log(1 + x[i]) for i in I)"},
        "constraints": {"c": {"expr": "x[1] >= 1"}},
    }))
    r = run(optsolve_cmd, "solve", str(p), "--time-limit", "3", "--json")
    assert r.returncode in (0, 3, 4), r.stderr[-500:]
    assert json.loads(r.stdout)["status"] in ("time_limit", "unbounded", "feasible")


def test_infeasible_integer_model_without_upper_bounds_is_explained(tmp_path, optsolve_cmd):
    p = tmp_path / "m.json"
    p.write_text(json.dumps({
        "variables": {"n": {"domain": "nonnegative_integers"}, "m": {"domain": "integers"}},
        "objective": {"sense": "maximize", "expr": "n + m"},
        "constraints": {"low": {"expr": "n + m >= 10"}, "high": {"expr": "n + m <= 4"}, "other": {"expr": "n <= 100"}},
    }))
    r = run(optsolve_cmd, "solve", str(p), "--json")
    assert r.returncode == 3, r.stderr
    assert set(json.loads(r.stdout)["explanation"]) == {"low", "high"}


def test_default_command_accepts_leading_flags(optsolve_cmd):
    r = run(optsolve_cmd, "--file", "/nonexistent/problem.txt")
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert "invalid choice" not in r.stderr
