"""What the SFT and DPO commands share: data loading, model resolution, callbacks.

``--model`` is either a path (a Hugging Face causal LM directory, any size: add ``--lora`` for large
ones) or a spec of a fresh, randomly initialised Llama-architecture model such as
``llama:layers=4,hidden=256,heads=4,vocab=4096``; a fresh model gets a tokenizer fitted to the
training data (:mod:`optsolve.train.tokenizer`).
"""

from __future__ import annotations

import functools
import json
import math
import os
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from optsolve.errors import InputError, TrainingError

CHAT_TEMPLATE = (
    "{% for m in messages %}<|{{ m['role'] }}|>\n{{ m['content'] }}{{ eos_token }}\n{% endfor %}"
    "{% if add_generation_prompt %}<|assistant|>\n{% endif %}"
)


def read_jsonl(path: str | Path) -> list[dict[str, Any]]:
    """Every JSON object of a ``.jsonl`` file, or of every ``*.jsonl`` file under a directory."""
    p = Path(path)
    files = sorted(p.rglob("*.jsonl")) if p.is_dir() else [p]
    if not files or not all(f.exists() for f in files):
        raise InputError(f"no JSONL data at {path}", hint="pass a .jsonl file or a directory holding some "
                         "(for example the output of `optsolve datagen --out DIR`)")
    rows: list[dict[str, Any]] = []
    for f in files:
        with f.open(encoding="utf-8") as fh:
            for n, line in enumerate(fh, 1):
                line = line.strip()
                if not line:
                    continue
                try:
                    rows.append(json.loads(line))
                except json.JSONDecodeError as exc:
                    raise InputError(f"{f}:{n}: not JSON ({exc.msg})") from None
    return rows


