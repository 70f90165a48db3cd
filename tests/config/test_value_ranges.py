"""Every numeric trainer argument has one range (config/catalog/trainer_args.py RANGES); a value outside it, NaN or
infinity anywhere, or a tracker that is not installed stops `validate` with the key path and the fix."""

from __future__ import annotations

import dataclasses
import importlib.util
import math

import pytest
import yaml
from pydantic import ValidationError

from embedding.config.catalog.trainer_args import RANGES, TRACKERS, trainer_arg_specs
from embedding.config.schema import EarlyStoppingSpec, MatryoshkaSpec
from embedding.errors import ConfigError
from embedding.validation import full_schema, load_config, validate_mapping
from tests.conftest import base_config


@pytest.fixture
def cfg(tmp_path):
    return base_config("some/model", tmp_path / "data", tmp_path / "out")


def problems_of(data) -> list[str]:
    with pytest.raises(ConfigError) as info:
        validate_mapping(data)
    return [str(p) for p in info.value.problems]


def with_args(cfg, **args):
    cfg["args"].update(args)
    return cfg


def test_the_table_covers_exactly_the_numeric_trainer_arguments():
    numeric = {name for name, spec in trainer_arg_specs().items() if spec["type"] in ("int", "float")}
    assert set(RANGES) == numeric


def test_the_libraries_defaults_are_in_range():
    from sentence_transformers import SentenceTransformerTrainingArguments as Args

    for field in dataclasses.fields(Args):
        if field.name in RANGES and field.default is not None and field.default is not dataclasses.MISSING:
            assert RANGES[field.name].accepts(field.default), (field.name, field.default)


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("learning_rate", -1e-05, "args.learning_rate: expected a number > 0, got -1e-05"),
        ("learning_rate", math.nan, "args.learning_rate: expected a number > 0, got nan"),
        ("learning_rate", math.inf, "args.learning_rate: expected a number > 0, got inf"),
        ("per_device_train_batch_size", 0, "args.per_device_train_batch_size: expected an integer >= 1, got 0"),
        ("per_device_eval_batch_size", -8, "args.per_device_eval_batch_size: expected an integer >= 1, got -8"),
        ("gradient_accumulation_steps", 0, "args.gradient_accumulation_steps: expected an integer >= 1, got 0"),
        ("dataloader_num_workers", -1, "args.dataloader_num_workers: expected an integer >= 0, got -1"),
        ("seed", -1, "args.seed: expected an integer in [0, 4294967295] (numpy seeds are 32-bit), got -1"),
        ("data_seed", 2**32, "args.data_seed: expected an integer in [0, 4294967295] (numpy seeds are 32-bit), got"),
        ("warmup_ratio", 1.0, "args.warmup_ratio: expected a number in [0, 1) (the fraction of the steps"),
        ("warmup_steps", -1, "args.warmup_steps: expected a number >= 0"),
        ("warmup_steps", 2.5, "args.warmup_steps: expected a number >= 0 (a whole number of steps, or a ratio"),
        ("num_train_epochs", 0, "args.num_train_epochs: expected a number > 0, got 0"),
        ("max_steps", 0, "args.max_steps: expected -1 or an integer >= 1 (-1 = train for num_train_epochs), got 0"),
        ("max_steps", -2, "args.max_steps: expected -1 or an integer >= 1"),
        ("weight_decay", -0.1, "args.weight_decay: expected a number >= 0, got -0.1"),
        ("adam_beta1", 1, "args.adam_beta1: expected a number in [0, 1), got 1"),
        ("adam_beta2", -0.5, "args.adam_beta2: expected a number in [0, 1), got -0.5"),
        ("adam_epsilon", 0, "args.adam_epsilon: expected a number > 0, got 0"),
        ("max_grad_norm", -1.0, "args.max_grad_norm: expected a number >= 0 (0 turns gradient clipping off)"),
        ("logging_steps", 0, "args.logging_steps: expected a number > 0"),
        ("save_steps", 2.5, "args.save_steps: expected a number > 0 (a whole number of steps, or a ratio"),
        ("save_total_limit", 0, "args.save_total_limit: expected an integer >= 1 (null keeps every checkpoint)"),
        ("label_smoothing_factor", 1.5, "args.label_smoothing_factor: expected a number in [0, 1), got 1.5"),
        ("torch_empty_cache_steps", 0, "args.torch_empty_cache_steps: expected an integer >= 1, got 0"),
        ("learning_rate", None, "args.learning_rate: expected a number, got None"),
        ("max_steps", "ten", "args.max_steps: expected an integer, got 'ten'"),
    ],
)
def test_out_of_range_values_are_refused(cfg, key, value, expected):
    if key in ("logging_steps", "save_steps"):
        cfg["args"].pop("load_best_model_at_end", None)  # keep the save/eval multiple rule out of the way
    problems = [p for p in problems_of(with_args(cfg, **{key: value})) if p.startswith(f"args.{key}:")]
    assert len(problems) == 1 and problems[0].startswith(expected), problems


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("max_steps", -1),
        ("max_steps", 10),
        ("eval_steps", 0.25),
        ("eval_steps", None),
        ("warmup_steps", 0.1),
        ("warmup_steps", 100),
        ("warmup_ratio", 0.0),
        ("save_total_limit", None),
        ("data_seed", None),
        ("seed", 0),
        ("learning_rate", 1),
        ("max_grad_norm", 0),
        ("dataloader_num_workers", 0),
        ("num_train_epochs", 0.5),
    ],
)
def test_values_in_range_pass(cfg, key, value):
    validate_mapping(with_args(cfg, **{key: value}))


