"""A ConfigError's message carries every problem (Python API), as the CLI prints them."""

from __future__ import annotations

import pytest

from embedding.errors import ConfigError, Problem


def test_config_error_message_lists_every_problem():
    error = ConfigError([Problem("args.max_steps", "must be > 0"), Problem("run_name", "missing")], source="c.yaml")
    text = str(error)
    assert text.startswith("config c.yaml has 2 problems:")
    assert "  - args.max_steps: must be > 0" in text and "  - run_name: missing" in text
    assert error.render() == text  # the CLI prints render(): unchanged


def test_validate_from_python_raises_with_the_problems_in_the_message(tiny_bert, efaq_dir, tmp_path):
    import embedding
    from tests.conftest import base_config

    config = base_config(tiny_bert, efaq_dir, tmp_path)
    config["args"]["max_steps"] = "many"
    config["mixing"] = "sometimes"
    with pytest.raises(ConfigError) as info:
        embedding.validate(config)
    assert "args.max_steps" in str(info.value) and "mixing" in str(info.value)
