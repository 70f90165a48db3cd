"""Fixtures of the user-facing output tests: one tiny trained run and one built plan, shared by the modules."""

from __future__ import annotations

import pytest

from tests.conftest import EFAQ_ROWS, base_config, write_jsonl


@pytest.fixture(scope="session")
def efaq_data(tmp_path_factory):
    folder = tmp_path_factory.mktemp("ux-efaq")
    for split in ("train", "validation", "test"):
        write_jsonl(folder / f"{split}.jsonl", EFAQ_ROWS)
    return folder


@pytest.fixture(scope="session")
def trained_run(tmp_path_factory, tiny_bert, efaq_data):
    """A finished 4-step, 2-objective run with TensorBoard on (about 10 s on CPU)."""
    from embedding import train

    config = base_config(tiny_bert, efaq_data, tmp_path_factory.mktemp("ux-runs"))
    config["args"]["report_to"] = "tensorboard"
    return train(config)


@pytest.fixture(scope="session")
def plan_and_trainer(tmp_path_factory, tiny_bert, efaq_data):
    """A built plan and trainer for the 2-objective config (nothing trained)."""
    from embedding.training.plan import build_plan
    from embedding.training.run import build_trainer
    from embedding.validation import validate_mapping

    out = tmp_path_factory.mktemp("ux-plan")
    config = base_config(tiny_bert, efaq_data, out)
    config["args"]["report_to"] = "tensorboard"
    plan = build_plan(validate_mapping(config), out / "test-run")
    return plan, build_trainer(plan, [])


@pytest.fixture
def cli(monkeypatch):
    """`embedding.cli.main`, with the report/init commands registered even before the CLI lists them."""
    from embedding import cli as cli_module
    from embedding.cli import init, report

    missing = tuple(c for c in (init, report) if c not in cli_module.COMMANDS)
    if missing:
        monkeypatch.setattr(cli_module, "COMMANDS", cli_module.COMMANDS + missing)
    return cli_module.main
