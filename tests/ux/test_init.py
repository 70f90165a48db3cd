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


@pytest.fixture(scope="module")
def bert_384(tmp_path_factory):
    """A random 2-layer BERT as wide as MiniLM (384), so the templates' Matryoshka dims fit as written."""
    from tests.conftest import write_tiny_bert

    return write_tiny_bert(tmp_path_factory.mktemp("bert-384"), hidden=384)


@pytest.mark.parametrize("name", sorted(TEMPLATES))
def test_every_template_trains_as_written(name, cli, bert_384, tmp_path, monkeypatch):
    """Run from the repository root, as the templates say: their data paths exist and train (only the model, the
    step count and the output folder are swapped for a quick run)."""
    from tests.conftest import REPO

    monkeypatch.chdir(REPO)
    config = tmp_path / f"{name}.yaml"
    assert cli(["init", "--template", name, "--output", str(config)]) == 0
    sets = [f"base_model.name={bert_384}", "args.max_steps=2", "evaluation.before=false"]
    sets.append(f"output_dir={tmp_path / 'runs'}")
    assert cli(["train", "--config", str(config), *(a for s in sets for a in ("--set", s))]) == 0
    assert len(list((tmp_path / "runs").glob("*/final/modules.json"))) == 1
