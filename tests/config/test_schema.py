from __future__ import annotations

import pytest

from embedding.config.load import apply_overrides, parse_override
from embedding.errors import ConfigError, UserError
from embedding.validation import validate_mapping
from tests.conftest import base_config


def problems_of(data) -> list[str]:
    with pytest.raises(ConfigError) as info:
        validate_mapping(data, source="cfg.yaml")
    return [str(p) for p in info.value.problems]


@pytest.fixture
def cfg(tmp_path):
    return base_config("some/model", tmp_path / "data", tmp_path / "out")


def test_valid_config_passes(cfg):
    config = validate_mapping(cfg)
    assert config.objectives[0].type == "contrastive"
    assert config.objectives[1].matryoshka.matryoshka_dims == [16, 32]


@pytest.mark.parametrize(
    ("path", "key", "expected"),
    [
        ((), "run_nme", "run_nme: unknown key `run_nme` (did you mean `run_name`?)"),
        (("base_model",), "nmae", "base_model.nmae: unknown key `nmae` (did you mean `name`?)"),
        (("objectives", 0), "los", "objectives[0].los: unknown key `los` (did you mean `loss`?)"),
        (
            ("objectives", 1, "datasets", "train"),
            "arg",
            "objectives[1].datasets.train.arg: unknown key `arg` (did you mean `args`?)",
        ),
        (
            ("early_stopping",),
            "patiense",
            "early_stopping.patiense: unknown key `patiense` (did you mean `patience`?)",
        ),
    ],
)
def test_unknown_keys_name_path_and_suggestion(cfg, path, key, expected):
    node = cfg
    for part in path:
        node = node[part]
    node[key] = 1
    assert any(p.startswith(expected) for p in problems_of(cfg)), problems_of(cfg)


def test_unknown_trainer_argument_is_an_error_with_suggestion(cfg):
    cfg["args"]["learnin_rate"] = 0.1
    assert "args.learnin_rate: unknown trainer argument (did you mean `learning_rate`?)" in problems_of(cfg)[0]


def test_trainer_argument_type_is_checked(cfg):
    cfg["args"]["max_steps"] = "ten"
    assert problems_of(cfg) == ["args.max_steps: expected an integer, got 'ten'"]


def test_type_errors_name_path_and_expected_type(cfg):
    cfg["objectives"][0]["margin"] = "big"
    cfg["early_stopping"]["patience"] = "x"
    problems = problems_of(cfg)
    assert "objectives[0].margin: expected a number, got 'big'" in problems
    assert "early_stopping.patience: expected an integer, got 'x'" in problems


def test_strict_types_no_silent_coercion(cfg):
    cfg["allow_custom_code"] = "yes"
    cfg["early_stopping"]["patience"] = True
    problems = problems_of(cfg)
    assert "allow_custom_code: expected true or false, got 'yes'" in problems
    assert "early_stopping.patience: expected an integer, got True" in problems


def test_trainer_argument_choices_and_evaluator_args(cfg):
    cfg["args"]["eval_strategy"] = "step"
    cfg["evaluator"]["args"]["ndcg_at"] = [10]
    problems = problems_of(cfg)
    assert any(
        p.startswith("args.eval_strategy: 'step' is not a valid choice (did you mean `steps`?)") for p in problems
    )
    assert any(
        p.startswith(
            "evaluator.args.ndcg_at: unknown InformationRetrievalEvaluator argument (did you mean `ndcg_at_k`?)"
        )
        for p in problems
    )


def test_duplicate_objective_names(cfg):
    cfg["objectives"][0]["name"] = cfg["objectives"][1]["name"] = "faq"
    assert problems_of(cfg) == [
        "objectives[1].name: `faq` is already the name of objectives[0]; objective names must be unique"
    ]


def test_all_problems_reported_together(cfg):
    cfg["run_nme"] = "x"
    cfg["objectives"][0]["type"] = "contrastiv"
    del cfg["output_dir"]  # not a problem: runs/ by default
    problems = problems_of(cfg)
    assert len(problems) == 2
    assert "objectives[0].type: must be 'contrastive' or 'similarity', got 'contrastiv'" in problems


def test_error_message_names_the_file(cfg):
    cfg["run_nme"] = "x"
    with pytest.raises(ConfigError) as info:
        validate_mapping(cfg, source="cfg.yaml")
    assert info.value.render().startswith("config cfg.yaml has 1 problem:\n  - run_nme: unknown key")


def test_early_stopping_needs_evaluation_metric_and_best_model(cfg):
    for key in ("eval_strategy", "metric_for_best_model", "load_best_model_at_end"):
        del cfg["args"][key]
    problems = problems_of(cfg)
    assert "early_stopping: needs evaluation: set args.eval_strategy to `steps` or `epoch`" in problems
    assert "early_stopping: needs args.metric_for_best_model (e.g. `cosine_ndcg@10`)" in problems
    assert "early_stopping: needs args.load_best_model_at_end: true" in problems


