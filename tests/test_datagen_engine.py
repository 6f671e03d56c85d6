"""The datagen batch engine: determinism, ground truth, resume after SIGKILL, faults, forward modeling."""

from __future__ import annotations

import errno
import json
import os
import random
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from optsolve.datagen import corrupt, engine
from optsolve.datagen import exports as ex
from optsolve.datagen.engine import DatagenConfig, run_datagen
from optsolve.errors import DatagenError

TESTS = Path(__file__).resolve().parent
REPO = TESTS.parent
FAMS = "test_datagen_engine_family"
if str(TESTS) not in sys.path:
    sys.path.insert(0, str(TESTS))


@pytest.fixture(autouse=True, scope="module")
def _tiny_families() -> Iterator[None]:
    """The tiny test families exist only while this module runs (and in the workers it starts)."""
    import test_datagen_engine_family as tfam

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(tfam.ENV, "1")
        tfam.register()
        try:
            yield
        finally:
            tfam.unregister()


def cfg(out: Path, **kw: object) -> DatagenConfig:
    base: dict[str, object] = dict(out=out, families=["tiny_mix", "tiny_diet"], n=24, chunk_size=6, workers=0,
                                   family_modules=[FAMS], progress=False, time_limit=10.0)
    base.update(kw)
    return DatagenConfig(**base)  # type: ignore[arg-type]


def records_bytes(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((out / "records").glob("*.jsonl"))}


def all_records(out: Path) -> list[dict]:
    return [r for p in sorted((out / "records").glob("*.jsonl")) for r in ex.read_jsonl(p)]


def check_manifest_true(out: Path) -> dict:
    m = json.loads((out / "manifest.json").read_text())
    for f in m["files"]:
        p = out / f["path"]
        assert p.is_file(), f["path"]
        data = p.read_bytes()
        assert ex.sha256_bytes(data) == f["sha256"], f["path"]
        if f["path"].endswith(".jsonl"):
            assert data.count(b"\n") == f["count"], f["path"]
    return m


def env_with_tests() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(TESTS), str(REPO), env.get("PYTHONPATH", "")])
    env["OPTSOLVE_TEST_FAMILIES"] = "1"
    return env


# --- plan and ground truth -------------------------------------------------------------------------

def test_seeds_and_assignment_are_deterministic() -> None:
    c = cfg(Path("/nonexistent"), families=["a", "b"], levels=["easy", "hard"], n=8)
    assert [engine.assignment(c, i) for i in range(4)] == [("a", "easy"), ("b", "easy"), ("a", "hard"),
                                                            ("b", "hard")]
    assert engine.derive_seed(0, "a", 3) == engine.derive_seed(0, "a", 3)
    assert engine.derive_seed(0, "a", 3) != engine.derive_seed(1, "a", 3)
    assert engine.derive_seed(0, "a", 3) != engine.derive_seed(0, "b", 3)


def test_run_writes_every_export_and_records_resolve_to_their_optimum(tmp_path: Path) -> None:
    from optsolve.solvers import SolveOptions, solve

    out = tmp_path / "d"
    s = run_datagen(cfg(out, n=30))
    m = check_manifest_true(out)
    assert m["status"] == "complete"
    kinds = {f["kind"] for f in m["files"]}
    assert {"shard", "records", "sft", "dpo", "ranked", "llamafactory_dpo", "llamafactory_info",
            "errors"} <= kinds
    assert m["forward_modeling"]["enabled"] is False and "no --formalizer" in m["forward_modeling"]["note"]
    assert s.counts["kept"] == 30
    recs = all_records(out)
    assert len(recs) == 30 - m["dedup"]["exact"] - m["dedup"]["near"]
    for r in random.Random(0).sample(recs, 10):  # re-solve with the default path and settings
        res = solve(r["formulation"], SolveOptions(time_limit=10))
        assert res.status.value == r["status"] == "optimal"
        assert corrupt.objectives_match(res.objective, r["objective"])
        assert set(ex.RECORD_KEYS) <= set(r)
    # shards keep the solve time; records do not (they must be byte-identical across runs)
    line = ex.read_jsonl(out / "shards" / "chunk-000000.jsonl")[0]
    assert line["solve_seconds"] > 0 and "solve_seconds" not in recs[0]


def test_same_seed_same_bytes_other_seed_other_data(tmp_path: Path) -> None:
    run_datagen(cfg(tmp_path / "a", n=12))
    run_datagen(cfg(tmp_path / "b", n=12, chunk_size=4))   # chunking never changes an instance
    run_datagen(cfg(tmp_path / "c", n=12, seed=1))
    ra, rb = all_records(tmp_path / "a"), all_records(tmp_path / "b")
    assert [(r["id"], r["text"], r["objective"]) for r in ra] == [(r["id"], r["text"], r["objective"]) for r in rb]
    assert {r["text"] for r in ra}.isdisjoint({r["text"] for r in all_records(tmp_path / "c")})


