"""`evaluation.quantization` and `export` need an evaluator (and the export its packages): said by validate."""

from __future__ import annotations

import pytest

from embedding.errors import ConfigError
from embedding.validation import validate_mapping
from tests.conftest import base_config


def _config(tmp_path, **top):
    cfg = base_config("m", tmp_path / "d", tmp_path / "out")
    cfg.update(top)
    return cfg


def test_quantization_without_a_retrieval_evaluator_is_refused(tmp_path):
    cfg = _config(tmp_path, evaluation={"quantization": True})
    cfg.pop("evaluator", None)
    with pytest.raises(ConfigError, match=r"evaluation\.quantization: needs a retrieval `evaluator`"):
        validate_mapping(cfg)


def test_export_without_an_evaluator_is_refused(tmp_path):
    cfg = _config(tmp_path, export={"formats": ["onnx"]})
    cfg.pop("evaluator", None)
    with pytest.raises(ConfigError, match=r"export: needs an `evaluator`"):
        validate_mapping(cfg)


def test_export_without_its_packages_names_the_install(tmp_path, monkeypatch):
    import embedding.validation.machine as machine

    monkeypatch.setattr(machine, "_installed", lambda name: False)
    with pytest.raises(ConfigError, match=r"export.formats: needs onnx and onnxruntime, not installed: pip install"):
        validate_mapping(_config(tmp_path, export={"formats": ["onnx"]}))


def test_an_evaluator_satisfies_both(tmp_path):
    cfg = _config(tmp_path, export={"formats": ["onnx"]}, evaluation={"quantization": ["int8"]})
    assert "evaluator" in cfg
    assert validate_mapping(cfg).export is not None
