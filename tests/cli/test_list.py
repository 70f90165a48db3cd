"""`embedding list losses|formats|templates`: one line per name, read from the registries."""

from __future__ import annotations

import pytest

from embedding.cli import main
from embedding.config.catalog.losses import LOSSES
from embedding.data.formats import FORMATS


@pytest.mark.parametrize(
    ("what", "names"),
    [("losses", lambda: list(LOSSES)), ("formats", lambda: list(FORMATS)), ("templates", lambda: ["faq", "sts"])],
)
def test_list_prints_one_line_per_registered_name(what, names, capsys):
    assert main(["list", what]) == 0
    lines = capsys.readouterr().out.splitlines()
    for name in names():
        assert sum(line.split()[0] == name for line in lines if line.strip()) == 1, (name, lines)
