"""Mining and `evaluation.tasks` in a 2-process run use both processes and give the 1-process rows and metrics."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import yaml

from tests.conftest import REPO, base_config, write_tiny_bert

# Runs the CLI with SentenceTransformer._inference (what encodes a process's share of each encode call) counting
# the texts each process encoded per model folder, and the rows each mining produced; written per rank at exit.
COUNTING_CLI = """
import atexit, collections, json, os, sys
from sentence_transformers import SentenceTransformer
import embedding.data.mining as mining

counted, mined = collections.Counter(), []
encode, mine = SentenceTransformer._inference, mining.mine

def counting(self, inputs, *args, **kwargs):
    counted[os.path.basename(self[0].auto_model.config.name_or_path.rstrip("/"))] += len(inputs)
    return encode(self, inputs, *args, **kwargs)

def recording(data, *args, **kwargs):
    mine(data, *args, **kwargs)
    mined.append(data.dataset.to_list())

SentenceTransformer._inference, mining.mine = counting, recording
out = os.path.join(sys.argv[1], f"rank{os.environ.get('RANK', '0')}.json")
atexit.register(lambda: open(out, "w").write(json.dumps({"texts": counted, "rows": mined})))
from embedding.cli import main
sys.exit(main(sys.argv[2:]))
"""


def test_the_dealt_batches_are_the_batches_of_one_process(tiny_bert):
    """Sharded mining deals whole 1-process batches, so each text meets the same batch mates as in one process."""
    from embedding.config.common import ModelSpec
    from embedding.models import load_model
    from embedding.training.distributed.sharded_mining import one_process_batches

    model, _ = load_model(ModelSpec(name=str(tiny_bert)))
    texts = [" ".join(["pedido"] * (i % 7 + 1)) + f" {i}" for i in range(23)]  # many ties in length
    seen = []
    preprocess = model.preprocess
    model.preprocess = lambda batch, **kwargs: seen.append(sorted(batch)) or preprocess(batch, **kwargs)
    model.encode(texts, batch_size=4)
    assert [sorted(texts[i] for i in batch) for batch in one_process_batches(model, texts, 4)] == seen


def config(tmp_path, model, miner, data, name):
    cfg = base_config(model, data, tmp_path / name, evaluator=None, early_stopping=None)
    cfg["objectives"] = [cfg["objectives"][0]]
    train = cfg["objectives"][0]["datasets"]["train"]
    cfg["objectives"][0]["datasets"].pop("validation")
    # A random BERT scores every pair ~1, so candidates are near-tied: any change in an embedding's last bits
    # would reorder them. Batches of 4: enough batches to deal to both processes.
    mining = {"model": str(miner), "num_negatives": 3, "relative_margin": None, "batch_size": 4}
    train["preprocess_args"] = {"mine_hard_negatives": mining}
    cfg["args"] = {"max_steps": 2, "per_device_train_batch_size": 2, "report_to": "none", "save_strategy": "no"}
    cfg["evaluation"] = {"before": False, "tasks": [{"type": "ir", "dataset": {"name": str(data)}, "split": "test"}]}
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return path, tmp_path / name / "test-run"


def run(argv, env):
    result = subprocess.run(argv, cwd=REPO, env=env, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]


@pytest.mark.slow
def test_mining_and_tasks_are_sharded_and_equal_one_process(tmp_path, efaq_dir):
    model = write_tiny_bert(tmp_path / "bert", dropout=0.0)
    miner = write_tiny_bert(tmp_path / "miner", seed=1)
    script = tmp_path / "counting_cli.py"
    script.write_text(COUNTING_CLI)
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1"}
    sides = {}
    for name, launcher in {
        "two": [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2"],
        "one": [sys.executable],
    }.items():
        cfg, run_dir = config(tmp_path, model, miner, efaq_dir, name)
        (tmp_path / f"counts-{name}").mkdir()
        cache = {"HF_DATASETS_CACHE": str(tmp_path / f"cache-{name}")}  # each side mines: no shared cache
        run([*launcher, str(script), str(tmp_path / f"counts-{name}"), "train", "-c", str(cfg)], {**env, **cache})
        sides[name] = run_dir
    ranks = [json.loads((tmp_path / "counts-two" / f"rank{r}.json").read_text()) for r in (0, 1)]
    (one,) = [json.loads((tmp_path / "counts-one" / "rank0.json").read_text())]

    # Mining: both processes encoded about half of the mining texts, and every process's rows (rank 0 mined,
    # rank 1 read them from the cache) equal the 1-process rows, negatives and their order included.
    miner_texts = [r["texts"].get("miner", 0) for r in ranks]
    assert sum(miner_texts) == one["texts"]["miner"] and min(miner_texts) >= 0.4 * sum(miner_texts), miner_texts
    assert one["rows"] and ranks[0]["rows"] == one["rows"] and ranks[1]["rows"] == one["rows"]
    assert any(row.get("negative_3") for row in one["rows"][0])

    # evaluation.tasks: the base model (bert/, encoded only by the tasks here) and the trained one (final/) were
    # each encoded by both processes; the base model's metrics equal the 1-process ones (the trained models differ:
    # 2 processes train on a global batch twice as large).
    for folder in ("bert", "final"):
        texts = [r["texts"].get(folder, 0) for r in ranks]
        assert min(texts) >= 0.4 * sum(texts) > 0, (folder, texts)
    two_rows, one_rows = (json.loads((d / "evaluation.json").read_text())["tasks"] for d in sides.values())
    assert {r["model"] for r in two_rows} == {"before", "after"}
    before = {(r["task"], r["dim"], r["metric"]): r["value"] for r in one_rows if r["model"] == "before"}
    sharded = {(r["task"], r["dim"], r["metric"]): r["value"] for r in two_rows if r["model"] == "before"}
    assert sharded.keys() == before.keys() and before
    assert all(sharded[k] == pytest.approx(before[k], abs=1e-6) for k in before), (sharded, before)


# Rank 0 fails before mining and while the other rank serves its mining model: every rank stops with a message.
# At exit each rank says whether its process group is still up: one left to interpreter finalization can abort
# a rank (SIGABRT) after everything succeeded.
FAILING = """
import atexit, os, sys
import torch.distributed as dist
from embedding.config.common import ModelSpec
from embedding.data.mining import ENCODING
from embedding.errors import DataError, UserError
from embedding.models import load_model
from embedding.training.distributed.coordination import state
from embedding.training.distributed.sharded_mining import mine_on_every_rank

