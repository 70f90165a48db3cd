"""Log lines go to the current stdout: an in-process command after another one never writes to a closed stream."""

from __future__ import annotations

import io
import logging
import sys

from embedding.cli._common import setup_logging


def test_logging_after_the_first_stdout_is_closed_writes_to_the_current_one(monkeypatch, capsys):
    first = io.StringIO()
    monkeypatch.setattr(sys, "stdout", first)  # not a TTY: the plain-line handler
    setup_logging()
    first.close()  # what pytest's capture or a finished notebook cell leaves behind
    second = io.StringIO()
    monkeypatch.setattr(sys, "stdout", second)
    logging.getLogger("embedding.test").warning("still heard")
    assert "still heard" in second.getvalue()
    assert "Logging error" not in capsys.readouterr().err
