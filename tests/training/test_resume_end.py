"""Resume at the very end: a run stopped while its final model is written or evaluated only finishes, exactly."""

from __future__ import annotations

import json
import shutil
import signal

import pytest
import yaml

from embedding.cli import main
from tests.training.runs import (
    checkpoint_steps,
    max_difference,
    small_config,
    stop_in_process,
    stop_run,
    write_config,
)


@pytest.fixture
def make_run(tmp_path, tiny_bert, efaq_dir):
    """(config path, run dir) of a small run named `name`; `evaluator`, args as small_config takes them."""

    def make(name, **kwargs):
        cfg = small_config(tiny_bert, efaq_dir, tmp_path / name, **kwargs)
        return write_config(tmp_path / f"{name}.yaml", cfg), tmp_path / name / "test-run"

    return make


def _unfinish(run_dir):
    """The run dir as a kill during the final save leaves it: training done, no final model, no results."""
    shutil.rmtree(run_dir / "final")
    (run_dir / "evaluation.json").unlink()
    logs = (run_dir / "logs.jsonl").read_text().splitlines()
    assert json.loads(logs[-1])["event"] == "run_end"
    (run_dir / "logs.jsonl").write_text("\n".join(logs[:-1]) + "\n")


def _snapshot(run_dir):
    return {
        str(p.relative_to(run_dir)): (p.stat().st_size, p.stat().st_mtime_ns)
        for p in sorted(run_dir.rglob("*"))
        if p.is_file()
    }


def test_resume_when_training_is_complete_only_finishes_with_the_same_weights(make_run, capsys):
    cfg, run_dir = make_run("complete", max_steps=5)  # step 5 is no save step
    assert main(["train", "-c", str(cfg)]) == 0
    kept = run_dir.parent / "uninterrupted-final"
    shutil.copytree(run_dir / "final", kept)
    assert checkpoint_steps(run_dir) == [2, 4, 5]
    _unfinish(run_dir)
    capsys.readouterr()

    assert main(["train", "-c", str(cfg), "--resume"]) == 0
    out = capsys.readouterr().out
    assert "resuming from checkpoint-5 (step 5 of 5): training is complete" in out
    assert checkpoint_steps(run_dir) == [2, 4, 5]  # no step past max_steps
    assert max_difference(kept, run_dir / "final") == 0
    assert (run_dir / "evaluation.json").exists()
    records = [json.loads(line) for line in (run_dir / "logs.jsonl").read_text().splitlines()]
    assert [r["step"] for r in records if "loss" in r] == [1, 2, 3, 4, 5]
    assert records[-1]["event"] == "run_end"


def test_a_checkpoint_is_saved_where_training_ends_even_without_save_steps(make_run):
    cfg, run_dir = make_run("no-saves", max_steps=3, save_strategy="no")
    assert main(["train", "-c", str(cfg)]) == 0
    assert checkpoint_steps(run_dir) == [3]  # what a kill during the final save resumes from
    _unfinish(run_dir)
    assert main(["train", "-c", str(cfg), "--resume"]) == 0
    assert checkpoint_steps(run_dir) == [3]


def test_resume_of_a_finished_run_says_so_and_changes_nothing(make_run, capsys):
    cfg, run_dir = make_run("finished", max_steps=2)
    assert main(["train", "-c", str(cfg)]) == 0
    before = _snapshot(run_dir)
    capsys.readouterr()
    assert main(["train", "-c", str(cfg), "--resume"]) == 0
    out = capsys.readouterr().out
    assert "already finished" in out
    assert _snapshot(run_dir) == before


