"""merge_with_base and mining statistics end to end: one tiny run through `embedding.api.train`."""

from __future__ import annotations

import json

import pytest
from sentence_transformers import SentenceTransformer

from embedding.api import train
from tests.training.runs import small_config


@pytest.mark.slow
def test_a_run_merges_with_the_base_and_records_mining(tmp_path, tiny_bert, efaq_dir):
    cfg = small_config(tiny_bert, efaq_dir, tmp_path / "out", evaluator=True, max_steps=2)
    cfg["merge_with_base"] = {"alpha": [0.5, 1.0]}
    cfg["evaluation"] = {"tasks": [{"type": "ir", "dataset": {"name": str(efaq_dir)}, "split": "test"}]}
    mining = {"model": str(tiny_bert), "num_negatives": 1, "relative_margin": None}  # random BERT: all scores ~1
    cfg["objectives"][0]["datasets"]["train"]["preprocess_args"] = {"mine_hard_negatives": mining}
    result = train(cfg)
    run_dir = result.run_dir

    record = json.loads((run_dir / "merge.json").read_text())
    main = record["main_metric"]
    assert [r["alpha"] for r in record["rows"]] == [0.5, 1.0] and main == result.main_metric
    best = max(record["rows"], key=lambda r: r["metrics"][main])  # ties: the first listed
    assert record["chosen"] == best["alpha"]
    assert result.after[main] == pytest.approx(best["metrics"][main], abs=1e-6)  # "after" is the merged model
    assert {r["model"] for r in record["tasks"]} == {"alpha 0.5", "alpha 1.0"}
    assert (run_dir / "final-unmerged").is_dir() and not (run_dir / ".merge-candidates").exists()
    assert SentenceTransformer(str(run_dir / "final")).encode(["como pedir o cartao"]).shape == (1, 32)
    assert "## Merged with the base model" in (run_dir / "final" / "README.md").read_text()

    stats = json.loads((run_dir / "mining" / f"{cfg['objectives'][0].get('name', 'contrastive')}.json").read_text())
    assert stats["rows_kept"] > 0 and stats["kept"] == stats["rows_kept"]
    report = (run_dir / "report.md").read_text()
    assert "## Merge with the base model" in report and "## Hard-negative mining" in report
