"""Errors a user can fix. The CLI prints them as one message and exits with code 2.

Anything else that escapes is an internal failure (exit code 1). Keep this module free of heavy imports:
`embedding validate` must stay instant.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the user's input: where it is, what is wrong, and how to fix it."""

    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}" if self.where else self.message


class UserError(Exception):
    """Bad input: a config, a data file, a model name. Exit code 2, no traceback."""

    exit_code = 2

    def __init__(self, message: str, *, source: str | None = None, problems: Sequence[Problem] = ()):
        self.source = source
        self.problems = list(problems)
        super().__init__(message)

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


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """' (did you mean `x`?)' when a close match exists, else ''."""
    match = difflib.get_close_matches(str(word), list(choices), n=1, cutoff=0.6)
    return f" (did you mean `{match[0]}`?)" if match else ""


def one_of(choices: Iterable[str]) -> str:
    return ", ".join(f"`{c}`" for c in sorted(choices))
