"""Training on streamed rows: a run with `streaming: true` + max_steps, and exact resume mid-stream after SIGKILL."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from types import SimpleNamespace

import pytest

from tests.conftest import EFAQ_ROWS, REPO, write_jsonl
from tests.training.runs import small_config, weights, write_config
from tests.training.test_resume import run_driver


def streamed_config(tiny_bert, efaq_dir, out, **args) -> dict:
    """One contrastive objective on streamed rows: 16 rows, batch 4, so 6 steps cross an epoch boundary."""
    cfg = small_config(tiny_bert, efaq_dir, out, **args)
    cfg["objectives"] = cfg["objectives"][:1]
    cfg["objectives"][0]["datasets"]["train"]["streaming"] = True
    return cfg


def training_events(run_dir) -> list[dict]:
    events = [json.loads(line) for line in (run_dir / "logs.jsonl").read_text().splitlines()]
    return [e for e in events if "loss" in e]


def logged_steps(run_dir) -> list[int]:
    return [e["step"] for e in training_events(run_dir)]


def logged_losses(run_dir) -> list[float]:
    return [e["loss"] for e in training_events(run_dir)]


def test_a_streamed_run_trains_max_steps_and_says_so(tmp_path, tiny_bert, efaq_dir, capsys):
    from embedding.cli import main

    cfg = write_config(tmp_path / "cfg.yaml", streamed_config(tiny_bert, efaq_dir, tmp_path / "out"))
    assert main(["train", "-c", str(cfg)]) == 0
    run_dir = tmp_path / "out" / "test-run"
    assert logged_steps(run_dir) == [1, 2, 3, 4, 5, 6]
    assert (run_dir / "final" / "model.safetensors").exists()
    train_log = (run_dir / "train.log").read_text()
    assert "rows 16 (from 8 raw)" in train_log  # the exact count of the start-up pass, as in memory
    assert "streamed: not grouped" in train_log


@pytest.mark.slow
def test_sigkill_mid_stream_then_resume_is_bitwise_identical(tmp_path, tiny_bert, efaq_dir):
    import torch

    from embedding.cli import main

    def make(name):
        cfg = streamed_config(tiny_bert, efaq_dir, tmp_path / name)
        return write_config(tmp_path / f"{name}.yaml", cfg), tmp_path / name / "test-run"

    (straight_cfg, straight_run), (killed_cfg, killed_run) = make("straight"), make("killed")
    assert main(["train", "-c", str(straight_cfg)]) == 0
    # Killed during step 3: checkpoint-2 is mid-way through the stream's first epoch (4 steps), so the resume
    # replays the rest of epoch 0 and then a reshuffled epoch 1.
    killed = run_driver(tmp_path, killed_cfg, 3, signal.SIGKILL)
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-2000:]
    assert (killed_run / "checkpoint-2" / "trainer_state.json").exists()
    assert not (killed_run / "final").exists()

    assert main(["train", "-c", str(killed_cfg), "--resume"]) == 0
    a, b = weights(straight_run / "final"), weights(killed_run / "final")
    assert a.keys() == b.keys()
    assert all(torch.equal(a[k], b[k]) for k in a), "resumed weights differ from the uninterrupted run"
    assert logged_steps(killed_run) == [1, 2, 3, 4, 5, 6]
    # The same batches, not only the same end: every step's loss equals the uninterrupted run's.
    assert logged_losses(straight_run) == logged_losses(killed_run)


def sharded_efaq(folder, sizes=(5, 3)) -> None:
    """The e-faq rows in one file per shard, of unequal sizes."""
    rows, start = EFAQ_ROWS * 4, 0
    for i, size in enumerate(sizes):
        write_jsonl(folder / f"train-{i:05d}-of-{len(sizes):05d}.jsonl", rows[start : start + size])
        start += size


def test_several_processes_read_their_own_shards_unless_told(tmp_path, monkeypatch):
    from embedding.config.schema import TrainDatasetSpec
    from embedding.data.sources import stream_parts
    from embedding.data.stream_rows import streamed_rows
    from embedding.training.trainer import arguments

    sharded_efaq(tmp_path / "efaq")
    spec = TrainDatasetSpec(name=str(tmp_path / "efaq"), args={"split": "train"}, streaming=True)
    rows = streamed_rows(stream_parts(spec, "w"), "contrastive", {}, seed=1, where="w")
    plan = SimpleNamespace(objectives=[SimpleNamespace(train=rows)])

    def accelerator(processes: int, **args):
        monkeypatch.setenv("WORLD_SIZE", str(processes))
        arguments._apply_stream_sharding(plan, args)
        return args.get("accelerator_config")

    assert accelerator(2) == {"dispatch_batches": False}
    assert accelerator(2, accelerator_config={"dispatch_batches": True}) == {"dispatch_batches": True}  # theirs
    assert accelerator(2, accelerator_config={"split_batches": False}) == {
        "dispatch_batches": False,
        "split_batches": False,
    }
    assert accelerator(3) is None  # 2 files, 3 processes: rank 0 reads the stream for all
    assert accelerator(1) is None


@pytest.mark.slow
def test_two_processes_train_on_their_own_unequal_shards(tmp_path, tiny_bert):
    """2 gloo processes, 2 files of 5 and 3 e-faq rows: each process reads its file, both run the same steps."""
    sharded_efaq(tmp_path / "efaq")
    cfg = streamed_config(tiny_bert, tmp_path / "efaq", tmp_path / "out", per_device_train_batch_size=2)
    cfg["objectives"][0]["datasets"]["train"]["args"] = {"split": "train"}
    path = write_config(tmp_path / "cfg.yaml", cfg)
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "embedding", "train", "-c", str(path), "--nproc", "2"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    run_dir = tmp_path / "out" / "test-run"
    assert logged_steps(run_dir) == [1, 2, 3, 4, 5, 6]
    assert (run_dir / "final" / "model.safetensors").exists()
    train_log = (run_dir / "train.log").read_text()
    assert "each of 2 processes reads its own shards" in train_log, train_log[-3000:]
