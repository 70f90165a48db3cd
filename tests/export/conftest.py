"""`embedding export` through the real CLI entry point."""

from __future__ import annotations

import pytest


@pytest.fixture
def cli():
    from embedding.cli import main

    return main


@pytest.fixture(scope="session")
def tiny_st(tiny_bert, tmp_path_factory):
    """The tiny BERT saved as a sentence-transformers folder (mean pooling), loaded once."""
    from sentence_transformers import SentenceTransformer

    folder = tmp_path_factory.mktemp("tiny-st")
    SentenceTransformer(str(tiny_bert), device="cpu").save(str(folder))
    return folder
