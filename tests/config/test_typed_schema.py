"""Every key typed once: format and loss arguments have one default each, and `embedding schema` completes them."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from embedding.data.formats import FORMATS
from embedding.validation import full_schema

jsonschema = pytest.importorskip("jsonschema")
ROOT = Path(__file__).resolve().parents[2]
CONFIGS = sorted([*ROOT.glob("examples/*.yaml"), *ROOT.glob("embedding/templates/*.yaml")])


@pytest.fixture(scope="module")
def schema():
    return full_schema()


def test_every_format_argument_has_one_default_and_a_description():
    for fmt in FORMATS.values():
        for use, model in fmt.args.items():
            for key, field in model.model_fields.items():
                assert field.description, f"{fmt.name}/{use}: `{key}` has no description"
                assert not field.is_required(), f"{fmt.name}/{use}: `{key}` has no default"


def test_the_defaults_users_see_are_the_ones_the_code_reads(schema):
    defs = schema["$defs"]
    # e-faq rows: no hard negative unless asked; the e-faq evaluator corpus: every listed negative.
    assert defs["EfaqRankingArgs"]["properties"]["negative_samples"]["default"] == 0
    assert defs["EfaqRetrievalArgs"]["properties"]["negative_samples"]["default"] == -1
    assert FORMATS["efaq"].args["contrastive"]().negative_samples == 0
    assert FORMATS["efaq"].args["retrieval"]().negative_samples == -1
    assert FORMATS["pairs"].args["contrastive"]().negative_samples is None  # every negative column
    assert defs["MiningArgs"]["properties"]["num_negatives"]["default"] == 3


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.name)
def test_examples_and_templates_validate_against_the_schema(schema, path):
    jsonschema.validate(yaml.safe_load(path.read_text(encoding="utf-8")), schema)


def _config(preprocess_args=None, loss=None, loss_args=None):
    objective = {"type": "contrastive", "datasets": {"train": {"name": "d", "preprocess_args": preprocess_args or {}}}}
    if loss:
        objective["loss"] = loss
    if loss_args is not None:
        objective["loss_args"] = loss_args
    return {"run_name": "r", "base_model": {"name": "m"}, "output_dir": "o", "objectives": [objective]}


def test_the_schema_completes_preprocess_args(schema):
    jsonschema.validate(_config({"format": "efaq", "negative_samples": 3}), schema)
    jsonschema.validate(_config({"mine_hard_negatives": {"model": "m", "num_negatives": 2}}), schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(_config({"format": "efaq", "negative_sample": 3}), schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(_config({"negative_samples": "three"}), schema)


def test_the_schema_completes_loss_args(schema):
    jsonschema.validate(_config(loss="ranking", loss_args={"scale": 30.0}), schema)
    jsonschema.validate(_config(loss_args={"scale": 30.0}), schema)  # the default loss, ranking
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(_config(loss="ranking", loss_args={"scael": 30.0}), schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(_config(loss_args={"scale": "high"}), schema)
    objective = schema["$defs"]["ContrastiveObjective"]["properties"]["loss"]
    assert {"ranking", "augmented-ranking", "cached-ranking"} <= set(objective["examples"])
