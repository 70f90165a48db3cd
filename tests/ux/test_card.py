"""The model card: the generated card kept, plus config, data, versions, seed, before/after; never a secret."""

from __future__ import annotations

import json
import shutil

import yaml

from embedding.report.card import BEGIN, dataset_entries, extend_model_card

SECRET = "hf_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4"


def test_card_section(trained_run, tmp_path):
    import sentence_transformers

    final = tmp_path / "final"
    shutil.copytree(trained_run.model_dir, final)
    generated = (final / "README.md").read_text().split(BEGIN)[0].rstrip("\n")  # the run may have extended it
    config = yaml.safe_load((trained_run.run_dir / "config.resolved.yaml").read_text())
    config["args"]["hub_token"] = SECRET  # as if redaction upstream had failed
    config["base_model"]["args"] = {"model_kwargs": {"password": "hunter2"}, "tokenizer_kwargs": {"x": 1}}
    evaluation = json.loads((trained_run.run_dir / "evaluation.json").read_text())
    datasets = [
        {"objective": "contrastive", "split": "train", "name": "shop-faq", "fingerprint": "fd1f95c2", "rows": 16}
    ]
    for _ in range(2):  # extending twice replaces the section
        extend_model_card(
            final,
            config=config,
            datasets=datasets,
            before=evaluation["before"],
            after=evaluation["after"],
            main_metric="cosine_ndcg@10",
            seed=42,
        )
    card = (final / "README.md").read_text()
    assert card.startswith(generated) and card.count("## Training with embedding") == 1
    assert "run_name: test-run" in card and "```yaml" in card
    assert "| contrastive | train | shop-faq | 16 | `fd1f95c2` |" in card
    assert f"- sentence-transformers: `{sentence_transformers.__version__}`" in card and "- torch: `" in card
    assert "- seed: `42`" in card and "| **cosine_ndcg@10** (main) |" in card
    assert SECRET not in card and "hunter2" not in card and "tokenizer_kwargs:" in card


def test_dataset_entries_from_a_plan(plan_and_trainer):
    plan, _ = plan_and_trainer
    entries = dataset_entries(plan)
    assert [(e["objective"], e["split"], e["rows"]) for e in entries] == [
        ("contrastive", "train", 16),
        ("contrastive", "validation", 16),
        ("similarity", "train", 32),
    ]
    assert all(e["fingerprint"] for e in entries)
