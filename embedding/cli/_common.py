"""Options shared by the commands that read a training config."""

from __future__ import annotations

import argparse
import logging


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