def test_metric_for_best_model_must_be_produced(cfg):
    cfg["evaluator"]["args"]["map_at_k"] = [10]
    problems = problems_of(cfg)
    assert problems == [
        "args.metric_for_best_model: `cosine_map@1` is not produced by the configured evaluator "
        "(did you mean `cosine_map@10`?), or add 1 to evaluator.args.map_at_k"
    ]


def test_metric_for_best_model_accepts_eval_prefix_and_objective_loss(cfg):
    cfg["args"]["metric_for_best_model"] = "eval_cosine_ndcg@10"
    validate_mapping(cfg)
    cfg["args"]["metric_for_best_model"] = "contrastive_loss"
    cfg["args"]["greater_is_better"] = False
    validate_mapping(cfg)


def test_save_steps_multiple_of_eval_steps(cfg):
    cfg["args"]["save_steps"] = 3
    assert problems_of(cfg) == [
        "args.save_steps: 3 must be a multiple of eval_steps (2) when load_best_model_at_end is on; e.g. save_steps: 2"
    ]


def test_reserved_trainer_args(cfg):
    cfg["args"]["output_dir"] = "x"
    assert problems_of(cfg)[0].startswith("args.output_dir: is managed by embedding; remove it")


def test_matryoshka_dims_must_be_sorted(cfg):
    cfg["objectives"][0]["matryoshka"]["matryoshka_dims"] = [32, 16, 64]
    assert problems_of(cfg) == [
        "objectives[0].matryoshka.matryoshka_dims: dims must be sorted (ascending or "
        "descending), got [32, 16, 64]; e.g. [16, 32, 64]"
    ]


def test_preprocess_args_are_checked(cfg):
    cfg["objectives"][0]["datasets"]["train"]["preprocess_args"]["negative_sample"] = 2
    cfg["objectives"][0]["datasets"]["train"]["preprocess_args"]["negative_samples"] = -3
    problems = problems_of(cfg)
    assert any(
        "negative_sample: unknown preprocess argument for contrastive data (did you mean `negative_samples`?)" in p
        for p in problems
    )
    assert (
        "objectives[0].datasets.train.preprocess_args.negative_samples: expected an integer >= 0, got -3" in problems
    )


def test_unknown_loss_lists_valid_names(cfg):
    cfg["objectives"][1]["loss"] = "cosin"
    problems = problems_of(cfg)
    assert len(problems) == 1 and problems[0].startswith("objectives[1].loss: unknown similarity loss `cosin`")
    assert "valid:" in problems[0] and "`cosine`" in problems[0]


def test_parse_override_types_values_from_yaml():
    assert parse_override("args.max_steps=10") == (["args", "max_steps"], 10)
    assert parse_override("objectives.0.loss=cosine") == (["objectives", 0, "loss"], "cosine")
    assert parse_override("args.prompts='query: x'") == (["args", "prompts"], "query: x")
    assert parse_override("evaluator.args.map_at_k=[1, 10]") == (["evaluator", "args", "map_at_k"], [1, 10])
    assert parse_override("a.b=x=y") == (["a", "b"], "x=y")


def test_overrides_apply_and_validate(cfg):
    data = apply_overrides(cfg, ["args.max_steps=7", "objectives.1.loss=cosine", "objectives.0.margin=0.1"])
    config = validate_mapping(data)
    assert config.args["max_steps"] == 7 and config.objectives[0].margin == 0.1


@pytest.mark.parametrize("bad", ["nokey", "=3", "objectives.9.loss=x"])
def test_bad_overrides_are_user_errors(cfg, bad):
    with pytest.raises(UserError, match="--set"):
        apply_overrides(cfg, [bad])


def test_scientific_notation_is_a_number_in_yaml_and_overrides():
    from embedding.config.load import load_yaml

    assert load_yaml("lr: 5e-5\nx: 1e3\ny: 2.5E-3") == {"lr": 5e-5, "x": 1000.0, "y": 0.0025}
    assert parse_override("args.learning_rate=5e-5") == (["args", "learning_rate"], 5e-5)


@pytest.mark.parametrize(
    "execution, expected",
    [
        # one message per key, every accepted form named, no pydantic member labels (`.bool`, `.literal['auto']`)
        ({"packed": "sometimes"}, ["execution.packed: expected true or false, or 'auto', got 'sometimes'"]),
        ({"bucket_widths": "many"}, ["execution.bucket_widths: expected a list, or 'auto', got 'many'"]),
        # a member that got further (a list with one bad item) is what the user meant: only its error
        ({"bucket_widths": [16, 0]}, ["execution.bucket_widths[1]: expected an integer >= 1, got 0"]),
    ],
)
def test_a_value_no_union_member_accepts_gets_one_message(execution, expected):
    data = base_config("some/model", "data", "out")
    data["execution"] = execution
    assert problems_of(data) == expected


@pytest.mark.parametrize(
    "dimensions, message",
    [([0, 8], "sizes must be positive integers, got [0, 8]"), ([8, 8], "sizes must be distinct, got [8, 8]")],
)
def test_evaluation_dimensions_are_checked_like_matryoshka_dims(cfg, dimensions, message):
    cfg["evaluation"] = {"dimensions": dimensions}
    assert problems_of(cfg) == [f"evaluation.dimensions: {message}"]
