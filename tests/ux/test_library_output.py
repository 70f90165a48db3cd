"""`--verbose` decides whether the libraries' own bars reach the console (embedding/console.py)."""

from __future__ import annotations

import random

import pytest
from datasets import Dataset
from sentence_transformers import SentenceTransformer
from transformers.utils import logging as hf_logging

from embedding import console

ROWS = {
    "anchor": [f"pergunta numero {i} sobre o pedido" for i in range(12)],
    "positive": [f"resposta {i} do pedido" for i in range(12)],
}


@pytest.fixture
def model(tiny_bert):
    return SentenceTransformer(str(tiny_bert), device="cpu")


@pytest.fixture
def restore_bars():
    yield
    hf_logging.enable_progress_bar()


def _widgets(model, capsys) -> tuple[list, str]:
    random.seed(7)
    model.model_card_data.widget = []
    model.model_card_data.set_widget_examples(Dataset.from_dict(ROWS))
    return list(model.model_card_data.widget), capsys.readouterr().err


def test_widget_examples_are_the_same_pick_without_the_bar(model, capsys, monkeypatch):
    monkeypatch.setitem(console.LIBRARY_OUTPUT, "shown", False)
    loud_widgets, loud = _widgets(model, capsys)
    assert "Computing widget examples" in loud  # the bar this hides: sentence-transformers draws it
    console.quiet_widget_examples(model)
    quiet_widgets, quiet = _widgets(model, capsys)
    assert "Computing widget examples" not in quiet
    assert quiet_widgets == loud_widgets and quiet_widgets  # same random draws, same examples


def test_verbose_keeps_the_widget_bar(model, capsys, monkeypatch):
    monkeypatch.setitem(console.LIBRARY_OUTPUT, "shown", True)
    console.quiet_widget_examples(model)
    assert "Computing widget examples" in _widgets(model, capsys)[1]


@pytest.mark.parametrize("verbose", [False, True])
def test_loading_bars_off_unless_verbose(verbose, monkeypatch, restore_bars):
    hf_logging.enable_progress_bar()
    monkeypatch.setitem(console.LIBRARY_OUTPUT, "shown", verbose)
    monkeypatch.setattr(console, "interactive", lambda: True)
    console.quiet_library_bars()
    assert hf_logging.is_progress_bar_enabled() is verbose
