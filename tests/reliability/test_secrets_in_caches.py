"""3a: a token in the mining model's args never reaches the datasets cache (mining-<hash>.json) or the run dir."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import REPO, base_config

SECRET = "hf_CACHEDsecret987"


def mining_config(tiny_bert: Path, efaq_dir: Path, out: Path) -> dict:
    cfg = base_config(tiny_bert, efaq_dir, out, evaluator=None, early_stopping=None)
    cfg["objectives"] = cfg["objectives"][:1]
    cfg["objectives"][0]["datasets"].pop("validation")
    model = {"name": str(tiny_bert), "args": {"token": SECRET}}
    mining = {"model": model, "num_negatives": 1, "relative_margin": None}
    cfg["objectives"][0]["datasets"]["train"]["preprocess_args"] = {"mine_hard_negatives": mining}
    cfg["args"] = {"max_steps": 2, "per_device_train_batch_size": 4, "save_strategy": "no", "report_to": "none"}
    return cfg


@pytest.mark.slow
def test_a_mining_token_reaches_no_file_of_the_cache_or_the_run(tmp_path, tiny_bert, efaq_dir):
    cache = tmp_path / "hf-datasets-cache"
    path = tmp_path / "cfg.yaml"
    path.write_text(yaml.safe_dump(mining_config(tiny_bert, efaq_dir, tmp_path / "out")))
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(REPO), "HF_DATASETS_CACHE": str(cache)}
    for command in (["preprocess", "-c", str(path)], ["train", "-c", str(path)]):
        argv = [sys.executable, "-m", "embedding", *command]
        done = subprocess.run(argv, capture_output=True, text=True, env=env, cwd=REPO, timeout=600)
        assert done.returncode == 0, done.stderr[-3000:]
        assert SECRET not in done.stdout + done.stderr
    files = [p for p in tmp_path.rglob("*") if p.is_file() and p != path]
    stats = [p for p in files if p.name.startswith("mining-") and p.suffix == ".json"]
    assert any(cache in p.parents for p in stats), "no mining statistics in the datasets cache: the search misses them"
    assert (tmp_path / "out" / "test-run" / "mining").is_dir()
    leaks = [p for p in files if SECRET.encode() in p.read_bytes()]
    assert leaks == [], leaks


def test_the_cached_mining_statistics_are_written_redacted(tmp_path):
    """The statistics name the mining model's options, args included: the cache copy is redacted like the run's."""
    from embedding.data.mining import _store_stats

    stats = {"options": {"model": {"name": "m", "args": {"token": SECRET}}}, "note": f"loaded with {SECRET}"}
    _store_stats(tmp_path / "mining-abc.json", stats)
    text = (tmp_path / "mining-abc.json").read_text()
    assert SECRET not in text and '"token": "***"' in text
