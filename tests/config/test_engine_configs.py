"""The DeepSpeed / FSDP example configs validate, reach the trainer arguments, and bad engine settings are named."""

from __future__ import annotations

import json

import pytest
import yaml

from embedding.errors import ConfigError
from embedding.validation import machine as engines
from embedding.validation import validate_mapping
from tests.conftest import REPO

MINIMAL_OBJECTIVE = {"type": "contrastive", "datasets": {"train": {"name": "data.jsonl"}}}


def check_engines(config: dict) -> list:
    """The problems `validate` names under `args` (the engine settings) for a config mapping."""
    minimal = {"run_name": "r", "base_model": {"name": "m"}, "objectives": [MINIMAL_OBJECTIVE]}
    try:
        validate_mapping({**minimal, **config})
    except ConfigError as error:
        return [p for p in error.problems if p.where.startswith("args.")]
    return []


EXAMPLES = {
    "deepspeed_zero2.yaml": ("deepspeed", 2),
    "deepspeed_zero3.yaml": ("deepspeed", 3),
    "fsdp.yaml": ("fsdp", None),
}


def example(name: str) -> dict:
    return yaml.safe_load((REPO / "examples" / name).read_text(encoding="utf-8"))


@pytest.fixture
def deepspeed_installed(monkeypatch):
    """find_spec("deepspeed") as on a GPU machine that has it; CI does not install it."""
    real = engines._installed
    monkeypatch.setattr(engines, "_installed", lambda name: name == "deepspeed" or real(name))


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_example_configs_validate(name, deepspeed_installed, monkeypatch):
    monkeypatch.chdir(REPO)  # the examples name their data and DeepSpeed files from the repository root
    config = example(name)
    assert validate_mapping(config, source=name, check_paths=True) is not None
    assert check_engines(config) == []
    engine, stage = EXAMPLES[name]
    assert config["args"].get(engine)
    if engine == "deepspeed":
        ds = json.loads((REPO / config["args"]["deepspeed"]).read_text())
        assert ds["zero_optimization"]["stage"] == stage


def test_deepspeed_example_without_the_package_says_how_to_install(monkeypatch):
    monkeypatch.chdir(REPO)
    monkeypatch.setattr(engines, "_installed", lambda name: False)
    problems = check_engines(example("deepspeed_zero2.yaml"))
    assert [p.where for p in problems] == ["args.deepspeed"]
    assert "pip install deepspeed" in problems[0].message


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_engine_arguments_reach_the_training_arguments(name, monkeypatch, tmp_path):
    """What `args:` says is what transformers' TrainingArguments holds (its constructor reads the DeepSpeed file
    only with deepspeed installed, so the plumbing is checked up to the constructor's keyword arguments)."""
    import sentence_transformers

    from embedding.training.trainer import arguments

    monkeypatch.chdir(REPO)
    monkeypatch.setattr(engines, "_installed", lambda name: True)  # validation: deepspeed counts as installed
    config = validate_mapping(example(name))
    seen = {}

    def capture(**kwargs):
        seen.update(kwargs)
        return kwargs

    monkeypatch.setattr(sentence_transformers, "SentenceTransformerTrainingArguments", capture)
    plan = type("Plan", (), {"config": config, "seed": 42, "run_dir": tmp_path, "objectives": [_Objective()]})()
    arguments.trainer_arguments(plan)
    engine, _ = EXAMPLES[name]
    assert seen[engine] == config.args[engine]
    if engine == "fsdp":
        assert seen["fsdp_config"]["state_dict_type"] == "FULL_STATE_DICT"
        assert "deepspeed" not in seen
    else:
        assert "fsdp" not in seen


class _Objective:
    spec = type("Spec", (), {"batch_size": None, "batch_sampler": None})()


