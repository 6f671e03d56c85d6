"""``optsolve train ...``: SFT, DPO, self-generated preference pairs, evaluation, and the embedded model.

    optsolve train sft --data DIR_OR_JSONL --model llama:layers=3,hidden=160 --out runs/sft
    optsolve train sft --data sft.jsonl --model /models/qwen-7b --lora --out runs/qwen-sft   (GPU)
    optsolve train dpo --data pairs.jsonl --model runs/sft --out runs/dpo [--curriculum]
    optsolve train self-pairs --model runs/sft --data records.jsonl --out pairs.jsonl
    optsolve train eval --model runs/dpo --data records_test.jsonl
    optsolve train pointer --data records_train.jsonl --out runs/ptr   (frozen MiniLM + pointer decoder)
    optsolve train pointer-dpo --model runs/ptr/model --data records_train.jsonl --out runs/ptr-dpo
    optsolve train verifier --model optsolve/embedded/model --data records.jsonl --out runs/ver [--install]
    optsolve train self-label --out labels.jsonl   (NL4Opt's tagged texts; shipped model or --backend ...)
    optsolve train self-label --calibrate          (the filter's precision on NL4Opt dev)
    optsolve train annotations --out nl4opt_train.jsonl   (the annotated NL4Opt training texts as records)
    optsolve train embedded [--install]      (regenerate data and retrain the shipped model)
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from optsolve.datagen.base import TEXT_VERSIONS, TEXTS


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", required=True, help="output directory (checkpoints, metrics.jsonl, final model)")
    p.add_argument("--format", dest="fmt", default="auto", choices=["auto", "compact", "chat"],
                   help="compact: the embedded model's format; chat: chat messages for any causal LM "
                        "(auto: compact for a fresh spec or a compact model, else chat)")
    p.add_argument("--lora", action="store_true", help="train LoRA adapters (large models)")
    p.add_argument("--lora-r", type=int, default=16)
    p.add_argument("--resume", action="store_true", help="continue from the last checkpoint in --out")
    p.add_argument("--epochs", type=float, default=None)
    p.add_argument("--max-steps", type=int, default=-1)
    p.add_argument("--max-minutes", type=float, default=None, help="stop (and save) after this wall time")
    p.add_argument("--batch-size", type=int, default=None)
    p.add_argument("--grad-accum", type=int, default=1)
    p.add_argument("--lr", type=float, default=None)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--max-length", type=int, default=None)
    p.add_argument("--save-steps", type=int, default=None)
    p.add_argument("--logging-steps", type=int, default=None)
    p.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")


def _kw(args: argparse.Namespace, names: list[str]) -> dict[str, Any]:
    return {n: getattr(args, n) for n in names if getattr(args, n, None) is not None}


def _print(summary: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print(json.dumps(summary, default=str))
        return
    for k, v in summary.items():
        if k != "rows":
            print(f"{k}: {v}")


def _sft(args: argparse.Namespace) -> int:
    from optsolve.train.sft import SFTOptions, run_sft

    opts = SFTOptions(data=args.data, model=args.model, out=args.out, fmt=args.fmt, lora=args.lora,
                      lora_r=args.lora_r, resume=args.resume, max_steps=args.max_steps,
                      max_minutes=args.max_minutes, grad_accum=args.grad_accum, seed=args.seed,
                      eval_data=args.eval_data, vocab=args.vocab, tokenizer=args.tokenizer,
                      threads=args.threads, extra_texts=args.extra_texts,
                      fit_schedule=args.fit_schedule, workers=args.workers,
                      **_kw(args, ["epochs", "batch_size", "lr", "max_length", "save_steps", "logging_steps",
                                   "warmup_steps"]))
    _print(run_sft(opts), args.json)
    return 0


def _dpo(args: argparse.Namespace) -> int:
    from optsolve.train.dpo import DPOOptions, run_dpo

    opts = DPOOptions(data=args.data, model=args.model, out=args.out, fmt=args.fmt, lora=args.lora,
                      lora_r=args.lora_r, resume=args.resume, max_steps=args.max_steps,
                      max_minutes=args.max_minutes, grad_accum=args.grad_accum, seed=args.seed,
                      curriculum=args.curriculum, loss=args.loss, beta=args.beta, threads=args.threads,
                      **_kw(args, ["epochs", "batch_size", "lr", "max_length", "save_steps", "logging_steps"]))
    _print(run_dpo(opts), args.json)
    return 0


def _self_pairs(args: argparse.Namespace) -> int:
    from optsolve.train.common import evenly_spaced, read_jsonl, write_jsonl
    from optsolve.train.dpo import self_pairs

    rows = read_jsonl(args.data)
    if args.limit:
        rows = evenly_spaced(rows, args.limit)
    pairs, stats = self_pairs(args.model, rows, k=args.k, temperature=args.temperature, seed=args.seed)
    write_jsonl(args.out, pairs)
    _print(stats, args.json)
    return 0


def _eval(args: argparse.Namespace) -> int:
    from optsolve.train.common import read_jsonl, write_jsonl
    from optsolve.train.evaluate import evaluate, evaluate_seeds, items_from

    rows = read_jsonl(args.data)
    if args.limit:
        rows = rows[: args.limit]
    kw = {"k": args.k, "temperature": args.temperature, "adaptive": args.adaptive,
          "repair_rounds": args.repair_rounds, "escalate": args.escalate}
    if args.seeds > 1:
        res = evaluate_seeds(args.model, items_from(rows), list(range(args.seed, args.seed + args.seeds)), **kw)
    else:
        res = evaluate(args.model, items_from(rows), seed=args.seed, **kw)
    if args.out:
        write_jsonl(args.out, res["rows"])
    _print(res, args.json)
    return 0


def _pointer(args: argparse.Namespace) -> int:
    from optsolve.train.pointer import PointerTrainOptions, fit

    opts = PointerTrainOptions(data="", out=args.out, resume=args.resume, max_minutes=args.max_minutes,
                               init=args.init, device=args.device,
                               seed=args.seed, threads=args.threads, progress=not args.json,
                               **_kw(args, ["spec", "epochs", "batch_size", "lr", "warmup_steps",
                                            "encoder_lr_scale", "eval_every", "workers"]))
    summary = fit(args.data, args.eval_data, opts)
    summary["model"] = f"{args.out}/model"
    _print(summary, args.json)
    return 0


def _pointer_dpo(args: argparse.Namespace) -> int:
    from optsolve.train.common import evenly_spaced, read_jsonl
    from optsolve.train.pointer_dpo import self_pairs, train_dpo

    rows = read_jsonl(args.data)
    if args.records:
        rows = evenly_spaced(rows, args.records)
    pairs, stats = self_pairs(args.model, rows, k=args.k, temperature=args.temperature, seed=args.seed,
                              progress=not args.json)
    summary: dict[str, Any] = {"self_pairs": stats}
    summary.update(train_dpo(args.model, pairs, args.out, beta=args.beta, lr=args.lr, epochs=args.epochs,
                             batch_size=args.batch_size, max_minutes=args.max_minutes, seed=args.seed,
                             threads=args.threads, progress=not args.json, sft_weight=args.sft_weight,
                             level=args.level))
    summary["model"] = f"{args.out}/model"
    _print(summary, args.json)
    return 0


def _verifier(args: argparse.Namespace) -> int:
    import shutil
    from pathlib import Path

    from optsolve.errors import InputError
    from optsolve.formalize.backends.embedded import default_model_dir
    from optsolve.train.common import evenly_spaced, read_jsonl, set_threads
    from optsolve.train.verifier import CONFIG, FILE, draw_candidates, examples_from_dumps, train_verifier

    set_threads(args.threads)
    model = args.model or str(default_model_dir())
    rows = read_jsonl(args.data)          # bad input fails before anything is written
    if args.records:
        rows = evenly_spaced(rows, args.records)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    drawn = draw_candidates(model, rows, samples=args.samples, temperature=args.temperature, seed=args.seed,
                            progress=not args.json, out=out / "candidates.jsonl")
    held = None
    if args.eval_data:
        held = examples_from_dumps(draw_candidates(model, read_jsonl(args.eval_data), samples=args.samples,
                                                   temperature=args.temperature, seed=args.seed,
                                                   progress=not args.json, out=out / "eval_candidates.jsonl"))
    examples = examples_from_dumps(drawn)
    if not any(0 < sum(e["right"]) < len(e["right"]) for e in examples):
        raise InputError("no text has both a right and a wrong solved candidate to learn from",
                         hint="draw on more records (--records) or more samples (--samples)")
    summary = train_verifier(model, examples, out, eval_examples=held, epochs=args.epochs, lr=args.lr,
                             texts_per_batch=args.texts_per_batch, max_minutes=args.max_minutes,
                             seed=args.seed, threads=args.threads, progress=not args.json)
    if args.install:
        for name in (FILE, CONFIG):
            shutil.copy2(out / name, Path(model) / name)
        summary["installed"] = model
    _print(summary, args.json)
    return 0


def _self_label(args: argparse.Namespace) -> int:
    from optsolve.errors import InputError
    from optsolve.train.self_train import RecordWriter, backend_sampler, calibrate, label_texts, read_conll

    backend = None
    sampler = None
    model_dir: str | None = args.model
    if args.backend and args.backend != "embedded":
        from optsolve.formalize.backends import make_backend, resolve_config

        backend = make_backend(resolve_config(args.backend, args.model, args.base_url))
        sampler = backend_sampler(backend, args.k, args.temperature, args.seed)
        model_dir = None
    elif model_dir is None:
        from optsolve.formalize.backends.embedded import default_model_dir

        model_dir = str(default_model_dir())
    try:
        if args.calibrate:
            stats = calibrate(model_dir, args.dev, k=args.k, temperature=args.temperature, seed=args.seed,
                              min_votes=args.min_votes, limit=args.limit, progress=not args.json,
                              sampler=sampler)
            _print(stats, args.json)
            return 0
        if not args.out:
            raise InputError("--out is required unless --calibrate", hint="name the records file to write")
        texts = read_conll(args.texts)[: args.limit]
        writer = RecordWriter(args.out)   # each label is on disk as soon as it is made
        try:
            _labels, stats = label_texts(model_dir, texts, k=args.k, temperature=args.temperature,
                                         seed=args.seed, min_votes=args.min_votes, progress=not args.json,
                                         sampler=sampler, on_label=writer.add)
        finally:
            writer.close()
    finally:
        if backend is not None:
            backend.close()
    stats["written"] = writer.written
    stats["out"] = args.out
    _print(stats, args.json)
    return 0


def _annotations(args: argparse.Namespace) -> int:
    from pathlib import Path

    from optsolve.train.annotations import write_sets
    from optsolve.train.common import read_jsonl

    held_path = args.held_out_file or str(Path(args.out).with_suffix("")) + "_held_out.jsonl"
    stats = write_sets(args.labels, args.texts, args.out, held_path, held_out=args.held_out, seed=args.seed,
                       strict=args.strict, synthetic=read_jsonl(args.mix) if args.mix else None,
                       repeat=args.repeat, n_synthetic=args.mix_n, augment=args.augment, collide=args.collide,
                       reorder=args.reorder, authored=args.authored)
    _print(stats, args.json)
    return 0


def _share(v: str) -> float:
    try:
        x = float(v)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{v!r} is not a number (give a share from 0 to 1, e.g. 0.5)") from None
    if not 0.0 <= x <= 1.0:
        raise argparse.ArgumentTypeError(f"{v} is outside 0..1 (give a share such as 0.5)")
    return x


def _positive(v: str) -> int:
    try:
        n = int(v)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{v!r} is not a whole number (give a count such as 4)") from None
    if n < 1:
        raise argparse.ArgumentTypeError(f"{v} is below 1 (give a count such as 4)")
    return n


def _embedded(args: argparse.Namespace) -> int:
    from optsolve.train.pipeline import PipelineOptions, run_pipeline

    opts = PipelineOptions(work=args.work, n_per_family=args.n_per_family, seed=args.seed,
                           sft_minutes=args.sft_minutes, dpo_records=args.dpo_records,
                           install=args.install, skip_existing=not args.fresh,
                           stages=tuple(s.strip() for s in args.stages.split(",") if s.strip()),
                           workers=args.workers, max_held_out=args.max_held_out,
                           variety=args.variety, texts=args.texts,
                           arch=args.arch or ("llama" if args.spec else "pointer"))
    for name in ("spec", "batch_size", "lr", "max_length", "sft_epochs", "warmup_steps", "pointer_spec",
                 "pointer_minutes", "eval_items", "nl4opt_labels", "nl4opt_texts", "annotated_minutes",
                 "annotated_repeat", "annotated_synthetic", "annotated_held_out", "annotated_augment",
                 "annotated_collide"):
        if getattr(args, name) is not None:
            setattr(opts, name, getattr(args, name))
    report = run_pipeline(opts)
    _print({k: v for k, v in report.items() if k != "options"}, args.json)
    return 0


def register(sub: Any) -> None:
    from optsolve.train.pipeline import STAGES

    p = sub.add_parser("train", help="train models: SFT, DPO, the embedded default model",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    tsub = p.add_subparsers(dest="train_command", metavar="STAGE", required=True)

    s = tsub.add_parser("sft", help="supervised fine-tuning (TRL SFTTrainer)")
    s.add_argument("--data", action="append", required=True,
                   help="JSONL file or directory (datagen sft/*.jsonl or records); repeatable")
    s.add_argument("--model", required=True,
                   help="a local HF causal LM directory, or a fresh-model spec llama:layers=4,hidden=256,...")
    s.add_argument("--eval-data", default=None)
    s.add_argument("--vocab", type=int, default=None, help="tokenizer size for a fresh model")
    s.add_argument("--tokenizer", default=None, help="reuse this tokenizer for a fresh model")
    s.add_argument("--extra-texts", default=None, help="extra texts (one a line) to fit a fresh tokenizer")
    s.add_argument("--warmup-steps", type=int, default=None)
    s.add_argument("--fit-schedule", action="store_true",
                   help="with --max-minutes: plan the cosine decay to end when the time budget does")
    s.add_argument("--workers", type=int, default=None, help="processes for data preparation (default: auto)")
    _common(s)
    s.set_defaults(func=_sft)

    d = tsub.add_parser("dpo", help="preference optimisation (TRL DPOTrainer) from an SFT model")
    d.add_argument("--data", action="append", required=True,
                   help="DPO pairs (prompt/chosen/rejected) or ranked lists (prompt/completions/scores)")
    d.add_argument("--model", required=True, help="the SFT output directory")
    d.add_argument("--curriculum", action="store_true", help="train on pairs ordered from easy to hard")
    d.add_argument("--loss", default="sigmoid", help="TRL loss type: sigmoid (DPO), ipo, hinge, robust...")
    d.add_argument("--beta", type=float, default=0.1)
    _common(d)
    d.set_defaults(func=_dpo)

    sp = tsub.add_parser("self-pairs", help="preference pairs from a model's own solver-checked mistakes")
    sp.add_argument("--model", required=True)
    sp.add_argument("--data", required=True, help="records (text + formulation)")
    sp.add_argument("--out", required=True)
    sp.add_argument("--limit", type=int, default=200)
    sp.add_argument("--k", type=int, default=4)
    sp.add_argument("--temperature", type=float, default=1.0)
    sp.add_argument("--seed", type=int, default=0)
    sp.add_argument("--json", action="store_true")
    sp.set_defaults(func=_self_pairs)

    e = tsub.add_parser("eval", help="accuracy of a compact model on records or bench items")
    e.add_argument("--model", required=True)
    e.add_argument("--data", required=True, help="records (text + formulation) or bench rows (question, answer)")
    e.add_argument("--limit", type=int, default=None)
    e.add_argument("--k", type=int, default=32, help="candidates per problem (1 = greedy only; 32 as the embedded backend)")
    e.add_argument("--temperature", type=float, default=0.7)
    e.add_argument("--seed", type=int, default=0)
    e.add_argument("--seeds", type=_positive, default=1,
                   help="evaluate with N sampling seeds (--seed, --seed+1, ...) and report each seed's "
                        "accuracy with their mean, min and max: one seed's figure can be a lucky draw")
    e.add_argument("--out", default=None, help="per-item results (JSONL, the first seed's)")
    e.add_argument("--adaptive", action="store_true",
                   help="draw the k-1 samples only when the greedy candidate does not solve (the fast "
                        "rule; the embedded backend draws 32 and ranks them by default, as --k 32 does here)")
    e.add_argument("--repair-rounds", type=int, default=None, choices=range(0, 5), metavar="{0..4}",
                   help="rounds of text-guided repairs (default: the backend's, 2; 0 = none): measures what "
                        "a round costs and brings")
    e.add_argument("--escalate", type=int, default=None, metavar="N",
                   help="samples drawn again when the text finds the first pick wrong (default: the "
                        "backend's, 32; 0 = one draw only): measures what drawing again brings")
    e.add_argument("--json", action="store_true")
    e.set_defaults(func=_eval)

    pt = tsub.add_parser("pointer", help="train the pointer formalizer (frozen MiniLM encoder, our decoder)",
                         description="Encodes every record's text once with the frozen all-MiniLM-L6-v2 "
                                     "encoder (resumable shards under OUT/prepared), then trains the decoder "
                                     "that writes the compact language and points at numbers and names. "
                                     "The model lands in OUT/model (see docs/embedded.md).")
    pt.add_argument("--data", required=True, help="datagen records (text + formulation), JSONL file or directory")
    pt.add_argument("--eval-data", default=None, help="records for a held-out loss at the end")
    pt.add_argument("--out", required=True, help="output directory (prepared shards, checkpoint.pt, model/)")
    pt.add_argument("--spec", default=None,
                    help="pointer:layers=3,hidden=256,heads=4,ff=1024,adapter=1 (the default); add encoder=N "
                         "to train MiniLM's top N layers too (they ship with the model, about 3.5 MB each)")
    pt.add_argument("--encoder-lr-scale", type=float, default=None,
                    help="the tuned MiniLM layers learn at --lr times this (default 0.1)")
    pt.add_argument("--eval-every", type=int, default=None,
                    help="held-out loss and exact-sequence share every N steps, in OUT/metrics.jsonl")
    pt.add_argument("--device", default=None,
                    help="torch device for encoding and training (default: cuda when there is one, else cpu)")
    pt.add_argument("--epochs", type=float, default=None, help="passes over the data (default 4)")
    pt.add_argument("--batch-size", type=int, default=None, help="default 32")
    pt.add_argument("--lr", type=float, default=None, help="peak learning rate (default 1e-3)")
    pt.add_argument("--warmup-steps", type=int, default=None)
    pt.add_argument("--max-minutes", type=float, default=None,
                    help="wall-clock budget; the cosine decay is re-planned to end with it")
    pt.add_argument("--resume", action="store_true", help="continue from OUT/checkpoint.pt")
    pt.add_argument("--init", default=None,
                    help="start from a trained pointer model (for example optsolve/embedded/model): matching "
                         "weights are copied, added adapter layers start as identities, its vocabulary is used")
    pt.add_argument("--seed", type=int, default=0)
    pt.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    pt.add_argument("--workers", type=int, default=None,
                    help="processes preparing the encoder states side by side (default 1; a GPU machine's "
                         "cores make the preparation minutes shorter)")
    pt.add_argument("--json", action="store_true")
    pt.set_defaults(func=_pointer)

    pd = tsub.add_parser("pointer-dpo", help="DPO of a pointer formalizer from its own solver-checked mistakes")
    pd.add_argument("--model", required=True, help="a pointer model directory (OUT/model of `train pointer`)")
    pd.add_argument("--data", required=True, help="training records (text + formulation) to sample on")
    pd.add_argument("--out", required=True)
    pd.add_argument("--records", type=int, default=300, help="records sampled (evenly spaced)")
    pd.add_argument("--k", type=int, default=4, help="samples per record")
    pd.add_argument("--temperature", type=float, default=1.0)
    pd.add_argument("--beta", type=float, default=0.1)
    pd.add_argument("--sft-weight", type=float, default=1.0,
                    help="weight of the gold sequences' NLL added to the DPO loss (0: plain DPO)")
    pd.add_argument("--level", choices=["sequence", "step"], default="sequence",
                    help="sequence: whole gold vs whole sample; step: only the first step where the sample "
                         "leaves the gold (Step-DPO)")
    pd.add_argument("--lr", type=float, default=5e-5)
    pd.add_argument("--epochs", type=float, default=1.0)
    pd.add_argument("--batch-size", type=int, default=8)
    pd.add_argument("--max-minutes", type=float, default=None)
    pd.add_argument("--seed", type=int, default=0)
    pd.add_argument("--threads", type=int, default=None)
    pd.add_argument("--json", action="store_true")
    pd.set_defaults(func=_pointer_dpo)

    vf = tsub.add_parser("verifier", help="train a verifier that ranks a pointer model's candidates",
                         description="Draw candidates from a pointer model on training records (the greedy one "
                                     "and --samples samples), mark each right or wrong with the solver, and "
                                     "train a verifier on them that ranks the candidates at inference. "
                                     "Candidates are kept in OUT/candidates.jsonl (an interrupted draw resumes).")
    vf.add_argument("--model", default=None, help="pointer model directory (default: the shipped one)")
    vf.add_argument("--data", required=True, help="records (text + formulation) the model was not trained on")
    vf.add_argument("--eval-data", default=None, help="held-out records: the verifier's pick accuracy on them")
    vf.add_argument("--out", required=True)
    vf.add_argument("--records", type=int, default=None, help="use this many records (evenly spaced)")
    vf.add_argument("--samples", type=int, default=15, help="samples per record besides the greedy one")
    vf.add_argument("--temperature", type=float, default=0.7)
    vf.add_argument("--epochs", type=float, default=2.0)
    vf.add_argument("--lr", type=float, default=5e-4, help="learning rate of the decoder copy (the heads: 6x)")
    vf.add_argument("--texts-per-batch", type=int, default=8)
    vf.add_argument("--max-minutes", type=float, default=None)
    vf.add_argument("--seed", type=int, default=0)
    vf.add_argument("--threads", type=int, default=None)
    vf.add_argument("--install", action="store_true", help="copy the verifier beside the model it ranks")
    vf.add_argument("--json", action="store_true")
    vf.set_defaults(func=_verifier)

    from optsolve.paths import nl4opt_dir

    sl = tsub.add_parser(
        "self-label", help="label tagged texts that have no formulation: sample, check against their entity "
                           "tags, vote (NER-verified self-training data)",
        description="Samples --k candidates per tagged text, keeps those that solve and agree with the "
                    "text's entity tags (objective sense, every tagged number used in its role, variable "
                    "and constraint counts), and labels the text with the most-voted one. --calibrate "
                    "runs the same filter on the NL4Opt dev split and reports its precision against the "
                    "gold optima instead of writing labels.")
    sl.add_argument("--model", default=None,
                    help="a formalizer model directory (default: the shipped one), or with --backend the "
                         "backend's model name")
    sl.add_argument("--backend", default=None,
                    help="sample an LLM backend instead (openai, vllm, transformers...; as `optsolve --backend`)")
    sl.add_argument("--base-url", default=None, help="the OpenAI-compatible endpoint, with --backend openai")
    sl.add_argument("--texts", default=str(nl4opt_dir() / "ner_train.txt"),
                    help="CoNLL NER file of tagged texts (default: NL4Opt's 713 training texts)")
    sl.add_argument("--out", default=None, help="records JSONL to write (text, formulation)")
    sl.add_argument("--calibrate", action="store_true", help="measure the filter on the dev split instead")
    sl.add_argument("--dev", default=None, help="NL4Opt generation file for --calibrate (default: dev)")
    sl.add_argument("--k", type=int, default=16, help="samples per text")
    sl.add_argument("--temperature", type=float, default=1.0)
    sl.add_argument("--min-votes", type=int, default=2, help="agreeing candidates needed to label a text")
    sl.add_argument("--limit", type=int, default=None, help="first N texts only")
    sl.add_argument("--seed", type=int, default=0)
    sl.add_argument("--json", action="store_true")
    sl.set_defaults(func=_self_label)

    from optsolve.paths import nl4opt_train_labels

    an = tsub.add_parser(
        "annotations", help="the annotated NL4Opt training texts (data/nl4opt_train_labels.txt) as records",
        description="Builds every annotation of NL4Opt's training texts into a Formulation v1 record, solves "
                    "it and checks it against the text's entity tags; writes the records that solve "
                    "(--strict: only those no tag check flags), optionally keeps --held-out of them apart "
                    "and mixes the rest with synthetic records (--mix) for continued training.")
    an.add_argument("--labels", default=str(nl4opt_train_labels()), help="the label file")
    an.add_argument("--texts", default=str(nl4opt_dir() / "ner_train.txt"),
                    help="the tagged texts the labels index (default: NL4Opt's ner_train.txt)")
    an.add_argument("--out", required=True, help="records JSONL to write (the training part)")
    an.add_argument("--strict", action="store_true", help="only labels that no tag check flags")
    an.add_argument("--held-out", type=int, default=0, help="records kept out of --out (seeded draw)")
    an.add_argument("--held-out-file", default=None, help="where they go (default: OUT_held_out.jsonl)")
    an.add_argument("--mix", default=None, help="synthetic records to mix in (e.g. records_train.jsonl)")
    an.add_argument("--mix-n", type=int, default=8000, help="synthetic records drawn from --mix")
    an.add_argument("--repeat", type=int, default=6, help="copies of each annotated record with --mix")
    an.add_argument("--augment", type=int, default=0,
                    help="up to N siblings of each training text with other numbers (solved, checked)")
    an.add_argument("--collide", type=_share, default=0.0,
                    help="with --augment: the share of siblings in which two whole numbers share a value")
    an.add_argument("--authored", default=None,
                    help="a file of problems written for training (text and label; e.g. data/authored_train.txt), "
                         "added to the training part, never held out")
    an.add_argument("--reorder", type=int, default=0,
                    help="up to N siblings of each training text with its middle sentences in another order "
                         "(the same model; first and last sentence stay)")
    an.add_argument("--seed", type=int, default=0)
    an.add_argument("--json", action="store_true")
    an.set_defaults(func=_annotations)

    m = tsub.add_parser("embedded", help="regenerate the data and retrain the shipped embedded model")
    m.add_argument("--work", default="runs/embedded")
    m.add_argument("--n-per-family", type=int, default=3000)
    m.add_argument("--arch", default=None, choices=["pointer", "llama"],
                   help="pointer (default, shipped): frozen all-MiniLM-L6-v2 + pointer decoder; llama: the "
                        "from-scratch causal LM on TRL (the earlier default; implied by --spec)")
    m.add_argument("--spec", default=None, help="llama: the fresh-model spec")
    m.add_argument("--pointer-spec", default=None, help="pointer: pointer:layers=3,hidden=256,...")
    m.add_argument("--pointer-minutes", type=float, default=None, help="pointer: SFT wall-clock budget (80)")
    m.add_argument("--nl4opt-labels", default=None,
                   help="annotated stage: the label file (default data/nl4opt_train_labels.txt)")
    m.add_argument("--nl4opt-texts", default=None, help="the tagged texts they index (default ner_train.txt)")
    m.add_argument("--annotated-minutes", type=float, default=None, help="annotated stage: budget (35)")
    m.add_argument("--annotated-repeat", type=int, default=None, help="copies of each annotated record (6)")
    m.add_argument("--annotated-synthetic", type=int, default=None, help="synthetic records mixed in (8000)")
    m.add_argument("--annotated-augment", type=int, default=None,
                   help="number-perturbed siblings of each annotated text (0)")
    m.add_argument("--annotated-collide", type=_share, default=None,
                   help="share of siblings where two numbers share a value (0)")
    m.add_argument("--annotated-held-out", type=int, default=None, help="annotated texts kept out (80)")
    m.add_argument("--sft-minutes", type=float, default=85.0)
    m.add_argument("--dpo-records", type=int, default=150)
    m.add_argument("--eval-items", type=int, default=None, help="validation items that choose SFT or DPO (100)")
    m.add_argument("--seed", type=int, default=0)
    m.add_argument("--stages", default=",".join(STAGES),
                   help=f"comma-separated steps to run (default all: {','.join(STAGES)}); e.g. data,sft on a "
                        "GPU machine, then dpo,eval here")
    m.add_argument("--batch-size", type=int, default=None, help="SFT batch size (default 16)")
    m.add_argument("--lr", type=float, default=None, help="SFT peak learning rate (default 3e-3)")
    m.add_argument("--sft-epochs", type=float, default=None)
    m.add_argument("--warmup-steps", type=int, default=None)
    m.add_argument("--max-length", type=int, default=None, help="longest training row in tokens (default 320)")
    m.add_argument("--workers", type=int, default=1, help="processes for data generation and preparation")
    m.add_argument("--max-held-out", type=int, default=None,
                   help="write at most this many validation and test records")
    m.add_argument("--install", action="store_true", help="copy the result into optsolve/embedded/model")
    m.add_argument("--variety", nargs="?", type=_share, const=1.0, default=0.0, metavar="SHARE",
                   help="draw the word families' extra phrasings into this share of the training records "
                        "(0 to 1; alone: 1, every record; same families, templates and split plan; "
                        "`optsolve datagen` evaluation sets are unaffected)")
    m.add_argument("--texts", type=int, choices=TEXT_VERSIONS, default=TEXTS,
                   help=f"version of the records' texts (default {TEXTS}; 1: the data the shipped model was "
                        "trained on, see `optsolve datagen --texts`)")
    m.add_argument("--fresh", action="store_true", help="redo every step even when its output exists")
    m.add_argument("--json", action="store_true")
    m.set_defaults(func=_embedded)