@pytest.mark.parametrize(
    ("key", "value"),
    [("warmup_steps", -1), ("torch_empty_cache_steps", 0), ("logging_steps", 2.5), ("save_steps", 1.5)],
)
def test_what_the_library_refuses_the_table_refuses_too(tmp_path, key, value):
    from sentence_transformers import SentenceTransformerTrainingArguments as Args

    with pytest.raises(ValueError):
        Args(output_dir=str(tmp_path), **{key: value})
    assert not RANGES[key].accepts(value)


def test_the_json_schema_carries_the_ranges():
    jsonschema = pytest.importorskip("jsonschema")
    schema = full_schema()
    args = schema["properties"]["args"]["properties"]
    assert args["learning_rate"]["exclusiveMinimum"] == 0
    assert args["per_device_train_batch_size"]["minimum"] == 1
    assert {k: args["adam_beta1"][k] for k in ("type", "minimum", "exclusiveMaximum")} == {
        "type": "number",  # an integer is a number in JSON Schema (learning_rate: 1)
        "minimum": 0,
        "exclusiveMaximum": 1,
    }
    validator = jsonschema.Draft202012Validator(args["max_steps"])
    assert validator.is_valid(-1) and validator.is_valid(5) and not validator.is_valid(0)
    steps = jsonschema.Draft202012Validator(args["eval_steps"])
    assert steps.is_valid(0.5) and steps.is_valid(100) and steps.is_valid(None)
    assert not steps.is_valid(2.5) and not steps.is_valid(0)
    for key, value in [("learning_rate", -1e-5), ("seed", -1), ("warmup_ratio", 1.5), ("report_to", ["wandbb"])]:
        assert not jsonschema.Draft202012Validator(args[key]).is_valid(value), key


# ------------------------------------------------------------------------------------------------- NaN / infinity


NAN_CASES = [
    ("objectives[0].margin", lambda c: c["objectives"][0].update(margin=math.nan)),
    ("objectives[0].weight", lambda c: c["objectives"][0].update(weight=math.inf)),
    ("objectives[0].matryoshka.matryoshka_weights[1]", lambda c: c["objectives"][0]["matryoshka"].update(
        matryoshka_weights=[1.0, math.nan])),
    ("objectives[0].loss_args.scale", lambda c: c["objectives"][0].update(loss_args={"scale": math.inf})),
    ("early_stopping.threshold", lambda c: c.update(early_stopping={"patience": 2, "threshold": math.nan})),
    ("args.lr_scheduler_kwargs.min_lr", lambda c: c["args"].update(lr_scheduler_kwargs={"min_lr": -math.inf})),
]  # fmt: skip