def evenly_spaced(rows: list[Any], n: int | None) -> list[Any]:
    """At most ``n`` rows spread evenly over ``rows`` (all of them when ``n`` is falsy)."""
    if not n:
        return rows
    return rows[:: max(1, len(rows) // n)][:n]


def write_jsonl(path: str | Path, rows: Iterable[dict[str, Any]]) -> int:
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    n = 0
    with p.open("w", encoding="utf-8") as fh:
        for r in rows:
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")
            n += 1
    return n


def parse_spec(spec: str) -> dict[str, int]:
    """``llama:layers=4,hidden=256`` -> ``{"layers": 4, "hidden": 256}`` (defaults filled in)."""
    out = {"layers": 4, "hidden": 256, "heads": 4, "vocab": 4096, "ffn": 0, "ctx": 640}
    body = spec.split(":", 1)[1] if ":" in spec else ""
    for part in filter(None, body.split(",")):
        k, _, v = part.partition("=")
        if k.strip() not in out:
            raise InputError(f"unknown model spec key {k!r} in {spec!r}",
                             hint=f"keys: {', '.join(out)}; e.g. llama:layers=4,hidden=256")
        try:
            out[k.strip()] = int(v)
        except ValueError:
            raise InputError(f"model spec {k}={v!r} is not an integer") from None
    if out["ffn"] <= 0:
        out["ffn"] = (out["hidden"] * 8 // 3 + 63) // 64 * 64
    return out


def is_spec(model: str) -> bool:
    return model.startswith("llama:") or model == "llama"


def fresh_model(spec: str, tokenizer: Any, seed: int) -> Any:
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    s = parse_spec(spec)
    torch.manual_seed(seed)
    cfg = LlamaConfig(
        vocab_size=len(tokenizer), hidden_size=s["hidden"], intermediate_size=s["ffn"],
        num_hidden_layers=s["layers"], num_attention_heads=s["heads"], num_key_value_heads=s["heads"],
        max_position_embeddings=s["ctx"], tie_word_embeddings=True, rms_norm_eps=1e-5,
        bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    return LlamaForCausalLM(cfg)


def load_pretrained(path: str, lora: bool) -> tuple[Any, Any]:
    """A causal LM and its tokenizer from a local directory (never from a hub: offline)."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    if not Path(path).exists():
        raise InputError(f"model {path!r} is neither a directory nor a spec",
                         hint="pass a local Hugging Face model directory, or a spec such as "
                              "llama:layers=4,hidden=256 for a fresh model")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    try:
        tok = AutoTokenizer.from_pretrained(path)
        # full fine-tuning keeps fp32 master weights (a shipped fp16 model is loaded up); LoRA keeps
        # the base model in its own dtype
        model = AutoModelForCausalLM.from_pretrained(path, dtype="auto" if lora else "float32")
    except (OSError, ValueError) as exc:
        raise TrainingError(f"cannot load the model at {path}: {exc}",
                         hint="the directory needs config.json, weights and tokenizer files") from None
    if tok.pad_token is None:
        tok.pad_token = tok.eos_token
    if getattr(tok, "chat_template", None) is None:
        tok.chat_template = CHAT_TEMPLATE
    return model, tok


def lora_config(r: int = 16) -> Any:
    from peft import LoraConfig

    return LoraConfig(r=r, lora_alpha=2 * r, lora_dropout=0.05, task_type="CAUSAL_LM",
                      target_modules="all-linear")


def last_checkpoint(out: str | Path) -> str | None:
    from transformers.trainer_utils import get_last_checkpoint

    p = Path(out)
    return get_last_checkpoint(str(p)) if p.is_dir() else None


def callbacks(out: str | Path, max_minutes: float | None, fit_schedule: bool = False) -> list[Any]:
    """A JSONL metrics log (``OUT/metrics.jsonl``), an optional wall-clock budget and, with
    ``fit_schedule``, a cosine schedule re-planned to end with the budget."""
    from transformers import TrainerCallback

    log_path = Path(out) / "metrics.jsonl"

    class JsonlLog(TrainerCallback):  # type: ignore[misc]
        def __init__(self) -> None:
            self.t0 = time.time()

        def on_log(self, args: Any, state: Any, control: Any, logs: dict[str, Any] | None = None,
                   **kw: Any) -> None:
            if not state.is_world_process_zero or not logs:
                return
            log_path.parent.mkdir(parents=True, exist_ok=True)
            row = {"step": state.global_step, "epoch": state.epoch,
                   "elapsed_s": round(time.time() - self.t0, 1), **logs}
            with log_path.open("a", encoding="utf-8") as fh:
                fh.write(json.dumps(row, default=float) + "\n")

    class Budget(TrainerCallback):  # type: ignore[misc]
        """Stop (and save) after ``minutes`` of training; the clock starts when training does, not
        while the trainer is still tokenizing its data."""

        def __init__(self, minutes: float) -> None:
            self.minutes = minutes
            self.deadline = time.time() + 60 * minutes

        def on_train_begin(self, args: Any, state: Any, control: Any, **kw: Any) -> None:
            self.deadline = time.time() + 60 * self.minutes

        def on_step_end(self, args: Any, state: Any, control: Any, **kw: Any) -> None:
            if time.time() > self.deadline:
                control.should_training_stop = True
                control.should_save = True

    class FitSchedule(Budget):
        """Fit the cosine schedule to the wall-clock budget: after a short probe, measure the step rate
        and re-plan the decay to end when the budget does, so a run cut by time ends with its learning
        rate annealed to zero rather than near its peak. The planned step count is kept in
        ``state.max_steps`` (and the run's summary), so ``--max-steps`` reproduces the run exactly."""

        def __init__(self, minutes: float, skip: int = 10, probe: int = 40) -> None:
            super().__init__(minutes)
            self.skip, self.probe = skip, probe
            self.t_mark: float | None = None
            self.planned: int | None = None

        def on_step_end(self, args: Any, state: Any, control: Any, lr_scheduler: Any = None,
                        **kw: Any) -> None:
            super().on_step_end(args, state, control)   # the budget's hard stop still holds
            step = state.global_step
            if self.t_mark is None and step >= self.skip:
                self.t_mark = time.time()
                self.mark_step = step
            elif self.planned is None and self.t_mark is not None and step >= self.mark_step + self.probe:
                rate = (step - self.mark_step) / max(1e-6, time.time() - self.t_mark)
                planned = step + int(0.97 * rate * max(0.0, self.deadline - time.time()))
                self.planned = max(step + 1, min(planned, state.max_steps))
                warmup = int(args.warmup_steps or 0)
                if lr_scheduler is not None and hasattr(lr_scheduler, "lr_lambdas"):
                    lr_scheduler.lr_lambdas = [functools.partial(cosine_factor, warmup=warmup,
                                                                 total=self.planned)
                                               for _ in lr_scheduler.lr_lambdas]
                state.max_steps = self.planned
            if self.planned is not None and step >= self.planned:
                control.should_training_stop = True
                control.should_save = True

    cbs: list[Any] = [JsonlLog()]
    if max_minutes:
        cbs.append(FitSchedule(max_minutes) if fit_schedule else Budget(max_minutes))
    return cbs


def cosine_factor(step: int, *, warmup: int, total: int) -> float:
    """Linear warm-up, then a cosine decay from 1 to 0 at step ``total`` (the LR multiplier)."""
    if step < warmup:
        return step / max(1, warmup)
    progress = min(1.0, (step - warmup) / max(1, total - warmup))
    return 0.5 * (1.0 + math.cos(math.pi * progress))


def train_and_save(trainer: Any, tok: Any, out: Path, resume_from: str | None,
                   stage: str, hint: str) -> tuple[Any, float]:
    """Run a TRL trainer, save the model and tokenizer to ``out``; (train result, seconds).

    A failure inside training becomes a :class:`TrainingError` naming the stage, with ``hint``.
    """
    t0 = time.time()
    try:
        result = trainer.train(resume_from_checkpoint=resume_from)
    except (RuntimeError, ValueError) as exc:
        raise TrainingError(f"{stage} failed: {exc}", hint=hint) from exc
    trainer.save_model(str(out))
    tok.save_pretrained(str(out))
    return result, round(time.time() - t0, 1)


def set_threads(threads: int | None) -> None:
    import torch

    if threads:
        torch.set_num_threads(threads)


def spawn_safe() -> bool:
    """Whether processes started with ``spawn`` can start here. A child re-imports the parent's main
    program from its file; a program read from standard input (``python3 - <<EOF``) is named
    ``<stdin>`` since Python 3.12, a file that does not exist, so every child dies at start, and a
    ``multiprocessing.Pool`` replaces dead workers for ever: the parent hangs. (Found on a lent GPU
    machine, where a data preparation driven that way used its whole 10-minute budget.)"""
    import sys

    main = sys.modules.get("__main__")
    path = getattr(main, "__file__", None)
    return path is None or Path(path).exists()


def process_pool(workers: int, what: str) -> Any:
    """A ``ProcessPoolExecutor`` of ``workers`` spawned processes, or None for one process: also None,
    with a warning, where spawned children could not start (:func:`spawn_safe`). Unlike
    ``multiprocessing.Pool``, the executor fails (``BrokenProcessPool``) when a child dies instead of
    waiting for ever; :func:`pool_failed` turns that into a clear error."""
    if workers <= 1:
        return None
    if not spawn_safe():
        import logging

        logging.getLogger("optsolve.train").warning(
            "%s: the main program was read from standard input, where worker processes cannot start; "
            "using one process (run the program from a file to use %d)", what, workers)
        return None
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor

    return ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context("spawn"))


def process_map(fn: Any, jobs: list[Any], workers: int, what: str) -> list[Any]:
    """``fn`` over ``jobs``, results in order: in ``workers`` spawned processes (:func:`process_pool`),
    or in this process where that gives none; a worker that dies fails the call (:func:`pool_failed`)."""
    from concurrent.futures.process import BrokenProcessPool

    pool = process_pool(workers, what)
    if pool is None:
        return [fn(job) for job in jobs]
    try:
        with pool:
            return list(pool.map(fn, jobs))
    except BrokenProcessPool as exc:
        raise pool_failed(what, exc) from exc


def pool_failed(what: str, exc: BaseException) -> TrainingError:
    return TrainingError(f"{what}: a worker process died ({exc})",
                         hint="run with --workers 1 to see the error in this process")
