"""The card's metadata and text name the base model, the real losses and their papers, the evaluator's data."""

from __future__ import annotations

import re

import yaml

from embedding.report.card_meta import correct_card, read_logs


def front_matter(card: str) -> dict:
    assert card.startswith("---\n"), card[:200]
    return yaml.safe_load(card[4:].split("\n---\n", 1)[0])


def test_card_of_a_real_run(trained_run, tiny_bert, efaq_data):
    card = (trained_run.model_dir / "README.md").read_text()
    meta = front_matter(card)

    losses = {t for t in meta["tags"] if t.startswith("loss:")}
    assert losses == {"loss:RankingLoss", "loss:CoSENTMarginLoss", "loss:MatryoshkaLoss"}, meta["tags"]
    datasets = [r["dataset"]["name"] for m in meta["model-index"] for r in m["results"]]
    assert datasets and set(datasets) == {str(efaq_data)}
    assert "base_model" not in meta  # a local folder is no Hub id; the text names it
    assert f"# SentenceTransformer based on {tiny_bert}\n" in card and f"**Base model:** `{tiny_bert}`" in card
    cited = re.findall(r"#### ([^\n]+)\n```bibtex", card)
    assert {"RankingLoss", "CoSENTMarginLoss", "MatryoshkaLoss"} <= {n for c in cited for n in c.split(" and ")}
    assert "ObjectiveLoss" not in cited
    header = next(line for line in card.splitlines() if line.startswith("| Epoch"))
    assert "Training Loss (combined)" in header
    assert "contrastive training loss (smoothed)" in header and "similarity training loss (smoothed)" in header


def test_hub_base_model_goes_into_the_metadata(trained_run):
    card = (trained_run.model_dir / "README.md").read_text()
    fixed = correct_card(
        card,
        base_model="sentence-transformers/all-MiniLM-L6-v2",
        losses={"CoSENTMarginLoss": "@article{x}"},
        eval_dataset=None,
        logs=read_logs(trained_run.run_dir / "logs.jsonl"),
    )
    meta = front_matter(fixed)
    assert meta["base_model"] == "sentence-transformers/all-MiniLM-L6-v2"
    assert [t for t in meta["tags"] if t.startswith("loss:")] == ["loss:CoSENTMarginLoss"]
