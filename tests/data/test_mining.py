"""Hard-negative mining (`mine_hard_negatives`) with a tiny random BERT: false negatives never come back."""

from __future__ import annotations

from pathlib import Path

import datasets
import pytest

from embedding.data import mining
from embedding.data.preprocess import FALSE_NEGATIVES, training_rows
from embedding.errors import DataError
from tests.data.conftest import arrow_table, rows_of

# "como pedir o cartao" appears as the anchor of two raw rows, and is itself a positive of a third row.
ROWS = [
    {
        "sentence": "como pedir o cartao",
        "similar": ["pedir cartao empresa"],
        "almost_similar": ["cancelar pedido"],
        "dissimilar": ["frete gratis"],
    },
    {
        "sentence": "como pedir o cartao",
        "similar": ["cartao da empresa como pedir"],
        "almost_similar": ["rastrear encomenda"],
        "dissimilar": ["nota fiscal"],
    },
    {
        "sentence": "quero um cartao",
        "similar": ["como pedir o cartao"],
        "almost_similar": ["pagamento boleto pix"],
        "dissimilar": ["cupom desconto loja"],
    },
    {
        "sentence": "devolver produto",
        "similar": ["troca garantia produto"],
        "almost_similar": ["cancelar pedido"],
        "dissimilar": ["qual prazo de entrega"],
    },
]
FORBIDDEN = {"como pedir o cartao", "pedir cartao empresa", "cartao da empresa como pedir", "quero um cartao"}


def texts_of(rows) -> set[str]:
    return {t for r in rows for t in (r["sentence"], *r["similar"], *r["almost_similar"], *r["dissimilar"])}


def test_mining_never_returns_a_positive_of_the_anchor_from_any_row(tiny_bert):
    available = len(texts_of(ROWS) - FORBIDDEN)
    options = {"model": str(tiny_bert), "num_negatives": available, "relative_margin": None}
    data = training_rows(
        datasets.Dataset.from_list(ROWS), "contrastive", {"mine_hard_negatives": options}, seed=1, where="t"
    )
    rows = rows_of(data.dataset)
    mined = [r for r in rows if r["anchor"] == "como pedir o cartao"]
    assert len(mined) == 2
    for row in mined:  # every text but the forbidden ones: a positive from either row or the reverse pair leaks
        assert {row[f"negative_{j + 1}"] for j in range(available)} == texts_of(ROWS) - FORBIDDEN
    assert data.stats[FALSE_NEGATIVES] > 0
    assert any("refused as false negatives" in note for note in data.notes)


def test_mining_labeled_data_never_returns_a_same_label_text(tiny_bert):
    rows = [{"text": f"{word} {i}", "label": word} for word in ("refund", "track", "cancel") for i in range(4)]
    data = training_rows(
        datasets.Dataset.from_list(rows),
        "contrastive",
        {"mine_hard_negatives": {"model": str(tiny_bert), "num_negatives": 8, "relative_margin": None}},
        seed=1,
        where="t",
    )
    out = rows_of(data.dataset)
    assert len(out) == len(rows)
    for row in out:  # 8 = every text of the other two labels
        assert {row[f"negative_{j + 1}"].split()[0] for j in range(8)} == {"refund", "track", "cancel"} - {
            row["anchor"].split()[0]
        }


def test_mining_is_seeded_and_cached_without_loading_the_model_again(tiny_bert, file_backed, monkeypatch):
    args = {
        "mine_hard_negatives": {
            "model": str(tiny_bert),
            "num_negatives": 2,
            "range_max": 6,
            "sampling_strategy": "random",
            "relative_margin": None,
        }
    }
    raw = file_backed(ROWS)
    first = training_rows(raw, "contrastive", args, seed=4, where="t")
    again = training_rows(datasets.Dataset.from_list(ROWS), "contrastive", args, seed=4, where="t")  # recomputed
    assert arrow_table(first.dataset).equals(arrow_table(again.dataset))

    def no_model(*_args, **_kwargs):
        raise AssertionError("the cached rows must not need the mining model")

    monkeypatch.setattr(mining, "_model", no_model)
    folder = Path(raw.cache_files[0]["filename"]).parent
    cached = training_rows(datasets.load_from_disk(str(folder)), "contrastive", args, seed=4, where="t")
    assert cached.cache_hit and not first.cache_hit
    assert arrow_table(cached.dataset).equals(arrow_table(first.dataset))


def test_mining_needs_a_model_and_sane_ranges(tiny_bert):
    with pytest.raises(DataError, match="mine_hard_negatives.model: required: a model name"):
        training_rows(
            datasets.Dataset.from_list(ROWS),
            "contrastive",
            {"mine_hard_negatives": {"num_negatives": 1}},
            seed=1,
            where="t",
        )
    with pytest.raises(DataError, match="mine_hard_negatives.range_max: range_max - range_min must leave at least"):
        training_rows(
            datasets.Dataset.from_list(ROWS),
            "contrastive",
            {"mine_hard_negatives": {"model": str(tiny_bert), "num_negatives": 1, "range_min": 3, "range_max": 3}},
            seed=1,
            where="t",
        )
