"""The faults a run reports, as one hierarchy: each class carries the exit code the CLI returns for it.

    EmbeddingError                 1  (base; not raised itself)
    ├── UserError                  2  bad input a user can fix: one message, no traceback
    │   ├── ConfigError               every problem of one config file
    │   └── DataError                 a dataset that cannot be used as configured
    ├── TrainingFault              4  a NaN/inf loss or gradient stopped training
    └── Interrupted          130/143  SIGINT/SIGTERM stopped training after a checkpoint (128 + signal number)

Anything else that escapes is an internal failure (exit code 1). Keep this module free of heavy imports:
`embedding validate` must stay instant.
"""

from __future__ import annotations

import difflib
import signal
from collections.abc import Iterable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the user's input: where it is, what is wrong, and how to fix it."""

    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}" if self.where else self.message


class EmbeddingError(Exception):
    """A fault this package reports on purpose: the CLI prints `render()` and exits with `exit_code`."""

    exit_code: int = 1

    def render(self) -> str:
        return str(self)


class UserError(EmbeddingError):
    """Bad input: a config, a data file, a model name. Exit code 2, no traceback."""

    exit_code = 2

    def __init__(self, message: str, *, source: str | None = None, problems: Sequence[Problem] = ()):
        self.source = source
        self.problems = list(problems)
        super().__init__(message)

    def __str__(self) -> str:  # the Python API's message carries every problem, as the CLI prints them
        return self.render()

    def render(self) -> str:
        head = str(self.args[0])
        if not self.problems:
            return head
        lines = [head] + [f"  - {p}" for p in self.problems]
        return "\n".join(lines)


class ConfigError(UserError):
    """Every problem of one config file, reported together."""

    def __init__(self, problems: Sequence[Problem], *, source: str | None = None):
        where = f"config {source}" if source else "config"
        n = len(problems)
        head = f"{where} has {n} problem{'s' if n != 1 else ''}:"
        super().__init__(head, source=source, problems=problems)


class DataError(UserError):
    """A dataset that cannot be used as configured (missing split/column, malformed row)."""


class TrainingFault(EmbeddingError):
    """Training stopped on a numerical fault (a NaN/inf loss or gradient norm); the last good checkpoint stays."""

    exit_code = 4


class Interrupted(EmbeddingError):
    """Training stopped by SIGINT/SIGTERM after saving a checkpoint; exit code 128 + the signal number."""

    exit_code = 130  # SIGINT; an instance carries its own signal's code (143 for SIGTERM)

    def __init__(self, signum: int, step: int):
        self.signum, self.step = signum, step
        self.exit_code = 128 + signum
        super().__init__(f"interrupted by {signal.Signals(signum).name} at step {step}")


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """' (did you mean `x`?)' when a close match exists, else ''."""
    match = difflib.get_close_matches(str(word), list(choices), n=1, cutoff=0.6)
    return f" (did you mean `{match[0]}`?)" if match else ""


def one_of(choices: Iterable[str]) -> str:
    return ", ".join(f"`{c}`" for c in sorted(choices))