def test_fsdp_example_trains_as_fsdp_in_transformers(monkeypatch, tmp_path):
    """transformers turns the example's fsdp settings into an FSDP2 plugin that saves full state dicts."""
    from transformers import TrainingArguments

    monkeypatch.chdir(REPO)
    args = example("fsdp.yaml")["args"]
    built = TrainingArguments(output_dir=str(tmp_path), fsdp=args["fsdp"], fsdp_config=dict(args["fsdp_config"]))
    plugin = built._process_fsdp_args()
    assert built.fsdp is True
    assert plugin["fsdp_version"] == 2 and plugin["state_dict_type"] == "FULL_STATE_DICT"
    assert plugin["transformer_cls_names_to_wrap"] == "BertLayer" and plugin["reshard_after_forward"] is True


def _ds_config(tmp_path, **zero) -> dict:
    path = tmp_path / "ds.json"
    path.write_text(json.dumps({"zero_optimization": zero}))
    return {"precision": "auto", "args": {"deepspeed": str(path)}}


def test_zero3_without_gathered_save_is_refused(tmp_path, deepspeed_installed):
    problems = check_engines(_ds_config(tmp_path, stage=3))
    assert [p.where for p in problems] == ["args.deepspeed"]
    assert "stage3_gather_16bit_weights_on_model_save: true" in problems[0].message
    assert check_engines(_ds_config(tmp_path, stage=3, stage3_gather_16bit_weights_on_model_save=True)) == []
    assert check_engines(_ds_config(tmp_path, stage=2)) == []


def test_deepspeed_file_missing_or_not_json(tmp_path, deepspeed_installed):
    missing = check_engines({"args": {"deepspeed": str(tmp_path / "nope.json")}})
    assert len(missing) == 1 and "nope.json: no such file" in missing[0].message
    broken = tmp_path / "broken.json"
    broken.write_text("{stage: 2")
    problems = check_engines({"args": {"deepspeed": str(broken)}})
    assert len(problems) == 1 and "is not valid JSON" in problems[0].message and "line 1" in problems[0].message
    listed = tmp_path / "list.json"
    listed.write_text("[1, 2]")
    assert "not a JSON object" in check_engines({"args": {"deepspeed": str(listed)}})[0].message


def test_deepspeed_fixed_precision_must_be_the_runs(tmp_path, deepspeed_installed):
    path = tmp_path / "ds.json"
    path.write_text(json.dumps({"zero_optimization": {"stage": 2}, "fp16": {"enabled": True}}))
    problems = check_engines({"precision": "bf16", "args": {"deepspeed": str(path)}})
    assert len(problems) == 1 and 'fp16: {enabled: "auto"}' in problems[0].message
    assert check_engines({"precision": "fp16", "args": {"deepspeed": str(path)}}) == []


def test_fsdp_and_deepspeed_together_and_zero3_with_adapter(tmp_path, deepspeed_installed):
    config = _ds_config(tmp_path, stage=3, stage3_gather_16bit_weights_on_model_save=True)
    config["args"]["fsdp"] = "full_shard"
    assert any("use one of args.fsdp and args.deepspeed" in p.message for p in check_engines(config))
    config["args"].pop("fsdp")
    config["base_model"] = {"name": "m", "adapter": {"type": "lora"}}
    config["merge_with_base"] = {"alpha": 0.5}
    messages = [p.message for p in check_engines(config)]
    assert len(messages) == 2 and all("ZeRO-3 shards the weights" in m and "use ZeRO-2" in m for m in messages)
    two = _ds_config(tmp_path, stage=2)
    two["base_model"] = config["base_model"]
    assert check_engines(two) == []  # ZeRO-2 keeps whole weights on every process: the merge works


def test_fsdp_is_refused_before_training_on_a_machine_without_gpus(monkeypatch):
    import torch

    from embedding.errors import UserError
    from embedding.training.distributed.engine_save import check_engine_device

    args = type("Args", (), {"fsdp": True, "use_cpu": False})()
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(UserError, match="FSDP runs on GPUs only"):
        check_engine_device(args)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    check_engine_device(args)  # a GPU machine trains
    args.fsdp = False
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    check_engine_device(args)  # no engine: nothing to refuse
