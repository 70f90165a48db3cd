"""The card names the real losses and their papers and the base model, told through sentence-transformers'
`model_card_data` before it renders the card (no rewriting of the text afterwards)."""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest
import yaml

from embedding.report import card_meta


@pytest.fixture
def student_model(tiny_bert):
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(tiny_bert), device="cpu")


def front_matter(card: str) -> dict:
    assert card.startswith("---\n"), card[:200]
    return yaml.safe_load(card[4:].split("\n---\n", 1)[0])


def test_card_of_a_real_run(trained_run, tiny_bert):
    card = (trained_run.model_dir / "README.md").read_text()
    meta = front_matter(card)

    losses = {t for t in meta["tags"] if t.startswith("loss:")}
    assert losses == {"loss:RankingLoss", "loss:CoSENTMarginLoss", "loss:MatryoshkaLoss"}, meta["tags"]
    assert "base_model" not in meta  # a local folder is no Hub id; the title names it
    assert f"# SentenceTransformer based on {tiny_bert}\n" in card
    cited = re.findall(r"#### ([^\n]+)\n```bibtex", card)
    assert {"RankingLoss", "CoSENTMarginLoss", "MatryoshkaLoss"} <= {n for c in cited for n in c.split(" and ")}
    assert "ObjectiveLoss" not in " ".join(cited)
    header = next(line for line in card.splitlines() if line.startswith("| Epoch"))
    assert "Training Loss" in header
    assert "contrastive training loss (smoothed)" in header and "similarity training loss (smoothed)" in header


def test_the_card_module_rewrites_no_text():
    source = card_meta.__file__
    text = open(source, encoding="utf-8").read()
    assert "re.sub" not in text and ".sub(" not in text and "safe_load" not in text


def test_hub_base_model_and_real_losses_go_into_the_card_data(student_model):
    from embedding.config.schema import ContrastiveObjective
    from embedding.losses.build import build_objective_loss

    spec = ContrastiveObjective.model_validate(
        {"type": "contrastive", "datasets": {"train": {"name": "x"}}, "matryoshka": {"matryoshka_dims": [16, 32]}}
    )
    loss = build_objective_loss(student_model, spec)
    data = student_model.model_card_data
    data.add_tags("loss:ObjectiveLoss")  # what sentence-transformers' trainer sets from the loss it sees
    card_meta.describe_run(student_model, [loss], "sentence-transformers/all-MiniLM-L6-v2")
    assert [t for t in data.tags if t.startswith("loss:")] == ["loss:RankingLoss", "loss:MatryoshkaLoss"]
    assert data.base_model == "sentence-transformers/all-MiniLM-L6-v2"
    assert data.model_name == "SentenceTransformer based on sentence-transformers/all-MiniLM-L6-v2"
    assert any("RankingLoss" in name for name in data.citations) and "Sentence Transformers" in data.citations


def test_objective_losses_join_the_card_rows_only_with_several_objectives(student_model):
    rows = student_model.model_card_data.training_logs
    rows[:] = [{"Epoch": 0.5, "Step": 3, "Training Loss": 4.0}]
    logs = {"loss": 4.0, "loss/faq/main": 3.0, "loss/sts/main": 5.0}
    state = SimpleNamespace(global_step=3)
    card_meta.ObjectiveLossesInCard(["faq"]).on_log(None, state, None, model=student_model, logs=logs)
    assert rows == [{"Epoch": 0.5, "Step": 3, "Training Loss": 4.0}]
    card_meta.ObjectiveLossesInCard(["faq", "sts"]).on_log(None, state, None, model=student_model, logs=logs)
    assert rows[0]["faq training loss (smoothed)"] == 3.0 and rows[0]["sts training loss (smoothed)"] == 5.0
