"""The batch engine: generate, solve, verify, write shards durably, resume, export.

A run is split into deterministic chunks (chunk ``k`` covers instance indices ``[k*C, (k+1)*C)``).
Instance ``i`` belongs to family ``F[i % |F|]`` at level ``L[(i // |F|) % |L|]`` and draws from an rng
seeded by ``(seed, family, i)``, so an instance never depends on which worker made it nor on the order
chunks finish in. For each instance a worker:

1. generates it (a generator that raises is recorded with its family and seed; the run goes on);
2. solves the gold formulation with a time limit (ground truth): infeasible, unbounded, over-time or
   failing instances are dropped, or kept with their status with ``keep_invalid``;
3. when a formalizer is configured, formalizes the text again and solves it (forward modeling): a pair
   whose optimum disagrees goes to the ``hard`` split (rejection sampling);
4. builds "rejected" formulations, each verified wrong by the solver (the formalizer's wrong answer when
   there is one, else programmatic corruptions, :mod:`optsolve.datagen.corrupt`).

The driver writes each finished chunk as one JSONL shard (atomic: tmp + fsync + rename), appends it to
``journal.jsonl`` and rewrites ``manifest.json`` atomically, so the manifest is true at every moment. A
run started again with the same arguments skips journaled chunks whose shard checks out, so a run
killed at any point (SIGKILL included) ends with the same records as one never interrupted. When every
chunk is done, :func:`finalize` dedups, checks contamination, splits and writes the exports.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import importlib
import json
import math
import os
import random
import sys
import time
import traceback
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from optsolve.datagen import corrupt
from optsolve.datagen import exports as ex
from optsolve.datagen.base import TEXTS
from optsolve.datagen.dedup import NearDupIndex, build_index, reference_texts
from optsolve.errors import DatagenError, LLMBackendError, OptsolveError

ALL_LEVELS = ("easy", "medium", "hard")
FORMAT = "optsolve-datagen/1"
MANIFEST = "manifest.json"
JOURNAL = "journal.jsonl"
RUN_FILE = "run.json"
SHARD_DIR = "shards"

#: fields of the config that decide the content of the shards: a resume must agree on all of them
CONTENT_FIELDS = ("families", "n", "levels", "seed", "time_limit", "keep_invalid", "formalizer",
                  "formalizer_model", "formalizer_base_url", "formalizer_samples", "rejected", "chunk_size",
                  "family_modules", "solver", "texts")


def default_reference_dir() -> Path:
    env = os.environ.get("OPTSOLVE_NL4OPT_DIR")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[3] / "shared" / "data" / "nl4opt"


@dataclass
class DatagenConfig:
    out: Path
    families: list[str] = field(default_factory=list)     # empty = every registered family
    n: int = 100
    levels: list[str] = field(default_factory=lambda: list(ALL_LEVELS))
    seed: int = 0
    workers: int = 1                                      # 0 = in this process (no pool)
    engine: str = "local"                                 # local | ray
    address: str | None = None                            # Ray cluster address
    time_limit: float = 10.0
    keep_invalid: bool = False
    formalizer: str | None = None                         # formalize backend name (embedded, openai...)
    formalizer_model: str | None = None
    formalizer_base_url: str | None = None
    formalizer_samples: int = 1                           # self-consistency samples per text
    rejected: int = 3                                     # verified-wrong formulations per instance
    chunk_size: int = 50
    parquet: bool = False
    curriculum: bool = False
    split_by: list[str] = field(default_factory=lambda: ["family", "template"])
    val_frac: float = 0.1
    test_frac: float = 0.1
    test_families: list[str] = field(default_factory=list)
    val_families: list[str] = field(default_factory=list)
    split_seed: int = 0
    dedup_threshold: float = 0.8
    contamination_threshold: float = 0.5
    reference_dir: Path | None = None                     # NL4Opt texts; None = the default location
    family_modules: list[str] = field(default_factory=list)
    solver: str | None = None
    progress: bool = True
    system_prompt: str = ex.SYSTEM_PROMPT
    fast_mip: bool = True       # skip HiGHS's feasibility jump on every MILP (SolveOptions.mip_feasibility_jump)
    texts: int = TEXTS          # version of the families' texts (optsolve.datagen.base.TEXT_VERSIONS)

    def content(self) -> dict[str, Any]:
        d = asdict(self)
        out = {k: d[k] for k in CONTENT_FIELDS}
        if out["texts"] == 1:       # runs made before text versions existed resume with --texts 1
            del out["texts"]
        return out

    def fingerprint(self) -> str:
        return hashlib.sha256(json.dumps(self.content(), sort_keys=True).encode()).hexdigest()[:16]

    @property
    def n_chunks(self) -> int:
        return math.ceil(self.n / self.chunk_size) if self.n > 0 else 0

    def chunk_range(self, k: int) -> tuple[int, int]:
        return k * self.chunk_size, min(self.n, (k + 1) * self.chunk_size)


# --- instance plan ------------------------------------------------------------------------------

def derive_seed(seed: int, family: str, index: int, salt: str = "") -> int:
    h = hashlib.sha256(f"{seed}:{family}:{index}:{salt}".encode()).digest()
    return int.from_bytes(h[:8], "big")


def assignment(cfg: DatagenConfig, index: int) -> tuple[str, str]:
    fams, levels = cfg.families, cfg.levels
    return fams[index % len(fams)], levels[(index // len(fams)) % len(levels)]


def record_id(family: str, seed: int, index: int) -> str:
    return f"{family}-s{seed}-{index:06d}"


def import_family_modules(modules: list[str]) -> None:
    for m in modules:
        try:
            importlib.import_module(m)
        except ImportError as exc:
            raise DatagenError(f"cannot import family module {m!r}: {exc}",
                               hint="pass an importable module path to --family-module") from exc


def known_families() -> dict[str, Any]:
    from optsolve.datagen.families import FAMILIES
    return dict(FAMILIES)


def resolve_families(names: list[str] | str | None, modules: list[str] | None = None) -> list[str]:
    """Validate family names (``all`` / empty = every registered family, sorted)."""
    import_family_modules(modules or [])
    from optsolve.datagen.base import get_family
    if isinstance(names, str):
        names = [s.strip() for s in names.split(",") if s.strip()]
    if not names or names == ["all"]:
        fams = sorted(known_families())
        if not fams:
            raise DatagenError("no problem families are registered", hint="install optsolve.datagen.families")
        return fams
    for n in names:
        get_family(n)  # raises with the list of known names
    return list(dict.fromkeys(names))


def check_levels(levels: list[str] | str) -> list[str]:
    if isinstance(levels, str):
        levels = [s.strip() for s in levels.split(",") if s.strip()]
    bad = [lv for lv in levels if lv not in ALL_LEVELS]
    if bad or not levels:
        raise DatagenError(f"unknown level(s) {', '.join(bad) or '(none)'}",
                           hint=f"use a comma-separated subset of {','.join(ALL_LEVELS)}")
    return list(dict.fromkeys(levels))


# --- the worker side ----------------------------------------------------------------------------

_WORKER: dict[str, Any] = {}


def _worker_setup(cfg: DatagenConfig) -> dict[str, Any]:
    """Per-process state: family modules imported once, one formalizer backend per process."""
    key = cfg.fingerprint()
    if _WORKER.get("key") == key:
        return _WORKER
    _WORKER.clear()
    _WORKER["key"] = key
    import_family_modules(cfg.family_modules)
    _WORKER["formalizer"] = None
    if cfg.formalizer:
        from optsolve.formalize.backends import make_backend, resolve_config
        _WORKER["formalizer"] = make_backend(resolve_config(cfg.formalizer, cfg.formalizer_model,
                                                            cfg.formalizer_base_url))
    return _WORKER


_BACKENDS: dict[frozenset[str], Any] = {}


#: backends run in a helper process with a hard wall-clock limit: Pyomo captures the solver's output
#: through a pipe that its reader thread cannot drain while PySCIPOpt holds the GIL, so a SCIP run that
#: writes more than a pipe buffer (an unbounded NLP made by a corruption) blocks forever, time limit
#: and all; a helper process can be killed, a thread cannot
ISOLATED_BACKENDS = frozenset({"scip", "pyomo-highs"})


def _solve(source: Any, cfg: DatagenConfig, time_limit: float | None = None, *,
           formulation: dict[str, Any] | None = None, isolate: bool = True) -> tuple[str, float | None, float, str]:
    """Solve for ground truth / verification: ``(status, objective, seconds, solver)``.

    The same backend and result as :func:`optsolve.solvers.solve`, minus what datagen never reads
    (values by name, infeasibility explanations), with the routing decision cached per feature set:
    routing probes every backend's availability on each call, which costs more than solving a tiny LP.
    Models routed to :data:`ISOLATED_BACKENDS` are solved in a helper process (see there).
    """
    from optsolve.formulation import compile_model
    from optsolve.formulation.ir import GroundModel
    from optsolve.solvers import SolveOptions, route
    from optsolve.solvers.base import get_backend
    from optsolve.solvers.result import Status

    t0 = time.perf_counter()
    if isinstance(source, GroundModel):
        gm = source
    else:
        formulation = source
        gm = compile_model(source)
    limit = time_limit or cfg.time_limit
    key = frozenset(gm.features) | ({f"solver={cfg.solver}"} if cfg.solver else set())
    backend = _BACKENDS.get(key)
    if backend is None:
        backend = _BACKENDS[key] = get_backend(route(gm, cfg.solver))
    if isolate and backend.name in ISOLATED_BACKENDS and formulation is not None:
        return _HELPER.solve(formulation, limit, cfg.solver, t0)
    opts = SolveOptions(time_limit=limit, explain=False, solver=cfg.solver, threads=1,
                        mip_feasibility_jump=False if cfg.fast_mip else None)
    try:
        raw = backend.solve(gm, opts)
    except OptsolveError:
        raise
    except Exception as exc:  # a solver library raising is a solver failure, not a crash
        from optsolve.errors import SolverError
        raise SolverError(f"{backend.name} failed: {type(exc).__name__}: {exc}") from exc
    obj = raw.objective if raw.status.has_solution else None
    if raw.status is Status.UNBOUNDED or (obj is not None and not math.isfinite(obj)):
        obj = None
    return raw.status.value, obj, round(time.perf_counter() - t0, 6), str(backend.name)


def _die_with_parent() -> None:
    """Linux: the kernel SIGKILLs this process when its parent dies (a SIGKILLed worker leaks nothing)."""
    try:
        import ctypes
        import signal

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, int(signal.SIGKILL))  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _helper_main(conn: Any, parent: int) -> None:
    _die_with_parent()
    if os.getppid() != parent:
        return
    cfg = DatagenConfig(out=Path("."))
    import optsolve.solvers  # noqa: F401 - import the solvers before saying ready
    from optsolve.formulation import compile_model  # noqa: F401
    conn.send(("ready",))
    while True:
        try:
            msg = conn.recv()
        except EOFError:
            return
        if msg is None:
            return
        formulation, limit, solver = msg
        cfg.solver = solver
        try:
            conn.send(("ok", *_solve(formulation, cfg, limit, isolate=False)))
        except OptsolveError as exc:
            conn.send(("error", exc.code, str(exc)))
        except Exception as exc:
            conn.send(("error", "E_SOLVER", f"{type(exc).__name__}: {exc}"))


class _SolveHelper:
    """One helper process per worker, started on first use, killed and replaced when a solve overruns
    ``2 * time limit + 5 s`` (the overrun counts as ``time_limit``: nothing proven)."""

    def __init__(self) -> None:
        self.proc: Any = None
        self.conn: Any = None

    def _start(self) -> None:
        import multiprocessing as mp

        ctx = mp.get_context("spawn")
        parent, child = ctx.Pipe()
        proc = ctx.Process(target=_helper_main, args=(child, os.getpid()), daemon=True,
                           name="optsolve-datagen-solve-helper")
        proc.start()
        child.close()
        self.proc, self.conn = proc, parent
        if not parent.poll(180) or parent.recv() != ("ready",):
            self.kill()
            from optsolve.errors import SolverError
            raise SolverError("the solver helper process did not start")

    def kill(self) -> None:
        if self.proc is not None:
            with contextlib.suppress(Exception):
                self.proc.kill()
                self.proc.join(5)
            with contextlib.suppress(Exception):
                self.conn.close()
        self.proc = self.conn = None

    def solve(self, formulation: dict[str, Any], limit: float, solver: str | None,
              t0: float) -> tuple[str, float | None, float, str]:
        from optsolve.errors import SolverError

        fresh = self.proc is None or not self.proc.is_alive()
        if fresh:
            self.kill()
            self._start()
        wait = 2 * limit + 5
        try:
            self.conn.send((formulation, limit, solver))
            ready = self.conn.poll(wait)
            reply = self.conn.recv() if ready else None
        except (EOFError, OSError, BrokenPipeError):
            reply, ready = None, True
        if reply is None:
            self.kill()
            if ready:
                raise SolverError("the solver helper process died")
            return "time_limit", None, round(time.perf_counter() - t0, 6), "isolated"
        if reply[0] == "error":
            raise SolverError(str(reply[2]))
        status, obj, _secs, name = reply[1:]
        return status, obj, round(time.perf_counter() - t0, 6), name


_HELPER = _SolveHelper()


def _ground_truth_ok(status: str, objective: float | None, formulation: dict[str, Any]) -> bool:
    if status == "optimal":
        return True
    # a satisfaction problem (no objective) is solved when a solution is found
    return status == "feasible" and not formulation.get("objective") and objective is None


def process_instance(cfg: DatagenConfig, index: int) -> dict[str, Any]:
    """Generate, solve and verify one instance: one shard line (kept / hard / dropped / error)."""
    from optsolve.datagen.base import get_family
    from optsolve.datagen.complexity import complexity
    from optsolve.formulation import compile_model

    state = _worker_setup(cfg)
    fam_name, level = assignment(cfg, index)
    seed_i = derive_seed(cfg.seed, fam_name, index)
    line: dict[str, Any] = {"index": index, "family": fam_name, "level": level, "seed": seed_i}
    t0 = time.perf_counter()
    try:
        fam = get_family(fam_name).with_texts(cfg.texts)
        inst = fam.generate(random.Random(seed_i), level)  # type: ignore[arg-type]
    except Exception as exc:  # a generator bug must not stop the run: report family and seed
        line.update(outcome="error", stage="generate",
                    error=f"{type(exc).__name__}: {exc}"[:500],
                    trace=traceback.format_exc(limit=4)[-1500:])
        return line
    t1 = time.perf_counter()
    line["gen_seconds"] = round(t1 - t0, 6)
    try:
        gm = compile_model(inst.formulation)
        score = complexity(gm)
        status, obj, secs, solver = _solve(gm, cfg, formulation=inst.formulation)
    except OptsolveError as exc:  # the gold model does not compile or solve: a family bug
        line.update(outcome="error", stage="solve", error=f"{exc.code}: {exc}"[:500],
                    template=inst.template)
        return line
    except Exception as exc:  # a bug below us must cost one instance, not the run
        line.update(outcome="error", stage="solve", error=f"{type(exc).__name__}: {exc}"[:500],
                    template=inst.template, trace=traceback.format_exc(limit=6)[-1500:])
        return line
    line.update(solve_seconds=secs, status=status)
    valid = _ground_truth_ok(status, obj, inst.formulation)
    if not valid and not cfg.keep_invalid:
        line.update(outcome="dropped", reason=status, complexity=score, template=inst.template)
        return line
    rec: dict[str, Any] = {
        "id": record_id(fam_name, cfg.seed, index), "family": fam_name, "level": level,
        "template": inst.template, "complexity": score, "text": inst.text,
        "formulation": inst.formulation, "status": status, "objective": obj,
        "kind": getattr(fam, "kind", "") or inst.meta.get("kind", ""), "verified": None,
        "index": index, "seed": seed_i, "solver": solver, "rejected": [],
    }
    outcome = "kept"
    rejected: list[dict[str, Any]] = []
    t2 = time.perf_counter()
    if valid and state.get("formalizer") is not None:
        verified, model_rejected, info = _forward_model(cfg, state["formalizer"], inst.text, status, obj,
                                                        seed_i)
        line["forward"] = info
        rec["verified"] = verified
        rejected += model_rejected
        if not verified:
            outcome = "hard"
    if valid and cfg.rejected > 0:
        rejected += _corruptions(cfg, inst.formulation, status, obj, seed_i, cfg.rejected - len(rejected),
                                 verify_time_limit(cfg, secs))
    rec["rejected"] = rejected
    line.update(outcome=outcome, record=rec, verify_seconds=round(time.perf_counter() - t2, 6))
    return line


def _forward_model(cfg: DatagenConfig, backend: Any, text: str, gold_status: str, gold_obj: float | None,
                   seed: int) -> tuple[bool, list[dict[str, Any]], dict[str, Any]]:
    """Formalize the text again: ``(optimum matches, the model's verified-wrong answers, what happened)``."""
    from optsolve.formalize import FormalizeOptions, formalize
    rejected: list[dict[str, Any]] = []
    t0 = time.perf_counter()
    try:
        res = formalize(text, FormalizeOptions(time_limit=cfg.time_limit, seed=seed % (1 << 31),
                                               solver=cfg.solver, samples=cfg.formalizer_samples),
                        backend=backend)
    except LLMBackendError:
        raise  # the backend itself is down or misconfigured: stop the run (resumable), do not mark pairs
    except OptsolveError as exc:
        # no attempt compiled and solved: every attempt that parsed is a wrong (invalid) answer
        attempts = getattr(exc, "attempts", []) or []
        for a in attempts:
            f = getattr(a, "formulation", None)
            if isinstance(f, dict):
                rejected.append(_model_rejected(f, "error", None, 0.0))
                break
        info = {"status": "error", "objective": None, "error": f"{exc.code}: {exc.message}"[:300],
                "attempts": len(attempts), "seconds": round(time.perf_counter() - t0, 4)}
        return False, rejected, info
    st = res.result.status.value if res.result is not None else "error"
    obj = res.result.objective if res.result is not None else None
    ok = corrupt.same_outcome(gold_status, gold_obj, st, obj)
    seen: set[str] = set()

    def offer(f: Any, status: str, objective: float | None) -> None:
        # a model answer is a rejected answer when the solver proved it wrong (or it does not compile)
        if not isinstance(f, dict) or status == "time_limit" or (status == "feasible" and gold_obj is not None):
            return
        if status in _SOLVE_STATUSES and corrupt.same_outcome(gold_status, gold_obj, status, objective):
            return
        key = ex.compact(f)
        if key in seen:
            return
        seen.add(key)
        valid = status in _SOLVE_STATUSES
        rejected.append(_model_rejected(f, status if valid else "error", objective if valid else None,
                                        corrupt.near_miss_score(status, objective, gold_obj) if valid else 0.0))

    if not ok:
        offer(res.formulation, st, obj)
    # every other attempt (repair rounds, self-consistency samples) the solver showed wrong
    for a in res.attempts:
        offer(getattr(a, "formulation", None), str(getattr(a, "status", "error")), getattr(a, "objective", None))
    info = {"status": st, "objective": obj, "match": ok, "attempts": len(res.attempts),
            "seconds": round(time.perf_counter() - t0, 4)}
    return ok, rejected, info


_SOLVE_STATUSES = ("optimal", "feasible", "infeasible", "unbounded", "infeasible_or_unbounded")


def _model_rejected(f: dict[str, Any], status: str, obj: float | None, score: float) -> dict[str, Any]:
    return {"kind": "model_sample", "source": "model", "description": "formalizer output, solver-verified wrong",
            "formulation": f, "status": status, "objective": obj, "score": score}


def verify_time_limit(cfg: DatagenConfig, gold_seconds: float) -> float:
    """Time limit for solving a candidate: a corruption can turn a tiny model into a hard one (an
    integer schedule made continuous under disjunctions); one that is not solved within 20x the gold
    solve time (at least 1 s) proves nothing and is skipped, instead of stalling the worker."""
    return min(cfg.time_limit, max(1.0, 20.0 * gold_seconds))


def _corruptions(cfg: DatagenConfig, f: dict[str, Any], gold_status: str, gold_obj: float | None, seed: int,
                 want: int, time_limit: float) -> list[dict[str, Any]]:
    if want <= 0:
        return []
    rng = random.Random(seed ^ 0x5EED5EED)
    out = []

    def solve_fn(g: dict[str, Any]) -> tuple[str, float | None]:
        st, ob, _, _ = _solve(g, cfg, time_limit)
        return st, ob

    for cand in corrupt.candidates(f, rng):
        v = corrupt.verify(cand.formulation, gold_status, gold_obj, solve_fn)
        if not v.wrong:
            continue
        out.append({"kind": cand.kind, "source": "corruption", "description": cand.description,
                    "formulation": cand.formulation, "status": v.status, "objective": v.objective,
                    "score": v.score})
        if len(out) >= want:
            break
    return out


def run_chunk(cfg_dict: dict[str, Any], k: int) -> dict[str, Any]:
    """Worker entry point (top level, picklable: spawn- and Ray-safe)."""
    cfg = config_from_dict(cfg_dict)
    lo, hi = cfg.chunk_range(k)
    t0, c0 = time.perf_counter(), time.process_time()
    lines = [process_instance(cfg, i) for i in range(lo, hi)]
    return {"chunk": k, "lines": lines, "seconds": round(time.perf_counter() - t0, 6),
            "cpu_seconds": round(time.process_time() - c0, 6), "pid": os.getpid()}


def config_to_dict(cfg: DatagenConfig) -> dict[str, Any]:
    d = asdict(cfg)
    d["out"] = str(cfg.out)
    d["reference_dir"] = str(cfg.reference_dir) if cfg.reference_dir else None
    return d


def config_from_dict(d: dict[str, Any]) -> DatagenConfig:
    d = dict(d)
    d["out"] = Path(d["out"])
    d["reference_dir"] = Path(d["reference_dir"]) if d.get("reference_dir") else None
    return DatagenConfig(**d)


# --- executors ------------------------------------------------------------------------------------

OnResult = Callable[[dict[str, Any]], None]


def _run_inline(cfg: DatagenConfig, todo: list[int], on_result: OnResult) -> None:
    d = config_to_dict(cfg)
    for k in todo:
        on_result(run_chunk(d, k))


def _init_worker(modules: list[str]) -> None:
    import_family_modules(modules)


def _run_local(cfg: DatagenConfig, todo: list[int], on_result: OnResult) -> None:
    import multiprocessing as mp
    from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
    from concurrent.futures.process import BrokenProcessPool

    d = config_to_dict(cfg)
    ctx = mp.get_context("spawn")  # no fork: safe with threads (HiGHS, Ray, tqdm) in the parent
    pool = ProcessPoolExecutor(max_workers=cfg.workers, mp_context=ctx, initializer=_init_worker,
                               initargs=(cfg.family_modules,))
    pending = list(todo)
    inflight: dict[Future[dict[str, Any]], int] = {}
    clean = False
    current = -1
    try:
        while pending or inflight:
            while pending and len(inflight) < 2 * cfg.workers:
                current = pending[0]
                inflight[pool.submit(run_chunk, d, current)] = current
                pending.pop(0)
            done, _ = wait(list(inflight), return_when=FIRST_COMPLETED)
            for fut in sorted(done, key=lambda f: inflight[f]):
                current = inflight.pop(fut)
                on_result(fut.result())
        clean = True
    except BrokenProcessPool as exc:
        raise DatagenError(
            f"a worker process died (killed, or out of memory) while making chunk {current}; the run "
            "stopped, finished shards are intact and manifest.json lists them",
            hint="rerun the same command to resume (fewer --workers if memory is short)") from exc
    finally:
        pool.shutdown(wait=clean, cancel_futures=True)


def _run_ray(cfg: DatagenConfig, todo: list[int], on_result: OnResult) -> None:
    try:
        import ray
    except ImportError as exc:
        raise DatagenError("--engine ray needs Ray", hint="pip install 'optsolve[ray]'") from exc
    own = False
    if not ray.is_initialized():
        kwargs: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False,
                                  "ignore_reinit_error": True}
        if cfg.address:
            kwargs["address"] = cfg.address
        else:
            kwargs["num_cpus"] = max(1, cfg.workers)
        try:
            ray.init(**kwargs)
        except Exception as exc:
            raise DatagenError(f"cannot start or join Ray ({cfg.address or 'local'}): {exc}",
                               hint="check --address (host:port of the head node) or `ray status`") from exc
        own = True
    d = config_to_dict(cfg)
    remote = ray.remote(num_cpus=1, max_retries=0)(run_chunk)
    width = max(1, cfg.workers) * 2
    if cfg.address:
        width = max(width, int(ray.cluster_resources().get("CPU", 1)) * 2)
    pending = list(todo)
    inflight: dict[Any, int] = {}
    try:
        while pending or inflight:
            while pending and len(inflight) < width:
                k = pending.pop(0)
                inflight[remote.remote(d, k)] = k
            ready, _ = ray.wait(list(inflight), num_returns=1)
            for ref in ready:
                k = inflight.pop(ref)
                try:
                    res = ray.get(ref)
                except Exception as exc:
                    raise DatagenError(
                        f"a Ray task failed on chunk {k} ({type(exc).__name__}); the run stopped, finished "
                        "shards are intact and manifest.json lists them",
                        hint="rerun the same command to resume") from exc
                on_result(res)
    finally:
        for ref in inflight:
            with contextlib.suppress(Exception):
                ray.cancel(ref, force=True)
        if own:
            ray.shutdown()