atexit.register(lambda: print(f"rank {os.environ['RANK']}: group up at exit: {dist.is_initialized()}", flush=True))
state()

def before():
    raise DataError("objectives[0].datasets.train: bad before")

def during():
    spec = ModelSpec(name=sys.argv[1])
    model, _ = load_model(spec)
    with ENCODING.get()(model, spec, "where"):
        model.encode(["a b", "c d e", "f"] * 5, batch_size=2)
        raise DataError("objectives[0].datasets.train: bad during")

for step in (before, during):
    try:
        mine_on_every_rank(step)
    except UserError as exc:
        print(f"rank {os.environ['RANK']}: {exc}", flush=True)
"""


@pytest.mark.slow
def test_a_failure_on_rank_0_stops_every_rank_with_its_message(tmp_path, tiny_bert):
    script = tmp_path / "failing.py"
    script.write_text(FAILING)
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1"}
    torchrun = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2"]
    result = subprocess.run(
        [*torchrun, str(script), str(tiny_bert)], cwd=REPO, env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    for when in ("before", "during"):
        assert f"rank 0: objectives[0].datasets.train: bad {when}" in result.stdout
        assert (
            f"rank 1: stopped: the main process (rank 0) failed during preprocessing: "
            f"objectives[0].datasets.train: bad {when}" in result.stdout
        )
    for rank in (0, 1):
        assert f"rank {rank}: group up at exit: False" in result.stdout, result.stdout
