"""What `validate` reads from this machine (validation/machine.py) and the rules the issues added: a LoRA rank
bounded by the model's hidden size, local model paths that do not exist, `packed: true` that cannot take effect,
and `output_dir` defaulting to `runs`."""

from __future__ import annotations

import json

import pytest

from embedding.errors import ConfigError
from embedding.validation import validate_mapping


@pytest.fixture
def model(tmp_path):
    """A model folder as `validate` sees it (files only): config.json with a hidden size, a tokenizer file."""
    folder = tmp_path / "model"
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps({"hidden_size": 32}))
    (folder / "vocab.txt").write_text("[PAD]\n")
    return folder


def config(model, **extra) -> dict:
    objective = {"type": "contrastive", "datasets": {"train": {"name": "org/data"}}}
    return {"run_name": "r", "base_model": {"name": str(model)}, "objectives": [objective], **extra}


def problems(data: dict) -> list[str]:
    try:
        validate_mapping(data, check_paths=True)
    except ConfigError as error:
        return [str(p) for p in error.problems]
    return []


def test_output_dir_defaults_to_runs(model):
    assert validate_mapping(config(model)).output_dir == "runs"


def test_the_adapter_rank_is_bounded_by_the_model_and_by_its_range(model):
    base = {"name": str(model), "adapter": {"r": 64}}
    assert problems(config(model, base_model=base)) == [
        f"base_model.adapter.r: 64 is larger than the model's hidden size 32 (base_model `{model}`); a LoRA rank "
        "is at most that, usually 4 to 64"
    ]
    assert problems(config(model, base_model={**base, "adapter": {"r": 32}})) == []
    # A model only on the Hub has no files here: its range still bounds it, before anything is allocated.
    hub = {"name": "org/model", "adapter": {"r": 10**6}}
    assert problems(config(model, base_model=hub)) == [
        "base_model.adapter.r: expected an integer <= 16384, got 1000000"
    ]


def test_local_looking_model_paths_must_exist(model, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    data = config(model, base_model={"name": "./modle"})
    data["objectives"][0]["loss_args"] = {"guide": "../no-guide"}
    data["objectives"][0]["distillation"] = {"alpha": 1.0, "teacher": {"name": "~/no-such-teacher"}}
    mining = {"mine_hard_negatives": {"model": {"name": "/no/such/miner"}}}
    data["objectives"][0]["datasets"]["train"]["preprocess_args"] = mining
    found = problems(data)
    assert found[0].startswith("base_model.name: model `./modle` not found: there is no folder ")
    assert "(did you mean `model`?)" in found[0]
    assert [p.split(":")[0] for p in found[1:]] == [
        "objectives[0].distillation.teacher.name",
        "objectives[0].loss_args.guide",
        "objectives[0].datasets.train.preprocess_args.mine_hard_negatives.model",
    ]
    # Names that are no local path are left to the resolver (cache, package, Hub) when they load.
    assert problems(config("org/model")) == []


def test_explicit_packed_needs_a_merge_columns_that_sorts(model):
    for policy in ("never", "stock", "always"):
        data = config(model, execution={"packed": True, "merge_columns": policy})
        assert problems(data) == [
            f"execution.packed: true packs sorted steps, but merge_columns `{policy}` never runs them; set "
            "execution.merge_columns: sorted (or auto), or execution.packed: auto"
        ]
    for policy in ("sorted", "auto"):  # auto sorts on a CPU; on an accelerator train says so when the model loads
        assert problems(config(model, execution={"packed": True, "merge_columns": policy})) == []
    assert problems(config(model, execution={"packed": "auto", "merge_columns": "never"})) == []
