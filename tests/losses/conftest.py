"""Fixtures for the loss tests: an echo model for pure-math tests and tiny random BERT students / teachers.

The tiny models are built offline in a temporary folder (no Hub access), once per session, and loaded fresh per
test so training in one test never leaks into another.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")

STUDENT_WORDS = (
    "how do i pay my order where is the refund cancel account password reset delivery card return ship "
    "when what can you help with a to for change address track package store open time price"
).split()
# A different vocabulary (and width) than the student: the teacher must tokenize the raw texts itself.
TEACHER_WORDS = (
    "query : passage order pay refund where how is my the cancel delivery card track package account "
    "reset password zebra quantum"
).split()


def make_tiny_bert(folder: Path, words: list[str], *, hidden: int = 32, seed: int = 0) -> Path:
    """Save a random 2-layer BERT with a word-level vocabulary of `words` into `folder`."""
    import torch
    from transformers import BertConfig, BertModel, BertTokenizerFast

    folder.mkdir(parents=True)
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *words]
    (folder / "vocab.txt").write_text("\n".join(vocab) + "\n", encoding="utf-8")
    tokenizer = BertTokenizerFast(vocab=str(folder / "vocab.txt"), do_lower_case=True)  # v5: `vocab`, not `vocab_file`
    torch.manual_seed(seed)
    config = BertConfig(
        vocab_size=len(vocab),
        hidden_size=hidden,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=37,
        max_position_embeddings=64,
    )
    BertModel(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def load_tiny(folder: Path, **kwargs):
    """A SentenceTransformer (Transformer + mean Pooling) over a saved tiny BERT, on CPU."""
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.base.modules import Transformer
    from sentence_transformers.sentence_transformer.modules import Pooling

    transformer = Transformer(str(folder), max_seq_length=32)
    pooling = Pooling(transformer.get_embedding_dimension(), "mean")
    return SentenceTransformer(modules=[transformer, pooling], device="cpu", **kwargs)


@pytest.fixture(scope="session")
def student_dir(tmp_path_factory) -> Path:
    return make_tiny_bert(tmp_path_factory.mktemp("student") / "model", STUDENT_WORDS, hidden=32, seed=0)


@pytest.fixture(scope="session")
def teacher_dir(tmp_path_factory) -> Path:
    return make_tiny_bert(tmp_path_factory.mktemp("teacher") / "model", TEACHER_WORDS, hidden=24, seed=1)


@pytest.fixture
def student(student_dir):
    return load_tiny(student_dir)


@pytest.fixture
def teacher(teacher_dir):
    return load_tiny(teacher_dir, prompts={"query": "query: ", "document": "passage: "})


@pytest.fixture
def echo():
    """A model whose forward returns the `sentence_embedding` it is given (losses run on hand-made vectors)."""
    import torch

    class Echo(torch.nn.Module):
        def forward(self, features):
            return {"sentence_embedding": features["sentence_embedding"]}

        def get_embedding_dimension(self) -> int:
            return 6

    return Echo()


@pytest.fixture(autouse=True, scope="module")
def _one_torch_thread():
    """The tiny models are too small to gain from threads, and on a busy 2-core machine two threads halve the speed."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
