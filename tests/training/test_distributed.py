"""Two processes on CPU (gloo): one final model, one log without duplicates, same step-1 loss as one process."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import yaml

from tests.conftest import REPO, base_config, write_tiny_bert


def config(tmp_path, model, data, name, per_device, gather):
    cfg = base_config(model, data, tmp_path / name, early_stopping=None)
    cfg["objectives"] = [cfg["objectives"][0]]
    cfg["objectives"][0]["datasets"].pop("validation")
    cfg["objectives"][0].pop("matryoshka")
    cfg["objectives"][0]["gather_across_devices"] = gather
    cfg["args"] = {
        "max_steps": 2,
        "per_device_train_batch_size": per_device,
        "learning_rate": 1e-3,
        "logging_steps": 1,
        "report_to": "none",
        "save_strategy": "no",
        "seed": 3,
        "dataloader_num_workers": 0,
        "eval_strategy": "steps",
        "eval_steps": 2,
    }
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return path, tmp_path / name / "test-run"


def losses(run_dir):
    return [
        json.loads(line)["loss"]
        for line in (run_dir / "logs.jsonl").read_text().splitlines()
        if "loss" in json.loads(line)
    ]


# The README's launchers. `accelerate launch` needs --multi_gpu: on a machine without GPUs it then starts 2 processes
# (gloo), while `--cpu` would start ONE process (accelerate's simple launcher) that trains alone.
LAUNCHERS = {
    "nproc": lambda cfg: [sys.executable, "-m", "embedding", "train", "-c", str(cfg), "--nproc", "2"],
    "accelerate": lambda cfg: [
        sys.executable,
        "-m",
        "accelerate.commands.launch",
        "--multi_gpu",
        "--num_processes",
        "2",
        "--num_machines",
        "1",
        "--mixed_precision",
        "no",
        "--dynamo_backend",
        "no",
        "-m",
        "embedding",
        "train",
        "-c",
        str(cfg),
    ],
}


@pytest.mark.slow
@pytest.mark.parametrize("launcher", list(LAUNCHERS))
def test_two_processes_write_once_and_match_one_process(tmp_path, efaq_dir, launcher):
    model = write_tiny_bert(tmp_path / "bert", dropout=0.0)
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1"}
    two_cfg, two_run = config(tmp_path, model, efaq_dir, "two", per_device=2, gather=True)
    one_cfg, one_run = config(tmp_path, model, efaq_dir, "one", per_device=4, gather=True)

    result = subprocess.run(
        LAUNCHERS[launcher](two_cfg), cwd=REPO, env=env, capture_output=True, text=True, timeout=900
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert (
        subprocess.run(
            [sys.executable, "-m", "embedding", "train", "-c", str(one_cfg)],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=900,
        ).returncode
        == 0
    )

    assert [p.name for p in (tmp_path / "two").iterdir()] == ["test-run"]
    assert (two_run / "final" / "modules.json").exists()
    lines = (two_run / "logs.jsonl").read_text().splitlines()
    assert len(lines) == len(set(lines))  # rank 0 alone writes
    assert [json.loads(line).get("step") for line in lines if "loss" in json.loads(line)] == [1, 2]
    # 2 processes x 2 rows with gather_across_devices = 1 process x 4 rows: proves the processes share the batch
    assert losses(two_run)[0] == pytest.approx(losses(one_run)[0], rel=1e-4)
    # The in-training evaluation ran once (rank 0, sharded encoding) and was logged once, with the same metrics
    # as the 1-process run; so did the before/after evaluation.
    evals = [json.loads(line) for line in lines if "eval_cosine_ndcg@10" in line]
    assert len(evals) == 1
    one_evals = [
        json.loads(line) for line in (one_run / "logs.jsonl").read_text().splitlines() if "eval_cosine_ndcg@10" in line
    ]
    assert evals[0]["eval_cosine_ndcg@10"] == pytest.approx(one_evals[0]["eval_cosine_ndcg@10"], abs=1e-4)
    after = json.loads((two_run / "evaluation.json").read_text())["after"]
    assert after["cosine_ndcg@10"] == pytest.approx(
        json.loads((one_run / "evaluation.json").read_text())["after"]["cosine_ndcg@10"], abs=1e-4
    )
