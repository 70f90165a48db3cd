"""LoRA runs on the tiny model: only the adapter trains (also with Matryoshka, distillation and a cached loss),
final/ is the merged plain model, final-adapter/ the adapter, and a killed run resumes exactly."""

from __future__ import annotations

import json
import math
import signal
from pathlib import Path

import pytest
import torch

from embedding import train
from tests.conftest import REPO, write_tiny_bert
from tests.training.runs import small_config, weights, write_config
from tests.training.test_resume import run_driver

ADAPTER = {"type": "lora", "r": 4, "alpha": 8.0, "dropout": 0.0}
TEXTS = ["como pedir o cartao da empresa", "qual prazo de entrega", "cancelar pedido", "frete gratis"]


def lora_config(tiny_bert: Path, efaq_dir: Path, out: Path, *, evaluator: bool = False, **args) -> dict:
    """small_config (both objectives with Matryoshka) with a LoRA adapter and a learning rate that moves it."""
    cfg = small_config(tiny_bert, efaq_dir, out, evaluator=evaluator, learning_rate=0.05, **args)
    cfg["base_model"]["adapter"] = dict(ADAPTER)
    return cfg


def assert_only_adapter_changed(tiny_bert: Path, checkpoint: Path) -> None:
    """The checkpoint's base weights equal the base model's bit for bit; its adapter weights moved."""
    from safetensors.torch import load_file

    base = load_file(str(tiny_bert / "model.safetensors"))
    saved = load_file(str(checkpoint / "model.safetensors"))
    assert saved.keys() == base.keys()
    assert all(torch.equal(saved[k], base[k]) for k in base), "a base weight changed"
    lora = load_file(str(checkpoint / "lora_adapter.safetensors"))
    assert lora and all(".lora_A." in k or ".lora_B." in k for k in lora)
    assert all(bool(v.abs().max() > 0) for k, v in lora.items() if ".lora_B." in k), "the adapter did not train"


def step_losses(run_dir: Path) -> list[float]:
    logs = [json.loads(line) for line in (run_dir / "logs.jsonl").read_text().splitlines()]
    losses = [record["loss"] for record in logs if "loss" in record and "step" in record]
    assert losses
    return losses


@pytest.mark.slow
def test_lora_run_saves_merged_final_and_adapter(tmp_path, tiny_bert, efaq_dir):
    from peft import PeftModel
    from safetensors.torch import load_file
    from sentence_transformers import SentenceTransformer

    result = train(lora_config(tiny_bert, efaq_dir, tmp_path / "out", evaluator=True))
    run_dir = result.run_dir
    banner = (run_dir / "train.log").read_text()  # the banner's facts are log records too
    assert "trainable: " in banner and "LoRA r=4 alpha=8 on query, value" in banner
    assert all(math.isfinite(loss) for loss in step_losses(run_dir))
    assert_only_adapter_changed(tiny_bert, run_dir / "checkpoint-6")
    # final/ comes from the best checkpoint, which the trainer loads back with its adapter
    best = json.loads((run_dir / "checkpoint-6" / "trainer_state.json").read_text())["best_model_checkpoint"]
    # final/ is a plain model (no adapter files, standard modules) and equals the trained adapter model
    assert not [p.name for p in (run_dir / "final").iterdir() if "adapter" in p.name]
    final = SentenceTransformer(str(run_dir / "final"))
    assert all(type(m).__module__.startswith("sentence_transformers") for m in final)
    trained = SentenceTransformer(best, trust_remote_code=True)
    expected = trained.encode(TEXTS, convert_to_tensor=True)
    assert (final.encode(TEXTS, convert_to_tensor=True) - expected).abs().max() < 1e-5
    base = SentenceTransformer(str(run_dir / "final"))  # same modules; the base weights go back in below
    base[0].model.load_state_dict(load_file(str(tiny_bert / "model.safetensors")))
    assert (base.encode(TEXTS, convert_to_tensor=True) - expected).abs().max() > 1e-3  # training moved it
    base[0].model = PeftModel.from_pretrained(base[0].model, str(run_dir / "final-adapter"))
    assert (base.encode(TEXTS, convert_to_tensor=True) - expected).abs().max() < 1e-5


