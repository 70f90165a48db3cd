"""CONTRIBUTING's recipe for a data format: one class implementing `Format` + one `register(...)` line.

The toy format below reads question/answer rows; nothing else in the package is touched, yet detection,
`validate`'s checks, preprocessing and `embedding schema` all know it.
"""

from __future__ import annotations

from functools import partial

import datasets
import numpy as np
import pytest
from pydantic import Field

from embedding.data import formats
from embedding.data.args import DataArgs
from embedding.data.checks import preprocess_problems
from embedding.data.formats.base import Recipe
from embedding.data.formats.common import text_column
from embedding.data.preprocess import training_rows
from embedding.validation import full_schema


class QaArgs(DataArgs):
    prefix: str = Field("", description="Text put before every question.")


def qa_batch(batch, indices, *, prefix: str, where: str):
    import pyarrow as pa
    import pyarrow.compute as pc

    rows = np.asarray(indices, dtype=np.int64)
    question = text_column(batch, "question", rows, where)
    return pa.table(
        {
            "anchor": pc.binary_join_element_wise(prefix, question, ""),
            "positive": text_column(batch, "answer", rows, where),
        }
    )


class QuestionAnswer:
    name = "qa"
    columns = ("question", "answer")
    args = {"contrastive": QaArgs}
    cannot = "question/answer rows have no scores"

    def check_columns(self, raw, where: str) -> None:
        assert set(self.columns) <= set(raw.column_names)

    def rows(self, raw, use, args, *, seed, where) -> Recipe:
        return Recipe(partial(qa_batch, prefix=args.prefix, where=where))

    def retrieval(self, raw, args, *, seed, where):
        raise NotImplementedError


@pytest.fixture
def qa_registered(monkeypatch):
    monkeypatch.setattr(formats, "FORMATS", dict(formats.FORMATS))  # the registration is undone after the test
    monkeypatch.setattr("embedding.data.checks.FORMATS", formats.FORMATS)
    monkeypatch.setattr("embedding.data.preprocess.FORMATS", formats.FORMATS)
    monkeypatch.setattr("embedding.validation.FORMATS", formats.FORMATS)
    formats.register(QuestionAnswer())  # the one registration line


def test_a_format_added_with_one_class_and_one_registration(qa_registered):
    raw = datasets.Dataset.from_dict({"question": ["how to pay?", "where is it?"], "answer": ["card", "home"]})
    assert formats.detect(raw.column_names) == "qa"
    data = training_rows(raw, "contrastive", {"prefix": "q: "}, seed=1, where="t")
    assert data.format == "qa"
    assert data.dataset["anchor"] == ["q: how to pay?", "q: where is it?"]
    assert preprocess_problems("contrastive", {"format": "qa", "prefix": "x"}, "t") == []
    wrong = preprocess_problems("contrastive", {"format": "qa", "prefixx": "x"}, "t")
    assert ["t.preprocess_args.prefixx"] == [p.where for p in wrong] and "did you mean `prefix`" in wrong[0].message
    similarity = preprocess_problems("similarity", {"format": "qa"}, "t")
    assert "question/answer rows have no scores" in similarity[0].message
    assert "QaArgs" in full_schema()["$defs"]


def test_without_the_registration_the_format_is_unknown():
    problems = preprocess_problems("contrastive", {"format": "qa"}, "t")
    assert "unknown format 'qa'" in problems[0].message
