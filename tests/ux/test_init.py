"""`embedding init` and its templates."""

from __future__ import annotations

import subprocess
import sys
from importlib.resources import files

import pytest

from embedding.cli.init import TEMPLATES
from embedding.validation import load_config


@pytest.mark.parametrize("name", sorted(TEMPLATES))
def test_every_template_validates(name):
    path = files("embedding").joinpath("templates", f"{name}.yaml")
    text = path.read_text()
    assert text.startswith("# yaml-language-server") and "embedding train --config" in text and "--set " in text
    load_config(str(path))


@pytest.mark.parametrize("name", sorted(TEMPLATES))
def test_init_writes_a_valid_config(name, cli, tmp_path, capsys):
    out = tmp_path / f"{name}.yaml"
    assert cli(["init", "--template", name, "--output", str(out)]) == 0
    assert f"embedding train --config {out}" in out.read_text()
    load_config(out)
    assert "embedding validate" in capsys.readouterr().out


def test_init_refuses_to_overwrite(cli, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert cli(["init"]) == 0 and (tmp_path / "config.yaml").exists()
    (tmp_path / "config.yaml").write_text("mine: true\n")
    assert cli(["init", "-t", "sts"]) == 2
    assert "already exists" in capsys.readouterr().err and (tmp_path / "config.yaml").read_text() == "mine: true\n"
    assert cli(["init", "-t", "sts", "--force"]) == 0 and "my-sts-model" in (tmp_path / "config.yaml").read_text()
    assert cli(["init", "-o", str(tmp_path / "missing" / "c.yaml")]) == 2


def test_new_commands_import_nothing_heavy():
    code = (
        "import sys, embedding.cli.init, embedding.cli.report, embedding.report.trackers; "
        "heavy = [m for m in ('torch', 'transformers', 'matplotlib', 'sentence_transformers') "
        "if m in sys.modules]; "
        "assert not heavy, heavy"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
