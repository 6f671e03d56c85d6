"""``optsolve run`` (the default: ``optsolve "text"``), ``optsolve plan`` and ``optsolve bench``."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from optsolve.errors import EXIT_FORMALIZE, EXIT_OK, InputError, OptsolveError
from optsolve.paths import nl4opt_dir

BACKEND_HELP = "LLM backend: embedded (default), openai, vllm, transformers, scripted"


def _add_llm_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("formalizer")
    g.add_argument("--backend", help=BACKEND_HELP + " (env OPTSOLVE_BACKEND)")
    g.add_argument("--model", help="model name, local path, or (scripted) replies file (env OPTSOLVE_MODEL)")
    g.add_argument("--base-url", help="OpenAI-compatible server, e.g. http://127.0.0.1:8000/v1 "
                                      "(env OPTSOLVE_BASE_URL)")
    g.add_argument("--samples", type=int, default=1, metavar="N",
                   help="draw N formulations and vote on the objective (self-consistency)")
    g.add_argument("--max-attempts", type=int, default=3, metavar="K",
                   help="rounds of self-correction per sample (default 3)")
    g.add_argument("--temperature", type=float, default=0.0,
                   help="sampling temperature (0.7 is used when --samples > 1 and this is 0)")
    g.add_argument("--seed", type=int, default=0)
    g.add_argument("--mode", choices=["formulation", "code"], default="formulation",
                   help="formulation (Formulation v1 JSON, default) or code (a Pyomo script run in a sandbox)")
    g.add_argument("--time-limit", type=float, default=None, metavar="S", help="solver time limit in seconds")
    g.add_argument("--solver", help="force a solver backend (highs, cpsat, scip, z3, ...)")
    g.add_argument("--llm-timeout", type=float, default=None, metavar="S",
                   help="seconds to wait for each LLM answer (env OPTSOLVE_LLM_TIMEOUT); for the embedded model, "
                        "the time bound of its draw of candidates (default 6: a slower machine ranks fewer)")


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    epilog = ('Examples:\n  optsolve "A bakery makes bread and cakes ... maximize profit."\n'
              "  optsolve run --file problem.txt --samples 3 --json\n"
              "  echo 'Maximize ...' | optsolve run -\n"
              "Exit codes: 0 solved, 2 bad input, 3 infeasible/unbounded, 4 solver failure, "
              "5 formalizer/LLM failure, 6 sandbox failure.")
    r = sub.add_parser("run", help="formalize a problem written in plain language and solve it (default)",
                       description="Formalize a problem statement into Formulation v1 with an LLM, "
                                   "check it by compiling and solving, repair it on errors, and print the "
                                   "model and the solution.", epilog=epilog,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    _add_text_args(r)
    _add_llm_options(r)
    r.add_argument("--json", action="store_true",
                   help="print the result as JSON (the spec's result plus formulation and attempts)")
    r.add_argument("--quiet", "-q", action="store_true", help="no progress messages on stderr")
    r.set_defaults(func=_run)

    p = sub.add_parser("plan", help="formalize a problem into Formulation v1 without solving it",
                       description="Print the formulation (compile-checked, not solved) and the solver route.")
    _add_text_args(p)
    _add_llm_options(p)
    p.add_argument("--json", action="store_true", help="print the formulation as JSON")
    p.add_argument("--quiet", "-q", action="store_true")
    p.set_defaults(func=_plan)

    b = sub.add_parser("bench", help="formalize and solve every item of a JSONL benchmark and score it",
                       description="Reads question/en_question/Question and answer/en_answer/Answer; prints "
                                   "strict accuracy (|pred-gt| <= 1e-4*max(1,|gt|)), 5%% accuracy, execution "
                                   "rate, mean attempts and latency p50/p95.",
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    b.add_argument("file", nargs="?", help="benchmark JSONL")
    b.add_argument("--limit", type=int, default=None, metavar="N", help="only the first N items")
    b.add_argument("--out", help="write one JSON line per item here")
    b.add_argument("--nl4opt-dev", nargs="?", const=str(nl4opt_dir() / "generation_dev.jsonl"),
                   metavar="PATH", help="bench on NL4Opt generation dev (optima computed from its gold "
                                        "structure); PATH defaults to the shared copy")
    b.add_argument("--export", metavar="OUT.jsonl",
                   help="with --nl4opt-dev: write the converted bench file (question, answer) and exit")
    b.add_argument("--json", action="store_true", help="print the summary as JSON")
    b.add_argument("--no-progress", action="store_true")
    _add_llm_options(b)
    b.set_defaults(func=_bench)


def _add_text_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("text", nargs="?", help="the problem statement, or - to read standard input")
    p.add_argument("--file", "-f", help="read the problem statement from a file (- for standard input)")


def _read_text(args: argparse.Namespace) -> str:
    if args.file and args.text:
        raise InputError("give the problem as TEXT or with --file, not both")
    src = args.file if args.file else args.text
    if src == "-":
        return sys.stdin.read()
    if args.file:
        path = Path(args.file)
        if not path.is_file():
            raise InputError(f"no such file: {args.file}", hint="check the path")
        try:
            return path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            raise InputError(f"{args.file} is not UTF-8 text") from None
    return src or ""


def _options(args: argparse.Namespace) -> Any:
    from optsolve.formalize import FormalizeOptions

    try:
        return FormalizeOptions(backend=args.backend, model=args.model, base_url=args.base_url,
                                samples=args.samples, max_attempts=args.max_attempts,
                                temperature=args.temperature, mode=args.mode, time_limit=args.time_limit,
                                seed=args.seed, solver=args.solver, llm_timeout=args.llm_timeout)
    except ValueError as exc:  # pydantic's ValidationError is a ValueError
        first = exc.errors()[0] if hasattr(exc, "errors") else {"loc": ("?",), "msg": str(exc)}
        raise InputError(f"bad option --{str(first['loc'][0]).replace('_', '-')}: {first['msg']}") from None


def _event_printer(args: argparse.Namespace) -> Any:
    if getattr(args, "quiet", False):
        return None

    def show(ev: Any) -> None:
        if ev.kind in ("formalizing", "attempt"):
            print(f"optsolve: {ev.message}", file=sys.stderr)

    return show


def _print_attempts_on_failure(err: OptsolveError) -> None:
    attempts = getattr(err, "attempts", None) or []
    for a in attempts:
        msg = (a.error or {}).get("message", "") if hasattr(a, "error") else ""
        print(f"  attempt {a.index + 1} (sample {a.sample + 1}): {a.status}: {msg}", file=sys.stderr)


def _run(args: argparse.Namespace) -> int:
    from rich.console import Console

    from optsolve.cli.render import exit_code_for_status, render_formulation, render_result
    from optsolve.errors import FormalizeError
    from optsolve.formalize import formalize
    from optsolve.formalize.integrality import integrality_note, whole_number_note
    from optsolve.formulation import load_formulation

    text = _read_text(args)
    try:
        res = formalize(text, _options(args), on_event=_event_printer(args))
    except FormalizeError as err:
        if not args.json:
            _print_attempts_on_failure(err)
        raise
    if args.json:
        print(json.dumps(res.to_json_dict(), indent=2))
    else:
        console = Console()
        if res.formulation is not None:
            render_formulation(load_formulation(res.formulation), console)
        elif res.script is not None:
            console.print("[bold]Script[/bold] (code mode, run in the sandbox)")
            console.print(res.script, markup=False, highlight=False)
        if res.result is not None:
            render_result(res.result, console)
        # the embedded formalizer solves counts the text does not call whole as fractions: show the
        # whole-number optimum; another formalizer declares its own domains: show the fractional one
        other_reading = whole_number_note if res.backend == "embedded" else integrality_note
        note = other_reading(text, res.formulation, res.result.objective if res.result is not None
                             and res.result.status.value == "optimal" else None, args.time_limit)
        if note:
            print(note, file=sys.stderr)
        console.print(f"Confidence: {res.confidence:.2f} ({agreement_words(res.agreement, res.confidence, args.samples)}); "
                      f"attempts: {len(res.attempts)}; formalizer: {res.backend}", markup=False)
        if res.backend == "embedded":
            print(EMBEDDED_CAVEAT, file=sys.stderr)
        low = low_agreement(res.agreement)
        if low:
            print(low, file=sys.stderr)
    if res.result is None:
        return EXIT_FORMALIZE
    return exit_code_for_status(res.result.status, bool(res.result.variables))


def agreement_words(agreement: dict[str, Any] | None, confidence: float, samples: int) -> str:
    """"14/32 candidates agree" or "2/3 sample(s) agree": what the confidence counts."""
    if agreement:
        what = "candidates" if agreement.get("basis") == "candidates" else "sample(s)"
        if what == "candidates" and agreement["votes"] == 0:
            return f"0/{agreement['of']} candidates agree: one of them rewritten from the text"
        return f"{agreement['votes']}/{agreement['of']} {what} agree"
    n = max(1, samples)
    return f"{round(confidence * n)}/{n} sample(s) agree"


def low_agreement(agreement: dict[str, Any] | None) -> str | None:
    """A warning when fewer than a quarter of a self-voting backend's candidates reach the answer. On
    the embedded model's held-out problems (datagen test split, text version 2, and NL4Opt dev, seed 0,
    32 candidates, session 16's rules) such answers were right 56 times in 79, against 32 of 34 where
    three quarters or more agree; answers no drawn candidate reaches (rewritten from the text) 30 times
    in 56 (docs/formalize.md)."""
    if not agreement or agreement.get("basis") != "candidates" or agreement["votes"] * 4 >= agreement["of"]:
        return None
    if agreement["votes"] == 0:
        return (f"optsolve: warning: low agreement: none of the {agreement['of']} candidates drawn reach this "
                "optimum; the formulation shown is one of them rewritten where the text's sentences contradict "
                "or complete it (such answers were right 30 times in 56 on held-out problems): check it")
    return (f"optsolve: warning: low agreement: only {agreement['votes']} of the {agreement['of']} candidates "
            "reach this optimum (such answers were right 56 times in 79 on held-out problems): check it")


#: said after every readable answer of the embedded model, whose measured accuracy is far below its goal
EMBEDDED_CAVEAT = (
    "optsolve: note: this answer comes from the small offline model (about 96% right on held-out "
    "synthetic problems and 68% on NL4Opt dev, "
    "docs/embedded.md): check the formulation above, or configure a larger model, e.g. "
    "`--backend openai --base-url http://HOST:PORT/v1 --model NAME`")


def _plan(args: argparse.Namespace) -> int:
    from rich.console import Console

    from optsolve.cli.render import render_formulation
    from optsolve.errors import FormalizeError
    from optsolve.formalize import formalize
    from optsolve.formulation import load_formulation

    text = _read_text(args)
    try:
        res = formalize(text, _options(args), solve=False, on_event=_event_printer(args))
    except FormalizeError as err:
        if not args.json:
            _print_attempts_on_failure(err)
        raise
    if args.json:
        print(json.dumps({"formulation": res.formulation, "route": res.route, "backend": res.backend,
                          "attempts": [a.model_dump(mode="json") for a in res.attempts]}, indent=2))
    else:
        console = Console()
        if res.formulation is not None:
            render_formulation(load_formulation(res.formulation), console)
        elif res.script is not None:
            console.print(res.script, markup=False, highlight=False)
        console.print(f"Solver route: {res.route}; attempts: {len(res.attempts)}; formalizer: {res.backend}",
                      markup=False)
    return EXIT_OK


def _bench(args: argparse.Namespace) -> int:
    from optsolve.formalize import bench, nl4opt
    from optsolve.formalize.backends import make_backend, resolve_config

    if args.nl4opt_dev:
        if args.export:
            counts = nl4opt.write_bench_file(args.export, args.nl4opt_dev)
            kept = sum(v for k, v in counts.items() if k in ("optimal",))
            print(f"wrote {kept} items to {args.export} (gold statuses: {counts}; items without a finite "
                  "gold optimum are left out)", file=sys.stderr)
            return EXIT_OK
        items = [{"index": i, "question": r["question"], "answer": r["answer"]}
                 for i, r in enumerate(x for x in nl4opt.bench_items(args.nl4opt_dev) if x["answer"] is not None)]
        if args.limit is not None:
            items = items[: args.limit]
        source = f"NL4Opt dev ({args.nl4opt_dev})"
    elif args.file:
        items = bench.read_items(args.file, args.limit)
        source = args.file
    else:
        raise InputError("no benchmark given", hint="pass FILE.jsonl, or --nl4opt-dev")
    if not items:
        raise InputError(f"{source} has no items")
    opts = _options(args)
    backend = make_backend(resolve_config(opts.backend, opts.model, opts.base_url, timeout=opts.llm_timeout))
    try:
        summary = bench.run_bench(items, opts, backend, out=args.out,
                                  progress=False if args.no_progress else None)
    finally:
        backend.close()
    summary.pop("rows")
    summary.update(source=source, backend=backend.name, samples=opts.samples, max_attempts=opts.max_attempts)
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        print(f"bench {source}: {summary['items']} items, backend {backend.name}, samples {opts.samples}, "
              f"max attempts {opts.max_attempts}")
        print(f"  accuracy (strict, 1e-4 rel): {summary['accuracy']:.1%}")
        print(f"  accuracy (5% rule):          {summary['accuracy_5pct']:.1%}")
        print(f"  execution rate:              {summary['execution_rate']:.1%}")
        print(f"  mean attempts:               {summary['mean_attempts']:.2f}")
        print(f"  latency p50 / p95:           {summary['latency_p50']:.3f} s / {summary['latency_p95']:.3f} s")
        if args.out:
            print(f"  per-item results: {args.out}")
    return EXIT_OK