@pytest.mark.parametrize(("where", "change"), NAN_CASES, ids=[w for w, _ in NAN_CASES])
def test_nan_and_infinity_are_refused_once_wherever_they_are(cfg, where, change):
    change(cfg)
    problems = [p for p in problems_of(cfg) if p.startswith(f"{where}:")]
    assert len(problems) == 1 and "expected a finite number, got " in problems[0], problems


def test_the_typed_models_refuse_nan_themselves():
    with pytest.raises(ValidationError, match="finite number"):
        EarlyStoppingSpec(threshold=math.nan)
    with pytest.raises(ValidationError, match="finite number"):
        MatryoshkaSpec(matryoshka_dims=[8, 16], matryoshka_weights=[1.0, math.inf])


def test_yaml_nan_and_inf_from_a_file(tmp_path, cfg):
    (tmp_path / "data").mkdir()
    text = yaml.safe_dump(cfg).replace("learning_rate: 0.001", "learning_rate: .nan")
    path = tmp_path / "cfg.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as info:
        load_config(path, ["objectives.1.margin=-.inf"])
    assert [str(p) for p in info.value.problems] == [
        "objectives[1].margin: expected a finite number, got -inf",
        "args.learning_rate: expected a number > 0, got nan",
    ]


# ------------------------------------------------------------------------------------------------------ trackers


@pytest.fixture
def installed(monkeypatch):
    """Pretend exactly the modules in the returned set are installed (find_spec, as the check uses)."""
    present: set[str] = set()
    real = importlib.util.find_spec

    def find_spec(name, *args):
        if name in {m for mods, _ in TRACKERS.values() for either in mods for m in either.split("|")}:
            return real("math") if name in present else None
        return real(name, *args)

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)
    return present


@pytest.mark.parametrize(
    ("report_to", "present", "expected"),
    [
        ("wandb", set(), "args.report_to: `wandb` is not installed; run `pip install wandb`, or remove it"),
        (
            ["mlflow", "comet_ml"],
            {"mlflow"},
            "args.report_to: `comet_ml` is not installed; run `pip install comet-ml`",
        ),
        (["dagshub"], {"dagshub"}, "args.report_to: `dagshub` is not installed; run `pip install dagshub mlflow`"),
        ("tensorboard", set(), "args.report_to: `tensorboard` is not installed; run `pip install tensorboard`"),
        ("wandbb", set(), "args.report_to: unknown tracker 'wandbb' (did you mean `wandb`?)"),
        (["none", "wandb"], {"wandb"}, "args.report_to: `none` stands alone; write `report_to: none`"),
        (None, set(), "args.report_to: expected a tracker name or a list of them (`none` for no tracker), got None"),
    ],
)
def test_trackers_must_be_known_and_installed(cfg, installed, report_to, present, expected):
    installed |= present
    problems = [p for p in problems_of(with_args(cfg, report_to=report_to)) if p.startswith("args.report_to")]
    assert len(problems) == 1 and problems[0].startswith(expected), problems


@pytest.mark.parametrize(
    ("report_to", "present"),
    [
        ("none", set()),
        ("all", set()),
        (["none"], set()),
        ([], set()),
        ("wandb", {"wandb"}),
        (["tensorboard", "mlflow"], {"tensorboardX", "mlflow"}),
        ("kubeflow", set()),
    ],
)
def test_installed_trackers_and_none_all_pass(cfg, installed, report_to, present):
    installed |= present
    validate_mapping(with_args(cfg, report_to=report_to))


def test_every_tracker_of_the_library_has_a_package_to_install():
    trackers = set(trainer_arg_specs()["report_to"]["choices"]) - {"all", "none"}
    assert set(TRACKERS) == trackers
