"""`embedding evaluate` checks its models (they exist, are models, have a tokenizer) before it prepares any data."""

from __future__ import annotations

import json
import shutil

import pytest
import yaml

from embedding.cli import main
from embedding.config.eval_schema import EvalConfig
from embedding.errors import UserError

TOKENIZER = ("tokenizer.json", "tokenizer_config.json", "vocab.txt", "special_tokens_map.json")


@pytest.fixture
def no_data_loading(monkeypatch):
    """Fail the test if any task data is prepared: the model checks must come first."""
    import embedding.evaluation.run as run

    def refuse(*args, **kwargs):
        raise AssertionError("task data was prepared before the models were checked")

    monkeypatch.setattr(run, "load_task", refuse)


def without_tokenizer(model, folder):
    shutil.copytree(model, folder)
    for name in TOKENIZER:
        (folder / name).unlink(missing_ok=True)
    return folder


def evaluate(model, dataset, out):
    argv = ["evaluate", "--model", str(model), "--task", "sts", "--dataset", str(dataset), "--output-dir", str(out)]
    return main(argv)


def test_a_model_folder_without_tokenizer_is_refused(tiny_model, data_dir, tmp_path, capsys, no_data_loading):
    # Given a checkpoint whose tokenizer files were not copied (today: exit 0 and nDCG of all-[UNK] input)
    folder = without_tokenizer(tiny_model, tmp_path / "no-tokenizer")

    # When
    code = evaluate(folder, data_dir / "pairs", tmp_path / "out")

    # Then exit 2 naming the key, the folder and the files looked for; nothing written
    err = capsys.readouterr().err
    assert code == 2, err
    assert f"models[0].name: model folder {folder} has no tokenizer" in err
    assert "tokenizer.json, tokenizer_config.json, vocab.txt" in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_a_sentence_transformers_folder_without_tokenizer_is_refused(st_model, tmp_path):
    from embedding.models import find_model

    folder = tmp_path / "st"
    st_model.save(str(folder))
    assert find_model(str(folder), "models[0].name").source == "path"  # complete: accepted
    for name in TOKENIZER:
        (folder / name).unlink(missing_ok=True)
    with pytest.raises(UserError, match=f"model folder {folder} has no tokenizer"):
        find_model(str(folder), "models[0].name")


def test_the_model_is_checked_before_bad_data_is_read(tiny_model, tmp_path, capsys):
    # Given a model without tokenizer and a data file whose row 1 has no numeric score
    folder = without_tokenizer(tiny_model, tmp_path / "no-tokenizer")
    data = tmp_path / "pairs.jsonl"
    rows = [{"sentence1": "a", "sentence2": "b", "score": 1}, {"sentence1": "c", "sentence2": "d", "score": "x"}]
    data.write_text("".join(json.dumps(row) + "\n" for row in rows))

    # When / Then the model is what is reported
    assert evaluate(folder, data, tmp_path / "out") == 2
    err = capsys.readouterr().err
    assert "has no tokenizer" in err and "score" not in err, err


@pytest.mark.parametrize("kind", ["missing", "not a model"])
def test_missing_and_non_model_folders_fail_before_data(kind, data_dir, tmp_path, capsys, no_data_loading):
    folder = tmp_path / "model"
    if kind == "not a model":
        folder.mkdir()
        (folder / "notes.txt").write_text("weights are on the other disk\n")
    assert evaluate(folder, data_dir / "pairs", tmp_path / "out") == 2
    err = capsys.readouterr().err
    expected = "does not exist" if kind == "missing" else "neither a sentence-transformers model (modules.json)"
    assert err.startswith("error: models[0].name: ") and expected in err, err


def test_every_model_of_a_config_is_checked_with_its_index(tiny_model, data_dir, tmp_path, capsys, no_data_loading):
    folder = without_tokenizer(tiny_model, tmp_path / "no-tokenizer")
    config = {
        "models": ["bm25", str(tiny_model), str(folder)],
        "tasks": [{"type": "ir", "dataset": {"name": str(data_dir / "efaq")}, "split": "test"}],
        "output_dir": str(tmp_path / "out"),
    }
    path = tmp_path / "eval.yaml"
    path.write_text(yaml.safe_dump(config))
    assert main(["evaluate", "--config", str(path)]) == 2
    assert f"models[2].name: model folder {folder} has no tokenizer" in capsys.readouterr().err


def test_run_evaluation_checks_models_before_tasks(tiny_model, data_dir, tmp_path, no_data_loading):
    from embedding.evaluation.run import run_evaluation

    config = EvalConfig.model_validate(
        {
            "models": [str(without_tokenizer(tiny_model, tmp_path / "no-tokenizer"))],
            "tasks": [{"type": "sts", "dataset": {"name": str(data_dir / "pairs")}, "split": "test"}],
        }
    )
    with pytest.raises(UserError, match="has no tokenizer"):
        run_evaluation(config)
