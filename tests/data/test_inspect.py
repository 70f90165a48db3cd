"""`embedding preprocess`: per objective rows, columns, samples, drops, false negatives and the cache state."""

from __future__ import annotations

import datasets
import pytest
import yaml

from embedding.cli import main
from embedding.data.preprocess import training_rows
from embedding.training.steps.inspect import preprocess_all
from tests.conftest import EFAQ_ROWS, base_config, write_jsonl

LABELED = [
    {"text": f"{word} number {i}", "label": word, "domain": "shop" if word != "weather" else "chat"}
    for word in ("refund", "track", "weather")
    for i in range(4)
]


@pytest.fixture
def config_file(tmp_path, efaq_dir, monkeypatch):
    """A spec-shaped config over tiny e-faq and labeled folders, with the datasets cache in tmp_path."""
    monkeypatch.setattr(datasets.config, "HF_DATASETS_CACHE", tmp_path / "hf-cache")
    labeled = tmp_path / "labeled"
    write_jsonl(labeled / "train.jsonl", LABELED)
    config = base_config("unused-model", efaq_dir, tmp_path / "out")
    config["objectives"].append(
        {
            "name": "intents",
            "type": "similarity",
            "datasets": {"train": {"name": str(labeled), "args": {"split": "train"}}},
        }
    )
    path = tmp_path / "cfg.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def test_second_run_reports_a_cache_hit(config_file):
    from embedding.validation import load_config

    config = load_config(config_file)
    first, second = preprocess_all(config), preprocess_all(config)
    titles = [s.title for s in first]
    assert titles == [
        "contrastive / train",
        "contrastive / validation",
        "similarity / train",
        "intents / train",
        "evaluator",
    ]
    assert [s.cache_hit for s in first] == [False, False, False, False, None]
    assert [s.cache_hit for s in second] == [True, True, True, True, None]
    assert [s.samples for s in first] == [s.samples for s in second]
    contrastive = first[0]
    assert contrastive.rows == 16 and contrastive.columns == ["anchor", "positive", "negative_1"]
    assert len(contrastive.samples) == 3
    assert "negatives dropped as false negatives: 0" in contrastive.notes
    assert "rows dropped: 0" in contrastive.notes
    assert contrastive.cache and contrastive.cache.endswith(".arrow")


def test_cli_prints_every_objective_and_limit_cuts_the_raw_rows(config_file, capsys):
    assert main(["preprocess", "--config", str(config_file), "--limit", "3"]) == 0
    out = capsys.readouterr().out
    assert "contrastive / train: 6 rows" in out  # 3 raw rows x 2 similar texts
    assert "intents / train: " in out and "format labeled, 3 raw rows" in out
    assert "rows dropped: 0" in out and "cache: miss" in out
    assert main(["preprocess", "--config", str(config_file), "--limit", "3"]) == 0
    assert "cache: hit, reused" in capsys.readouterr().out


def test_false_negatives_and_dropped_rows_are_counted(file_backed):
    rows = [
        {**EFAQ_ROWS[0], "almost_similar": ["pedir cartao empresa", "como pedir o cartao da empresa"]},
        {**EFAQ_ROWS[1], "similar": []},
    ] + EFAQ_ROWS[2:]
    data = training_rows(file_backed(rows), "contrastive", {"negative_samples": 1}, seed=1, where="t")
    assert data.stats["negatives dropped as false negatives"] == 2  # a positive and the anchor itself
    assert any("1 raw rows without a positive" in note for note in data.notes)