def test_infeasible_and_unbounded_dropped_or_kept_with_status(tmp_path: Path) -> None:
    out = tmp_path / "drop"
    s = run_datagen(cfg(out, families=["tiny_status"], n=24))
    m = check_manifest_true(out)
    lines = [ln for f in m["files"] if f["kind"] == "shard" for ln in ex.read_jsonl(out / f["path"])]
    assert m["dropped"].get("infeasible", 0) >= 1 and m["dropped"].get("unbounded", 0) >= 1
    assert s.counts["kept"] + s.counts["dropped"] == 24
    assert {r["status"] for r in all_records(out)} == {"optimal"}
    assert m["solver_verified_rate"] == round(s.counts["kept"] / 24, 4)
    assert all("reason" in ln for ln in lines if ln["outcome"] == "dropped")

    keep = tmp_path / "keep"
    run_datagen(cfg(keep, families=["tiny_status"], n=24, keep_invalid=True))
    statuses = {r["status"] for r in all_records(keep)}
    assert {"optimal", "infeasible", "unbounded"} <= statuses
    for r in all_records(keep):
        if r["status"] != "optimal":
            assert r["objective"] is None


def test_ground_truth_rule() -> None:
    assert engine._ground_truth_ok("optimal", 3.0, {"objective": {"sense": "minimize", "expr": "x"}})
    assert not engine._ground_truth_ok("feasible", 3.0, {"objective": {"sense": "minimize", "expr": "x"}})
    assert engine._ground_truth_ok("feasible", None, {"constraints": {}})
    for st in ("infeasible", "unbounded", "time_limit", "error"):
        assert not engine._ground_truth_ok(st, None, {})


# --- bad input ---------------------------------------------------------------------------------------

def test_unknown_family_lists_known_ones(tmp_path: Path) -> None:
    with pytest.raises(DatagenError) as ei:
        run_datagen(cfg(tmp_path / "d", families=["tiny_mix", "no_such_family"]))
    assert "no_such_family" in str(ei.value) and "tiny_mix" in str(ei.value)
    assert not (tmp_path / "d").exists()


def test_unknown_level_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(DatagenError, match="level"):
        run_datagen(cfg(tmp_path / "d", levels=["easy", "extreme"]))