@pytest.mark.parametrize(
    ("where", "signum", "code", "during"),
    [
        ("evaluate_after", signal.SIGTERM, 143, "the final save and the evaluation after training"),
        ("final_save", signal.SIGINT, 130, "the final save and the evaluation after training"),
    ],
)
def test_signal_after_training_says_how_to_resume_and_resume_finishes(
    make_run, monkeypatch, capsys, where, signum, code, during
):
    cfg, run_dir = make_run(f"stop-{where}", max_steps=3)
    assert stop_in_process(monkeypatch, cfg, where, signum, "--set", "args.logging_steps=1") == code
    result = capsys.readouterr()
    hint = f"embedding train --config {cfg} --set args.logging_steps=1 --resume"
    assert f"during {during}. Resume with: {hint}" in " ".join(result.out.split())
    assert "Traceback" not in result.err
    assert (run_dir / "final").exists() == (where == "evaluate_after")  # a final model is whole or absent
    assert not (run_dir / ".final.tmp").exists()
    last = json.loads((run_dir / "logs.jsonl").read_text().splitlines()[-1])
    assert last["event"] == "interrupted" and last["step"] == 3

    assert main(["train", "-c", str(cfg), "--set", "args.logging_steps=1", "--resume"]) == 0
    assert checkpoint_steps(run_dir) == [2, 3]
    assert (run_dir / "final").is_dir()


def test_signal_during_the_evaluation_before_training_says_how_to_run_again(make_run, monkeypatch, capsys):
    cfg, run_dir = make_run("stop-before", max_steps=2, evaluator=True)
    assert stop_in_process(monkeypatch, cfg, "evaluate_before", signal.SIGINT) == 130
    result = capsys.readouterr()
    assert f"during the evaluation before training. Run again with: embedding train --config {cfg}\n" in result.out
    assert "Traceback" not in result.err
    assert main(["train", "-c", str(cfg)]) == 0  # the printed command, as printed


@pytest.mark.slow
@pytest.mark.parametrize(("where", "best"), [("final_save", False), ("evaluate_after", False), ("final_save", True)])
def test_sigkill_at_the_end_then_resume_gives_the_uninterrupted_weights(make_run, tmp_path, where, best):
    # best=False: the final model is the last step's weights, which one step too many would change
    args = {} if best else {"load_best_model_at_end": None, "save_total_limit": None}
    straight_cfg, straight_run = make_run("straight", max_steps=5, evaluator=True, **args)
    killed_cfg, killed_run = make_run("killed", max_steps=5, evaluator=True, **args)
    assert main(["train", "-c", str(straight_cfg)]) == 0

    killed = stop_run(tmp_path, killed_cfg, where, signal.SIGKILL)
    assert killed.returncode == -signal.SIGKILL
    assert not (killed_run / "evaluation.json").exists()
    assert main(["train", "-c", str(killed_cfg), "--resume"]) == 0
    assert checkpoint_steps(killed_run) == checkpoint_steps(straight_run)  # nothing trained past max_steps
    assert max_difference(straight_run / "final", killed_run / "final") == 0
    after = json.loads((killed_run / "evaluation.json").read_text())["after"]
    assert after == json.loads((straight_run / "evaluation.json").read_text())["after"]


def test_a_run_stopped_early_saves_where_it_stopped_and_resume_trains_no_further(make_run, capsys):
    # patience 2 with a threshold no evaluation can beat: stops at the evaluation of step 3, which is no save step
    cfg, run_dir = make_run("early", evaluator=True, eval_steps=1)
    data = yaml.safe_load(cfg.read_text())
    data["early_stopping"] = {"patience": 2, "threshold": 100.0}
    write_config(cfg, data)
    assert main(["train", "-c", str(cfg)]) == 0
    assert max(checkpoint_steps(run_dir)) == 3
    _unfinish(run_dir)
    capsys.readouterr()
    assert main(["train", "-c", str(cfg), "--resume"]) == 0
    assert "resuming from checkpoint-3 (step 3 of 6)" in capsys.readouterr().out
    records = [json.loads(line) for line in (run_dir / "logs.jsonl").read_text().splitlines()]
    assert max(r["step"] for r in records if "loss" in r) == 3
