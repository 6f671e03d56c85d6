"""``optsolve train sft``: supervised fine-tuning with TRL's SFTTrainer.

Loss on the completion only. Resumable (``--resume`` continues from the last checkpoint under OUT),
a progress bar, metrics logged to ``OUT/metrics.jsonl``, an optional wall-clock budget. The final
model and tokenizer are saved in OUT, with ``OUT/optsolve_train.json`` describing the run.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from optsolve.errors import InputError
from optsolve.train import common
from optsolve.train.data import sft_rows


@dataclass
class SFTOptions:
    data: list[str]
    model: str
    out: str
    fmt: str = "auto"              # auto | compact | chat
    eval_data: str | None = None
    lora: bool = False
    lora_r: int = 16
    resume: bool = False
    epochs: float = 3.0
    max_steps: int = -1
    max_minutes: float | None = None
    batch_size: int = 16
    grad_accum: int = 1
    lr: float = 1e-3
    warmup_steps: int = 100
    seed: int = 0
    max_length: int = 640
    vocab: int | None = None
    tokenizer: str | None = None
    save_steps: int = 200
    logging_steps: int = 20
    threads: int | None = None
    extra_texts: str | None = None  # more problem texts (one per line) to fit a fresh tokenizer on
    fit_schedule: bool = False      # with max_minutes: re-plan the cosine decay to end with the budget
    workers: int | None = None      # processes for data preparation and tokenization (default: auto)


def resolve_format(fmt: str, model: str) -> str:
    if fmt != "auto":
        if fmt not in ("compact", "chat"):
            raise InputError(f"unknown format {fmt!r}", hint="use compact, chat or auto")
        return fmt
    if common.is_spec(model):
        return "compact"
    meta = Path(model) / "optsolve_train.json"
    if meta.exists():
        return str(json.loads(meta.read_text()).get("format", "chat"))
    return "chat"


def _load_rows(paths: list[str], fmt: str, workers: int = 1) -> tuple[list[dict[str, Any]], int]:
    rows: list[dict[str, Any]] = []
    for p in paths:
        rows += common.read_jsonl(p)
    out, skipped = parallel_sft_rows(rows, fmt, workers)
    if not out:
        raise InputError(f"no usable SFT rows in {', '.join(paths)} ({skipped} skipped)",
                         hint="SFT data has `messages` (datagen sft/*.jsonl) or `text` + `formulation`")
    return out, skipped


def _sft_rows_chunk(args: tuple[list[dict[str, Any]], str]) -> tuple[list[dict[str, Any]], int]:
    return sft_rows(*args)


def parallel_sft_rows(rows: list[dict[str, Any]], fmt: str, workers: int) -> tuple[list[dict[str, Any]], int]:
    """:func:`sft_rows` over ``workers`` processes (order kept); one process for small inputs."""
    if workers <= 1 or len(rows) < 20_000:
        return sft_rows(rows, fmt)
    from optsolve.train.common import process_map

    size = (len(rows) + 4 * workers - 1) // (4 * workers)
    chunks = [(rows[i:i + size], fmt) for i in range(0, len(rows), size)]
    out: list[dict[str, Any]] = []
    skipped = 0
    for part, sk in process_map(_sft_rows_chunk, chunks, workers, "SFT rows"):
        out += part
        skipped += sk
    return out, skipped


def default_workers() -> int:
    import os

    return max(1, min(16, (os.cpu_count() or 1) - 1))


def model_and_tokenizer(opts: SFTOptions, fmt: str, train: list[dict[str, Any]]) -> tuple[Any, Any]:
    from optsolve.train.tokenizer import fit_tokenizer, load_tokenizer

    if common.is_spec(opts.model):
        if opts.tokenizer:
            tok = load_tokenizer(opts.tokenizer)
        else:
            texts = [r["prompt"] + " " + r["completion"] for r in train] if fmt == "compact" else [
                json.dumps(r["prompt"]) + json.dumps(r["completion"]) for r in train]
            if opts.extra_texts:
                texts += [line for line in Path(opts.extra_texts).read_text().splitlines() if line.strip()]
            vocab = opts.vocab or common.parse_spec(opts.model)["vocab"]
            tok = fit_tokenizer(texts, vocab)
            tok.chat_template = common.CHAT_TEMPLATE
        return common.fresh_model(opts.model, tok, opts.seed), tok
    return common.load_pretrained(opts.model, opts.lora)


def run_sft(opts: SFTOptions) -> dict[str, Any]:
    """Train; returns a summary (also written to ``OUT/optsolve_train.json``)."""
    from datasets import Dataset
    from trl import SFTConfig, SFTTrainer

    common.set_threads(opts.threads)
    fmt = resolve_format(opts.fmt, opts.model)
    workers = opts.workers or default_workers()
    train, skipped = _load_rows(opts.data, fmt, workers)
    random.Random(opts.seed).shuffle(train)
    evals = _load_rows([opts.eval_data], fmt)[0] if opts.eval_data else None
    out = Path(opts.out)
    out.mkdir(parents=True, exist_ok=True)
    resume_from = common.last_checkpoint(out) if opts.resume else None
    if resume_from and common.is_spec(opts.model) and not opts.tokenizer and (out / "tokenizer.json").exists():
        opts.tokenizer = str(out)   # a resumed fresh model keeps the vocabulary it started with
    model, tok = model_and_tokenizer(opts, fmt, train)
    tok.save_pretrained(str(out))
    if fmt == "compact":   # an over-long row would be cut at its end, i.e. in its target: drop it
        lens = [len(x) for x in tok([r["prompt"] + r["completion"] for r in train])["input_ids"]]
        kept = [r for r, n in zip(train, lens) if n < opts.max_length]
        skipped += len(train) - len(kept)
        train = kept
    cuda = _cuda()
    big = len(train) >= 50_000
    cfg = SFTConfig(
        output_dir=str(out), use_cpu=not cuda, bf16=cuda and _bf16(), fp16=False,
        gradient_checkpointing=False, completion_only_loss=True, max_length=opts.max_length,
        num_train_epochs=opts.epochs, max_steps=opts.max_steps,
        per_device_train_batch_size=opts.batch_size, per_device_eval_batch_size=opts.batch_size,
        gradient_accumulation_steps=opts.grad_accum, learning_rate=opts.lr,
        lr_scheduler_type="cosine", warmup_steps=opts.warmup_steps, weight_decay=0.01,
        logging_steps=opts.logging_steps, save_strategy="steps", save_steps=opts.save_steps,
        save_total_limit=2, report_to=[], seed=opts.seed, data_seed=opts.seed,
        eval_strategy="steps" if evals else "no", eval_steps=opts.save_steps if evals else None,
        dataloader_num_workers=2 if cuda else 0, dataset_num_proc=workers if big and workers > 1 else None,
        train_sampling_strategy="group_by_length",
    )
    trainer = SFTTrainer(
        model=model, args=cfg, train_dataset=Dataset.from_list(train),
        eval_dataset=Dataset.from_list(evals) if evals else None, processing_class=tok,
        peft_config=common.lora_config(opts.lora_r) if opts.lora else None,
        callbacks=common.callbacks(out, opts.max_minutes, fit_schedule=opts.fit_schedule),
    )
    result, seconds = common.train_and_save(
        trainer, tok, out, resume_from, "SFT",
        hint="check the data and the model; --resume continues from the last checkpoint")
    summary = {
        "stage": "sft", "format": fmt, "model": opts.model, "data": opts.data, "rows": len(train),
        "skipped_rows": skipped, "steps": trainer.state.global_step, "epochs": trainer.state.epoch,
        "train_loss": result.training_loss, "seconds": seconds, "planned_steps": trainer.state.max_steps,
        "batch_size": opts.batch_size, "lr": opts.lr, "device": "cuda" if cuda else "cpu",
        "parameters": sum(p.numel() for p in model.parameters()), "resumed_from": resume_from,
        "lora": opts.lora, "seed": opts.seed,
    }
    if evals:
        summary["eval"] = trainer.evaluate()
    (out / "optsolve_train.json").write_text(json.dumps(summary, indent=2, default=str))
    return summary


def _cuda() -> bool:
    import torch

    return bool(torch.cuda.is_available())


def _bf16() -> bool:
    import torch

    return bool(torch.cuda.is_bf16_supported())
