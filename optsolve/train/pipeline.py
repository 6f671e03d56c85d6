"""``optsolve train embedded``: regenerate the data and retrain the shipped model from scratch.

Steps (each writes under ``--work``, default ``runs/embedded``; the final model is copied into the
package with ``--install``):

1. data: records from datagen's seed families (:mod:`optsolve.train.prepare`), held-out families and
   templates in validation/test; NL4Opt *training* texts (texts only) help fit the tokenizer;
2. SFT of a fresh small Llama-architecture model on the compact format (``train sft``);
3. DPO from its own mistakes: sample the SFT model on training texts, solver-mark, pair, ``train dpo``;
   and DPO on datagen's preference export (``optsolve datagen``: gold vs solver-verified corruptions);
   (pointer formalizer) ``annotated``: continue the SFT model on NL4Opt's annotated training texts
   (``data/nl4opt_train_labels.txt``, a held-out part kept apart) mixed with synthetic records;
4. evaluation of SFT and both DPO models on the same validation items; the best one is kept;
5. ``--install``: weights (fp16 safetensors), tokenizer and config into ``optsolve/embedded/model``
   and the measured figures into ``optsolve/embedded/MODEL_CARD.md``'s data file.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from optsolve.datagen.base import TEXTS
from optsolve.paths import nl4opt_dir, nl4opt_train_labels
from optsolve.train.common import evenly_spaced, read_jsonl, write_jsonl

DEFAULT_SPEC = "llama:layers=3,hidden=160,heads=4,vocab=2048"
STAGES = ("data", "sft", "annotated", "dpo", "dpo-datagen", "eval")
NL4OPT_TRAIN = nl4opt_dir() / "ner_train.txt"


@dataclass
class PipelineOptions:
    work: str = "runs/embedded"
    n_per_family: int = 3000
    seed: int = 0
    spec: str = DEFAULT_SPEC
    sft_minutes: float = 85.0
    anneal_steps: int = 0
    families: list[str] | None = None    # default: the NL4Opt-style word-problem families
    sft_epochs: float = 3.0
    batch_size: int = 16
    lr: float = 3e-3
    dpo_records: int = 150
    dpo_minutes: float = 7.0
    eval_items: int = 100
    datagen_pairs_n: int = 1300       # records drawn by `optsolve datagen` for its DPO pairs (0: skip)
    datagen_seed: int = 11
    install: bool = False
    nl4opt_texts: str | None = str(NL4OPT_TRAIN)
    skip_existing: bool = True
    stages: tuple[str, ...] = STAGES   # run only these steps (e.g. data,sft on a GPU machine)
    max_length: int = 320              # training rows longer than this (in tokens) are dropped
    warmup_steps: int = 40
    workers: int = 1                   # processes for drawing records and preparing rows
    max_held_out: int | None = None    # cap on the validation/test records written
    variety: float = 0.0               # share of drawn records with the word families' extra phrasings
    texts: int = TEXTS                 # version of the texts (1: the shipped model's data; see datagen --texts)
    arch: str = "pointer"              # pointer: frozen MiniLM + pointer decoder; llama: the causal LM
    pointer_spec: str = "pointer:layers=3,hidden=256,heads=4,ff=1024,adapter=1,encoder=2"
    pointer_minutes: float = 80.0
    pointer_epochs: float = 6.0
    pointer_lr: float = 1e-3
    pointer_batch_size: int = 32
    # the ``annotated`` stage (pointer only): continue SFT on the annotated NL4Opt training texts
    nl4opt_labels: str | None = str(nl4opt_train_labels())
    annotated_held_out: int = 80       # annotated texts kept out of training (held-out loss, accuracy)
    annotated_repeat: int = 6          # copies of each annotated record in the mix
    annotated_synthetic: int = 8000    # synthetic records drawn into the mix (no forgetting)
    annotated_augment: int = 0         # number-perturbed siblings of each annotated text in the mix
    annotated_collide: float = 0.0     # share of those siblings where two numbers share a value
    annotated_minutes: float = 35.0
    annotated_lr: float = 3e-4


def word_families() -> list[str]:
    """The NL4Opt-style word-problem families: the data the shipped model is trained on."""
    from optsolve.datagen.families.nl4opt import WORD_FAMILIES

    return sorted(f.name for f in WORD_FAMILIES)


def _log(msg: str) -> None:
    print(f"[train embedded {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def run_pipeline(o: PipelineOptions) -> dict[str, Any]:
    from optsolve.train.dpo import DPOOptions, run_dpo, self_pairs
    from optsolve.train.evaluate import evaluate, items_from
    from optsolve.train.numbers import mask_numbers
    from optsolve.train.prepare import nl4opt_train_texts, write_records
    from optsolve.train.sft import SFTOptions, run_sft

    work = Path(o.work)
    data = work / "data"
    t_start = time.time()
    report: dict[str, Any] = {"options": o.__dict__.copy()}
    unknown = set(o.stages) - set(STAGES)
    if unknown:
        from optsolve.errors import InputError

        raise InputError(f"unknown stage(s) {', '.join(sorted(unknown))}", hint=f"stages: {', '.join(STAGES)}")
    if "data" in o.stages and not (o.skip_existing and (data / "records_train.jsonl").exists()):
        _log(f"data: {o.n_per_family} instances per family")
        report["records"] = write_records(data, o.n_per_family, o.seed, o.families or word_families(),
                                          workers=o.workers, max_held_out=o.max_held_out,
                                          variety=o.variety, texts=o.texts)
    if o.arch == "pointer":
        return _run_pointer(o, work, data, report, t_start)
    extra = None
    if o.nl4opt_texts and Path(o.nl4opt_texts).exists():
        extra = data / "nl4opt_train_texts.txt"
        extra.write_text("\n".join(mask_numbers(t).text.replace("\n", " ")
                                   for t in nl4opt_train_texts(o.nl4opt_texts)))
    sft_dir = work / "sft"
    if "sft" in o.stages and not (o.skip_existing and (sft_dir / "optsolve_train.json").exists()):
        # phase 1: cosine schedule planned over sft_epochs, cut by the wall-clock budget (the LR is still
        # near its peak then); phase 2: resume with max_steps a little further, which puts the rest of the
        # cosine (a decay to zero) into anneal_steps steps
        _log("SFT")
        base = SFTOptions(
            data=[str(data / "records_train.jsonl")], model=o.spec, out=str(sft_dir), epochs=o.sft_epochs,
            max_minutes=o.sft_minutes, batch_size=o.batch_size, lr=o.lr, warmup_steps=o.warmup_steps,
            logging_steps=10, save_steps=100 if o.batch_size <= 32 else 500, max_length=o.max_length,
            resume=True, seed=o.seed, extra_texts=str(extra) if extra else None,
            fit_schedule=not o.anneal_steps, workers=o.workers)
        first = run_sft(base)
        if o.anneal_steps:
            _log(f"SFT anneal: {o.anneal_steps} more steps")
            base.max_steps = int(first["steps"]) + o.anneal_steps
            base.max_minutes = None
            base.tokenizer = str(sft_dir)
            report["sft"] = run_sft(base)
        else:
            report["sft"] = first
    if not set(o.stages) & {"dpo", "dpo-datagen", "eval"}:
        return _save_report(work, report, t_start)
    val_rows = read_jsonl(data / "records_validation.jsonl")
    val_items = items_from(evenly_spaced(val_rows, o.eval_items))
    pairs_path = work / "dpo_pairs.jsonl"
    if "dpo" in o.stages and not (o.skip_existing and pairs_path.exists()):
        _log(f"DPO pairs from the SFT model's own mistakes on {o.dpo_records} training texts")
        recs = read_jsonl(data / "records_train.jsonl")
        recs = evenly_spaced(recs, o.dpo_records)
        pairs, stats = self_pairs(str(sft_dir), recs, k=4, temperature=1.0, seed=o.seed)
        write_jsonl(pairs_path, pairs)
        report["self_pairs"] = stats
    dpo_dir = work / "dpo"
    if "dpo" in o.stages and pairs_path.exists() and read_jsonl(pairs_path) and not (
            o.skip_existing and (dpo_dir / "optsolve_train.json").exists()):
        _log("DPO")
        report["dpo"] = run_dpo(DPOOptions(data=[str(pairs_path)], model=str(sft_dir), out=str(dpo_dir),
                                           max_minutes=o.dpo_minutes, epochs=1, batch_size=8, lr=5e-5,
                                           beta=0.1, seed=o.seed))
    # DPO on datagen's preference export (gold vs solver-verified corruptions), from the same SFT model
    dg_dir = work / "datagen"
    if "dpo-datagen" in o.stages and o.datagen_pairs_n and not (
            o.skip_existing and (dg_dir / "dpo" / "train.jsonl").exists()):
        _log(f"datagen preference pairs: optsolve datagen --n {o.datagen_pairs_n}")
        fams = ",".join(o.families or word_families())
        subprocess.run([sys.executable, "-m", "optsolve", "datagen", "--families", fams, "--n",
                        str(o.datagen_pairs_n), "--seed", str(o.datagen_seed), "--workers", "1",
                        "--no-progress", "--out", str(dg_dir)], check=True)
    dpo_dg = work / "dpo_datagen"
    if "dpo-datagen" in o.stages and (dg_dir / "dpo" / "train.jsonl").exists() and not (
            o.skip_existing and (dpo_dg / "optsolve_train.json").exists()):
        _log("DPO on datagen pairs")
        report["dpo_datagen"] = run_dpo(DPOOptions(
            data=[str(dg_dir / "dpo" / "train.jsonl")], model=str(sft_dir), out=str(dpo_dg),
            max_minutes=o.dpo_minutes, epochs=1, batch_size=8, lr=5e-5, beta=0.1, seed=o.seed, fmt="compact"))
    if "eval" not in o.stages:
        return _save_report(work, report, t_start)
    _log(f"evaluation on {len(val_items)} validation items")
    ev = {"sft": evaluate(str(sft_dir), val_items, progress=False)}
    if (dpo_dir / "config.json").exists():
        ev["dpo"] = evaluate(str(dpo_dir), val_items, progress=False)
    if (dpo_dg / "config.json").exists():
        ev["dpo_datagen"] = evaluate(str(dpo_dg), val_items, progress=False)
    best = _choose(ev, report)
    _save_report(work, report, t_start)
    if o.install:
        install(str(work / best), report)
    return report


def _choose(ev: dict[str, dict[str, Any]], report: dict[str, Any]) -> str:
    """The best-scoring model on validation (SFT on ties), logged and recorded in ``report``."""
    for k, v in ev.items():
        _log(f"{k}: accuracy {v['accuracy']:.3f} (greedy {v['greedy_accuracy']:.3f})")
    best = max(ev, key=lambda k: (ev[k]["accuracy"], k == "sft"))
    report["validation"] = {k: {kk: vv for kk, vv in v.items() if kk != "rows"} for k, v in ev.items()}
    report["chosen"] = best
    return best


def _run_pointer(o: PipelineOptions, work: Path, data: Path, report: dict[str, Any], t_start: float
                 ) -> dict[str, Any]:
    """The pointer formalizer's steps: SFT (``train pointer``), DPO from its own mistakes
    (``train pointer-dpo``), evaluation of both on the same validation items, install of the better.
    datagen's DPO export is written for text models and has no pointer form, so ``dpo-datagen`` is
    skipped here."""
    from optsolve.train.evaluate import evaluate, items_from
    from optsolve.train.pointer import PointerTrainOptions, fit
    from optsolve.train.pointer_dpo import self_pairs, train_dpo

    sft_dir = work / "pointer"
    if "sft" in o.stages and not (o.skip_existing and (sft_dir / "optsolve_train.json").exists()):
        _log("pointer SFT: encoder states of every text, then the decoder")
        fitted = fit(data / "records_train.jsonl", data / "records_validation.jsonl", PointerTrainOptions(
            data="", out=str(sft_dir), spec=o.pointer_spec, epochs=o.pointer_epochs,
            batch_size=o.pointer_batch_size, lr=o.pointer_lr, max_minutes=o.pointer_minutes, seed=o.seed,
            resume=True))
        report["prepare"] = fitted.pop("prepare")
        report["sft"] = fitted
    ann_dir = work / "pointer-annotated"
    texts = Path(o.nl4opt_texts or NL4OPT_TRAIN)
    if "annotated" in o.stages and o.nl4opt_labels and not texts.exists():
        _log(f"annotated: no tagged texts at {texts}; stage skipped")
    elif "annotated" in o.stages and o.nl4opt_labels and not (
            o.skip_existing and (ann_dir / "optsolve_train.json").exists()):
        report["annotated"] = _annotated(o, data, sft_dir, ann_dir, texts)
    if (ann_dir / "model" / "config.json").exists():
        sft_dir = ann_dir      # DPO, evaluation and install start from the continued model
    dpo_dir = work / "pointer-dpo"
    if "dpo" in o.stages and not (o.skip_existing and (dpo_dir / "optsolve_train.json").exists()):
        _log(f"pointer DPO from its own mistakes on {o.dpo_records} training texts")
        recs = read_jsonl(data / "records_train.jsonl")
        recs = evenly_spaced(recs, o.dpo_records)
        pairs, stats = self_pairs(str(sft_dir / "model"), recs, k=4, temperature=1.0, seed=o.seed)
        report["self_pairs"] = stats
        if pairs:
            report["dpo"] = train_dpo(str(sft_dir / "model"), pairs, str(dpo_dir), beta=0.1, lr=5e-5,
                                      epochs=1, batch_size=8, max_minutes=o.dpo_minutes, seed=o.seed)
    if "eval" not in o.stages:
        return _save_report(work, report, t_start)
    val_rows = read_jsonl(data / "records_validation.jsonl")
    val_items = items_from(evenly_spaced(val_rows, o.eval_items))
    _log(f"evaluation on {len(val_items)} validation items")
    ev = {"sft": evaluate(str(sft_dir / "model"), val_items, progress=False)}   # the backend's rule
    if (dpo_dir / "model" / "config.json").exists():
        ev["dpo"] = evaluate(str(dpo_dir / "model"), val_items, progress=False)
    best = _choose(ev, report)
    _save_report(work, report, t_start)
    if o.install:
        install_pointer(sft_dir if best == "sft" else dpo_dir, report)
    return report


def _annotated(o: PipelineOptions, data: Path, sft_dir: Path, out: Path, texts: Path) -> dict[str, Any]:
    """Continue the pointer SFT model on NL4Opt's annotated training texts (``optsolve train
    annotations``: a seeded held-out part kept apart, the rest repeated and mixed with synthetic
    records), warm-started with a lower learning rate."""
    from optsolve.train.annotations import write_sets
    from optsolve.train.pointer import PointerTrainOptions, fit

    _log(f"annotated NL4Opt texts: {o.nl4opt_labels}")
    ann_data = out / "data"
    stats = write_sets(o.nl4opt_labels or "", texts, ann_data / "train.jsonl", ann_data / "train_held_out.jsonl",
                       held_out=o.annotated_held_out, seed=o.seed,
                       synthetic=read_jsonl(data / "records_train.jsonl"), repeat=o.annotated_repeat,
                       n_synthetic=o.annotated_synthetic, augment=o.annotated_augment,
                       collide=o.annotated_collide)
    n_train, n_rows = stats.pop("train_texts"), stats.pop("train_rows")
    n_aug = stats.get("augmented", 0)
    n_held = stats.pop("held_out", 0)
    held_path = stats.pop("held_out_file", None)
    stats.pop("out")
    _log(f"continuing SFT on {n_train} annotated texts x {o.annotated_repeat} + {n_aug} siblings + "
         f"{n_rows - n_train * o.annotated_repeat - n_aug} synthetic records")
    fitted = fit(ann_data / "train.jsonl", held_path, PointerTrainOptions(
        data="", out=str(out), spec=o.pointer_spec, epochs=3.0, batch_size=o.pointer_batch_size,
        lr=o.annotated_lr, warmup_steps=50, max_minutes=o.annotated_minutes, seed=o.seed, resume=True,
        init=str(sft_dir / "model")))
    fitted.pop("prepare", None)
    fitted.pop("prepare_eval", None)
    return {"labels": stats, "train_texts": n_train, "held_out": n_held, "rows": n_rows, **fitted}


def install_pointer(run_dir: Path, report: dict[str, Any] | None = None) -> Path:
    """Copy a trained pointer formalizer (``RUN/model``) into the package, with its training summary."""
    from optsolve.formalize.backends.embedded import default_model_dir

    dest = default_model_dir()
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(run_dir / "model", dest)
    meta = json.loads((run_dir / "optsolve_train.json").read_text(encoding="utf-8"))
    meta["installed_from"] = str(run_dir)
    if report:
        meta["pipeline"] = {k: v for k, v in report.items() if k in ("validation", "chosen", "seconds",
                                                                    "self_pairs", "records", "sft", "prepare",
                                                                    "annotated")}
    (dest / "optsolve_train.json").write_text(json.dumps(meta, indent=2, default=str), encoding="utf-8")
    return dest


def _save_report(work: Path, report: dict[str, Any], t_start: float) -> dict[str, Any]:
    report["seconds"] = round(time.time() - t_start, 1)
    (work / "pipeline_report.json").write_text(json.dumps(report, indent=2, default=str))
    return report


def install(model_dir: str, report: dict[str, Any] | None = None) -> Path:
    """Copy a trained compact model into the package (fp16 weights: half the size, same answers within
    rounding; loaded back as fp32)."""
    import torch
    from transformers import LlamaForCausalLM

    from optsolve.formalize.backends.embedded import default_model_dir

    dest = default_model_dir()
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    model = LlamaForCausalLM.from_pretrained(model_dir, dtype=torch.float32)
    model = model.half()
    model.save_pretrained(str(dest), safe_serialization=True)
    for f in ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"):
        if (Path(model_dir) / f).exists():
            shutil.copy(Path(model_dir) / f, dest / f)
    meta = json.loads((Path(model_dir) / "optsolve_train.json").read_text())
    meta["installed_from"] = model_dir
    if report:
        meta["pipeline"] = {k: v for k, v in report.items() if k in ("validation", "chosen", "seconds",
                                                                    "self_pairs", "records")}
    (dest / "optsolve_train.json").write_text(json.dumps(meta, indent=2, default=str))
    write_model_card(dest.parent / "MODEL_CARD.md", dest, meta)
    return dest


def write_model_card(path: Path, model_dir: Path, meta: dict[str, Any]) -> None:
    """``MODEL_CARD.md`` from the training summaries (figures measured by the pipeline itself)."""
    cfg = json.loads((model_dir / "config.json").read_text())
    size = sum(f.stat().st_size for f in model_dir.iterdir() if f.is_file())
    sft = meta.get("sft_summary") or {}
    lines = [
        "# optsolve embedded formalizer: model card",
        "",
        "Generated by `optsolve train embedded --install` (optsolve/train/pipeline.py); see docs/embedded.md",
        "for the measured accuracy, latency and memory, with the commands.",
        "",
        "| | |", "|---|---|",
        f"| architecture | LlamaForCausalLM, {cfg['num_hidden_layers']} layers x {cfg['hidden_size']}, "
        f"{cfg['num_attention_heads']} heads, FFN {cfg['intermediate_size']}, vocab {cfg['vocab_size']}, "
        f"context {cfg['max_position_embeddings']}, tied embeddings |",
        f"| parameters | {meta.get('parameters', sft.get('parameters', '?'))} |",
        f"| shipped size | {size / 1e6:.2f} MB (fp16 safetensors + tokenizer) |",
        f"| stage shipped | {meta.get('stage')} (from {meta.get('installed_from')}) |",
        f"| training data | {meta.get('data')} ({meta.get('rows', meta.get('pairs', '?'))} rows) |",
        f"| steps / time | {meta.get('steps')} steps, {meta.get('seconds')} s of training on "
        f"{'a GPU' if meta.get('device') == 'cuda' else 'the CPU'} |",
        *([f"| earlier stage | {meta['continued_from']} |"] if meta.get("continued_from") else []),
        f"| seed | {meta.get('seed')} |",
        "",
        "Format: the input is the problem text with every number replaced by a placeholder (`<n0>`...);",
        "the output is the compact formulation language of optsolve/train/compact.py, decoded into",
        "Formulation v1 with the placeholders' values put back. Data: datagen's seed families",
        "(optsolve/train/prepare.py), families and templates held out into validation/test by datagen's",
        "split plan; the NL4Opt *training* texts (texts only) were used to fit the tokenizer. NL4Opt dev",
        "was never used for training or tuning.",
        "",
        "## Pipeline figures (validation items, top-ranked candidate, strict rule)",
        "",
        "```json",
        json.dumps(meta.get("pipeline", {}), indent=2, default=str),
        "```",
        "",
    ]
    path.write_text("\n".join(lines))
