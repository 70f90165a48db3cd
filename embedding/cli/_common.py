"""Shared by the commands: the exit codes, the training-config options, logging, and checked writes of a
user-named output file."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from ..console import LIBRARY_OUTPUT
from ..errors import EmbeddingError, UserError

# Exit codes, decided here and nowhere else (`main` and the commands return these).
OK = 0
INTERNAL_ERROR = 1  # an exception this package did not raise on purpose: a bug here or in a library
RESULT_REFUSED = 3  # the run finished, but its result is refused (`embedding.api.failures`); the model is kept
INTERRUPTED = 130  # Ctrl-C outside training (a stopped training raises Interrupted with its signal's code)


def exit_code(error: BaseException) -> int:
    """The exit code of a command stopped by `error`: an embedding.errors fault carries its own (2 bad input,
    4 NaN/inf in training, 128 + signal when interrupted), anything else is an internal error."""
    if isinstance(error, KeyboardInterrupt):
        return INTERRUPTED
    if isinstance(error, EmbeddingError):
        return error.exit_code
    return INTERNAL_ERROR


def refuse_result(failures: list[tuple[str, str]], model_dir: Path) -> int:
    """Print each reason a finished run is refused, and the exit code: RESULT_REFUSED, or OK without any."""
    for what, why in failures:
        print(f"error: {what} (model kept in {model_dir}); {why}")
    return RESULT_REFUSED if failures else OK


def add_config_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-c",
        "--config",
        "-f",
        "--config-file",
        dest="config",
        required=True,
        metavar="FILE",
        help="training config (YAML or JSON)",
    )
    add_set_option(parser, "--set args.max_steps=10 --set objectives.0.loss=cosine")


def add_set_option(parser: argparse.ArgumentParser, example: str) -> None:
    """`--set KEY.PATH=VALUE` (repeatable), for the training and the evaluation configs alike."""
    parser.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY.PATH=VALUE",
        help=f"override a config value (repeatable), e.g. {example}",
    )


# `embedding --verbose`: the libraries' INFO records and progress bars on the console as well
LIBRARY_LOGS = LIBRARY_OUTPUT


class OwnRecords(logging.Filter):
    """Below WARNING only this package's records reach the console: the libraries' INFO chatter (device
    notices, "Saving model checkpoint", the evaluators' metric blocks) stays out: a run's train.log keeps it
    (training/run_log.py), and logs.jsonl the metrics."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= logging.WARNING or record.name.split(".")[0] in ("embedding", "__main__")


class CurrentStdout(logging.StreamHandler):
    """A handler writing to whatever sys.stdout is at each record: a command run in-process after another one
    (tests, notebooks that swap stdout) must not write to a stream an earlier run closed."""

    @property
    def stream(self):
        return sys.stdout

    @stream.setter
    def stream(self, value) -> None:  # StreamHandler.__init__ assigns it; the current stdout is always used
        pass


def setup_logging(verbose: bool = True) -> None:
    """Log lines on stdout: rich on a terminal; off a terminal (pipes, files, CI) plain unwrapped lines.

    Rich wraps at the console width, which is 80 columns when it cannot ask a terminal: paths got cut
    mid-word. A plain line per event, with time and level, stays whole and greppable.
    """
    if sys.stdout.isatty():
        from rich.logging import RichHandler

        handler: logging.Handler = RichHandler(show_path=False, rich_tracebacks=False)
        handler.setFormatter(logging.Formatter("%(message)s"))
    else:
        handler = CurrentStdout()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s", "%Y-%m-%d %H:%M:%S"))
    if not LIBRARY_LOGS["shown"]:
        handler.addFilter(OwnRecords())
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, handlers=[handler], force=True)
    for noisy in ("httpx", "urllib3", "filelock", "fsspec"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def output_file(name: str, *, example: str, option: str = "--output") -> Path:
    """The file a command was told to write: a folder, or a file in a missing folder, is the user's to fix."""
    path = Path(name)
    if path.is_dir():
        raise UserError(f"{option} {path}: is a folder; give a file path, e.g. {path / example}")
    if not path.parent.exists():
        raise UserError(f"{option} {path}: folder {path.parent} does not exist; create it first or fix the path")
    if not path.parent.is_dir():
        raise UserError(f"{option} {path}: {path.parent} is a file, not a folder; choose another {option}")
    return path


def write_output(path: Path, text: str, *, option: str = "--output") -> None:
    """Write `text` to `path` (checked by output_file); a refused write names the file and the way out."""
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UserError(
            f"{option} {path}: cannot write ({exc.strerror}); choose a writable location for {option}"
        ) from None
