"""Results files (merge, never duplicate) and the comparison table's rows."""

from __future__ import annotations

import json

import pytest

from embedding.errors import UserError
from embedding.evaluation.results import ResultRow, read_results, rows_from_metrics, split_metric, write_results
from embedding.evaluation.table import comparison_rows


def rows(model: str, value: float, *, dim: int | None = 32, date: str = "2025-01-01T00:00:00+00:00"):
    metrics = {"cosine_ndcg@10": value, "cosine_recall@10": value} if dim else {"bm25_ndcg@10": value}
    return rows_from_metrics(
        metrics, model=model, task="ir", dataset="d", dataset_fingerprint="f", split="test", dim=dim, date=date
    )


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("cosine_ndcg@10", ("cosine", "ndcg@10")),
        ("bm25_mrr@10", ("bm25", "mrr@10")),
        ("spearman_cosine", ("cosine", "spearman")),
        ("pearson_max", ("max", "pearson")),
    ],
)
def test_split_metric(key, expected):
    assert split_metric(key) == expected


def test_a_rerun_replaces_its_rows_and_keeps_the_others(tmp_path):
    # Given a first run of two models
    write_results(tmp_path, rows("a", 0.1) + rows("b", 0.2))

    # When model a is evaluated again
    _, _, replaced = write_results(tmp_path, rows("a", 0.3, date="2025-02-01T00:00:00+00:00"))

    # Then a's rows are updated in place of the old ones, b's are kept, nothing is duplicated
    merged = read_results(tmp_path)
    assert replaced == 2
    assert len(merged) == 4
    assert sorted((r.model, r.value) for r in merged) == [("a", 0.3), ("a", 0.3), ("b", 0.2), ("b", 0.2)]
    assert {r.date for r in merged if r.model == "a"} == {"2025-02-01T00:00:00+00:00"}
    assert len((tmp_path / "results.csv").read_text().splitlines()) == 1 + 4


def test_a_foreign_results_file_is_not_overwritten(tmp_path):
    (tmp_path / "results.json").write_text(json.dumps({"something": "else"}))
    with pytest.raises(
        UserError,
        match=r"results\.json: not a results file of `embedding evaluate` \(no `rows` "
        r"list\); move it away or choose another output_dir",
    ):
        write_results(tmp_path, rows("a", 0.1))
    assert json.loads((tmp_path / "results.json").read_text()) == {"something": "else"}


def test_table_puts_models_side_by_side_and_bm25_on_one_line():
    table_rows = rows("m", 0.5, dim=16) + rows("m", 0.6, dim=32) + rows("bm25", 0.7, dim=None)
    models, lines = comparison_rows(table_rows)
    assert models == ["m", "bm25"]
    assert [line[3:] for line in lines] == [
        (16, "ndcg@10", 0.5, None),
        (16, "recall@10", 0.5, None),
        (32, "ndcg@10", 0.6, None),
        (32, "recall@10", 0.6, None),
        (None, "ndcg@10", None, 0.7),
    ]
    assert all(isinstance(r, ResultRow) for r in table_rows)
