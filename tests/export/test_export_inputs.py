"""Bad input to `embedding export`: each one exit 2 (argparse or one message), nothing written."""

from __future__ import annotations

import pytest
import yaml

from tests.conftest import base_config


def test_unknown_format_is_an_argparse_error(cli, tiny_bert, capsys):
    with pytest.raises(SystemExit) as stop:
        cli(["export", str(tiny_bert), "--format", "tflite"])
    assert stop.value.code == 2
    assert "invalid choice: 'tflite'" in capsys.readouterr().err


@pytest.mark.parametrize("option", ["--max-queries", "--batch-size"])
def test_counts_must_be_positive(cli, tiny_bert, option, capsys):
    with pytest.raises(SystemExit) as stop:
        cli(["export", str(tiny_bert), "--format", "onnx", option, "0"])
    assert stop.value.code == 2
    assert f"argument {option}: 0 must be greater than 0" in capsys.readouterr().err


def test_run_folder_without_final_model(cli, tiny_bert, efaq_dir, tmp_path, capsys):
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    (run_dir / "config.resolved.yaml").write_text(yaml.safe_dump(base_config(tiny_bert, efaq_dir, tmp_path)))
    assert cli(["export", str(run_dir), "--format", "onnx"]) == 2
    err = capsys.readouterr().err
    assert "a run folder without a finished model" in err and "final" in err
    assert sorted(p.name for p in run_dir.iterdir()) == ["config.resolved.yaml"]


def test_model_without_dataset_says_what_to_pass(cli, tiny_bert, capsys):
    assert cli(["export", str(tiny_bert), "--format", "onnx"]) == 2
    assert "pass --dataset" in capsys.readouterr().err


def test_existing_output_is_never_overwritten(cli, tiny_bert, efaq_dir, tmp_path, capsys):
    output = tmp_path / "out"
    output.mkdir()
    (output / "keep.txt").write_text("mine")
    argv = ["export", str(tiny_bert), "--format", "onnx", "--dataset", str(efaq_dir), "--output", str(output)]
    assert cli(argv) == 2
    assert "already exists" in capsys.readouterr().err
    assert [p.name for p in output.iterdir()] == ["keep.txt"]


def test_missing_packages_name_the_install_line(cli, tiny_bert, efaq_dir, tmp_path, monkeypatch, capsys):
    import importlib.util

    import embedding.export.run as export_run

    real = importlib.util.find_spec
    monkeypatch.setattr(
        export_run.importlib.util, "find_spec", lambda name, *a: None if name == "onnxruntime" else real(name, *a)
    )
    output = tmp_path / "out"
    argv = ["export", str(tiny_bert), "--format", "onnx", "--dataset", str(efaq_dir), "--output", str(output)]
    assert cli(argv) == 2
    err = capsys.readouterr().err
    assert "onnxruntime" in err and 'pip install "embedding[export]"' in err
    assert not output.exists()


def test_bad_check_data_names_the_flag(cli, tiny_bert, efaq_dir, tmp_path, capsys):
    output = tmp_path / "out"
    argv = ["export", str(tiny_bert), "--format", "onnx", "--dataset", str(efaq_dir), "--split", "nosuch"]
    assert cli([*argv, "--output", str(output)]) == 2
    assert "error: --split: split `nosuch` not found" in capsys.readouterr().err
    assert not output.exists()
