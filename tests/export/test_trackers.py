"""`report_to: [mlflow]` and `[trackio]` with the real libraries and local stores: a run's metrics, its resolved
config (secrets redacted) and, for mlflow, the final model as an artifact, read back with each library's client."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import EFAQ_ROWS, base_config, write_jsonl

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def efaq_data(tmp_path):
    folder = tmp_path / "efaq"
    for split in ("train", "validation", "test"):
        write_jsonl(folder / f"{split}.jsonl", EFAQ_ROWS)
    return folder


def test_tracker_params_are_the_resolved_config_with_secrets_redacted():
    from embedding.report.trackers import flat_config

    flat = flat_config({"run_name": "r", "base_model": {"args": {"token": "hf_abcdefgh"}}, "args": {"lr": 1e-5}})
    assert flat == {"config.run_name": "r", "config.base_model.args.token": "***", "config.args.lr": "1e-05"}


@pytest.mark.slow
def test_mlflow_gets_metrics_config_and_the_final_model(tiny_bert, efaq_data, tmp_path, monkeypatch):
    mlflow = pytest.importorskip("mlflow")
    from embedding import train

    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    monkeypatch.setenv("MLFLOW_EXPERIMENT_NAME", "embedding-test")
    monkeypatch.chdir(tmp_path)  # with a database store, mlflow puts artifacts under ./mlruns of the working dir
    config = base_config(tiny_bert, efaq_data, tmp_path / "runs")
    config["args"]["report_to"] = ["mlflow"]
    train(config)

    client = mlflow.MlflowClient(tracking_uri=uri)
    experiment = client.get_experiment_by_name("embedding-test")
    (run,) = client.search_runs([experiment.experiment_id])
    assert run.data.params["config.run_name"] == "test-run"
    assert run.data.params["config.base_model.name"] == str(tiny_bert)
    assert any(key.endswith("loss") for key in run.data.metrics)
    assert [m.step for m in client.get_metric_history(run.info.run_id, "loss")]
    final = {Path(a.path).name for a in client.list_artifacts(run.info.run_id, "final")}
    assert {"modules.json", "model.safetensors"} <= final


TRACKIO_SCRIPT = """
import json, sys
from embedding import train
config = json.loads(sys.argv[1])
train(config)
from trackio import SQLiteStorage
logs = SQLiteStorage.get_logs(project=config["args"]["project"], run=config["run_name"])
settings = SQLiteStorage.get_run_config(project=config["args"]["project"], run=config["run_name"])
print(json.dumps({"logs": logs, "config": settings}, default=str))
"""


@pytest.mark.slow
def test_trackio_gets_metrics_and_config_in_its_local_store(tiny_bert, efaq_data, tmp_path):
    pytest.importorskip("trackio")
    config = base_config(tiny_bert, efaq_data, tmp_path / "runs")
    config["args"].update(report_to=["trackio"], project="embedding-test")
    # TRACKIO_DIR is read when trackio is imported: a fresh process keeps the store in tmp_path
    env = {"TRACKIO_DIR": str(tmp_path / "trackio"), "PATH": "/usr/bin:/bin", "HF_HUB_OFFLINE": "1"}
    run = subprocess.run(
        [sys.executable, "-c", TRACKIO_SCRIPT, json.dumps(config)],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=REPO,
        env={**__import__("os").environ, **env},
    )
    assert run.returncode == 0, run.stderr[-3000:]
    found = json.loads(run.stdout.strip().splitlines()[-1])
    assert any("train/loss" in row or "loss" in row for row in found["logs"])
    assert found["config"]["config.run_name"] == "test-run"
