"""`merge_columns: stock` + `group_by_length: false` trains the weights of a stock sentence-transformers script,
bit for bit (README, "Coming from a sentence-transformers script").

Both sides train a tiny random BERT WITH dropout (so the order of the encoder calls matters) on the first rows of
STS-B (shared/datasets/stsbenchmark/pairs, see its SOURCE.md) for a few steps on CPU, with the same seed, rows,
batch sampler and arguments: once through `embedding.training.run.train`, once through a plain
SentenceTransformerTrainer script. Every tensor of the final weights must be equal.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.conftest import SHARED, write_tiny_bert

STSB = SHARED / "stsbenchmark" / "pairs" / "train.jsonl"
ROWS = 48
ARGS = {
    "max_steps": 5,
    "per_device_train_batch_size": 8,
    "learning_rate": 5e-3,
    "warmup_steps": 1,
    "logging_steps": 1,
    "save_strategy": "no",
    "report_to": "none",
    "seed": 13,
    "batch_sampler": "no_duplicates",
}

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not STSB.exists(), reason="shared/datasets/stsbenchmark is not laid out beside the repo"),
]


def _sts_rows() -> list[dict]:
    lines = STSB.read_text(encoding="utf-8").splitlines()[:ROWS]
    return [json.loads(line) for line in lines]


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> dict[str, Path]:
    """The three data sets, as jsonl files a user would have: pairs + one hard negative, scored pairs, pairs."""
    folder = tmp_path_factory.mktemp("sts")
    rows = _sts_rows()
    files = {
        # the hard negative of a row: the next row's second sentence (a different pair, often the same topic)
        "triplets": [
            {"anchor": r["sentence1"], "positive": r["sentence2"], "negative": rows[(i + 1) % len(rows)]["sentence2"]}
            for i, r in enumerate(rows)
        ],
        "scored": rows,
        # one row whose anchor equals its positive (STS-B train has one): a stock script trains on it, so must we
        "pairs": [
            {"anchor": r["sentence1"], "positive": r["sentence1" if i == 5 else "sentence2"], "score": r["score"]}
            for i, r in enumerate(rows)
        ],
    }
    out = {}
    for name, items in files.items():
        out[name] = folder / f"{name}.jsonl"
        out[name].write_text("".join(json.dumps(item) + "\n" for item in items), encoding="utf-8")
    return out


@pytest.fixture(scope="module")
def st_model(tmp_path_factory) -> Path:
    """A sentence-transformers model folder (Transformer + mean Pooling) on a tiny BERT with dropout 0.1 whose
    vocabulary covers the STS rows, so the texts are real tokens, not [UNK]."""
    from sentence_transformers import SentenceTransformer, models

    words = sorted({w for r in _sts_rows() for t in (r["sentence1"], r["sentence2"]) for w in re.findall(r"\w+", t)})
    bert = write_tiny_bert(tmp_path_factory.mktemp("bert"), vocab_words=[w.lower() for w in words], dropout=0.1)
    transformer = models.Transformer(str(bert))
    model = SentenceTransformer(modules=[transformer, models.Pooling(transformer.get_embedding_dimension(), "mean")])
    folder = tmp_path_factory.mktemp("st-model")
    model.save(str(folder))
    return folder


def _stock(model_dir: Path, data_file: Path, loss_name: str, out: Path, matryoshka: list[int] | None) -> dict:
    """The plain script: what a sentence-transformers user writes."""
    from datasets import load_dataset
    from sentence_transformers import (
        SentenceTransformer,
        SentenceTransformerTrainer,
        SentenceTransformerTrainingArguments,
        losses,
    )

    model = SentenceTransformer(str(model_dir))
    train = load_dataset("json", data_files=str(data_file), split="train")
    if loss_name == "CoSENTLoss":
        train = train.select_columns(["sentence1", "sentence2", "score"])
    elif matryoshka:  # the example's contrastive setup: only the pairs scored >= 4 of 5
        train = train.filter(lambda row: row["score"] >= 0.8).select_columns(["anchor", "positive"])
    loss = getattr(losses, loss_name)(model)
    if matryoshka:
        loss = losses.MatryoshkaLoss(model, loss, matryoshka)
    args = SentenceTransformerTrainingArguments(output_dir=str(out), **ARGS)
    SentenceTransformerTrainer(model=model, args=args, train_dataset=train, loss=loss).train()
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


def _project(model_dir: Path, data_file: Path, loss_name: str, out: Path, matryoshka: list[int] | None) -> dict:
    """The same run as a config, with the documented parity settings."""
    from sentence_transformers import SentenceTransformer

    from embedding.config.schema import TrainConfig
    from embedding.training.run import train

    objective = {
        "type": "similarity" if loss_name == "CoSENTLoss" else "contrastive",
        "loss": loss_name,
        "datasets": {"train": {"name": str(data_file)}},
    }
    if matryoshka:
        objective["matryoshka"] = {"matryoshka_dims": matryoshka}
        objective["datasets"]["train"]["filter"] = {"score": {"min": 0.8}}
    config = TrainConfig.model_validate(
        {
            "run_name": "parity",
            "base_model": {"name": str(model_dir)},
            "output_dir": str(out),
            "objectives": [objective],
            "args": dict(ARGS),
            "execution": {"merge_columns": "stock", "group_by_length": False},
        }
    )
    result = train(config)
    return dict(SentenceTransformer(str(result.model_dir)).state_dict())


@pytest.mark.parametrize(
    "dataset, loss_name, matryoshka",
    [
        ("triplets", "MultipleNegativesRankingLoss", None),
        ("scored", "CoSENTLoss", None),
        ("pairs", "MultipleNegativesRankingLoss", [32, 16, 8]),
    ],
    ids=["mnrl-hard-negative", "cosent", "mnrl-matryoshka-score-filter"],
)
def test_stock_setting_trains_the_weights_of_a_stock_script(st_model, data, tmp_path, dataset, loss_name, matryoshka):
    from sentence_transformers import SentenceTransformer

    start = dict(SentenceTransformer(str(st_model)).state_dict())
    stock = _stock(st_model, data[dataset], loss_name, tmp_path / "stock", matryoshka)
    ours = _project(st_model, data[dataset], loss_name, tmp_path / "ours", matryoshka)
    assert sorted(stock) == sorted(ours)
    assert any(not stock[k].equal(start[k]) for k in stock), "training changed no weight: the test proves nothing"
    differ = [k for k in stock if not stock[k].equal(ours[k])]
    assert not differ, f"{len(differ)} of {len(stock)} tensors differ, e.g. {differ[:3]}"
