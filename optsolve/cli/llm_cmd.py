"""``optsolve llm-serve``: the formalizer's model behind an OpenAI-compatible HTTP endpoint."""

from __future__ import annotations

import argparse
import ipaddress
import signal
import sys
import threading

from optsolve.errors import EXIT_OK, ConfigError


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "llm-serve", help="serve the embedded model (or another backend) over the OpenAI chat protocol",
        description="Expose optsolve's offline model as an OpenAI-compatible /v1/chat/completions "
                    "endpoint, like `vllm serve` or llama.cpp's server. Then, elsewhere:\n"
                    "  optsolve run --backend openai --base-url http://127.0.0.1:PORT/v1 \"text\"",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8001, help="port; 0 picks a free one and prints it")
    p.add_argument("--backend", default="embedded", help="backend to serve (default: embedded)")
    p.add_argument("--model", help="model for that backend (path or name)")
    p.add_argument("--model-id", default="optsolve-embedded", help="model name reported to clients")
    p.add_argument("--insecure", action="store_true",
                   help="allow a non-loopback address (this endpoint has no authentication)")
    p.add_argument("--verbose", action="store_true", help="log every request")
    p.set_defaults(func=_serve)


def _serve(args: argparse.Namespace) -> int:
    from optsolve.formalize.backends import make_backend, resolve_config
    from optsolve.formalize.llm_server import LLMServer

    try:
        loopback = ipaddress.ip_address(args.host).is_loopback
    except ValueError:
        loopback = args.host == "localhost"
    if not loopback and not args.insecure:
        raise ConfigError(f"refusing to listen on {args.host} without authentication",
                          hint="use 127.0.0.1, or pass --insecure behind your own proxy")
    backend = make_backend(resolve_config(args.backend, args.model))
    server = LLMServer(backend, args.host, args.port, model_id=args.model_id, verbose=args.verbose)
    print(f"listening on http://{args.host}:{server.port}/v1", flush=True)
    stop = threading.Event()

    def _stop(signum: int, frame: object) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    server.start_background()
    stop.wait()
    server.shutdown()
    server.server_close()
    backend.close()
    print("stopped", file=sys.stderr)
    return EXIT_OK
