"""Fixtures for the evaluation tests: a tiny random BERT and tiny data files of every task shape."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

WORDS = (
    "how do i return an order refund shipping track my package payment card cancel the subscription "
    "where is what when can change password account delivery address invoice download zebra giraffe "
    "penguin dolphin a man woman plays guitar piano dog cat runs sleeps on beach"
).split()

EFAQ = [
    {
        "sentence": "how do i return an order",
        "similar": ["return order refund", "can i return my order"],
        "almost_similar": ["cancel the subscription"],
        "dissimilar": ["change password"],
    },
    {
        "sentence": "track my package",
        "similar": ["where is my package", "track package delivery"],
        "almost_similar": ["delivery address"],
        "dissimilar": ["download invoice"],
    },
    {
        "sentence": "cancel the subscription",
        "similar": ["cancel subscription", "can i cancel my subscription"],
        "almost_similar": ["how do i return an order"],
        "dissimilar": ["payment card"],
    },
    {
        "sentence": "change password",
        "similar": ["change my password", "account password change"],
        "almost_similar": ["change delivery address"],
        "dissimilar": ["track my package"],
    },
    {
        "sentence": "download invoice",
        "similar": ["where is my invoice", "invoice download"],
        "almost_similar": ["payment card"],
        "dissimilar": ["cancel the subscription"],
    },
]
PAIRS = [
    {"sentence1": "a man plays guitar", "sentence2": "a man plays piano", "score": 0.6},
    {"sentence1": "a dog runs on the beach", "sentence2": "a dog runs on beach", "score": 1.0},
    {"sentence1": "a cat sleeps", "sentence2": "a woman plays piano", "score": 0.0},
    {"sentence1": "a woman plays guitar", "sentence2": "a man plays guitar", "score": 0.7},
    {"sentence1": "the dog sleeps", "sentence2": "a cat sleeps", "score": 0.4},
]
LABELED = [
    {"text": t, "label": label}
    for label, texts in {
        "refund": ["return order refund", "can i return my order", "refund my order", "return an order"],
        "tracking": ["where is my package", "track my package", "track package delivery", "package delivery"],
        "password": ["change my password", "account password change", "change password", "password account"],
    }.items()
    for t in texts
]
BEIR_CORPUS = [
    {"_id": "d1", "title": "Zebra", "text": "the zebra runs"},
    {"_id": "d2", "title": "Giraffe", "text": "the giraffe sleeps"},
    {"_id": "d3", "title": "Penguin", "text": "a penguin on the beach"},
    {"_id": "d4", "title": "", "text": "a dolphin plays"},
]
BEIR_QUERIES = [
    {"_id": "q1", "text": "zebra"},
    {"_id": "q2", "text": "giraffe"},
    {"_id": "q3", "text": "penguin beach"},
    {"_id": "q4", "text": "dolphin"},
]


def write_jsonl(path: Path, rows) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def write_beir(folder: Path, qrels: dict[str, str] | None = None) -> Path:
    """A BEIR folder; qrels files are written as BEIR ships them (header, CRLF line ends)."""
    write_jsonl(folder / "corpus.jsonl", BEIR_CORPUS)
    write_jsonl(folder / "queries.jsonl", BEIR_QUERIES)
    (folder / "qrels").mkdir(parents=True, exist_ok=True)
    qrels = qrels or {"test": "q1\td1\t1\r\nq2\td2\t1\r\nq3\td3\t1\r\nq4\td4\t1\r\nq4\td1\t0\r\n"}
    for split, body in qrels.items():
        (folder / "qrels" / f"{split}.tsv").write_bytes(("query-id\tcorpus-id\tscore\r\n" + body).encode())
    return folder


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory) -> Path:
    """A random 2-layer BERT (hidden size 32) with its own vocab, as a plain Transformers checkpoint."""
    import torch
    from transformers import BertConfig, BertModel, BertTokenizerFast

    folder = tmp_path_factory.mktemp("tiny-bert-eval")
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *dict.fromkeys(WORDS)]
    (folder / "vocab.txt").write_text("\n".join(vocab) + "\n")
    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=len(vocab),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=37,
        max_position_embeddings=64,
    )
    BertModel(config).save_pretrained(folder)
    BertTokenizerFast(vocab_file=str(folder / "vocab.txt"), do_lower_case=True).save_pretrained(folder)
    return folder


@pytest.fixture(scope="session")
def st_model(tiny_model):
    """The tiny BERT loaded the way `embedding evaluate` loads it (mean pooling + normalize)."""
    from embedding.config.schema import ModelSpec
    from embedding.models import load_model

    return load_model(ModelSpec(name=str(tiny_model)))[0]


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory) -> Path:
    """Folders of every shape: efaq/, pairs/, labeled/ (test + validation splits) and beir/."""
    root = tmp_path_factory.mktemp("eval-data")
    for split in ("test", "validation"):
        write_jsonl(root / "efaq" / f"{split}.jsonl", EFAQ)
        write_jsonl(root / "pairs" / f"{split}.jsonl", PAIRS)
        write_jsonl(root / "labeled" / f"{split}.jsonl", LABELED)
    write_beir(root / "beir")
    return root


@pytest.fixture(autouse=True)
def evaluate_command(monkeypatch):
    """Make `embedding evaluate` reachable through embedding.cli.main even before cli/__init__ lists it."""
    import embedding.cli as cli
    from embedding.cli import evaluate

    if evaluate not in cli.COMMANDS:
        monkeypatch.setattr(cli, "COMMANDS", (*cli.COMMANDS, evaluate))
