from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import yaml

from embedding.cli import main
from tests.conftest import REPO, base_config


def run_cli(*args, cwd=REPO, entry=("-m", "embedding")):
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    return subprocess.run(
        [sys.executable, *entry, *args], cwd=cwd, capture_output=True, text=True, env=env, timeout=600
    )


@pytest.fixture
def cfg_file(tmp_path, tiny_bert, efaq_dir):
    path = tmp_path / "cfg.yaml"
    path.write_text(yaml.safe_dump(base_config(tiny_bert, efaq_dir, tmp_path / "out")))
    return path


def test_validate_prints_well_formed(cfg_file, capsys):
    assert main(["validate", "--config", str(cfg_file)]) == 0
    assert capsys.readouterr().out == "Config is well-formed!\n"


@pytest.mark.parametrize("flag", ["-c", "--config", "-f", "--config-file"])
def test_config_flag_spellings(cfg_file, flag, capsys):
    assert main(["validate", flag, str(cfg_file)]) == 0


def test_validate_loads_no_torch(cfg_file):
    code = (
        f"import sys; from embedding.cli import main; rc = main(['validate', '-c', {str(cfg_file)!r}]); "
        "print(rc, 'torch' in sys.modules, 'sentence_transformers' in sys.modules, 'datasets' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True).stdout
    assert out.strip().splitlines()[-1] == "0 False False False"


def test_bad_config_exits_2_with_one_message_and_no_traceback(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("run_name: x\nbase_model: {name: m}\noutput_dir: o\nobjectives: []\nargs: {learnin_rate: 1}\n")
    result = run_cli("validate", "-c", str(path))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith(f"error: config {path} has 2 problems:")
    assert "args.learnin_rate: unknown trainer argument (did you mean `learning_rate`?)" in result.stderr
    debug = run_cli("--debug", "validate", "-c", str(path))
    assert debug.returncode == 2 and "Traceback" in debug.stderr


def test_overrides_reach_the_config(cfg_file, capsys):
    assert main(["validate", "-c", str(cfg_file), "--set", "args.learnin_rate=0.1"]) == 2
    assert "args.learnin_rate: unknown trainer argument" in capsys.readouterr().err


@pytest.mark.parametrize("entry", [("embedding",), ("-m", "embedding")])
def test_entry_points_from_repo_root(entry):
    result = run_cli("--help", entry=entry)
    assert result.returncode == 0 and "validate" in result.stdout and "train" in result.stdout


def test_no_command_prints_help_and_exits_2(capsys):
    assert main([]) == 2
    assert "usage: embedding" in capsys.readouterr().out


def test_schema_is_json_schema_of_the_config(capsys):
    assert main(["schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert schema["title"] == "TrainConfig" and {"run_name", "objectives", "args"} <= set(schema["properties"])
    assert schema["additionalProperties"] is False
    # the free-form mappings carry the keys the validator knows, so editors complete and flag them too
    assert schema["properties"]["args"]["properties"]["eval_strategy"]["enum"] == ["epoch", "no", "steps"]
    assert "ndcg_at_k" in schema["$defs"]["EvaluatorSpec"]["properties"]["args"]["properties"]


@pytest.mark.parametrize("example", ["quickstart.yaml", "sts.yaml"])
def test_examples_validate_against_the_schema_and_typos_do_not(example, capsys):
    jsonschema = pytest.importorskip("jsonschema")
    assert main(["schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    config = yaml.safe_load((REPO / "examples" / example).read_text())
    jsonschema.validate(config, schema)
    config["args"]["eval_strategy"] = "step"
    with pytest.raises(jsonschema.ValidationError, match="'step' is not one of"):
        jsonschema.validate(config, schema)


def test_debug_works_after_the_subcommand_too(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("run_name: x\nbase_model: {name: m}\noutput_dir: o\nobjectives: []\n")
    result = run_cli("validate", "-c", str(path), "--debug")
    assert result.returncode == 2 and "Traceback" in result.stderr and "unrecognized" not in result.stderr
    assert "Traceback" not in run_cli("validate", "-c", str(path)).stderr


def test_library_progress_bars_are_off_after_main_when_output_is_not_a_terminal(cfg_file):
    # tqdm reads TQDM_DISABLE when imported: a fresh process proves main() sets it before any library loads tqdm
    code = (
        f"from embedding.cli import main; main(['validate', '-c', {str(cfg_file)!r}]); "
        "from tqdm.auto import tqdm; bar = tqdm(range(3)); list(bar); print('disabled', bar.disable)"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True)
    assert result.stdout.strip().splitlines()[-1] == "disabled True", result.stderr[-2000:]
    assert "it/s]" not in result.stderr


@pytest.mark.slow  # a whole training in a second process: over a minute on 2 shared cores
def test_library_progress_bars_are_off_when_output_is_not_a_terminal(cfg_file):
    # Given stdout captured (a CI log), a training run prints log lines, not tqdm bars
    result = run_cli("train", "-c", str(cfg_file), "--set", "args.max_steps=2")
    assert result.returncode == 0, result.stderr[-2000:]
    output = result.stdout + result.stderr
    assert "it/s]" not in output and "example/s]" not in output and "Computing widget examples" not in output
