"""``optsolve train dpo``: preference optimisation with TRL's DPOTrainer, from an SFT model.

Data: DPO pairs (``prompt``/``chosen``/``rejected``), or ranked lists (``prompt``/``completions``/
``scores``) expanded into every pair of completions with different scores. ``--curriculum`` orders
the pairs from easy to hard (level, complexity, then the widest score gap first) and trains on them in
that order instead of shuffled. ``--loss`` picks TRL's loss (``sigmoid`` = plain DPO, ``ipo``,
``hinge``...). The reference model is a frozen copy of the starting model (with ``--lora``, the base
model with the adapter disabled).

:func:`self_pairs` builds pairs from the model's own mistakes: it samples the model on training texts,
lets the solver mark each sample right or wrong against the gold optimum, and pairs the gold (or a
right sample) against each wrong one.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from optsolve.errors import InputError
from optsolve.train import common
from optsolve.train.data import compact_prompt, compact_target, dpo_rows, text_and_gold
from optsolve.train.sft import _cuda, resolve_format


@dataclass
class DPOOptions:
    data: list[str]
    model: str
    out: str
    fmt: str = "auto"
    lora: bool = False
    lora_r: int = 16
    resume: bool = False
    epochs: float = 1.0
    max_steps: int = -1
    max_minutes: float | None = None
    batch_size: int = 8
    grad_accum: int = 1
    lr: float = 5e-5
    beta: float = 0.1
    loss: str = "sigmoid"
    curriculum: bool = False
    seed: int = 0
    max_length: int = 384
    save_steps: int = 100
    logging_steps: int = 10
    threads: int | None = None


def run_dpo(opts: DPOOptions) -> dict[str, Any]:
    from datasets import Dataset
    from trl import DPOConfig, DPOTrainer

    common.set_threads(opts.threads)
    if common.is_spec(opts.model):
        raise InputError("DPO starts from a trained model", hint="pass --model SFT_DIR (the output of train sft)")
    fmt = resolve_format(opts.fmt, opts.model)
    rows: list[dict[str, Any]] = []
    for p in opts.data:
        rows += common.read_jsonl(p)
    pairs, skipped = dpo_rows(rows, fmt, curriculum=opts.curriculum)
    if not pairs:
        raise InputError(f"no usable preference pairs in {', '.join(opts.data)} ({skipped} skipped)",
                         hint="rows need prompt/chosen/rejected or prompt/completions/scores")
    if not opts.curriculum:
        random.Random(opts.seed).shuffle(pairs)
    model, tok = common.load_pretrained(opts.model, opts.lora)
    out = Path(opts.out)
    out.mkdir(parents=True, exist_ok=True)
    resume_from = common.last_checkpoint(out) if opts.resume else None
    cfg = DPOConfig(
        output_dir=str(out), use_cpu=not _cuda(), bf16=False, fp16=False, gradient_checkpointing=False,
        num_train_epochs=opts.epochs, max_steps=opts.max_steps, per_device_train_batch_size=opts.batch_size,
        gradient_accumulation_steps=opts.grad_accum, learning_rate=opts.lr, beta=opts.beta,
        loss_type=[opts.loss], max_length=opts.max_length, lr_scheduler_type="cosine", warmup_steps=10,
        logging_steps=opts.logging_steps, save_strategy="steps", save_steps=opts.save_steps,
        save_total_limit=2, report_to=[], seed=opts.seed, data_seed=opts.seed,
        train_sampling_strategy="sequential" if opts.curriculum else "random", dataloader_num_workers=0,
    )
    trainer = DPOTrainer(
        model=model, args=cfg, train_dataset=Dataset.from_list(pairs), processing_class=tok,
        peft_config=common.lora_config(opts.lora_r) if opts.lora else None,
        callbacks=common.callbacks(out, opts.max_minutes),
    )
    result, seconds = common.train_and_save(
        trainer, tok, out, resume_from, "DPO",
        hint="check the pairs and the model; --resume continues from the last checkpoint")
    summary = {
        "stage": "dpo", "format": fmt, "model": opts.model, "data": opts.data, "pairs": len(pairs),
        "skipped": skipped, "steps": trainer.state.global_step, "train_loss": result.training_loss,
        "seconds": seconds, "beta": opts.beta, "loss": opts.loss,
        "curriculum": opts.curriculum, "lora": opts.lora, "seed": opts.seed,
    }
    (out / "optsolve_train.json").write_text(json.dumps(summary, indent=2, default=str))
    return summary


def _close(a: float | None, b: float | None, rel: float = 1e-4) -> bool:
    return a is not None and b is not None and abs(a - b) <= rel * max(1.0, abs(b))


def self_pairs(model_dir: str, records: list[dict[str, Any]], k: int = 4, temperature: float = 1.0,
               seed: int = 0, max_seconds: float = 8.0) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """Preference pairs from the model's own mistakes on ``records`` (text + gold formulation).

    Each record is solved (gold optimum), the model draws ``k`` samples, the solver marks each right
    (same optimum) or wrong; each distinct wrong sample becomes a rejected completion against the gold
    compact target as chosen. Returns the pairs (compact format) and counts."""
    from optsolve.solvers import solve
    from optsolve.train.runtime import EmbeddedModel, check_candidate

    model = EmbeddedModel(model_dir)
    pairs: list[dict[str, Any]] = []
    stats = {"records": 0, "samples": 0, "right": 0, "wrong": 0, "pairs": 0}
    for i, r in enumerate(records):
        try:
            text, gold = text_and_gold(r)
            chosen = compact_target(text, gold)
        except Exception:  # a record the compact language cannot say gives no pair
            continue
        res = solve(gold)
        gold_obj = res.objective if res.status.has_solution else None
        if gold_obj is None:
            continue
        stats["records"] += 1
        gen, values = model.generate(text, k=k, temperature=temperature, seed=seed + i, max_seconds=max_seconds)
        prompt, _ = compact_prompt(text)
        seen: set[str] = set()
        for c in gen.candidates:
            stats["samples"] += 1
            check_candidate(c, values)
            if c.ok and _close(c.objective, gold_obj):
                stats["right"] += 1
                continue
            stats["wrong"] += 1
            rej = c.compact.strip()
            if rej and rej != chosen and rej not in seen:
                seen.add(rej)
                pairs.append({"prompt": prompt, "chosen": chosen, "rejected": rej,
                              "level": r.get("level"), "complexity": r.get("complexity"),
                              "rejected_error": c.error})
    stats["pairs"] = len(pairs)
    return pairs, stats
