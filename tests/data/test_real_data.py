"""Smoke runs on the shared real datasets (skipped where ../shared is absent) and on the benchmark script."""

from __future__ import annotations

import collections

import datasets
import pytest

from embedding.data.preprocess import retrieval_data, training_rows
from tests.conftest import REPO, SHARED

CLINC = SHARED / "clinc150" / "labeled"
STSB = SHARED / "stsbenchmark" / "pairs"
ASSIN2 = SHARED / "assin2" / "pairs"


@pytest.mark.skipif(not CLINC.exists(), reason="needs ../shared/datasets/clinc150")
def test_clinc150_labeled_gives_contrastive_similarity_and_retrieval_data():
    raw = datasets.load_dataset(str(CLINC), split="train")
    label = dict(zip(raw["text"], raw["label"], strict=True))
    domain = dict(zip(raw["text"], raw["domain"], strict=True))
    ranking = training_rows(raw, "contrastive", {"negative_samples": 3}, seed=42, where="t")
    assert len(ranking.dataset) == len(raw) == 15_000
    for row in ranking.dataset.select(range(0, 15_000, 50)):
        assert label[row["positive"]] == label[row["anchor"]]
        for j in (1, 2, 3):  # 14 other intents per domain: all hard negatives come from the same domain
            negative = row[f"negative_{j}"]
            assert label[negative] != label[row["anchor"]] and domain[negative] == domain[row["anchor"]]
    similarity = training_rows(raw, "similarity", {}, seed=42, where="t")
    assert len(similarity.dataset) == 3 * 15_000
    assert collections.Counter(similarity.dataset["label"]) == {1.0: 15_000, 0.0: 15_000, -1.0: 15_000}
    ir = retrieval_data(datasets.load_dataset(str(CLINC), split="validation"), {}, seed=42, where="e")
    assert len(ir.queries) == 150 * 4 and not set(ir.queries.values()) & set(ir.corpus.values())


@pytest.mark.skipif(not STSB.exists(), reason="needs ../shared/datasets/stsbenchmark")
def test_stsbenchmark_pairs_give_similarity_rows():
    raw = datasets.load_dataset(str(STSB), split="train")
    data = training_rows(raw, "similarity", {}, seed=42, where="t")
    assert data.format == "scored-pairs" and len(data.dataset) == len(raw) == 5_749
    assert data.dataset.column_names == ["anchor", "candidate", "label"]
    assert 0.0 <= min(data.dataset["label"]) and max(data.dataset["label"]) <= 1.0


@pytest.mark.skipif(not ASSIN2.exists(), reason="needs ../shared/datasets/assin2")
def test_assin2_scores_rescale_to_mteb_range():
    # prepare.py stored gold / 5 (0.2..1.0); MTEB uses (gold - 1) / 4, i.e. score_range [0.2, 1.0].
    raw = datasets.load_dataset(str(ASSIN2), split="validation")
    labels = training_rows(raw, "similarity", {"score_range": [0.2, 1.0]}, seed=42, where="t").dataset["label"]
    assert min(labels) == pytest.approx(0.0) and max(labels) == pytest.approx(1.0)


def test_benchmark_script_runs_small(capsys):
    import importlib.util

    spec = importlib.util.spec_from_file_location("bench", REPO / "benchmarks" / "preprocess_throughput.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    assert bench.main(["--rows", "2000", "4000"]) == 0
    out = capsys.readouterr().out
    assert "speed-up (wall)" in out and "scaling:" in out
    table = bench.synthetic_efaq(50, seed=0)
    assert table.equals(bench.synthetic_efaq(50, seed=0)) and len(table.column("similar")[0]) == 5