# --- the driver -------------------------------------------------------------------------------------

@dataclass
class RunSummary:
    out: Path
    chunks_total: int
    chunks_run: int
    chunks_skipped: int
    counts: Counter[str]
    seconds: float
    manifest: dict[str, Any]


class _Lock:
    def __init__(self, out: Path) -> None:
        self.path = out / ".lock"
        self.fh: Any = None

    def __enter__(self) -> _Lock:
        self.fh = open(self.path, "a")
        try:
            fcntl.flock(self.fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            self.fh.close()
            raise DatagenError(f"another datagen run is writing to {self.path.parent}",
                               hint="wait for it to finish, or choose another --out") from None
        return self

    def __exit__(self, *exc: Any) -> None:
        if self.fh is not None:
            fcntl.flock(self.fh.fileno(), fcntl.LOCK_UN)
            self.fh.close()


def shard_rel(k: int) -> str:
    return f"{SHARD_DIR}/chunk-{k:06d}.jsonl"


class Run:
    """One output directory: run.json, the journal, the shards and the manifest."""

    def __init__(self, cfg: DatagenConfig) -> None:
        self.cfg = cfg
        self.out = cfg.out
        self.journal = ex.Journal(self.out / JOURNAL)
        self.done: dict[int, dict[str, Any]] = {}
        self.exports: list[ex.FileEntry] = []
        self.status = "running"
        self.stats: dict[str, Any] = {}
        self.started = time.time()
        self._manifest_at = 0.0

    #: while chunks stream in, the manifest is rewritten at most this often (it may lag the journal, never
    #: lead it); it lists every shard, so rewriting it per chunk would cost O(chunks^2) on long runs
    MANIFEST_INTERVAL = 0.5

    # run.json: the content-defining arguments, checked on every resume
    def check_or_write_run_file(self) -> None:
        path = self.out / RUN_FILE
        config = self.cfg.content()
        content = {"format": FORMAT, "fingerprint": self.cfg.fingerprint(), "config": config}
        if path.exists():
            try:
                old = json.loads(path.read_text())
            except (OSError, json.JSONDecodeError):
                old = None
            if old and old.get("fingerprint") != content["fingerprint"]:
                diff = {k: (old.get("config", {}).get(k), v) for k, v in config.items()
                        if old.get("config", {}).get(k) != v}
                hint = "rerun with the same arguments to resume, or choose another --out"
                if "texts" in diff and diff["texts"][0] is None:
                    hint += " (a run made before text versions existed resumes with --texts 1)"
                raise DatagenError(
                    f"{self.out} holds a run made with other arguments ({', '.join(sorted(diff))} differ)",
                    hint=hint,
                    details={"differences": {k: list(v) for k, v in diff.items()}})
            if old:
                return
        ex.atomic_write_bytes(path, (json.dumps(content, indent=2) + "\n").encode())

    def load_journal(self) -> None:
        for entry in self.journal.read():
            k = int(entry["chunk"])
            if k >= self.cfg.n_chunks:
                continue
            p = self.out / entry["path"]
            if p.exists() and ex.sha256_file(p) == entry.get("sha256"):
                self.done[k] = entry

    def shard_entries(self) -> list[ex.FileEntry]:
        return [ex.FileEntry(e["path"], "shard", int(e["lines"]), e["sha256"], int(e["bytes"]))
                for _, e in sorted(self.done.items())]

    def write_manifest(self) -> dict[str, Any]:
        files = [f.to_dict() for f in self.shard_entries()] + [f.to_dict() for f in self.exports]
        counts: Counter[str] = Counter()
        for e in self.done.values():
            counts.update(e.get("outcomes", {}))
        m = {
            "format": FORMAT,
            "status": self.status,
            "fingerprint": self.cfg.fingerprint(),
            "config": {k: (str(v) if isinstance(v, Path) else v) for k, v in asdict(self.cfg).items()
                       if k not in ("progress", "system_prompt")},
            "chunks": {"total": self.cfg.n_chunks, "done": len(self.done)},
            "instances": {"planned": self.cfg.n, **dict(sorted(counts.items()))},
            "files": files,
            "updated": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            **self.stats,
        }
        ex.atomic_write_bytes(self.out / MANIFEST, (json.dumps(m, indent=2, ensure_ascii=False) + "\n").encode())
        self._manifest_at = time.monotonic()
        return m

    def commit_chunk(self, res: dict[str, Any]) -> dict[str, Any]:
        k = int(res["chunk"])
        rel = shard_rel(k)
        lines = res["lines"]
        data = ex.jsonl_bytes(lines)
        ex.atomic_write_bytes(self.out / rel, data)
        outcomes = Counter(str(line["outcome"]) for line in lines)
        entry = {"chunk": k, "path": rel, "lines": len(lines), "bytes": len(data),
                 "sha256": ex.sha256_bytes(data), "outcomes": dict(outcomes), "seconds": res.get("seconds"),
                 "cpu_seconds": res.get("cpu_seconds"), "pid": res.get("pid")}
        self.journal.append(entry)
        self.done[k] = entry
        if time.monotonic() - self._manifest_at >= self.MANIFEST_INTERVAL:
            self.write_manifest()
        return entry

    def iter_lines(self) -> Iterator[dict[str, Any]]:
        for _, e in sorted(self.done.items()):
            yield from ex.read_jsonl(self.out / e["path"])


def _warn(msg: str, bar: Any = None) -> None:
    if bar is not None:
        bar.write(msg, file=sys.stderr)
    else:
        print(msg, file=sys.stderr)


def run_datagen(cfg: DatagenConfig) -> RunSummary:
    """Run (or resume) a datagen job into ``cfg.out`` and write the exports."""
    if cfg.n < 0:
        raise DatagenError("--n must be >= 0")
    if cfg.chunk_size < 1:
        raise DatagenError("--chunk-size must be >= 1")
    if cfg.engine not in ("local", "ray"):
        raise DatagenError(f"unknown engine {cfg.engine!r}", hint="use --engine local or --engine ray")
    cfg.families = resolve_families(cfg.families, cfg.family_modules)
    cfg.levels = check_levels(cfg.levels)
    if cfg.formalizer:  # fail fast on a misconfigured or missing backend, before any worker starts
        from optsolve.formalize.backends import make_backend, resolve_config
        make_backend(resolve_config(cfg.formalizer, cfg.formalizer_model, cfg.formalizer_base_url))
    cfg.out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    with _Lock(cfg.out):
        run = Run(cfg)
        run.check_or_write_run_file()
        run.load_journal()
        skipped = len(run.done)
        todo = [k for k in range(cfg.n_chunks) if k not in run.done]
        run.write_manifest()
        from tqdm import tqdm
        done_inst = sum(int(e["lines"]) for e in run.done.values())
        bar = tqdm(total=cfg.n, initial=done_inst, unit="inst", file=sys.stderr, disable=not cfg.progress,
                   desc="datagen", dynamic_ncols=True)
        counts: Counter[str] = Counter()
        for e in run.done.values():
            counts.update(e.get("outcomes", {}))

        driver = {"seconds": 0.0}

        def on_result(res: dict[str, Any]) -> None:
            t = time.perf_counter()
            try:
                entry = run.commit_chunk(res)
            except OSError as exc:
                raise ex.disk_full_error(exc, cfg.out / shard_rel(int(res["chunk"]))) from exc
            driver["seconds"] += time.perf_counter() - t
            counts.update(entry["outcomes"])
            for line in res["lines"]:
                if line["outcome"] == "error":
                    _warn(f"datagen: family {line['family']} (level {line['level']}, seed {line['seed']}, "
                          f"index {line['index']}) failed in {line.get('stage')}: {line['error']}", bar)
            bar.update(int(entry["lines"]))
            bar.set_postfix(kept=counts["kept"], hard=counts["hard"], dropped=counts["dropped"],
                            errors=counts["error"], refresh=False)

        try:
            if todo:
                if cfg.engine == "ray":
                    _run_ray(cfg, todo, on_result)
                elif cfg.workers <= 0:
                    _run_inline(cfg, todo, on_result)
                else:
                    _run_local(cfg, todo, on_result)
        except BaseException as exc:
            bar.close()
            run.status = "interrupted" if isinstance(exc, KeyboardInterrupt) else "failed"
            run.stats["error"] = str(exc)[:500]
            with contextlib.suppress(OSError):
                run.write_manifest()
            raise
        bar.close()
        gen_seconds = time.perf_counter() - t0
        run.stats["generation"] = {"seconds": round(gen_seconds, 3), "chunks_run": len(todo),
                                   "chunks_skipped": skipped,
                                   # over every chunk, resumed runs included (from the journal)
                                   "worker_seconds_total": round(sum(float(e.get("seconds") or 0)
                                                                     for e in run.done.values()), 3),
                                   "worker_cpu_seconds_total": round(sum(float(e.get("cpu_seconds") or 0)
                                                                         for e in run.done.values()), 3),
                                   # time the driver spent committing shards: the serial part of a run
                                   "driver_commit_seconds": round(driver["seconds"], 3)}
        try:
            manifest = finalize(run)
        except OSError as exc:
            run.status = "failed"
            with contextlib.suppress(OSError):
                run.write_manifest()
            raise ex.disk_full_error(exc, cfg.out) from exc
    return RunSummary(cfg.out, cfg.n_chunks, len(todo), skipped, counts, time.perf_counter() - t0, manifest)


# --- finalize: contamination, dedup, splits, exports ---------------------------------------------------

EXPORT_DIRS = ("records", "sft", "dpo", "ranked", "llamafactory", "parquet")


def finalize(run: Run) -> dict[str, Any]:
    cfg, out = run.cfg, run.out
    # the manifest must never list an export that is being rewritten
    run.exports = []
    run.status = "exporting"
    run.write_manifest()

    lines = sorted(run.iter_lines(), key=lambda line: int(line["index"]))
    outcomes = Counter(str(line["outcome"]) for line in lines)
    dropped = Counter(str(line.get("reason")) for line in lines if line["outcome"] == "dropped")
    errors = [{k: line.get(k) for k in ("index", "family", "level", "seed", "stage", "error")}
              for line in lines if line["outcome"] == "error"]
    recs = [line["record"] for line in lines if line["outcome"] in ("kept", "hard")]
    hard_ids = {line["record"]["id"] for line in lines if line["outcome"] == "hard"}

    # splits: held-out families, then held-out templates
    from optsolve.datagen.base import get_family
    templates: dict[str, list[str]] = {}
    for fam in cfg.families:
        declared = list(getattr(get_family(fam), "templates", ()) or ())
        observed = sorted({r["template"] for r in recs if r["family"] == fam})
        templates[fam] = declared or observed
    plan = ex.plan_splits(templates, seed=cfg.split_seed, val_frac=cfg.val_frac, test_frac=cfg.test_frac,
                          by=cfg.split_by, test_families=cfg.test_families, val_families=cfg.val_families)

    def split_of(rec: dict[str, Any]) -> str:
        return "hard" if rec["id"] in hard_ids else plan.split_of(rec["family"], rec["template"])

    # contamination against NL4Opt texts
    ref_dir = cfg.reference_dir or default_reference_dir()
    refs = reference_texts(ref_dir)
    contamination: dict[str, Any] = {"reference_dir": str(ref_dir), "reference_texts": len(refs),
                                     "threshold": cfg.contamination_threshold, "exact": 0, "near": 0,
                                     "examples": []}
    if not refs:
        contamination["note"] = f"no NL4Opt texts found under {ref_dir}: contamination check skipped"
    ref_index = build_index(refs, threshold=cfg.contamination_threshold)
    clean: list[dict[str, Any]] = []
    for rec in recs:
        m = ref_index.query(rec["text"]) if refs else None
        if m is not None:
            contamination[m.kind] += 1
            if len(contamination["examples"]) < 5:
                contamination["examples"].append({"id": rec["id"], "matches": m.other,
                                                  "similarity": round(m.similarity, 3)})
            continue
        clean.append(rec)

    # dedup within and across splits (first by index wins)
    dindex = NearDupIndex(threshold=cfg.dedup_threshold)
    dedup: dict[str, Any] = {"threshold": cfg.dedup_threshold, "exact": 0, "near": 0, "within_split": 0,
                             "across_splits": 0}
    split_by_id: dict[str, str] = {}
    final: list[dict[str, Any]] = []
    for rec in clean:
        sp = split_of(rec)
        m = dindex.query(rec["text"])
        if m is not None:
            dedup[m.kind] += 1
            dedup["within_split" if split_by_id.get(m.other) == sp else "across_splits"] += 1
            continue
        dindex.add(rec["id"], rec["text"])
        split_by_id[rec["id"]] = sp
        final.append(rec)

    by_split: dict[str, list[dict[str, Any]]] = {s: [] for s in ex.SPLITS}
    for rec in final:
        by_split[split_by_id[rec["id"]]].append(rec)

    entries: list[ex.FileEntry] = []
    split_counts: dict[str, dict[str, int]] = {}
    present: dict[str, list[str]] = {"sft": [], "llamafactory_dpo": []}
    sp_prompt = cfg.system_prompt
    for split, rows in by_split.items():
        ordered = sorted(rows, key=ex.curriculum_key) if (cfg.curriculum and split == "train") else rows
        rec_rows = [ex.record_row(r, split) for r in ordered]
        sft = [ex.sft_row(r, sp_prompt) for r in ordered]
        dpo = [p for r in ordered for p in ex.dpo_rows(r, sp_prompt)]
        ranked = [x for x in (ex.ranked_row(r, sp_prompt) for r in ordered) if x is not None]
        lf = [p for r in ordered for p in ex.llamafactory_dpo_rows(r, sp_prompt)]
        if cfg.curriculum and split == "train":
            dpo.sort(key=ex.curriculum_key)
        entries.append(ex.write_jsonl(out, f"records/{split}.jsonl", rec_rows, "records", split))
        entries.append(ex.write_jsonl(out, f"sft/{split}.jsonl", sft, "sft", split))
        entries.append(ex.write_jsonl(out, f"dpo/{split}.jsonl", dpo, "dpo", split))
        entries.append(ex.write_jsonl(out, f"ranked/{split}.jsonl", ranked, "ranked", split))
        entries.append(ex.write_jsonl(out, f"llamafactory/dpo_{split}.jsonl", lf, "llamafactory_dpo", split))
        if sft:
            present["sft"].append(split)
        if lf:
            present["llamafactory_dpo"].append(split)
        if cfg.parquet:
            for kind, data_rows in (("records", rec_rows), ("sft", sft), ("dpo", dpo), ("ranked", ranked)):
                entries.append(ex.write_file(out, f"parquet/{kind}_{split}.parquet", ex.parquet_bytes(data_rows),
                                             "parquet", len(data_rows), split))
        split_counts[split] = {"records": len(rec_rows), "sft": len(sft), "dpo": len(dpo),
                               "ranked": len(ranked)}
    info = ex.llamafactory_dataset_info(present)
    entries.append(ex.write_file(out, "dataset_info.json", (json.dumps(info, indent=2) + "\n").encode(),
                                 "llamafactory_info", len(info)))
    entries.append(ex.write_jsonl(out, "errors.jsonl", errors, "errors"))

    # remove stale exports a previous finalize wrote with other split options
    keep = {e.path for e in entries}
    for d in EXPORT_DIRS:
        for p in (out / d).glob("*") if (out / d).is_dir() else ():
            if p.is_file() and str(p.relative_to(out)) not in keep:
                with contextlib.suppress(OSError):
                    p.unlink()

    valid = outcomes["kept"] + outcomes["hard"]
    fwd = [line["forward"] for line in lines if isinstance(line.get("forward"), dict)]
    if cfg.formalizer:
        forward = {"enabled": True,
                   "formalizer_failed": sum(1 for f in fwd if f.get("status") == "error"),
                   "wrong_optimum": sum(1 for f in fwd if f.get("status") != "error" and not f.get("match")),
                   "error_examples": sorted({str(f.get("error")) for f in fwd if f.get("error")})[:5], "backend": cfg.formalizer, "model": cfg.formalizer_model,
                   "rule": "|a-b| <= 1e-4*max(1,|b|)", "attempted": valid, "matched": outcomes["kept"],
                   "hard": outcomes["hard"],
                   "verified_rate": round(outcomes["kept"] / valid, 4) if valid else None}
    else:
        forward = {"enabled": False,
                   "note": "no --formalizer configured: forward modeling and rejection sampling were skipped; "
                           "every kept pair is verified by solving its gold formulation only, and the hard "
                           "split is empty"}
    gen = run.stats.get("generation", {})
    run.stats = {
        "generation": gen,
        "outcomes": dict(outcomes),
        "dropped": dict(dropped),
        "errors": len(errors),
        "solver_verified_rate": round(valid / len(lines), 4) if lines else None,
        "forward_modeling": forward,
        "contamination": contamination,
        "dedup": dedup,
        "splits": {"plan": plan.to_dict(), "counts": split_counts, "by": cfg.split_by,
                   "curriculum": cfg.curriculum},
        "system_prompt": sp_prompt,
    }
    run.exports = entries
    run.status = "complete"
    return run.write_manifest()
