"""Deprecated trainer arguments: a warning naming the replacement (not an error); the templates use none."""

from __future__ import annotations

import logging
from importlib.resources import files

import pytest
import yaml

from embedding.cli.init import TEMPLATES
from embedding.config.deprecated import DEPRECATED_ARGS, deprecated_args, warn_deprecated


@pytest.mark.parametrize("name", sorted(TEMPLATES))
def test_templates_use_no_deprecated_trainer_argument(name):
    args = yaml.safe_load(files("embedding").joinpath("templates", f"{name}.yaml").read_text())["args"]
    assert deprecated_args(args) == []
    assert 0 < args["warmup_steps"] < 1  # the warmup fraction, as transformers 5 writes it


def test_each_deprecated_argument_names_its_replacement_with_the_value(caplog):
    config = {"args": {"warmup_ratio": 0.1, "gradient_checkpointing": True, "learning_rate": 1e-4}}
    with caplog.at_level(logging.WARNING):
        found = warn_deprecated(config)
    assert [p.where for p in found] == ["args.warmup_ratio", "args.gradient_checkpointing"]
    assert "`warmup_steps: 0.1`" in found[0].message and "`activation_checkpointing: True`" in found[1].message
    assert [r.levelno for r in caplog.records] == [logging.WARNING, logging.WARNING]
    assert "args.warmup_ratio" in caplog.records[0].getMessage()


def test_replacements_are_trainer_arguments():
    from embedding.config.catalog.trainer_args import trainer_arg_specs

    names = trainer_arg_specs()
    assert all(new in names for new, _ in DEPRECATED_ARGS.values())
