"""`report_to: [mlflow]`, `[trackio]` and `[wandb]` (offline) with the real libraries and local stores: a run's
metrics, its resolved config (secrets redacted) and, for mlflow, the final model as an artifact, read back with each
library's client (wandb: its own record schema over the offline run file)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import EFAQ_ROWS, base_config, write_jsonl

REPO = Path(__file__).resolve().parents[2]


def in_a_process(argv: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    """Python with `argv` in a fresh process (trackers read their settings once, at import), which must succeed."""
    run = subprocess.run(
        [sys.executable, *argv], capture_output=True, text=True, timeout=600, cwd=REPO, env={**os.environ, **env}
    )
    assert run.returncode == 0, run.stderr[-3000:]
    return run


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
    run = in_a_process(["-c", TRACKIO_SCRIPT, json.dumps(config)], env)
    found = json.loads(run.stdout.strip().splitlines()[-1])
    assert any("train/loss" in row or "loss" in row for row in found["logs"])
    assert found["config"]["config.run_name"] == "test-run"


def wandb_records(path: Path):
    """The records of a wandb offline run file (`run-<id>.wandb`), decoded with wandb's own protobuf schema.

    wandb reads these files only in its Go service (`wandb sync` uploads them); the file is a LevelDB log: 32 KiB
    blocks of chunks, each `crc32c (4) | length (2, LE) | type (1: full, 2: first, 3: middle, 4: last)`, after a
    7-byte `:W&B` header.
    """
    import struct

    from wandb.proto import wandb_internal_pb2

    data, block, pos, pending = path.read_bytes(), 32768, 7, b""
    assert data[:4] == b":W&B", data[:8]
    while pos + 7 <= len(data):
        if block - pos % block < 7:  # a block's tail too short for a chunk header is padding
            pos += block - pos % block
            continue
        _, length, kind = struct.unpack("<IHB", data[pos : pos + 7])
        if kind == 0:
            break
        pending += data[pos + 7 : pos + 7 + length]
        pos += 7 + length
        if kind in (1, 4):
            record = wandb_internal_pb2.Record()
            record.ParseFromString(pending)
            pending = b""
            yield record


@pytest.mark.slow
def test_wandb_offline_gets_metrics_and_the_resolved_config(tiny_bert, efaq_data, tmp_path):
    pytest.importorskip("wandb")
    config = base_config(tiny_bert, efaq_data, tmp_path / "runs")
    config["args"]["report_to"] = ["wandb"]
    config["base_model"]["args"] = {"token": "hf_secretsecretsecret"}  # must reach wandb redacted
    env = {
        "WANDB_MODE": "offline",
        "WANDB_DIR": str(tmp_path),
        "WANDB_PROJECT": "embedding-test",
        "WANDB__SERVICE_WAIT": "300",  # wandb's local service may start slowly on a loaded CI machine (default 30 s)
        "HF_HUB_OFFLINE": "1",
    }
    (tmp_path / "config.json").write_text(json.dumps(config))  # a file, as users do: wandb records the command line
    in_a_process(["-m", "embedding", "train", "--config", str(tmp_path / "config.json")], env)
    (path,) = (tmp_path / "wandb").glob("offline-run-*/run-*.wandb")
    records = list(wandb_records(path))
    (opened,) = [r.run for r in records if r.WhichOneof("record_type") == "run"]
    assert (opened.display_name, opened.project) == ("test-run", "embedding-test")
    history = [
        {i.key or "/".join(i.nested_key): i.value_json for i in r.history.item} for r in records if r.history.item
    ]
    losses = [float(row["train/loss"]) for row in history if "train/loss" in row]
    assert len(losses) == config["args"]["max_steps"] and all(loss > 0 for loss in losses), history
    assert any(key.startswith("eval/") for row in history for key in row)
    settings = {i.key: i.value_json for r in records for i in r.config.update}
    assert json.loads(settings["config.run_name"]) == "test-run"
    assert json.loads(settings["config.base_model.args.token"]) == "***"
    assert b"hf_secretsecretsecret" not in path.read_bytes()
