"""``optsolve datagen``: synthesize verified (text, formulation, optimum) data; ``datagen report DIR``."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from optsolve.datagen.base import TEXT_VERSIONS, TEXTS
from optsolve.errors import DatagenError


def _csv(value: str) -> list[str]:
    return [s.strip() for s in value.split(",") if s.strip()]


def register(sub: Any) -> None:
    p = sub.add_parser(
        "datagen",
        help="synthesize solver-verified training data (records, SFT, DPO, ranked lists)",
        description=(
            "Generate problem instances from the seed families, solve each one (ground truth), optionally "
            "re-formalize the text and keep only agreeing pairs, and write JSONL shards plus TRL / "
            "LLaMA-Factory exports. Runs are resumable: rerun the same command after an interruption."),
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=("Examples:\n"
                "  optsolve datagen --n 2000 --out data/\n"
                "  optsolve datagen --families product_mix,diet --n 500 --workers 2 --out data/ --parquet\n"
                "  optsolve datagen --n 10000 --engine ray --address 10.0.0.5:6379 --out /shared/data\n"
                "  optsolve datagen report data/ --plot"),
    )
    p.add_argument("--families", default="all", help="comma-separated family names, or 'all' (default)")
    p.add_argument("--list-families", action="store_true", help="list the known families and exit")
    p.add_argument("--n", type=int, default=100, help="instances to generate (default 100); dropped, failed and duplicate ones are "
                        "counted, not replaced")
    p.add_argument("--out", type=Path, help="output directory (required to generate)")
    p.add_argument("--workers", type=int, default=None,
                   help="worker processes (default: CPU count; 0 = run in this process)")
    p.add_argument("--engine", choices=("local", "ray"), default="local")
    p.add_argument("--address", default=None, help="Ray cluster address to join (with --engine ray)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--levels", default="easy,medium,hard", help="comma-separated subset of easy,medium,hard")
    p.add_argument("--time-limit", type=float, default=10.0, help="solver time limit per solve, seconds")
    p.add_argument("--keep-invalid", action="store_true",
                   help="keep infeasible / unbounded / over-time instances (with their status)")
    p.add_argument("--formalizer", default=None, metavar="BACKEND",
                   help="re-formalize each text with this backend (embedded, openai, vllm, transformers, "
                        "scripted) and keep only pairs whose optimum matches; the others form the hard split")
    p.add_argument("--formalizer-model", default=None)
    p.add_argument("--formalizer-base-url", default=None)
    p.add_argument("--formalizer-samples", type=int, default=1,
                   help="self-consistency samples per text; every sample the solver shows wrong becomes a "
                        "model-sampled rejected answer")
    p.add_argument("--rejected", type=int, default=3,
                   help="solver-verified wrong formulations per instance for DPO / ranked lists (default 3)")
    p.add_argument("--chunk-size", type=int, default=50, help="instances per shard (default 50)")
    p.add_argument("--parquet", action="store_true", help="also write the exports as Parquet")
    p.add_argument("--curriculum", action="store_true",
                   help="order the train exports from easy to hard (level, then complexity)")
    p.add_argument("--split-by", default="family,template", help="hold out by: family,template (default)")
    p.add_argument("--val-frac", type=float, default=0.1)
    p.add_argument("--test-frac", type=float, default=0.1)
    p.add_argument("--test-families", default="", help="comma-separated families held out for test")
    p.add_argument("--val-families", default="", help="comma-separated families held out for validation")
    p.add_argument("--split-seed", type=int, default=0, help="seed of the held-out family/template choice")
    p.add_argument("--dedup-threshold", type=float, default=0.8,
                   help="Jaccard of word 3-shingles above which two texts are near duplicates")
    p.add_argument("--contamination-threshold", type=float, default=0.5,
                   help="Jaccard above which a text counts as a near repeat of an NL4Opt text")
    p.add_argument("--reference-dir", type=Path, default=None,
                   help="NL4Opt texts for the contamination check (default ../shared/data/nl4opt)")
    p.add_argument("--family-module", action="append", default=[], metavar="MODULE",
                   help="import MODULE (in every worker) to register extra families; repeatable")
    p.add_argument("--solver", default=None, help="force a solver backend for every solve")
    p.add_argument("--texts", type=int, choices=TEXT_VERSIONS, default=TEXTS,
                   help=f"version of the texts (default {TEXTS}): 2 says in every word problem with integer gold "
                        "that the quantities are whole numbers; 1 draws the texts of runs made before "
                        "(the shipped embedded model's data), e.g. to resume such a run")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--json", action="store_true", help="print the final manifest summary as JSON")
    p.set_defaults(func=_run)

    dsub = p.add_subparsers(dest="datagen_action", metavar="ACTION")
    r = dsub.add_parser("report", help="summarise a datagen output directory",
                        description="Counts per family and level, distinct-text ratio, verified rate, "
                                    "complexity and solve-time distributions.")
    r.add_argument("dir", type=Path, help="a datagen output directory (holding manifest.json)")
    r.add_argument("--plot", action="store_true", help="also write PNG charts")
    r.add_argument("--plot-dir", type=Path, default=None, help="where the PNGs go (default DIR/report)")
    r.add_argument("--json", action="store_true", help="print the report as JSON")
    r.set_defaults(func=_report)


def _run(args: argparse.Namespace) -> int:
    from optsolve.datagen.engine import DatagenConfig, known_families, resolve_families, run_datagen

    if args.list_families:
        resolve_families([], args.family_module)
        for name, fam in sorted(known_families().items()):
            print(f"{name:28s} {getattr(fam, 'kind', ''):8s} {getattr(fam, 'description', '')}")
        return 0
    if args.out is None:
        raise DatagenError("datagen needs an output directory", hint="add --out DIR")
    workers = args.workers if args.workers is not None else (os.cpu_count() or 1)
    cfg = DatagenConfig(
        out=args.out, families=_csv(args.families), n=args.n, levels=_csv(args.levels), seed=args.seed,
        workers=workers, engine=args.engine, address=args.address, time_limit=args.time_limit,
        keep_invalid=args.keep_invalid, formalizer=args.formalizer, formalizer_model=args.formalizer_model,
        formalizer_base_url=args.formalizer_base_url,
        formalizer_samples=args.formalizer_samples, rejected=args.rejected, chunk_size=args.chunk_size,
        parquet=args.parquet, curriculum=args.curriculum, split_by=_csv(args.split_by),
        val_frac=args.val_frac, test_frac=args.test_frac, test_families=_csv(args.test_families),
        val_families=_csv(args.val_families), split_seed=args.split_seed,
        dedup_threshold=args.dedup_threshold, contamination_threshold=args.contamination_threshold,
        reference_dir=args.reference_dir, family_modules=list(args.family_module), solver=args.solver,
        texts=args.texts,
        progress=not args.no_progress and sys.stderr.isatty(),
    )
    summary = run_datagen(cfg)
    m = summary.manifest
    if args.json:
        import json
        print(json.dumps({k: v for k, v in m.items() if k != "files"}, indent=2))
        return 0
    counts = m.get("splits", {}).get("counts", {})
    print(f"datagen: {cfg.n} instances in {summary.seconds:.1f}s "
          f"({summary.chunks_run} chunks run, {summary.chunks_skipped} resumed) -> {cfg.out}")
    print(f"  outcomes: {m.get('outcomes')}  dropped: {m.get('dropped')}  generator errors: {m.get('errors')}")
    print(f"  dedup removed {m['dedup']['exact']} exact + {m['dedup']['near']} near duplicates; "
          f"contamination removed {m['contamination']['exact'] + m['contamination']['near']}")
    for split, c in counts.items():
        print(f"  {split:10s} records {c['records']:6d}  sft {c['sft']:6d}  dpo {c['dpo']:6d}  "
              f"ranked {c['ranked']:6d}")
    fm = m.get("forward_modeling", {})
    if not fm.get("enabled"):
        print(f"  note: {fm.get('note')}")
    return 0


def _report(args: argparse.Namespace) -> int:
    from optsolve.datagen.report import build_report, plot_report, print_report

    rep = build_report(args.dir)
    if args.json:
        import json
        print(json.dumps({k: v for k, v in rep.items() if not k.startswith("_")}, indent=2))
    else:
        print_report(rep)
    if args.plot:
        paths = plot_report(rep, args.plot_dir or args.dir / "report")
        for p in paths:
            print(f"wrote {p}", file=sys.stderr if args.json else sys.stdout)
    return 0
