"""Entry point of ``optsolve``: dispatch to subcommands; map errors to exit codes in one place.

``optsolve "text"`` (a first argument that is not a subcommand) formalizes and solves the text.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from collections.abc import Sequence

from optsolve import __version__
from optsolve.errors import OptsolveError, exit_code_for

#: subcommand modules, each with ``register(subparsers) -> None``; the handler is set with
#: ``parser.set_defaults(func=callable(args) -> int)``.
COMMAND_MODULES = (
    "optsolve.cli.solve_cmd",      # solve, schema, check
    "optsolve.cli.formalize_cmd",  # run (default), plan, bench
    "optsolve.cli.datagen_cmd",    # datagen
    "optsolve.cli.train_cmd",      # train
    "optsolve.cli.service_cmd",    # serve, client
    "optsolve.cli.llm_cmd",        # llm-serve (OpenAI-compatible endpoint for the embedded model)
)


_TOP_LEVEL_FLAGS = frozenset({"-h", "--help", "--version"})


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="optsolve",
        description="Turn optimization problems written in plain language into solved models.",
        epilog=(
            'Examples:\n'
            '  optsolve "A bakery makes bread and cakes ... maximize profit."\n'
            "  optsolve solve model.json --json\n"
            "  optsolve plan problem.txt\n"
            "  optsolve datagen --n 2000 --out data/\n"
            "Run 'optsolve COMMAND --help' for a command's options."
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"optsolve {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for mod_name in COMMAND_MODULES:
        try:
            mod = importlib.import_module(mod_name)
        except ModuleNotFoundError as exc:  # an area not built yet must not break the others
            if exc.name == mod_name:
                continue
            raise
        mod.register(sub)
    return parser


def _known_commands(parser: argparse.ArgumentParser) -> set[str]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return set(action.choices)
    return set()


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    commands = _known_commands(parser)
    # `optsolve "text" [options]`: a first positional that is no subcommand is a problem statement
    # (also `optsolve --file problem.txt` and `optsolve - < problem.txt`: anything but a subcommand or a
    # top-level flag starts the default command)
    if args_list and args_list[0] not in commands and args_list[0] not in _TOP_LEVEL_FLAGS \
            and "run" in commands:
        args_list.insert(0, "run")
    if not args_list:
        parser.print_help()
        return 2
    args = parser.parse_args(args_list)
    func = getattr(args, "func", None)
    if func is None:
        parser.print_help()
        return 2
    want_json = bool(getattr(args, "json", False))
    try:
        return int(func(args))
    except OptsolveError as err:
        if want_json:
            print(json.dumps({"status": "error", "error": err.to_dict()}, indent=2))
        else:
            print(f"optsolve: error [{err.code}]: {err}", file=sys.stderr)
        return exit_code_for(err)
    except KeyboardInterrupt:
        print("optsolve: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


def entry() -> None:
    sys.exit(main())


if __name__ == "__main__":
    entry()