def test_generator_that_raises_is_reported_and_run_goes_on(tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "d"
    s = run_datagen(cfg(out, families=["tiny_boom"], n=30, levels=["easy"]))
    errs = ex.read_jsonl(out / "errors.jsonl")
    assert errs and s.counts["error"] == len(errs) and s.counts["kept"] == 30 - len(errs)
    for e in errs:
        assert e["family"] == "tiny_boom" and isinstance(e["seed"], int) and "boom" in e["error"]
        # the seed reproduces the failure
        from optsolve.datagen.base import get_family
        with pytest.raises(ValueError):
            get_family("tiny_boom").generate(random.Random(e["seed"]), "easy")
    err = capsys.readouterr().err
    assert "tiny_boom" in err and f"seed {errs[0]['seed']}" in err


def test_gold_model_that_does_not_compile_is_reported_and_run_goes_on(tmp_path: Path) -> None:
    out = tmp_path / "d"
    s = run_datagen(cfg(out, families=["tiny_bad"], n=18))
    errs = ex.read_jsonl(out / "errors.jsonl")
    assert errs and all(e["stage"] == "solve" and "hourz" in e["error"] for e in errs)
    assert s.counts["kept"] == 18 - len(errs) > 0


def test_other_arguments_on_same_dir_refused(tmp_path: Path) -> None:
    out = tmp_path / "d"
    run_datagen(cfg(out, n=6))
    with pytest.raises(DatagenError, match="other arguments"):
        run_datagen(cfg(out, n=6, seed=5))


def test_run_made_before_text_versions_resumes_with_texts_1(tmp_path: Path) -> None:
    """Version 1 texts leave the run's fingerprint as it was before text versions existed, so an old run
    resumes with --texts 1; resumed with the default (version 2) it is refused, and the hint says how."""
    out = tmp_path / "d"
    old = cfg(out, n=12, texts=1)
    assert "texts" not in old.content() and cfg(out, n=12).content()["texts"] == 2
    run_datagen(old)
    run_file = json.loads((out / "run.json").read_text())
    assert "texts" not in run_file["config"]
    with pytest.raises(DatagenError, match="texts differ") as err:
        run_datagen(cfg(out, n=12))
    assert "--texts 1" in (err.value.hint or "")
    before = records_bytes(out)
    run_datagen(cfg(out, n=12, texts=1))
    assert records_bytes(out) == before


def test_disk_full_stops_cleanly_with_manifest_true_and_resumes(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "d"
    real = ex.atomic_write_bytes

    def full_on_third_shard(path: Path, data: bytes) -> None:
        if path.name == "chunk-000002.jsonl":
            # a partial tmp file, as a real ENOSPC leaves, then the error
            (path.parent / f".{path.name}.tmp.{os.getpid()}").write_bytes(data[:10])
            raise OSError(errno.ENOSPC, "No space left on device")
        real(path, data)

    monkeypatch.setattr(ex, "atomic_write_bytes", full_on_third_shard)
    with pytest.raises(DatagenError, match="disk is full") as ei:
        run_datagen(cfg(out, n=24))
    assert "resume" in str(ei.value)
    m = check_manifest_true(out)
    assert m["status"] == "failed"
    assert sorted(f["path"] for f in m["files"]) == ["shards/chunk-000000.jsonl", "shards/chunk-000001.jsonl"]
    assert not (out / "shards" / "chunk-000002.jsonl").exists()

    monkeypatch.setattr(ex, "atomic_write_bytes", real)
    s = run_datagen(cfg(out, n=24))
    assert s.chunks_skipped == 2 and s.chunks_run == 2
    run_datagen(cfg(tmp_path / "ref", n=24))
    assert records_bytes(out) == records_bytes(tmp_path / "ref")
    check_manifest_true(out)


def test_killed_worker_stops_run_cleanly(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "d"
    monkeypatch.setenv("OPTSOLVE_TEST_KILL_AT", "13")   # the worker dies on its 13th instance
    c = cfg(out, families=["tiny_kill"], n=30, chunk_size=4, workers=1)
    with pytest.raises(DatagenError, match="worker process died"):
        run_datagen(c)
    m = check_manifest_true(out)
    assert m["status"] == "failed"
    shards = [f for f in m["files"] if f["kind"] == "shard"]
    assert 1 <= len(shards) <= 3   # chunks 0-2 hold instances 1-12
    monkeypatch.delenv("OPTSOLVE_TEST_KILL_AT")
    s = run_datagen(c)             # resume: same records as a run never interrupted
    assert s.chunks_skipped == len(shards)
    run_datagen(cfg(tmp_path / "ref", families=["tiny_kill"], n=30, chunk_size=4, workers=0))
    assert records_bytes(out) == records_bytes(tmp_path / "ref")


@pytest.mark.slow
def test_sigkill_mid_run_then_resume_matches_uninterrupted_run(tmp_path: Path) -> None:
    out, ref = tmp_path / "killed", tmp_path / "ref"
    args = [sys.executable, "-m", "optsolve", "datagen", "--families", "tiny_mix,tiny_diet", "--n", "160",
            "--chunk-size", "8", "--workers", "1", "--family-module", FAMS, "--no-progress", "--rejected", "3"]
    proc = subprocess.Popen([*args, "--out", str(out)], env=env_with_tests(), cwd=REPO,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    manifest = out / "manifest.json"
    deadline = time.time() + 120
    while time.time() < deadline:
        if manifest.exists() and json.loads(manifest.read_text())["chunks"]["done"] >= 2:
            break
        assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGKILL)   # the driver and its pool worker, mid-run
    proc.wait()
    m = check_manifest_true(out)
    # the manifest may lag the journal (it is rewritten at most every 0.5 s), never lead it
    assert m["status"] == "running" and 2 <= m["chunks"]["done"] < m["chunks"]["total"]

    done = subprocess.run([*args, "--out", str(out)], env=env_with_tests(), cwd=REPO, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    resumed = re.search(r"(\d+) resumed", done.stdout)
    assert resumed and int(resumed.group(1)) >= m["chunks"]["done"], done.stdout
    full = subprocess.run([*args, "--out", str(ref)], env=env_with_tests(), cwd=REPO, capture_output=True,
                          text=True, timeout=300)
    assert full.returncode == 0, full.stderr
    assert records_bytes(out) == records_bytes(ref)
    ids = sorted(r["id"] for r in all_records(out))
    assert ids == sorted(r["id"] for r in all_records(ref)) and len(ids) == len(set(ids))
    for kind in ("sft", "dpo", "ranked"):
        for p in sorted((ref / kind).glob("*.jsonl")):
            assert (out / kind / p.name).read_bytes() == p.read_bytes()
    check_manifest_true(out)


def test_second_run_on_same_dir_is_locked_out(tmp_path: Path) -> None:
    import fcntl

    out = tmp_path / "d"
    out.mkdir()
    with open(out / ".lock", "a") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        with pytest.raises(DatagenError, match="another datagen run"):
            run_datagen(cfg(out, n=4))


# --- forward modeling with a formalizer --------------------------------------------------------------

def test_forward_modeling_keeps_agreeing_pairs_and_sends_the_rest_to_hard(tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    run_datagen(cfg(plain, families=["tiny_mix"], n=8, test_frac=0, val_frac=0))
    recs = sorted(all_records(plain), key=lambda r: r["id"])
    assert len(recs) == 8
    script, wrong_ids = [], set()
    for n, r in enumerate(recs):
        replies = [json.dumps(r["formulation"])] * 3
        if n % 2:
            wrong = corrupt.wrong_coefficient(r["formulation"], random.Random(n))
            assert wrong is not None
            replies = [json.dumps(wrong.formulation)] * 3
            wrong_ids.add(r["id"])
        elif n == 0:
            # a first answer that does not compile, repaired in the next round: kept, and the broken
            # attempt becomes a model-sampled rejected answer
            broken = json.loads(replies[0])
            broken["objective"]["expr"] = "sum(profitt[p] * x[p] for p in P)"
            replies = [json.dumps(broken), *replies]
        script.append({"match": r["text"][5:90], "replies": replies})
    path = tmp_path / "replies.jsonl"
    path.write_text("".join(json.dumps(s) + "\n" for s in script))

    out = tmp_path / "fm"
    run_datagen(cfg(out, families=["tiny_mix"], n=8, test_frac=0, val_frac=0, formalizer="scripted",
                    formalizer_model=str(path)))
    m = check_manifest_true(out)
    fm = m["forward_modeling"]
    assert fm["enabled"] and fm["attempted"] == 8
    hard = ex.read_jsonl(out / "records" / "hard.jsonl")
    # a corrupted reply that still solves to the gold optimum is a correct formalization, not a miss
    assert {r["id"] for r in hard} <= wrong_ids and len(hard) >= 1
    assert fm["hard"] == len(hard) and fm["matched"] == 8 - len(hard)
    assert all(r["verified"] is False for r in hard)
    assert all(r["verified"] is True for r in ex.read_jsonl(out / "records" / "train.jsonl"))
    # the model's wrong answer is a rejected answer of its own
    dpo_hard = ex.read_jsonl(out / "dpo" / "hard.jsonl")
    assert any(p["rejected_source"] == "model" for p in dpo_hard)
    first = recs[0]["id"]
    train = {r["id"] for r in ex.read_jsonl(out / "records" / "train.jsonl")}
    assert first in train
    repaired = [p for p in ex.read_jsonl(out / "dpo" / "train.jsonl")
                if p["id"].startswith(first + "#") and p["rejected_source"] == "model"]
    assert len(repaired) == 1 and "profitt" in repaired[0]["rejected"][0]["content"]
    assert m["forward_modeling"]["formalizer_failed"] == 0


# --- Ray ---------------------------------------------------------------------------------------------

@pytest.mark.slow
@pytest.mark.ray
def test_ray_engine_on_a_local_ray_instance_matches_local_engine(tmp_path: Path) -> None:
    ray = pytest.importorskip("ray")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False,
             runtime_env={"env_vars": {"PYTHONPATH": os.pathsep.join([str(TESTS), str(REPO)]),
                                       "OPTSOLVE_TEST_FAMILIES": "1"}})
    try:
        s = run_datagen(cfg(tmp_path / "ray", n=24, engine="ray", workers=2))
        assert ray.is_initialized()  # the engine leaves a Ray instance it did not start alone
    finally:
        ray.shutdown()
    assert s.chunks_run == 4
    run_datagen(cfg(tmp_path / "local", n=24))
    assert records_bytes(tmp_path / "ray") == records_bytes(tmp_path / "local")
    m = check_manifest_true(tmp_path / "ray")
    pids = {e.get("pid") for e in ex.Journal(tmp_path / "ray" / "journal.jsonl").read()}
    assert os.getpid() not in pids   # chunks really ran in Ray workers
    assert m["config"]["engine"] == "ray"


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.slow
@pytest.mark.ray
def test_cli_joins_a_ray_cluster_by_address(tmp_path: Path) -> None:
    """`ray start --head` on 127.0.0.1 in a subprocess (its own session, stopped by its pid), then the
    unchanged CLI with --engine ray --address."""
    pytest.importorskip("ray")
    import shutil
    import socket
    import tempfile

    ray_bin = Path(sys.executable).with_name("ray")
    if not ray_bin.exists():
        pytest.skip("the ray command is not installed")
    port = _free_port()
    temp = tempfile.mkdtemp(prefix="rt", dir="/tmp")   # Ray's socket paths must stay short
    env = env_with_tests()
    env["RAY_USAGE_STATS_ENABLED"] = "0"
    # Ray >= 2.59 authenticates local clusters with a token: one for this test only, by environment
    env["RAY_AUTH_MODE"] = "token"
    env["RAY_AUTH_TOKEN"] = os.urandom(16).hex()
    head = subprocess.Popen([str(ray_bin), "start", "--head", "--block", f"--port={port}", "--num-cpus=2",
                             "--include-dashboard=false", "--node-ip-address=127.0.0.1",
                             "--disable-usage-stats", f"--temp-dir={temp}"],
                            env=env, start_new_session=True, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    try:
        deadline = time.time() + 120
        while time.time() < deadline:
            assert head.poll() is None, head.stderr.read().decode() if head.stderr else ""
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.5)
        out = tmp_path / "cluster"
        res = subprocess.run([sys.executable, "-m", "optsolve", "datagen", "--families", "tiny_mix,tiny_diet",
                              "--n", "16", "--chunk-size", "4", "--engine", "ray", "--address",
                              f"127.0.0.1:{port}", "--workers", "2", "--family-module", FAMS, "--no-progress",
                              "--out", str(out)], env=env, cwd=REPO, capture_output=True, text=True,
                             timeout=300)
        assert res.returncode == 0, res.stderr[-3000:]
    finally:
        os.killpg(head.pid, signal.SIGTERM)
        try:
            head.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(head.pid, signal.SIGKILL)
            head.wait()
        shutil.rmtree(temp, ignore_errors=True)
    run_datagen(cfg(tmp_path / "local", n=16, chunk_size=4))
    assert records_bytes(out) == records_bytes(tmp_path / "local")
    check_manifest_true(out)


def test_formalizer_backend_failure_stops_the_run_cleanly(tmp_path: Path) -> None:
    from optsolve.errors import LLMBackendError

    path = tmp_path / "replies.jsonl"
    path.write_text(json.dumps({"match": "no text contains this", "replies": ["{}"]}) + "\n")
    out = tmp_path / "d"
    with pytest.raises(LLMBackendError, match="ran out of replies"):
        run_datagen(cfg(out, families=["tiny_mix"], n=4, formalizer="scripted", formalizer_model=str(path)))
    m = check_manifest_true(out)
    assert m["status"] == "failed" and m["chunks"]["done"] == 0


LOG_MODEL = {
    "sets": {"L": ["a", "b"]},
    "parameters": {"w": {"index": ["L"], "values": {"a": 3, "b": 8}}, "budget": 925},
    "variables": {"g": {"index": ["L"], "domain": "nonnegative_reals"}},
    "objective": {"sense": "maximize", "expr": "sum(w[l] * log(1 + g[l]) for l in L)"},
    "constraints": {"total": {"expr": "sum(g[l] for l in L) <= budget"}},
}


@pytest.mark.slow
def test_scip_models_are_solved_in_a_killable_helper_process() -> None:
    """An unbounded log-NLP makes Pyomo's SCIP interface block forever on its own output pipe (the
    reader thread cannot run while PySCIPOpt holds the GIL): datagen must come back anyway."""
    from optsolve.formulation import compile_model
    from optsolve.solvers import SolveOptions, route, solve

    if route(compile_model(LOG_MODEL)) not in engine.ISOLATED_BACKENDS:
        pytest.skip("log models are not routed to an isolated backend here")
    c = cfg(Path("/nonexistent"))
    st, obj, _, name = engine._solve(LOG_MODEL, c, 10)
    ref = solve(LOG_MODEL, SolveOptions(time_limit=10, explain=False))
    assert st == ref.status.value == "optimal" and corrupt.objectives_match(obj, ref.objective)
    assert name in engine.ISOLATED_BACKENDS and engine._HELPER.proc.pid != os.getpid()
    unbounded = {k: v for k, v in LOG_MODEL.items() if k != "constraints"}
    t = time.perf_counter()
    st, obj, _, _ = engine._solve(unbounded, c, 1)
    assert time.perf_counter() - t < 60
    assert st in ("time_limit", "unbounded", "infeasible_or_unbounded")
    engine._HELPER.kill()
