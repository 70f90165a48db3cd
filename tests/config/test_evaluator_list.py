"""`evaluator` as one spec or a list: names, arguments per type and the metric names `validate` derives from the
specs alone (no model, no data)."""

from __future__ import annotations

import inspect
import json

import pytest

from embedding.cli import main
from embedding.config.evaluator_schema import EvaluatorSpec, StsArgs, evaluator_entries
from embedding.config.rules import metric_names
from embedding.config.schema import TrainConfig
from embedding.errors import ConfigError
from embedding.validation import validate_mapping
from tests.conftest import base_config


def evaluator_metric_names(cfg: dict) -> set[str]:
    """The metrics a config's evaluators and eval losses log, from its specs alone (the rest unchecked)."""
    specs = cfg["evaluator"]
    evaluator = (
        [EvaluatorSpec.model_construct(**s) for s in specs]
        if isinstance(specs, list)
        else EvaluatorSpec.model_construct(**specs)
    )
    objectives = TrainConfig.model_validate({**cfg, "evaluator": None, "early_stopping": None, "args": {}}).objectives
    return metric_names(TrainConfig.model_construct(evaluator=evaluator, objectives=objectives))


def problems_of(data, **kwargs) -> list[str]:
    with pytest.raises(ConfigError) as info:
        validate_mapping(data, source="cfg.yaml", **kwargs)
    return [str(p) for p in info.value.problems]


@pytest.fixture
def cfg(tmp_path):
    """base_config with a list: its retrieval evaluator and an sts one, the best model chosen by the sts metric."""
    config = base_config("some/model", tmp_path / "data", tmp_path / "out")
    sts = {"type": "sts", "dataset": {"name": str(tmp_path / "sts"), "args": {"split": "validation"}}}
    config["evaluator"] = [config["evaluator"], sts]
    config["args"]["metric_for_best_model"] = "sts_spearman_cosine"
    return config


def test_a_list_validates_and_names_each_evaluator(cfg):
    config = validate_mapping(cfg)
    assert [spec.type for spec in config.evaluator] == ["retrieval", "sts"]
    assert [(where, name) for where, name, _ in evaluator_entries(config.evaluator)] == [
        ("evaluator[0]", "retrieval"),
        ("evaluator[1]", "sts"),
    ]
    names = evaluator_metric_names(cfg)
    assert {"retrieval_cosine_map@1", "retrieval_dot_ndcg@10", "sts_spearman_cosine", "sts_pearson_cosine"} <= names
    assert "cosine_map@1" not in names and "spearman_cosine" not in names  # every metric of a list is prefixed


def test_default_names_number_repeated_types_around_given_ones():
    specs = [{"type": "sts"}, {"type": "sts", "name": "sts_2"}, {"type": "sts"}, {}, {"args": {"name": "dev"}}]
    assert [name for _, name, _ in evaluator_entries(specs)] == ["sts", "sts_2", "sts_3", "retrieval", "dev"]


def test_one_spec_keeps_the_original_metric_names(cfg):
    cfg["evaluator"] = cfg["evaluator"][0]
    cfg["args"]["metric_for_best_model"] = "cosine_map@1"
    validate_mapping(cfg)
    assert "cosine_map@1" in evaluator_metric_names(cfg)
    cfg["evaluator"] = {**cfg["evaluator"], "type": "sts", "args": {}}
    assert {"pearson_cosine", "spearman_cosine"} <= evaluator_metric_names(cfg)


def test_misspelt_metric_lists_the_metrics_with_did_you_mean(cfg):
    cfg["args"]["metric_for_best_model"] = "sts_spearman_cosin"
    [problem] = problems_of(cfg)
    assert problem.startswith(
        "args.metric_for_best_model: `sts_spearman_cosin` is not produced by the configured evaluator "
        "(did you mean `sts_spearman_cosine`?); the evaluators log: retrieval_cosine_accuracy@1, "
    )
    assert "sts_pearson_cosine, sts_spearman_cosine, contrastive_loss, loss (retrieval metrics also as dot_" in problem


def test_missing_k_names_the_list_entry_to_extend(cfg):
    cfg["args"]["metric_for_best_model"] = "retrieval_cosine_ndcg@5"
    [problem] = problems_of(cfg)
    assert "or add 5 to evaluator[0].args.ndcg_at_k" in problem


