"""Command line: argument parsing, exit codes and error printing — nothing else.

Exit codes (decided in _common.py): 0 ok, 1 internal failure, otherwise the `exit_code` of the embedding.errors
fault that stopped the command (2 bad input: one message, no traceback, --debug shows it; 4 NaN/inf in training;
130/143 interrupted), 3 when a finished run is refused (`evaluation.fail_if_worse` and the main metric dropped, or
an export failed its check). Subcommands live one per module and import
heavy libraries only inside `run`.
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback

from ..errors import EmbeddingError
from . import evaluate, export, init, list_cmd, preprocess, report, schema, sweep, train, validate

VERBOSE_HELP = "also show the libraries' log messages (transformers, sentence-transformers, datasets)"
COMMANDS = (train, sweep, validate, preprocess, evaluate, export, report, schema, init, list_cmd)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="embedding",
        description="Train, evaluate and ship sentence-embedding models from one YAML file.",
        allow_abbrev=False,
    )
    parser.add_argument("--debug", action="store_true", help="show tracebacks for every error")
    parser.add_argument("-V", "--version", action="version", version="embedding 0.1.0")
    parser.add_argument("-v", "--verbose", action="store_true", help=VERBOSE_HELP)
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for command in COMMANDS:
        command.register(subparsers)
    for sub in subparsers.choices.values():  # `embedding train ... --debug` works as well as `embedding --debug train`
        sub.add_argument(
            "--debug", action="store_true", default=argparse.SUPPRESS, help="show tracebacks for every error"
        )
        sub.add_argument("--verbose", action="store_true", default=argparse.SUPPRESS, help=VERBOSE_HELP)
    return parser


def _quiet_library_bars() -> None:
    """Off a terminal (CI logs, `> file`, pipes), the libraries' tqdm bars are noise: one line per refresh.

    tqdm reads TQDM_DISABLE when it is imported, so this must run before the subcommands import the libraries;
    our own progress lines (embedding/training/banner.py) are not tqdm bars and stay.
    """
    if not sys.stdout.isatty() and "ipykernel" not in sys.modules:  # as training.banner.interactive (no torch here)
        os.environ.setdefault("TQDM_DISABLE", "1")


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    _quiet_library_bars()
    from ._common import LIBRARY_LOGS, exit_code

    LIBRARY_LOGS["shown"] = args.verbose
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt as exc:
        print("interrupted", file=sys.stderr)
        return exit_code(exc)
    except Exception as exc:  # the one place where errors become exit codes (the codes: _common.exit_code)
        if args.debug:
            traceback.print_exc()
        if isinstance(exc, EmbeddingError):
            print(f"error: {exc.render()}", file=sys.stderr)
        else:
            print(
                f"internal error: {type(exc).__name__}: {exc}\n(this is a bug in embedding or a library; "
                "run with --debug for the traceback)",
                file=sys.stderr,
            )
        return exit_code(exc)
