"""The spec's config with `gradient_checkpointing: true` trains (it crashed with sentence-transformers 6.0.1 +
transformers 5.17: `gradient_checkpointing_enable() got an unexpected keyword argument 'every_n_layers'`)."""

from __future__ import annotations

import json


def test_gradient_checkpointing_two_steps_through_train(tmp_path, tiny_bert, efaq_dir, monkeypatch):
    import embedding.training.run as run
    from embedding import train
    from tests.conftest import base_config

    cfg = base_config(tiny_bert, efaq_dir, tmp_path / "out", evaluator=None, early_stopping=None)
    cfg["objectives"][0]["datasets"].pop("validation")
    cfg["args"] = {
        "max_steps": 2,
        "per_device_train_batch_size": 4,
        "gradient_checkpointing": True,
        "batch_sampler": "no_duplicates",
        "save_strategy": "no",
        "report_to": "none",
        "logging_steps": 1,
    }
    trainers = []
    original = run.build_trainer
    monkeypatch.setattr(
        run, "build_trainer", lambda plan, callbacks: trainers.append(original(plan, callbacks)) or trainers[-1]
    )
    result = train(cfg)

    encoder = trainers[0].model[0].auto_model
    assert trainers[0].args.gradient_checkpointing and encoder.is_gradient_checkpointing
    logs = [json.loads(line) for line in (result.run_dir / "logs.jsonl").read_text().splitlines()]
    losses = [r["loss"] for r in logs if "loss" in r]
    assert len(losses) == 2 and all(loss == loss and loss < 1e4 for loss in losses)  # finite at both steps
    assert (result.model_dir / "modules.json").exists()
