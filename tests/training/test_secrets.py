"""Secrets (args.hub_token and the like) never reach the run dir, the resume hint or the console."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from embedding.training.rundir.resume import resume_command
from tests.conftest import REPO, base_config

SECRET = "hf_SECRETxyz123"


def tiny_trainer(tiny_bert: Path, out: Path, **args):
    from datasets import Dataset
    from sentence_transformers import SentenceTransformer, SentenceTransformerTrainingArguments
    from sentence_transformers.losses import MultipleNegativesRankingLoss

    from embedding.training.trainer.base import EmbeddingTrainer

    model = SentenceTransformer(str(tiny_bert), device="cpu")
    data = Dataset.from_dict({"anchor": ["como pedir cartao", "frete gratis"], "positive": ["pedir cartao", "frete"]})
    arguments = SentenceTransformerTrainingArguments(
        output_dir=str(out), hub_token=SECRET, report_to="none", use_cpu=True, **args
    )
    return EmbeddingTrainer(model=model, args=arguments, train_dataset=data, loss=MultipleNegativesRankingLoss(model))


def load_args(path: Path):
    import torch

    return torch.load(path, weights_only=False)


def test_saved_training_args_hold_no_secret_and_load_with_transformers_alone(tmp_path, tiny_bert):
    from sentence_transformers import SentenceTransformerTrainingArguments

    trainer = tiny_trainer(tiny_bert, tmp_path / "run")
    trainer.save_model(str(tmp_path / "final"))
    saved = tmp_path / "final" / "training_args.bin"
    assert SECRET.encode() not in saved.read_bytes()
    loaded = load_args(saved)
    assert type(loaded) is SentenceTransformerTrainingArguments  # no class of this package in the pickle
    assert loaded.hub_token is None
    assert loaded.output_dir == str(tmp_path / "run")  # the other arguments are kept
    # the live arguments keep the secret, as a plain str again: a later push still authenticates
    assert trainer.args.hub_token == SECRET and type(trainer.args.hub_token) is str


def test_a_hub_push_gets_the_token_but_the_pushed_training_args_do_not(tmp_path, tiny_bert, monkeypatch):
    import transformers.trainer

    uploads = []

    class FakeHub:
        def create_repo(self, repo_id, **kwargs):
            return type("Repo", (), {"repo_id": repo_id})()

        def upload_folder(self, *, folder_path, token, **kwargs):
            uploads.append((token, (Path(folder_path) / "training_args.bin").read_bytes()))

    monkeypatch.setattr(transformers.trainer, "hf_api", FakeHub)
    trainer = tiny_trainer(tiny_bert, tmp_path / "run", push_to_hub=True, hub_model_id="me/model")
    checkpoint = tmp_path / "run" / "checkpoint-1"
    trainer.save_model(str(checkpoint))
    trainer._push_from_checkpoint(str(checkpoint))
    assert uploads, "the push did not upload"
    for token, pushed_args in uploads:
        assert token == SECRET
        assert SECRET.encode() not in pushed_args
    assert SECRET.encode() not in (tmp_path / "run" / "training_args.bin").read_bytes()


@pytest.mark.parametrize(
    "override",
    [f"args.hub_token={SECRET}", f"args.report_api_key={SECRET}", f"args={{hub_token: {SECRET}, max_steps: 3}}"],
)
def test_the_resume_hint_hides_secret_overrides(override):
    hint = resume_command("cfg.yaml", ["args.logging_steps=2", override])
    assert SECRET not in hint
    key = override.partition("=")[0]
    assert hint.startswith(f"embedding train --config cfg.yaml --set args.logging_steps=2 --set {key}=*** --resume")
    assert "put the secret back in place of ***" in hint


def test_the_nproc_relaunch_line_hides_secret_overrides(monkeypatch, capsys):
    """`embedding train --nproc 2` prints the torchrun command it starts: the token is hidden there, not passed."""
    from embedding.cli import build_parser
    from embedding.cli import train as train_cli

    started = []
    monkeypatch.setattr(train_cli.subprocess, "call", lambda command, **_: started.append(command) or 0)
    args = build_parser().parse_args(["train", "-c", "cfg.yaml", "--set", "args.hub_token=hf_SECRETxyz123"])
    assert train_cli.relaunch_with_torchrun(args, 2) == 0
    printed = capsys.readouterr().out
    assert "hf_SECRETxyz123" not in printed and "--set=args.hub_token=***" in printed
    assert "--set=args.hub_token=hf_SECRETxyz123" in started[0]  # the workers still get the real value


def test_the_resume_hint_repeats_other_overrides_unchanged():
    hint = resume_command("my cfg.yaml", ["args.logging_steps=2", "run_name=a b"])
    assert hint == "embedding train --config 'my cfg.yaml' --set args.logging_steps=2 --set 'run_name=a b' --resume"


# --- end to end: interrupt, resume, finish; then every byte of the run is searched --------------------------------

DRIVER = """
import os, signal, sys
from transformers import TrainerCallback
import embedding.training.run as run

