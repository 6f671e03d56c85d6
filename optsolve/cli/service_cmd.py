"""``optsolve serve`` (the gRPC server) and ``optsolve client plan|solve`` (its command-line client)."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from optsolve.errors import EXIT_OK, InputError


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    s = sub.add_parser(
        "serve", help="run the gRPC service (Plan, Solve, SolveStream)",
        description="Serve optsolve over gRPC: Plan, Solve and SolveStream, plus health and reflection.\n"
                    "Solves run in a pool of worker processes; a cancelled or overdue request has its\n"
                    "worker killed. SIGTERM shuts down gracefully. Logs are JSON lines on stderr.",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    s.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    s.add_argument("--port", type=int, default=50051, help="port (default 50051; 0 picks a free one)")
    s.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                   help="solver worker processes (default: CPU count)")
    s.add_argument("--solver-threads", type=int, default=None,
                   help="threads per solve (default: CPU count / workers, at least 1)")
    s.add_argument("--max-concurrent", type=int, default=64,
                   help="requests served at once; more answer RESOURCE_EXHAUSTED (default 64)")
    s.add_argument("--max-message-bytes", type=int, default=4 * 1024 * 1024,
                   help="largest request accepted (default 4 MiB)")
    s.add_argument("--max-time-limit", type=float, default=300.0,
                   help="upper bound on any solve's time limit, in seconds (default 300)")
    s.add_argument("--grace", type=float, default=10.0,
                   help="seconds in-flight requests get to finish on SIGTERM (default 10)")
    s.add_argument("--token-file", help="file of accepted bearer tokens, one per line (also: OPTSOLVE_TOKEN)")
    s.add_argument("--tls-cert", help="PEM certificate chain: serve TLS")
    s.add_argument("--tls-key", help="PEM private key for --tls-cert")
    s.add_argument("--insecure", action="store_true",
                   help="allow a non-loopback --host without a token")
    s.add_argument("--backend", help="formalizer backend (embedded, openai, vllm, transformers, scripted)")
    s.add_argument("--model", help="formalizer model name or path")
    s.add_argument("--base-url", help="OpenAI-compatible endpoint for --backend openai")
    s.add_argument("--samples", type=int, default=1, help="default formalizer samples (default 1)")
    s.add_argument("--max-attempts", type=int, default=3, help="default self-correction attempts (default 3)")
    s.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])
    s.set_defaults(func=_serve)

    c = sub.add_parser("client", help="call a running optsolve server",
                       description="Call `optsolve serve`; the output is the same as the local commands'.")
    csub = c.add_subparsers(dest="client_command", metavar="COMMAND")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--target", default=os.environ.get("OPTSOLVE_TARGET", "127.0.0.1:50051"),
                        help="server host:port (default $OPTSOLVE_TARGET or 127.0.0.1:50051)")
    common.add_argument("--token", default=None, help="bearer token (default $OPTSOLVE_TOKEN)")
    common.add_argument("--tls-ca", help="CA certificate (PEM) to verify the server: use TLS")
    common.add_argument("--tls", action="store_true", help="use TLS with the system's CA certificates")
    common.add_argument("--timeout", type=float, default=None, help="deadline of the call in seconds")
    common.add_argument("--json", action="store_true", help="print JSON")
    common.add_argument("--quiet", "-q", action="store_true", help="no progress messages on stderr")
    common.add_argument("--file", help="read the problem text from a file")
    common.add_argument("--samples", type=int, default=0)
    common.add_argument("--max-attempts", type=int, default=0)
    common.add_argument("--seed", type=int, default=None)

    cp = csub.add_parser("plan", parents=[common], help="formalize a problem on the server, solve nothing")
    cp.add_argument("text", nargs="?", help="the problem in plain language (or --file, or stdin with -)")
    cp.set_defaults(func=_client_plan)

    ch = csub.add_parser("health", parents=[common], help="the server's health status (SERVING...)")
    ch.add_argument("--service", default="", help="a service name (default: the whole server)")
    ch.set_defaults(func=_client_health)

    cs = csub.add_parser("solve", parents=[common], help="formalize (text) or take a formulation, and solve")
    cs.add_argument("text", nargs="?", help="the problem in plain language (or --file, or stdin with -)")
    cs.add_argument("--formulation", "-f", metavar="FILE",
                    help="a Formulation v1 file (JSON/YAML) to solve instead of text; - for stdin")
    cs.add_argument("--solver", help="force a backend: highs, cpsat, pysat, scip, z3, pyomo-highs")
    cs.add_argument("--time-limit", type=float, default=None, metavar="S")
    cs.add_argument("--no-explain", action="store_true", help="skip the infeasibility explanation")
    cs.add_argument("--stream", action="store_true", help="print progress events as they arrive (stderr)")
    cs.set_defaults(func=_client_solve)
    c.set_defaults(func=lambda args: (c.print_help(), 2)[1])


def _serve(args: argparse.Namespace) -> int:
    import asyncio

    from optsolve.service.logs import setup_logging
    from optsolve.service.server import ServerConfig, serve

    setup_logging(args.log_level)
    cfg = ServerConfig(
        host=args.host, port=args.port, workers=args.workers, max_concurrent=args.max_concurrent,
        max_message_bytes=args.max_message_bytes, grace=args.grace, token_file=args.token_file,
        tls_cert=args.tls_cert, tls_key=args.tls_key, insecure=args.insecure,
        max_time_limit=args.max_time_limit, backend=args.backend, model=args.model, base_url=args.base_url,
        samples=args.samples, max_attempts=args.max_attempts, solver_threads=args.solver_threads)

    def ready(addr: str) -> None:
        print(f"listening on {addr}", flush=True)

    asyncio.run(serve(cfg, on_ready=ready))
    return EXIT_OK


def _client(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    from optsolve.service.client import Client

    token = args.token or os.environ.get("OPTSOLVE_TOKEN") or None
    return Client(args.target, token=token, tls_ca=args.tls_ca, timeout=args.timeout, tls=args.tls or None)


def _read(path: str) -> str:
    if path == "-":
        return sys.stdin.read()
    p = Path(path)
    if not p.is_file():
        raise InputError(f"no such file: {path}", hint="check the path")
    try:
        return p.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise InputError(f"{path} is not UTF-8 text") from None


def _text(args: argparse.Namespace) -> str:
    if args.file:
        return _read(args.file)
    if args.text == "-" or (args.text is None and not sys.stdin.isatty()):
        return sys.stdin.read()
    if args.text is None:
        raise InputError("no problem given", hint="pass the text, --file FILE, or --formulation FILE")
    return str(args.text)


def _client_plan(args: argparse.Namespace) -> int:
    """The same output as ``optsolve plan``."""
    from rich.console import Console

    from optsolve.cli.render import render_formulation
    from optsolve.errors import FormalizeError
    from optsolve.formulation import load_formulation

    with _client(args) as client:
        try:
            out = client.plan(_text(args), samples=args.samples, max_attempts=args.max_attempts, seed=args.seed)
        except FormalizeError as err:
            if not args.json:
                _print_attempts_on_failure(err)
            raise
    if args.json:
        print(json.dumps(out.to_json_dict(), indent=2))
    else:
        console = Console()
        if out.formulation is not None:
            render_formulation(load_formulation(out.formulation), console)
        console.print(f"Solver route: {out.route}; attempts: {len(out.attempts)}; formalizer: {out.formalizer}",
                      markup=False)
    return EXIT_OK


def _client_health(args: argparse.Namespace) -> int:
    with _client(args) as client:
        status = client.health(args.service, timeout=args.timeout or 5.0)
    print(json.dumps({"status": status}) if args.json else status)
    return EXIT_OK if status == "SERVING" else 1


def _print_attempts_on_failure(err: Exception) -> None:
    for a in getattr(err, "attempts", None) or []:
        if isinstance(a, dict):
            msg = (a.get("error") or {}).get("message", "")
            print(f"  attempt {int(a.get('index', 0)) + 1} (sample {int(a.get('sample', 0)) + 1}): "
                  f"{a.get('status')}: {msg}", file=sys.stderr)


def _client_solve(args: argparse.Namespace) -> int:
    """The same output as ``optsolve solve FILE`` (formulation input) or ``optsolve run TEXT`` (text)."""
    from rich.console import Console

    from optsolve.cli.render import exit_code_for_status, render_formulation, render_result
    from optsolve.errors import EXIT_FORMALIZE, FormalizeError
    from optsolve.formulation import load_formulation
    from optsolve.service.client import ProgressEvent, RemoteSolve

    kw = {"time_limit": args.time_limit, "samples": args.samples, "solver": args.solver,
          "max_attempts": args.max_attempts, "explain": False if args.no_explain else None, "seed": args.seed}
    text_input = not args.formulation
    problem = {"text": _text(args)} if text_input else {"formulation": _read(args.formulation)}
    out: RemoteSolve | None = None
    with _client(args) as client:
        try:
            if args.stream or text_input:  # text: progress like the local command's
                for ev in client.solve_stream(**problem, **kw):  # type: ignore[arg-type]
                    if isinstance(ev, ProgressEvent):
                        if args.stream:
                            print(f"[{ev.elapsed:7.3f}s] {ev.kind}: {ev.message}", file=sys.stderr)
                        elif not args.quiet and ev.kind in ("formalizing", "attempt"):
                            print(f"optsolve: {ev.message}", file=sys.stderr)
                    else:
                        out = ev
            else:
                out = client.solve(**problem, **kw)  # type: ignore[arg-type]
        except FormalizeError as err:
            if not args.json:
                _print_attempts_on_failure(err)
            raise
    if out is None:
        return EXIT_FORMALIZE
    res = out.result
    if args.json:
        print(json.dumps(out.to_json_dict(), indent=2))
    else:
        console = Console()
        if text_input and out.formulation is not None:
            render_formulation(load_formulation(out.formulation), console)
        render_result(res, console)
        if text_input:
            from optsolve.cli.formalize_cmd import agreement_words, low_agreement

            n = len({a.get("sample", 0) for a in out.attempts}) or 1
            console.print(f"Confidence: {out.confidence:.2f} ({agreement_words(out.agreement, out.confidence, n)}); "
                          f"attempts: {len(out.attempts)}; formalizer: {out.formalizer}", markup=False)
            low = low_agreement(out.agreement)
            if low:
                print(low, file=sys.stderr)
    return exit_code_for_status(res.status, bool(res.variables))
