"""Code mode: LLM-style Pyomo scripts run through the real sandbox and harness, real HiGHS/SCIP."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest

from optsolve.formalize import code_mode
from optsolve.formalize.code_mode import CODE_MODE_CONTRACT, code_limits, run_code
from optsolve.formalize.sandbox import SandboxLimits, SandboxResult, namespace_members
from optsolve.solvers.result import SolveResult, Status

pytestmark = pytest.mark.skipif(shutil.which("bwrap") is None,
                                reason="bubblewrap is not installed (make sysdeps / apt-get install bubblewrap)")

BAKERY = """
import pyomo.environ as pyo

m = pyo.ConcreteModel()
m.bread = pyo.Var(domain=pyo.NonNegativeIntegers)
m.cake = pyo.Var(domain=pyo.NonNegativeIntegers)
m.labor = pyo.Constraint(expr=2 * m.bread + 3 * m.cake <= 40)
m.oven = pyo.Constraint(expr=m.bread + 2 * m.cake <= 22)
m.profit = pyo.Objective(expr=3 * m.bread + 5 * m.cake, sense=pyo.maximize)
"""


@pytest.fixture
def sandboxes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[SandboxResult]]:
    """Record every sandbox run; afterwards nothing of it may be running and its temp dir must be gone."""
    private = tmp_path / "sandbox-tmp"
    private.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(private))
    seen: list[SandboxResult] = []
    real = code_mode.run_sandboxed

    def recording(*a: Any, **kw: Any) -> SandboxResult:
        res = real(*a, **kw)
        seen.append(res)
        return res

    monkeypatch.setattr(code_mode, "run_sandboxed", recording)
    before = {p.pid for p in psutil.Process().children(recursive=True)}
    yield seen
    for res in seen:
        assert res.pid_namespace is not None and namespace_members(res.pid_namespace) == []
    assert not [p for p in psutil.Process().children(recursive=True) if p.pid not in before]
    assert list(private.iterdir()) == []


def solve(script: str, **kw: Any) -> SolveResult:
    kw.setdefault("time_limit", 20)
    return run_code(script, **kw)


def test_contract_names_the_interface() -> None:
    for needle in ("`m`", "report(m, results)", "highs", "scip_direct", "TIME_LIMIT", "SOLVER"):
        assert needle in CODE_MODE_CONTRACT


def test_benign_lp_solves_with_the_right_objective(sandboxes: list[SandboxResult]) -> None:
    script = """
import pyomo.environ as pyo
m = pyo.ConcreteModel()
m.x = pyo.Var(within=pyo.NonNegativeReals)
m.y = pyo.Var(within=pyo.NonNegativeReals)
m.c1 = pyo.Constraint(expr=m.x + m.y <= 4)
m.c2 = pyo.Constraint(expr=m.x + 3 * m.y <= 6)
m.obj = pyo.Objective(expr=3 * m.x + 5 * m.y, sense=pyo.maximize)
"""
    res = solve(script)
    assert res.status is Status.OPTIMAL, res.message
    assert res.objective == pytest.approx(14.0, abs=1e-6)          # x=3, y=1
    assert res.variables["x"] == pytest.approx(3.0) and res.variables["y"] == pytest.approx(1.0)
    assert res.solver == "code:highs" and res.n_vars == 2 and res.n_constraints == 2
    assert res.seconds > 0


def test_milp_integer_values_and_indexed_variables(sandboxes: list[SandboxResult]) -> None:
    script = BAKERY + """
m.z = pyo.Var([(1, "a"), (2, "b")], bounds=(0, 1))
m.link = pyo.Constraint(expr=m.z[1, "a"] + m.z[2, "b"] <= 1.5)
m.profit.deactivate()
m.total = pyo.Objective(expr=3 * m.bread + 5 * m.cake + m.z[1, "a"] + 2 * m.z[2, "b"], sense=pyo.maximize)
"""
    res = solve(script)
    assert res.status is Status.OPTIMAL, res.message
    assert res.objective == pytest.approx(62 + 0.5 + 2.0)
    assert res.variables["bread"] == 14 and res.variables["cake"] == 4
    assert isinstance(res.variables["bread"], int)
    assert res.variables["z"] == {"1,a": pytest.approx(0.5), "2,b": pytest.approx(1.0)}


def test_nonlinear_model_falls_back_to_scip(sandboxes: list[SandboxResult]) -> None:
    script = """
import pyomo.environ as pyo
m = pyo.ConcreteModel()
m.x = pyo.Var(bounds=(0, 4))
m.y = pyo.Var(bounds=(0, 3))
m.c = pyo.Constraint(expr=m.x * m.y <= 2)
m.o = pyo.Objective(expr=m.x + m.y, sense=pyo.maximize)
"""
    res = solve(script)
    assert res.status is Status.OPTIMAL, res.message
    assert res.solver == "code:scip"
    assert res.objective == pytest.approx(4.5, abs=1e-4)


def test_script_that_solves_itself_and_reports(sandboxes: list[SandboxResult]) -> None:
    script = BAKERY + """
