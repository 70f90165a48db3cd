"""The run dir's train.log: every INFO-and-above record of the run, ours and the libraries', in full.

The console shows only this package's records below WARNING (cli/_common.py OwnRecords); transformers,
sentence-transformers and datasets log their INFO notices (loading, saving, the evaluators' metric blocks) to
the file instead. To get them, their loggers are lowered to INFO for the length of the run, and every handler
that existed before gets a filter that keeps what it showed before: the console says no more than it did.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ...safe_files import open_append
from ..distributed.coordination import is_main
from .outputs import redact

FILE_NAME = "train.log"
# Lowered to INFO during a run; others (httpx, urllib3, filelock..., quieted on purpose) keep their level.
LIBRARIES = ("transformers", "sentence_transformers", "datasets", "huggingface_hub", "accelerate", "embedding")


def secret_values(config: Any, clean: Any) -> set[str]:
    """The strings `redact` replaced by *** in `config` (`clean` is `redact(config)`): hub tokens and the like."""
    if clean == "***" and config != "***":
        return set(_strings(config))
    if isinstance(config, dict):
        return {s for k, v in config.items() for s in secret_values(v, clean[k])}
    if isinstance(config, list):
        return {s for v, c in zip(config, clean, strict=True) for s in secret_values(v, c)}
    return set()


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value] if value else []
    items = value.values() if isinstance(value, dict) else value if isinstance(value, list) else []
    return [s for item in items for s in _strings(item)]


class RedactingFormatter(logging.Formatter):
    """Writes *** for the run's secrets wherever they appear in a formatted record (message or traceback)."""

    def __init__(self, secrets: set[str]) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")
        self.secrets = sorted(secrets, key=len, reverse=True)

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        for secret in self.secrets:
            text = text.replace(secret, "***")
        return text


class RunLogHandler(logging.FileHandler):
    """Appends to train.log; a write that fails (a full disk) loses the line, not the run's console: logging
    would print a "--- Logging error ---" traceback for every record, and the run says itself what went wrong.

    Opened with O_NOFOLLOW (safe_files): a planted `train.log -> elsewhere` is refused, never appended to."""

    def __init__(self, path: Path) -> None:
        super().__init__(path, mode="a", encoding="utf-8", delay=True)
        self.stream = self._open()  # now, not at the first record: a refused link stops the run before it starts

    def _open(self):
        return open_append(Path(self.baseFilename))

    def handleError(self, record: logging.LogRecord) -> None:
        pass


class LevelsBefore(logging.Filter):
    """Passes a record only if its logger's level before the run (`before`: name -> level) allowed it."""

    def __init__(self, before: dict[str, int]) -> None:
        super().__init__()
        self.before = before

    def filter(self, record: logging.LogRecord) -> bool:
        logger: logging.Logger | None = logging.getLogger(record.name)
        while logger is not None:  # Logger.getEffectiveLevel with the levels of before the run
            level = self.before.get(logger.name, logger.level)
            if level or logger is logging.root:
                return record.levelno >= level
            logger = logger.parent
        return True


def _loggers() -> list[logging.Logger]:
    manager = logging.Logger.manager
    return [logging.root, *(lg for lg in manager.loggerDict.values() if isinstance(lg, logging.Logger))]


def _lower_levels() -> dict[str, int]:
    """Root and the libraries' loggers down to INFO; returns the levels they had (name -> level)."""
    before = {}
    for logger in _loggers():
        ours = logger is logging.root or logger.name.split(".")[0] in LIBRARIES
        if ours and logger.level > logging.INFO:
            before[logger.name] = logger.level
            logger.setLevel(logging.INFO)
    return before


@contextmanager
def run_log(run_dir: Path, config: dict[str, Any]) -> Iterator[None]:
    """Append every record to run_dir/train.log while the block runs (main process only); then undo it all.

    Args:
        run_dir: The open run dir.
        config: The run's config as a mapping; its secret values are written as ***.
    """
    if not is_main():
        yield
        return
    handler = RunLogHandler(run_dir / FILE_NAME)
    handler.setLevel(logging.INFO)
    handler.setFormatter(RedactingFormatter(secret_values(config, redact(config))))
    loggers = _loggers()
    # Without a handler on root Python prints warnings through logging.lastResort; with ours it would not.
    fallback = logging.lastResort if not logging.root.handlers and logging.lastResort is not None else None
    if fallback is not None:
        logging.root.addHandler(fallback)
    gated = {h for lg in loggers for h in lg.handlers}
    # A record climbs to the first logger that does not propagate (transformers' does not), else to root.
    ends = [lg for lg in loggers if lg is logging.root or not lg.propagate]
    gate = LevelsBefore(_lower_levels())
    for existing in gated:
        existing.addFilter(gate)
    for logger in ends:
        logger.addHandler(handler)
    try:
        yield
    finally:
        for logger in ends:
            logger.removeHandler(handler)
        handler.close()
        for existing in gated:
            existing.removeFilter(gate)
        if fallback is not None:
            logging.root.removeHandler(fallback)
        for name, level in gate.before.items():
            (logging.root if name == "root" else logging.getLogger(name)).setLevel(level)
