"""The before/after evaluation of a 2-process run uses both processes and gives the 1-process metrics."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import yaml

from tests.conftest import REPO, base_config, write_tiny_bert

# Runs the CLI with SentenceTransformer._inference (what encodes a process's share of each encode call) counting
# the texts each process encoded, written per rank at exit.
COUNTING_CLI = """
import atexit, json, os, sys
from sentence_transformers import SentenceTransformer

counted = {"texts": 0}
encode = SentenceTransformer._inference

def counting(self, inputs, *args, **kwargs):
    counted["texts"] += len(inputs)
    return encode(self, inputs, *args, **kwargs)

SentenceTransformer._inference = counting
rank = os.environ.get("RANK", "0")
atexit.register(lambda: open(os.path.join(sys.argv[1], f"rank{rank}.json"), "w").write(json.dumps(counted)))
from embedding.cli import main
sys.exit(main(sys.argv[2:]))
"""


def config(tmp_path, model, data, name):
    cfg = base_config(model, data, tmp_path / name, early_stopping=None)
    cfg["objectives"] = [cfg["objectives"][0]]
    cfg["objectives"][0]["datasets"].pop("validation")
    cfg["args"].update({"max_steps": 2, "per_device_train_batch_size": 2, "eval_strategy": "no"})
    cfg["args"].pop("eval_steps", None)
    cfg["args"].pop("load_best_model_at_end", None)
    cfg["args"].pop("metric_for_best_model", None)
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return path, tmp_path / name / "test-run"


def run(argv, env):
    result = subprocess.run(argv, cwd=REPO, env=env, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]


@pytest.mark.slow
def test_before_and_after_evaluation_are_sharded_and_equal_one_process(tmp_path, efaq_dir):
    model = write_tiny_bert(tmp_path / "bert", dropout=0.0)
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1"}
    script = tmp_path / "counting_cli.py"
    script.write_text(COUNTING_CLI)
    counts = tmp_path / "counts"
    counts.mkdir()
    two_cfg, two_run = config(tmp_path, model, efaq_dir, "two")
    one_cfg, one_run = config(tmp_path, model, efaq_dir, "one")

    torchrun = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2"]
    run([*torchrun, str(script), str(counts), "train", "-c", str(two_cfg)], env)
    run([sys.executable, "-m", "embedding", "train", "-c", str(one_cfg)], env)

    ranks = [json.loads((counts / f"rank{r}.json").read_text())["texts"] for r in (0, 1)]
    assert min(ranks) > 0 and min(ranks) >= 0.4 * sum(ranks), ranks  # both processes encoded, about half each
    # The base model is the same in both runs: the sharded evaluation gives the 1-process metrics.
    two, one = (json.loads((d / "evaluation.before.json").read_text()) for d in (two_run, one_run))
    assert two.keys() == one.keys() and two
    assert all(two[k] == pytest.approx(one[k], abs=1e-6) for k in one), (two, one)
    assert "cosine_ndcg@10" in json.loads((two_run / "evaluation.json").read_text())["after"]
