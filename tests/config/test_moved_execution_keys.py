"""`merge_columns` and `group_by_length` moved under `execution:`; the old top-level keys still load, with one
warning each naming the new place, and a config that sets both places differently is refused."""

from __future__ import annotations

import logging

import pytest

from embedding.config.schema import TrainConfig
from embedding.errors import ConfigError
from embedding.validation import validate_mapping


def _config(**extra):
    return {
        "run_name": "r",
        "output_dir": "o",
        "base_model": {"name": "m"},
        "objectives": [{"type": "contrastive", "datasets": {"train": {"name": "x"}}}],
        **extra,
    }


def test_old_top_level_keys_load_into_execution_with_one_warning_each(caplog):
    with caplog.at_level(logging.WARNING):
        config = validate_mapping(_config(merge_columns="never", group_by_length=False))
    assert config.execution.merge_columns == "never"
    assert config.execution.group_by_length is False
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert sum("`execution.merge_columns`" in w for w in warnings) == 1
    assert sum("`execution.group_by_length`" in w for w in warnings) == 1
    assert "merge_columns" not in config.model_dump() and "group_by_length" not in config.model_dump()


def test_new_place_loads_without_warning(caplog):
    with caplog.at_level(logging.WARNING):
        config = validate_mapping(_config(execution={"merge_columns": "stock", "group_by_length": False}))
    assert (config.execution.merge_columns, config.execution.group_by_length) == ("stock", False)
    assert not [r for r in caplog.records if "moved to" in r.getMessage()]


def test_both_places_with_different_values_is_one_clear_error():
    with pytest.raises(ConfigError, match=r"`merge_columns` moved to `execution.merge_columns` and both are set"):
        validate_mapping(_config(merge_columns="never", execution={"merge_columns": "sorted"}))


def test_a_recorded_old_config_revalidates_to_the_same_resolved_config():
    """A run dir's config.resolved.yaml written before the move compares equal on --resume."""
    old = TrainConfig.model_validate(_config(merge_columns="sorted", group_by_length=False))
    new = TrainConfig.model_validate(_config(execution={"merge_columns": "sorted", "group_by_length": False}))
    assert old.model_dump() == new.model_dump()
