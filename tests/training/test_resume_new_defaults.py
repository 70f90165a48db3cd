"""A run started before a config key existed resumes: the new key at its default is no change of the run."""

from __future__ import annotations

import pytest
import yaml

from embedding.config.schema import TrainConfig
from embedding.errors import UserError
from embedding.training.rundir.outputs import RESOLVED_CONFIG, redact
from embedding.training.rundir.resume import resume_config_changes
from tests.conftest import base_config


def test_keys_added_since_the_run_started_are_not_changes(tmp_path):
    resolved = redact(TrainConfig.model_validate(base_config("model", "data", tmp_path)).model_dump(mode="json"))
    recorded = {k: v for k, v in resolved.items() if k != "merge_with_base"}
    recorded["execution"] = {k: v for k, v in recorded["execution"].items() if k != "token_ids"}
    assert "execution" not in recorded or recorded["execution"]  # flags are not secrets: nothing is blanked
    (tmp_path / RESOLVED_CONFIG).write_text(yaml.safe_dump(recorded))
    assert resume_config_changes(tmp_path, resolved) == []


def test_a_real_change_is_still_refused(tmp_path):
    resolved = TrainConfig.model_validate(base_config("model", "data", tmp_path)).model_dump(mode="json")
    flipped = not resolved["execution"]["group_by_length"]
    recorded = {**resolved, "execution": {**resolved["execution"], "group_by_length": flipped}}
    (tmp_path / RESOLVED_CONFIG).write_text(yaml.safe_dump(recorded))
    with pytest.raises(UserError, match="group_by_length"):
        resume_config_changes(tmp_path, resolved)
