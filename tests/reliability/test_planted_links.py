"""Planted symbolic links never make `embedding train` or `embedding report` write outside the run dir.

Every path a run or a report writes is planted as a link to a file (or folder) outside; the command must exit 2
naming the link, and the outside target must be exactly as it was (issue 31, security 1 and 3b).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from embedding.cli import main
from tests.conftest import base_config

# Everything a run writes at the top of its run dir (README "A run writes"), and a few places below it.
RUN_PATHS = [
    "train.log",
    "logs.jsonl",
    "resources.jsonl",
    "config.resolved.yaml",
    "evaluation.json",
    "evaluation.before.json",
    "report.md",
    "loss.png",
    "eval_metrics.png",
    "before_after.png",
    "matryoshka.png",
    "resources.png",
    "merge.json",
    "quantization.json",
    "export.json",
    ".attempts.jsonl",
]
RUN_FOLDERS = ["final", "final-unmerged", "final-adapter", "checkpoint-2", "mining", "evaluation", "tensorboard"]
NESTED = ["mining/contrastive.json", "evaluation/results.json", "checkpoint-2/trainer_state.json", "final/README.md"]


@pytest.fixture
def outside(tmp_path: Path) -> tuple[Path, Path]:
    """A file and a folder outside the run dir, for the links to point at."""
    target = tmp_path / "outside" / "victim.txt"
    target.parent.mkdir()
    target.write_text("precious\n")
    folder = tmp_path / "outside" / "victim-dir"
    folder.mkdir()
    return target, folder


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def plant(run_dir: Path, name: str, outside: tuple[Path, Path]) -> Path:
    link = run_dir / name
    link.parent.mkdir(parents=True, exist_ok=True)
    link.unlink(missing_ok=True)  # drawn by an earlier report
    if name in RUN_FOLDERS:
        link.symlink_to(outside[1], target_is_directory=True)
    else:
        link.symlink_to(outside[0])
    return link


def train_config(tmp_path: Path, tiny_bert: Path, efaq_dir: Path) -> Path:
    config = base_config(tiny_bert, efaq_dir, tmp_path / "runs")
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


@pytest.mark.parametrize("name", RUN_PATHS + RUN_FOLDERS + NESTED)
@pytest.mark.parametrize("resume", [False, True], ids=["fresh", "resume"])
def test_train_refuses_a_run_dir_with_a_planted_link(tmp_path, tiny_bert, efaq_dir, outside, capsys, name, resume):
    config = train_config(tmp_path, tiny_bert, efaq_dir)
    run_dir = tmp_path / "runs" / "test-run"
    run_dir.mkdir(parents=True)
    if resume and not name.startswith("checkpoint-2"):
        (run_dir / "checkpoint-2").mkdir()  # something to resume
    link = plant(run_dir, name, outside)
    before = snapshot(outside[0].parent)

    code = main(["train", "-c", str(config), *(["--resume"] if resume else [])])

    err = capsys.readouterr().err
    assert code == 2, err
    assert str(link) in err and "symbolic link" in err and "Traceback" not in err
    assert snapshot(outside[0].parent) == before
    assert link.is_symlink()  # refused, not removed: the user sees what was planted


def test_a_run_dir_holding_only_a_train_log_link_is_no_empty_run_dir(tmp_path, tiny_bert, efaq_dir, outside, capsys):
    """3b: before, the check "already holds a run" passed and the whole run log was appended to the target."""
    config = train_config(tmp_path, tiny_bert, efaq_dir)
    run_dir = tmp_path / "runs" / "test-run"
    run_dir.mkdir(parents=True)
    (run_dir / "train.log").symlink_to(outside[0])

    assert main(["train", "-c", str(config)]) == 2
    assert f"{run_dir / 'train.log'} -> {outside[0]}" in capsys.readouterr().err
    assert outside[0].read_text() == "precious\n"
    assert sorted(p.name for p in run_dir.iterdir()) == ["train.log"]  # nothing else written


def test_the_run_log_handler_refuses_a_link_planted_after_the_start(tmp_path, outside):
    from embedding.errors import UserError
    from embedding.training.rundir.run_log import run_log

    (tmp_path / "train.log").symlink_to(outside[0])
    with pytest.raises(UserError, match="train.log is a symbolic link"):
        with run_log(tmp_path, {}):
            pass
    assert outside[0].read_text() == "precious\n"


def report_writes(report_run: Path) -> list[str]:
    """The files `embedding report` writes for this run dir (found by running it once on a copy)."""
    import shutil

    copy = report_run.with_name("copy")
    shutil.copytree(report_run, copy)
    before = set(snapshot(copy))
    assert main(["report", str(copy)]) == 0
    return sorted(set(snapshot(copy)) - before)


def test_report_refuses_every_planted_link_it_would_write_through(report_run, outside, capsys):
    written = report_writes(report_run)
    assert {"report.md", "loss.png", "before_after.png", "resources.png", "mining-faq.png"} <= set(written)
    for name in written:
        link = plant(report_run, name, outside)
        before = snapshot(outside[0].parent)
        assert main(["report", str(report_run)]) == 2, name
        err = capsys.readouterr().err
        assert str(link) in err and "symbolic link" in err and "Traceback" not in err, err
        assert snapshot(outside[0].parent) == before, name
        link.unlink()


@pytest.mark.slow
def test_every_path_of_a_real_run_dir_planted_as_a_link_changes_nothing_outside(
    tmp_path, tiny_bert, efaq_dir, outside, capsys
):
    """A finished run (checkpoints, final/, evaluation, report, plots, logs): each of its paths in turn becomes a
    link out of the run dir; `train --resume` refuses (exit 2, naming it), `report` never writes through it."""
    import shutil

    config = base_config(tiny_bert, efaq_dir, tmp_path / "runs", early_stopping=None)
    config["evaluation"] = {"tasks": [{"type": "ir", "dataset": {"name": str(efaq_dir)}, "split": "test"}]}
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(config))
    assert main(["train", "-c", str(path)]) == 0
    run_dir, kept = tmp_path / "runs" / "test-run", tmp_path / "kept"
    shutil.copytree(run_dir, kept)
    top = sorted(p.relative_to(kept) for p in kept.iterdir())
    # every top-level path, and one file inside each folder (the folders' files are all written alike)
    inside = [sorted(p.relative_to(kept) for p in (kept / d).rglob("*") if p.is_file()) for d in top]
    paths = top + [files[0] for files in inside if files]
    assert {"final", "train.log", "report.md", "loss.png", "evaluation", "checkpoint-4"} <= {str(p) for p in paths}
    capsys.readouterr()
    for relative in paths:
        shutil.rmtree(run_dir)
        shutil.copytree(kept, run_dir)
        link = run_dir / relative
        is_dir = link.is_dir()
        shutil.rmtree(link) if is_dir else link.unlink()
        link.symlink_to(outside[1] if is_dir else outside[0], target_is_directory=is_dir)
        before = snapshot(outside[0].parent)
        assert main(["train", "-c", str(path), "--set", "args.max_steps=6", "--resume"]) == 2, relative
        err = capsys.readouterr().err
        assert str(link) in err and "symbolic link" in err, (relative, err)
        if len(relative.parts) == 1:  # report writes only at the top; it refuses a link there, reads are harmless
            main(["report", str(run_dir)])
            capsys.readouterr()
        assert snapshot(outside[0].parent) == before, relative
