"""The final model of a sharded run (FSDP, DeepSpeed ZeRO-3) is a plain sentence-transformers folder holding the
gathered, trained weights."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import yaml

from tests.conftest import REPO, base_config, write_tiny_bert
from tests.training.runs import max_difference, weights

# Two gloo processes shard the tiny model with FSDP2 (`fully_shard`, which runs on CPU), take one SGD step, gather
# the full state dict as accelerate does for FSDP2, and save through EngineSaveMixin._save on rank 0, whose parent
# saves the module itself as sentence-transformers' `_save` does. Rank 0 also keeps the gathered tensors.
FSDP_SAVE = """
import sys, torch, torch.distributed as dist
from torch.distributed.fsdp import fully_shard
from torch.distributed.checkpoint.state_dict import StateDictOptions, get_model_state_dict
from sentence_transformers import SentenceTransformer
from embedding.training.distributed.engine_save import EngineSaveMixin, is_sharded

class SentenceTransformersSave:
    def _save(self, output_dir, state_dict=None):
        self.model.save_pretrained(output_dir)

class Trainer(EngineSaveMixin, SentenceTransformersSave):
    pass

dist.init_process_group("gloo")
model = SentenceTransformer(sys.argv[1], device="cpu")
assert not is_sharded(model)
for layer in model[0].auto_model.encoder.layer:
    fully_shard(layer)
fully_shard(model)
assert is_sharded(model)
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
model(model.preprocess(["como pedir o cartao", "frete gratis troca"]))["sentence_embedding"].pow(2).sum().backward()
optimizer.step()
state_dict = get_model_state_dict(model, options=StateDictOptions(full_state_dict=True, cpu_offload=True))
trainer = object.__new__(Trainer)
trainer.model = model
trainer.args = type("Args", (), {"should_save": dist.get_rank() == 0})()
trainer.accelerator = type("Accelerator", (), {"unwrap_model": staticmethod(lambda m, **kw: m)})()
if dist.get_rank() == 0:
    trainer._save(sys.argv[2], state_dict=state_dict)
    torch.save(state_dict, sys.argv[3])
    assert is_sharded(model)  # the shards are back in place after the save
dist.barrier()
dist.destroy_process_group()
"""


def test_gathered_weights_are_what_is_saved_and_the_module_is_restored(tiny_bert, tmp_path):
    import torch
    from sentence_transformers import SentenceTransformer

    from embedding.training.distributed.engine_save import gathered_weights

    model = SentenceTransformer(str(tiny_bert), device="cpu")
    original = {k: v.clone() for k, v in model.state_dict().items()}
    gathered = {k: v + 1.0 if v.is_floating_point() else v for k, v in original.items()}
    with gathered_weights(model, gathered):
        model.save_pretrained(str(tmp_path / "saved"))
    assert all(torch.equal(v, original[k]) for k, v in model.state_dict().items())
    saved = SentenceTransformer(str(tmp_path / "saved"), device="cpu").state_dict()
    assert saved.keys() == gathered.keys()
    assert all(torch.equal(saved[k], gathered[k]) for k in gathered)


def test_gathered_weights_without_a_parameter_is_an_error(tiny_bert):
    from sentence_transformers import SentenceTransformer

    from embedding.training.distributed.engine_save import gathered_weights

    model = SentenceTransformer(str(tiny_bert), device="cpu")
    state_dict = dict(model.state_dict())
    state_dict.pop(next(iter(state_dict)))
    with pytest.raises(RuntimeError, match="lack the parameter"), gathered_weights(model, state_dict):
        pass


@pytest.mark.slow
def test_fsdp_sharded_model_saves_a_plain_folder_with_the_trained_weights(tmp_path):
    import torch
    from sentence_transformers import SentenceTransformer

    model_dir = write_tiny_bert(tmp_path / "bert", dropout=0.0)
    script = tmp_path / "fsdp_save.py"
    script.write_text(FSDP_SAVE)
    saved, expected = tmp_path / "saved", tmp_path / "gathered.pt"
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1"}
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2"]
    result = subprocess.run(
        [*command, str(script), str(model_dir), str(saved), str(expected)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    loaded = SentenceTransformer(str(saved), device="cpu").state_dict()
    gathered = torch.load(expected)
    base = SentenceTransformer(str(model_dir), device="cpu").state_dict()
    assert loaded.keys() == gathered.keys() == base.keys()
    assert all(torch.equal(loaded[k], gathered[k]) for k in gathered)  # the whole gathered model, not shards
    assert max(float((loaded[k] - base[k]).abs().max()) for k in base) > 1e-4  # trained, not the base


def _run_config(tmp_path, model, efaq_dir, name: str, *, evaluator: bool = False, **engine) -> tuple:
    cfg = base_config(model, efaq_dir, tmp_path / name, early_stopping=None)
    cfg["objectives"] = [cfg["objectives"][0]]
    cfg["objectives"][0]["datasets"].pop("validation")
    if not evaluator:
        cfg.pop("evaluator")
    cfg["args"] = {
        "max_steps": 3,
        "per_device_train_batch_size": 2,
        "learning_rate": 1e-2,
        "save_strategy": "no",
        "logging_steps": 1,
        "report_to": "none",
        "dataloader_num_workers": 0,
        **engine,
    }
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return path, tmp_path / name / "test-run" / "final"


@pytest.mark.slow
def test_deepspeed_zero3_on_cpu_saves_the_ddp_runs_weights(tmp_path, efaq_dir):
    """ZeRO-3 with 2 CPU processes (DeepSpeed's CPU accelerator) trains the same weights as plain DDP, final/
    holds them whole, and the before/after evaluation (every forward collective) completes. Needs deepspeed (not
    installed by CI: the `deepspeed` extra) and builds its CPU communication op on first use."""
    pytest.importorskip("deepspeed")
    model = write_tiny_bert(tmp_path / "bert", dropout=0.0)
    ds = tmp_path / "zero3.json"
    ds.write_text((REPO / "examples" / "deepspeed" / "zero3.json").read_text())
    zero3_cfg, zero3_final = _run_config(tmp_path, model, efaq_dir, "zero3", evaluator=True, deepspeed=str(ds))
    ddp_cfg, ddp_final = _run_config(tmp_path, model, efaq_dir, "ddp")
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1"}
    torchrun = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2"]
    for cfg in (zero3_cfg, ddp_cfg):
        result = subprocess.run(
            [*torchrun, "-m", "embedding", "train", "-c", str(cfg)],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=900,
        )
        assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    assert (zero3_final / "modules.json").exists() and not list(zero3_final.glob("global_step*"))
    evaluation = json.loads((zero3_final.parent / "evaluation.json").read_text())
    assert evaluation["before"]["cosine_ndcg@10"] > 0 and evaluation["after"]["cosine_ndcg@10"] > 0
    assert max_difference(zero3_final, ddp_final) < 1e-4  # fp32 reductions in another order, nothing more
    trained, base = weights(zero3_final), weights(model)
    assert max(float((trained[k] - base[k]).abs().max()) for k in base) > 1e-4
