"""Helpers for the run-lifecycle tests: a small run config, its weights, and a driver that stops a run mid-way."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import yaml

from tests.conftest import REPO, base_config

# Runs `embedding train -c CONFIG ...` and sends SIGNAL to itself at WHERE: `final_save` (the final model is on
# disk under .final.tmp, not yet renamed), `evaluate_before` or `evaluate_after` (as they start).
DRIVER = """
import os, signal, sys
import embedding.training.run as run

config, where, signum = sys.argv[1], sys.argv[2], int(sys.argv[3])

def hit():
    os.kill(os.getpid(), signum)

if where == "final_save":
    original = run.save_final_model

    def save_final_model(trainer, final):
        save = trainer.save_model

        def save_then_stop(path, *args, **kwargs):
            save(path, *args, **kwargs)
            hit()

        trainer.save_model = save_then_stop
        return original(trainer, final)

    run.save_final_model = save_final_model
else:
    original = getattr(run, where)

    def stop_first(*args, **kwargs):
        hit()
        return original(*args, **kwargs)

    setattr(run, where, stop_first)
from embedding.cli import main
sys.exit(main(["train", "-c", config, *sys.argv[4:]]))
"""


def small_config(tiny_bert: Path, efaq_dir: Path, out: Path, *, evaluator: bool = False, **args) -> dict:
    """Both objectives, no validation split; `evaluator`: the IR evaluator with best-model selection; `args`
    override the training arguments (None removes one)."""
    cfg = base_config(tiny_bert, efaq_dir, out, early_stopping=None)
    cfg["objectives"][0]["datasets"].pop("validation")
    cfg["args"] = {
        "max_steps": 6,
        "per_device_train_batch_size": 4,
        "learning_rate": 1e-3,
        "save_strategy": "steps",
        "save_steps": 2,
        "logging_steps": 1,
        "report_to": "none",
        "seed": 7,
    }
    if evaluator:
        cfg["args"].update(
            eval_strategy="steps",
            eval_steps=2,
            save_total_limit=1,
            metric_for_best_model="cosine_map@1",
            load_best_model_at_end=True,
        )
    else:
        cfg.pop("evaluator")
    cfg["args"].update(args)
    cfg["args"] = {k: v for k, v in cfg["args"].items() if v is not None}  # None: leave the argument unset
    return cfg


def write_config(path: Path, cfg: dict) -> Path:
    path.write_text(yaml.safe_dump(cfg))
    return path


def weights(model_dir: Path) -> dict:
    from safetensors.torch import load_file

    tensors = {}
    for file in sorted(model_dir.rglob("*.safetensors")):
        tensors.update({f"{file.relative_to(model_dir)}:{k}": v for k, v in load_file(file).items()})
    assert tensors, f"no weights under {model_dir}"
    return tensors


def max_difference(a: Path, b: Path) -> float:
    """max |w_a - w_b| over all weights of two saved models (same keys required)."""
    wa, wb = weights(a), weights(b)
    assert wa.keys() == wb.keys()
    return max(float((wa[k].float() - wb[k].float()).abs().max()) for k in wa)


def stop_run(tmp_path: Path, cfg_path: Path, where: str, signum: int, *extra: str) -> subprocess.CompletedProcess:
    driver = tmp_path / "stop_driver.py"
    driver.write_text(DRIVER)
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(REPO)}
    return subprocess.run(
        [sys.executable, str(driver), str(cfg_path), where, str(int(signum)), *extra],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=600,
    )


def stop_in_process(monkeypatch, cfg_path: Path, where: str, signum: int, *extra: str) -> int:
    """DRIVER's `embedding train` in this process: the exit code. For the signals the run handles itself (SIGINT,
    SIGTERM), this checks what a second process would, without its interpreter start-up and imports."""
    import embedding.training.run as run
    from embedding.cli import main

    def hit():
        os.kill(os.getpid(), signum)

    with monkeypatch.context() as patch:  # later runs of the same test train unpatched
        if where == "final_save":
            original_save = run.save_final_model

            def save_final_model(trainer, final):
                save = trainer.save_model

                def save_then_stop(path, *args, **kwargs):
                    save(path, *args, **kwargs)
                    hit()

                trainer.save_model = save_then_stop
                return original_save(trainer, final)

            patch.setattr(run, "save_final_model", save_final_model)
        else:
            original = getattr(run, where)

            def stop_first(*args, **kwargs):
                hit()
                return original(*args, **kwargs)

            patch.setattr(run, where, stop_first)
        return main(["train", "-c", str(cfg_path), *extra])


def checkpoint_steps(run_dir: Path) -> list[int]:
    return sorted(int(p.name.split("-")[-1]) for p in run_dir.glob("checkpoint-*"))
