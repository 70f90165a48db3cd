"""`base_model.pooling` on a sentence-transformers model replaces its Pooling module's mode (and says so).

Without an explicit `pooling` the model keeps its own pooling: the default `mean` must not override, e.g.,
a CLS-pooled model.
"""

from __future__ import annotations

import logging

import numpy as np
import pytest

from embedding.config.schema import ModelSpec
from embedding.errors import UserError
from embedding.models import load_model
from embedding.validation import validate_mapping
from tests.conftest import base_config


def pooling_of(model):
    from sentence_transformers.sentence_transformer.modules import Pooling

    pools = [module for module in model if isinstance(module, Pooling)]
    assert len(pools) == 1
    return pools[0]


@pytest.fixture(scope="module")
def st_folder(tiny_bert, tmp_path_factory):
    """The tiny BERT saved as a sentence-transformers folder (modules.json, 1_Pooling with mean)."""
    model, _ = load_model(ModelSpec(name=str(tiny_bert)))
    folder = tmp_path_factory.mktemp("tiny-st")
    model.save(str(folder))
    assert (folder / "modules.json").exists()
    return folder


def test_explicit_cls_replaces_the_models_mean_pooling(st_folder, caplog):
    with caplog.at_level(logging.INFO, logger="embedding.models"):
        model, resolution = load_model(ModelSpec(name=str(st_folder), pooling="cls"))
    assert resolution.source == "path"
    pool = pooling_of(model)
    assert pool.pooling_mode == "cls"
    assert pool.get_embedding_dimension() == 32
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING and "pooling" in r.getMessage()]
    assert len(warnings) == 1
    assert (
        f"base_model.pooling: {st_folder} pooled with mean; changed to cls as configured" == warnings[0].getMessage()
    )


def test_cls_pooling_is_what_encode_uses(st_folder):
    """The embedding is the (normalised) first-token output, not the mean over tokens."""
    import torch

    model, _ = load_model(ModelSpec(name=str(st_folder), pooling="cls"))
    mean_model, _ = load_model(ModelSpec(name=str(st_folder)))
    model.eval()
    text = "como pedir o cartao da empresa"
    features = model.tokenize([text])
    with torch.no_grad():
        tokens = model[0](features)["token_embeddings"]
    expected = torch.nn.functional.normalize(tokens[:, 0], dim=-1).numpy()
    assert np.allclose(model.encode([text]), expected, atol=1e-5)
    assert not np.allclose(mean_model.encode([text]), expected, atol=1e-3)


def test_pooling_from_a_config_file_reaches_the_model(st_folder, tmp_path):
    cfg = base_config(st_folder, tmp_path / "data", tmp_path / "out")
    cfg["base_model"]["pooling"] = "cls"
    config = validate_mapping(cfg)
    model, _ = load_model(config.base_model)
    assert pooling_of(model).pooling_mode == "cls"


def test_saved_model_keeps_the_new_pooling(st_folder, tmp_path):
    model, _ = load_model(ModelSpec(name=str(st_folder), pooling="cls"))
    model.save(str(tmp_path / "cls-model"))
    reloaded, _ = load_model(ModelSpec(name=str(tmp_path / "cls-model")))  # no `pooling`: keeps its own
    assert pooling_of(reloaded).pooling_mode == "cls"


def test_default_pooling_does_not_override_the_model(st_folder, tmp_path, caplog):
    model, _ = load_model(ModelSpec(name=str(st_folder), pooling="cls"))
    model.save(str(tmp_path / "cls-model"))
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="embedding.models"):
        spec = validate_mapping(base_config(tmp_path / "cls-model", tmp_path, tmp_path)).base_model
        reloaded, _ = load_model(spec)
    assert pooling_of(reloaded).pooling_mode == "cls"
    assert not [r for r in caplog.records if r.name == "embedding.models" and "pooling" in r.getMessage()]


def test_same_pooling_changes_nothing(st_folder, caplog):
    with caplog.at_level(logging.INFO, logger="embedding.models"):
        model, _ = load_model(ModelSpec(name=str(st_folder), pooling="mean"))
    assert pooling_of(model).pooling_mode == "mean"
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING and "pooling" in r.getMessage()]


def test_pooling_that_would_change_a_dense_input_is_refused(tiny_bert, tmp_path):
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Dense, Pooling, Transformer

    encoder = Transformer(str(tiny_bert))
    modules = [encoder, Pooling(32, pooling_mode=("mean", "max")), Dense(64, 16)]
    SentenceTransformer(modules=modules).save(str(tmp_path / "dense"))
    with pytest.raises(UserError) as info:
        load_model(ModelSpec(name=str(tmp_path / "dense"), pooling="cls"))
    text = str(info.value)
    assert text.startswith(f"base_model.pooling: `{tmp_path / 'dense'}` pools with mean+max (64 dims) into a Dense")
    assert "Remove `base_model.pooling`" in text