results = pyo.SolverFactory("scip_direct").solve(m, timelimit=TIME_LIMIT)
report(m, results)
"""
    res = solve(script)
    assert res.status is Status.OPTIMAL, res.message
    assert res.objective == pytest.approx(62.0)
    assert res.solver == "code:script"


@pytest.mark.parametrize(("extra", "status"), [
    ("m.bad = pyo.Constraint(expr=m.bread >= 100)\n", Status.INFEASIBLE),
    ("m.profit.deactivate()\nm.free = pyo.Var()\nm.o2 = pyo.Objective(expr=m.free, sense=pyo.maximize)\n",
     None),
])
def test_infeasible_and_unbounded(sandboxes: list[SandboxResult], extra: str, status: Status | None) -> None:
    res = solve(BAKERY + extra)
    if status is None:
        assert res.status in (Status.UNBOUNDED, Status.INFEASIBLE_OR_UNBOUNDED), res.message
    else:
        assert res.status is status, res.message
    assert res.objective is None and res.variables == {}


def test_script_error_comes_back_with_the_traceback(sandboxes: list[SandboxResult]) -> None:
    script = BAKERY + "m.extra = pyo.Constraint(expr=m.bread <= capacity)\n"
    res = solve(script)
    assert res.status is Status.ERROR
    assert res.message is not None
    assert "NameError" in res.message and "capacity" in res.message
    line = len(script.splitlines())
    assert f'File "script.py", line {line}' in res.message      # points at the script's own line
    assert "m.bread <= capacity" in res.message
    assert "code_harness" not in res.message and "/sandbox/main.py" not in res.message


def test_syntax_error_and_missing_model(sandboxes: list[SandboxResult]) -> None:
    res = solve("import pyomo.environ as pyo\nm = pyo.ConcreteModel(\n")
    assert res.status is Status.ERROR and "does not compile" in (res.message or "")
    res = solve("x = 1\n")
    assert res.status is Status.ERROR and "assign the ConcreteModel to `m`" in (res.message or "")


def test_two_active_objectives_are_an_error(sandboxes: list[SandboxResult]) -> None:
    res = solve(BAKERY + "m.o2 = pyo.Objective(expr=m.bread)\n")
    assert res.status is Status.ERROR and "2 active objectives" in (res.message or "")


def test_empty_or_huge_script_is_an_error_without_a_sandbox(sandboxes: list[SandboxResult]) -> None:
    assert run_code("  \n").status is Status.ERROR
    assert run_code("x = 1\n" * 50_000).status is Status.ERROR
    assert run_code("x = '\ud800'\n").status is Status.ERROR
    assert sandboxes == []


def test_hostile_script_in_code_mode_is_reported_as_error(sandboxes: list[SandboxResult]) -> None:
    res = solve("open('/etc/shadow').read()\n")
    assert res.status is Status.ERROR
    assert "FileNotFoundError" in (res.message or "") or "PermissionError" in (res.message or "")


def test_forged_result_channel_is_an_error_not_a_crash(sandboxes: list[SandboxResult]) -> None:
    script = BAKERY + ("import os\n"
                       "os.write(int(os.environ['OPTSOLVE_RESULT_FD']), b'{\"status\": \"optimal\", \"objective\": 1e9')\n")
    res = solve(script)
    assert res.status is Status.ERROR and "no valid result" in (res.message or "")
    assert res.objective is None


def test_forged_but_well_formed_result_is_validated(sandboxes: list[SandboxResult]) -> None:
    script = ("import optsolve_sandbox, os\n"
              "optsolve_sandbox.emit({'status': 'optimal', 'objective': 'lots', 'rm -rf': True})\n"
              "os._exit(0)\n")
    res = solve(script)
    assert res.status is Status.ERROR and "does not validate" in (res.message or "")


def test_runaway_script_is_killed_and_reported(sandboxes: list[SandboxResult]) -> None:
    limits = SandboxLimits(wall_seconds=2, cpu_seconds=30, memory_bytes=2 << 30)
    res = run_code("while True:\n    pass\n", time_limit=1, limits=limits)
    assert res.status is Status.ERROR and "wall-clock limit" in (res.message or "")
    assert 2 <= res.seconds < 6


def test_default_limits_scale_with_the_time_limit() -> None:
    lim = code_limits(60)
    assert lim.wall_seconds == 60 + code_mode.STARTUP_SECONDS and lim.cpu_seconds >= 60
    assert lim.threads == 1