def test_duplicate_names_are_refused(cfg):
    cfg["evaluator"][0]["name"] = cfg["evaluator"][1]["name"] = "dev"
    cfg["args"]["metric_for_best_model"] = "dev_spearman_cosine"
    assert problems_of(cfg) == ["evaluator: names must be unique, `dev` repeats; set a distinct `name:` on each"]
    cfg["evaluator"][0].pop("name")  # a default name steps aside for a given one: no clash
    cfg["evaluator"][1]["name"] = "retrieval"
    assert [name for _, name, _ in evaluator_entries(cfg["evaluator"])] == ["retrieval_2", "retrieval"]


def test_sts_arguments_are_checked_for_their_evaluator(cfg):
    cfg["evaluator"][1]["args"] = {"main_similarty": "dot", "similarity_fn_names": ["dot"]}
    cfg["evaluator"][1]["dataset"]["preprocess_args"] = {"negative_samples": 2}
    cfg["evaluator"][1]["max_queries"] = 5
    problems = problems_of(cfg)
    assert "evaluator[1]: max_queries / max_corpus apply to `retrieval` evaluators only" in problems[0]
    assert any(
        p.startswith(
            "evaluator[1].args.main_similarty: unknown EmbeddingSimilarityEvaluator argument "
            "(did you mean `main_similarity`?)"
        )
        for p in problems
    ), problems
    assert any(
        p.startswith(
            "evaluator[1].args.similarity_fn_names: does not hold the main similarity `cosine` "
            "the evaluator reports first (the default); add it, or set main_similarity: dot"
        )
        for p in problems
    ), problems
    assert any(
        p.startswith("evaluator[1].dataset.preprocess_args.negative_samples: not used by sts") for p in problems
    )


def test_several_similarities_add_their_max(cfg):
    cfg["evaluator"][1]["args"] = {"similarity_fn_names": ["cosine", "dot"]}
    cfg["args"]["metric_for_best_model"] = "sts_spearman_max"
    validate_mapping(cfg)
    assert {"sts_spearman_dot", "sts_pearson_max"} <= evaluator_metric_names(cfg)


def test_name_and_args_name_must_agree(cfg):
    cfg["evaluator"][1].update(name="dev", args={"name": "other"})
    cfg["args"]["metric_for_best_model"] = "dev_spearman_cosine"
    assert problems_of(cfg) == [
        "evaluator[1].args.name: `other` disagrees with the evaluator's `name` `dev`; set only `name`"
    ]


def test_key_paths_of_a_list_entry_have_no_shape_tag(cfg):
    cfg["evaluator"][1]["datset"] = cfg["evaluator"][1].pop("dataset")
    cfg["evaluator"][1]["type"] = "stss"
    problems = problems_of(cfg)
    assert "evaluator[1].type: must be 'retrieval' or 'sts', got 'stss'" in problems
    assert any(p.startswith("evaluator[1].datset: unknown key `datset` (did you mean `dataset`?)") for p in problems)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ([], "evaluator: give at least one evaluator or remove the key, got []"),
        (3, "evaluator: expected a mapping (one evaluator) or a list of them, got 3"),
    ],
)
def test_neither_a_spec_nor_a_list(cfg, value, expected):
    cfg["evaluator"] = value
    cfg["args"]["metric_for_best_model"] = "contrastive_loss"
    assert expected in problems_of(cfg)


def test_missing_local_data_is_named_by_list_position(cfg):
    assert any(p.startswith("evaluator[1].dataset.name: ") for p in problems_of(cfg, check_paths=True))


def test_sts_argument_list_matches_installed_sentence_transformers():
    from sentence_transformers.sentence_transformer.evaluation import EmbeddingSimilarityEvaluator

    from embedding.evaluation.sts import RESERVED

    live = set(inspect.signature(EmbeddingSimilarityEvaluator.__init__).parameters) - RESERVED
    assert set(StsArgs.model_fields) == live


def test_schema_shows_both_shapes_and_accepts_a_list(cfg, capsys):
    assert main(["schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    shapes = schema["properties"]["evaluator"]["anyOf"][0]["oneOf"]
    assert shapes[0] == {"$ref": "#/$defs/EvaluatorSpec"} and shapes[1]["type"] == "array"
    spec = schema["$defs"]["EvaluatorSpec"]
    assert spec["properties"]["type"]["enum"] == ["retrieval", "sts"]
    assert "similarity_fn_names" in spec["allOf"][0]["then"]["properties"]["args"]["properties"]
    jsonschema = pytest.importorskip("jsonschema")
    jsonschema.validate(cfg, schema)
    jsonschema.validate({**cfg, "evaluator": cfg["evaluator"][0]}, schema)
