"""Published MTEB scores of all-MiniLM-L6-v2, reproduced through `embedding evaluate` (slow: real model, data)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from embedding.cli import main

# ../shared beside the checkout (CI lays it out the same way), or wherever EMBEDDING_SHARED points
SHARED = Path(os.environ.get("EMBEDDING_SHARED", Path(__file__).resolve().parents[3] / "shared")) / "datasets"
MODEL = "sentence-transformers/all-MiniLM-L6-v2"

pytestmark = [pytest.mark.slow, pytest.mark.skipif(not SHARED.exists(), reason="needs ../shared/datasets")]


def metric(folder: Path, name: str) -> float:
    rows = json.loads((folder / "results.json").read_text())["rows"]
    (value,) = [r["value"] for r in rows if r["metric"] == name and r["model"] == MODEL]
    return value


def test_stsbenchmark_test_spearman(tmp_path):
    # MTEB STSBenchmark test: cosine_spearman 0.82032 (SOURCE.md of stsbenchmark)
    out = tmp_path / "sts"
    assert (
        main(
            [
                "evaluate",
                "--model",
                MODEL,
                "--task",
                "sts",
                "--split",
                "test",
                "--dataset",
                str(SHARED / "stsbenchmark" / "pairs"),
                "--output-dir",
                str(out),
            ]
        )
        == 0
    )
    assert metric(out, "spearman") == pytest.approx(0.8203, abs=0.001)
    assert metric(out, "pearson") == pytest.approx(0.82741, abs=0.001)


def test_scifact_test_ndcg_at_10(tmp_path):
    # MTEB SciFact test: ndcg@10 0.64508 with documents as title + " " + text (SOURCE.md of scifact)
    out = tmp_path / "scifact"
    assert (
        main(
            [
                "evaluate",
                "--model",
                MODEL,
                "--task",
                "ir",
                "--split",
                "test",
                "--dataset",
                str(SHARED / "scifact" / "beir"),
                "--output-dir",
                str(out),
            ]
        )
        == 0
    )
    assert metric(out, "ndcg@10") == pytest.approx(0.6451, abs=0.005)
