"""Shared by the commands: the training-config options, logging, and checked writes of a user-named output file."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from ..errors import UserError


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
    parser.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY.PATH=VALUE",
        help="override a config value (repeatable), e.g. --set args.max_steps=10 --set objectives.0.loss=cosine",
    )


def setup_logging(verbose: bool = True) -> None:
    from rich.logging import RichHandler

    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(message)s",
        handlers=[RichHandler(show_path=False, rich_tracebacks=False)],
        force=True,
    )
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