class Stop(TrainerCallback):
    def on_step_begin(self, args, state, control, **kwargs):
        if state.global_step == 2:  # the signal arrives while step 3 runs; checkpoint-2 is already written
            os.kill(os.getpid(), signal.SIGINT)

original = run.build_trainer
run.build_trainer = lambda plan, callbacks: original(plan, callbacks + [Stop()])
from embedding.cli import main
sys.exit(main(["train", *sys.argv[1:]]))
"""


def run_embedding(tmp_path: Path, argv: list[str], *, interrupt: bool) -> subprocess.CompletedProcess:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(REPO)}
    env.pop("HF_TOKEN", None)
    driver = tmp_path / "driver.py"
    driver.write_text(DRIVER)
    command = [str(driver), *argv] if interrupt else ["-m", "embedding", "train", *argv]
    return subprocess.run([sys.executable, *command], capture_output=True, text=True, env=env, cwd=REPO, timeout=600)


@pytest.mark.slow
def test_a_token_never_reaches_any_file_of_the_run_or_the_console(tmp_path, tiny_bert, efaq_dir):
    out = tmp_path / "out"
    cfg = base_config(tiny_bert, efaq_dir, out, evaluator=None, early_stopping=None)
    cfg["objectives"] = cfg["objectives"][:1]
    cfg["objectives"][0]["datasets"].pop("validation")
    cfg["args"] = {
        "max_steps": 6,
        "per_device_train_batch_size": 4,
        "save_strategy": "steps",
        "save_steps": 2,
        "logging_steps": 1,
        "report_to": "tensorboard",
    }
    path = tmp_path / "cfg.yaml"
    path.write_text(yaml.safe_dump(cfg))

    stopped = run_embedding(tmp_path, ["-c", str(path), "--set", f"args.hub_token={SECRET}"], interrupt=True)
    assert stopped.returncode == 128 + signal.SIGINT, stopped.stderr[-3000:]
    assert f"--config {path} --set args.hub_token=*** --resume" in stopped.stdout
    # the user types the secret back in, as the hint says
    resumed = run_embedding(
        tmp_path, ["-c", str(path), "--set", f"args.hub_token={SECRET}", "--resume"], interrupt=False
    )
    assert resumed.returncode == 0, resumed.stderr[-3000:]

    run_dir = out / "test-run"
    files = [p for p in out.rglob("*") if p.is_file()]
    names = {p.relative_to(run_dir).as_posix() for p in files}
    # the places a secret used to reach are all there, so the search below covers them
    assert {"final/training_args.bin", "logs.jsonl", "report.md", "config.resolved.yaml", "train.log"} <= names
    assert any(n.startswith("checkpoint-") and n.endswith("/training_args.bin") for n in names), names
    assert any("tfevents" in n for n in names), names
    leaks = [p for p in files if SECRET.encode() in p.read_bytes()]
    assert leaks == [], leaks
    for result in (stopped, resumed):
        assert SECRET not in result.stdout and SECRET not in result.stderr
