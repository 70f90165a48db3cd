"""A NaN/inf stop keeps only checkpoints with finite weights, and its advice, followed as printed, works."""

from __future__ import annotations

import json
import shlex

import torch
from transformers import TrainerCallback

from embedding.cli import main
from tests.training.runs import checkpoint_steps, small_config, weights, write_config


def _all_finite(checkpoint) -> bool:
    return all(bool(torch.isfinite(t).all()) for t in weights(checkpoint).values())


def test_a_huge_learning_rate_leaves_no_checkpoint_with_nan_weights_and_the_advice_works(
    tmp_path, tiny_bert, efaq_dir, capsys
):
    # 2 steps: the first update already overflows; the rerun the advice prints then trains only 2 steps
    cfg = small_config(tiny_bert, efaq_dir, tmp_path / "out", learning_rate=1e308, save_steps=1, max_steps=2)
    path = write_config(tmp_path / "cfg.yaml", cfg)
    run_dir = tmp_path / "out" / "test-run"
    assert main(["train", "-c", str(path)]) == 4
    err = " ".join(capsys.readouterr().err.split())
    assert "is not finite" in err and "training stopped." in err
    assert all(_all_finite(c) for c in run_dir.glob("checkpoint-*"))  # the first update already made them inf/NaN
    assert json.loads((run_dir / "logs.jsonl").read_text().splitlines()[-1])["event"] == "non_finite"

    # "Lower args.learning_rate ..., then start over: <command>": done literally
    assert "Lower args.learning_rate" in err
    command = err.split("then start over: ", 1)[1].strip()
    assert command == f"embedding train --config {path} --overwrite"
    cfg["args"]["learning_rate"] = 1e-3
    write_config(path, cfg)
    assert main(shlex.split(command)[1:]) == 0
    assert (run_dir / "final").is_dir()


class PoisonWeights(TrainerCallback):
    """A finite loss but an update to NaN weights at `step` (what a huge learning rate does)."""

    def __init__(self, step):
        self.step = step

    def on_step_end(self, args, state, control, model=None, **kwargs):
        if state.global_step == self.step:
            with torch.no_grad():
                next(model.parameters()).fill_(float("nan"))


def test_a_save_after_nan_weights_is_refused_and_the_last_good_checkpoint_named(
    tmp_path, tiny_bert, efaq_dir, monkeypatch, capsys
):
    import embedding.training.run as run

    original = run.build_trainer
    monkeypatch.setattr(run, "build_trainer", lambda plan, callbacks: original(plan, [*callbacks, PoisonWeights(3)]))
    # logging every 10 steps: the loss guard reads its flag rarely, the save at step 3 must still be refused
    cfg = small_config(tiny_bert, efaq_dir, tmp_path / "out", save_steps=1, logging_steps=10)
    path = write_config(tmp_path / "cfg.yaml", cfg)
    run_dir = tmp_path / "out" / "test-run"
    assert main(["train", "-c", str(path)]) == 4
    err = " ".join(capsys.readouterr().err.split())
    assert "error: step 3: the weight `" in err and "is not finite; training stopped." in err
    assert f"The last good checkpoint (checkpoint-2, finite weights) is kept in {run_dir}." in err
    assert checkpoint_steps(run_dir) == [1, 2]
    assert all(_all_finite(c) for c in run_dir.glob("checkpoint-*"))
    assert not (run_dir / "final").exists()


def test_the_start_over_command_keeps_the_overrides_in_place_of_resume():
    from embedding.training.rundir.resume import rerun_command, resume_command

    overrides = ["args.max_steps=3", "args.hub_token=hf_abc"]
    resume = resume_command("cfg.yaml", overrides)
    restart = rerun_command("cfg.yaml", overrides, "--overwrite")
    assert restart == resume.replace(" --resume", " --overwrite", 1)  # whatever resume_command appends stays after
    assert "hf_abc" not in restart and restart.startswith("embedding train --config cfg.yaml --set args.max_steps=3")