@pytest.mark.slow
@pytest.mark.parametrize("loss", ["distillation", "cached-ranking"])
def test_lora_with_distillation_and_cached_loss(tmp_path, tiny_bert, efaq_dir, loss):
    cfg = lora_config(tiny_bert, efaq_dir, tmp_path / "out", max_steps=2, save_steps=2)
    for objective in cfg["objectives"]:
        objective.pop("matryoshka", None)  # Matryoshka has its own run above
    if loss == "distillation":
        teacher = write_tiny_bert(tmp_path / "teacher", hidden=24, seed=5)
        for objective in cfg["objectives"]:
            objective["distillation"] = {"alpha": 0.5, "teacher": {"name": str(teacher)}}
    else:
        cfg["objectives"] = cfg["objectives"][:1]
        cfg["objectives"][0].update(loss="cached-ranking", loss_args={"mini_batch_size": 2})
    result = train(cfg)
    assert all(math.isfinite(loss) for loss in step_losses(result.run_dir))
    if loss == "distillation":
        logs = (result.run_dir / "logs.jsonl").read_text()
        assert "loss/contrastive/distillation" in logs and "loss/similarity/distillation" in logs
    assert_only_adapter_changed(tiny_bert, result.run_dir / "checkpoint-2")


@pytest.mark.slow
def test_sigkill_then_resume_with_adapter_is_exact(tmp_path, tiny_bert, efaq_dir):
    from embedding.cli import main

    straight = write_config(tmp_path / "straight.yaml", lora_config(tiny_bert, efaq_dir, tmp_path / "straight"))
    killed = write_config(tmp_path / "killed.yaml", lora_config(tiny_bert, efaq_dir, tmp_path / "killed"))
    assert main(["train", "-c", str(straight)]) == 0

    stopped = run_driver(tmp_path, killed, 3, signal.SIGKILL)
    assert stopped.returncode == -signal.SIGKILL, stopped.stderr[-2000:]
    run_dir = tmp_path / "killed" / "test-run"
    assert (run_dir / "checkpoint-2" / "lora_adapter.safetensors").exists() and not (run_dir / "final").exists()
    assert main(["train", "-c", str(killed), "--resume"]) == 0
    for folder in ("final", "final-adapter", "checkpoint-6"):
        a, b = weights(tmp_path / "straight" / "test-run" / folder), weights(run_dir / folder)
        assert a.keys() == b.keys()
        assert all(torch.equal(a[k], b[k]) for k in a), f"{folder}: resumed weights differ from the straight run"


@pytest.mark.slow
def test_quickstart_with_lora_trains_few_parameters_and_beats_the_base(tmp_path, monkeypatch):
    """The issue's target: < 5 % of the parameters train, and validation nDCG@10 ends above the base model's."""
    from safetensors.torch import load_file

    from embedding.cli import main

    monkeypatch.chdir(REPO)  # the example names its data relative to the repository root
    overrides = {
        "output_dir": str(tmp_path),
        "base_model.adapter": "{r: 8, alpha: 16.0}",
        "args.learning_rate": "0.001",  # LoRA's usual rate: the adapter starts as a no-op (B = 0)
    }
    sets = [part for key, value in overrides.items() for part in ("--set", f"{key}={value}")]
    assert main(["train", "-c", str(REPO / "examples" / "quickstart.yaml"), *sets]) == 0
    run_dir = tmp_path / "quickstart"
    checkpoint = sorted(run_dir.glob("checkpoint-*"))[-1]
    lora = sum(v.numel() for v in load_file(str(checkpoint / "lora_adapter.safetensors")).values())
    base = sum(v.numel() for v in load_file(str(checkpoint / "model.safetensors")).values())
    assert lora / (lora + base) < 0.05
    results = json.loads((run_dir / "evaluation.json").read_text())
    assert results["after"]["cosine_ndcg@10"] > results["before"]["cosine_ndcg@10"]


def test_a_failed_final_save_leaves_no_half_model(tmp_path, tiny_bert, monkeypatch):
    """final-adapter/ is written first and final/ last, each beside and renamed: a full disk leaves no final/."""
    import errno
    from types import SimpleNamespace

    from sentence_transformers import SentenceTransformer

    from embedding.config.adapter import BaseModelSpec
    from embedding.models import load_model
    from embedding.training.rundir.outputs import save_final_model

    model, _ = load_model(BaseModelSpec(name=str(tiny_bert), adapter=ADAPTER))
    trainer = SimpleNamespace(
        model=model, is_world_process_zero=lambda: True, accelerator=SimpleNamespace(wait_for_everyone=lambda: None)
    )

    def disk_full(self, path, *args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device", path)

    with monkeypatch.context() as patch:
        patch.setattr(SentenceTransformer, "save", disk_full)  # the merged model's save
        with pytest.raises(OSError):
            save_final_model(trainer, tmp_path / "final")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["final-adapter"]
    save_final_model(trainer, tmp_path / "final")
    assert (tmp_path / "final" / "model.safetensors").exists()
    assert (tmp_path / "final-adapter" / "adapter_model.safetensors").exists()
