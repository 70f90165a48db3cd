"""2: a model whose loading would run code (a custom module in modules.json, a pickled weights file) is refused
with exit 2 naming the config key, the folder and the opt-in, wherever the model is used."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
import yaml

from embedding.cli import main
from tests.conftest import base_config


@pytest.fixture(scope="module")
def custom_module_model(tmp_path_factory, tiny_bert) -> Path:
    """A sentence-transformers folder whose modules.json names a module class from a package of its own."""
    folder = tmp_path_factory.mktemp("custom") / "model"
    shutil.copytree(tiny_bert, folder)
    modules = [{"idx": 0, "name": "0", "path": "", "type": "my_pkg.modules.Custom"}]
    (folder / "modules.json").write_text(json.dumps(modules))
    return folder


@pytest.fixture(scope="module")
def pickled_model(tmp_path_factory, tiny_bert) -> Path:
    """A Transformers checkpoint whose pytorch_model.bin pickles a call of os.system besides the tensors."""
    import torch

    folder = tmp_path_factory.mktemp("pickled") / "model"
    shutil.copytree(tiny_bert, folder)
    weights = {}
    for file in folder.glob("*.safetensors"):
        from safetensors.torch import load_file

        weights.update(load_file(file))
        file.unlink()

    class Payload:
        def __reduce__(self):
            return (os.system, (f"touch {folder.parent / 'PWNED'}",))

    torch.save({**weights, "payload": Payload()}, folder / "pytorch_model.bin")
    return folder


def write_config(tmp_path: Path, config: dict) -> str:
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(config))
    return str(path)


def small(tiny_bert: Path, efaq_dir: Path, out: Path) -> dict:
    config = base_config(tiny_bert, efaq_dir, out, evaluator=None, early_stopping=None)
    config["objectives"] = config["objectives"][:1]
    config["objectives"][0]["datasets"].pop("validation")
    config["args"] = {"max_steps": 1, "per_device_train_batch_size": 4, "report_to": "none", "save_strategy": "no"}
    return config


def assert_refused(capsys, code: int, key: str, folder: Path, opt_in: str) -> None:
    err = capsys.readouterr().err
    assert code == 2, err
    assert "internal error" not in err and "Traceback" not in err, err
    assert f"{key}: `" in err and str(folder) in err and "my_pkg.modules.Custom" in err, err
    assert opt_in in err, err


def test_a_custom_mining_model_is_refused_naming_the_key(tmp_path, tiny_bert, efaq_dir, custom_module_model, capsys):
    config = small(tiny_bert, efaq_dir, tmp_path / "out")
    mining = {"model": str(custom_module_model), "num_negatives": 1}
    config["objectives"][0]["datasets"]["train"]["preprocess_args"] = {"mine_hard_negatives": mining}
    code = main(["preprocess", "-c", write_config(tmp_path, config)])
    key = "objectives[0].datasets.train.preprocess_args.mine_hard_negatives.model.name"
    assert_refused(capsys, code, key, custom_module_model, f"set `{key[:-5]}.args.trust_remote_code: true`")


def test_a_custom_teacher_is_refused_naming_the_key(tmp_path, tiny_bert, efaq_dir, custom_module_model, capsys):
    config = small(tiny_bert, efaq_dir, tmp_path / "out")
    config["objectives"][0]["distillation"] = {"alpha": 1.0, "teacher": {"name": str(custom_module_model)}}
    code = main(["train", "-c", write_config(tmp_path, config)])
    key = "objectives[0].distillation.teacher"
    assert_refused(capsys, code, f"{key}.name", custom_module_model, f"set `{key}.args.trust_remote_code: true`")


def test_a_custom_guide_is_refused_naming_the_key(tmp_path, tiny_bert, efaq_dir, custom_module_model, capsys):
    """The guide has no args to allow custom code: the loss's own check refuses it, naming the loss_args."""
    config = small(tiny_bert, efaq_dir, tmp_path / "out")
    config["objectives"][0]["loss_args"] = {"guide": str(custom_module_model)}
    code = main(["train", "-c", write_config(tmp_path, config)])
    err = capsys.readouterr().err
    assert code == 2 and "internal error" not in err and "Traceback" not in err, err
    assert "objectives[0].loss_args" in err and str(custom_module_model) in err and "my_pkg.modules.Custom" in err
    assert "`guide` has no switch to run such code" in err and "sentence-transformers' own modules" in err, err


def test_a_custom_evaluated_model_is_refused_naming_the_key(tmp_path, efaq_dir, custom_module_model, capsys):
    argv = ["evaluate", "--model", str(custom_module_model), "--task", "ir", "--dataset", str(efaq_dir)]
    code = main([*argv, "--output-dir", str(tmp_path / "eval")])
    assert_refused(capsys, code, "models[0].name", custom_module_model, "trust_remote_code: true")


def test_a_pickled_weights_file_is_refused_and_never_run(tmp_path, efaq_dir, pickled_model, capsys):
    argv = ["evaluate", "--model", str(pickled_model), "--task", "ir", "--dataset", str(efaq_dir)]
    code = main([*argv, "--output-dir", str(tmp_path / "eval")])
    err = capsys.readouterr().err
    assert code == 2, err
    assert "UnpicklingError" not in err and "Weights only load failed" not in err and "Traceback" not in err, err
    assert f"models[0].name: `{pickled_model}`" in err and "pickles objects other than tensors" in err, err
    assert "model.safetensors" in err
    assert not (pickled_model.parent / "PWNED").exists()
