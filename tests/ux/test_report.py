"""report.md and its plots; `embedding report`; TensorBoard event files of a real run."""

from __future__ import annotations

import json
import re
import shutil

import pytest

from embedding.errors import UserError
from embedding.report import write_report

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def linked_pngs(report):
    return re.findall(r"!\[[^\]]*\]\(([^)]+\.png)\)", report.read_text())


def assert_valid_png(path):
    from PIL import Image

    assert path.read_bytes()[:8] == PNG_SIGNATURE, path
    with Image.open(path) as image:
        image.verify()
    with Image.open(path) as image:
        assert image.format == "PNG" and image.width >= 300 and image.height >= 300, (path, image.size)


def test_report_links_valid_plots(trained_run):
    report = write_report(trained_run.run_dir)
    assert report == trained_run.run_dir / "report.md"
    links = linked_pngs(report)
    assert {"loss.png", "eval_metrics.png", "before_after.png", "resources.png"} <= set(links)
    for name in links:
        assert_valid_png(report.parent / name)
    text = report.read_text()
    assert "# Run report: test-run" in text and "| status | finished |" in text
    assert "**cosine_ndcg@10** (main)" in text and "loss/contrastive/main" in text and "train time" in text


def test_matryoshka_dims_get_their_own_plot(trained_run, tmp_path):
    run = tmp_path / "run"
    shutil.copytree(trained_run.run_dir, run, ignore=shutil.ignore_patterns("final", "checkpoint-*"))
    evaluation = json.loads((run / "evaluation.json").read_text())
    for side in ("before", "after"):
        evaluation[side] = {f"dim_{d}_{k}": v * d / 32 for d in (16, 32) for k, v in evaluation[side].items()}
    evaluation["main_metric"] = "dim_32_cosine_ndcg@10"
    (run / "evaluation.json").write_text(json.dumps(evaluation))
    report = write_report(run)
    assert "matryoshka.png" in linked_pngs(report)
    assert_valid_png(run / "matryoshka.png")


def test_report_of_an_unfinished_run(trained_run, tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    for name in ("config.resolved.yaml", "logs.jsonl"):
        shutil.copy(trained_run.run_dir / name, run / name)
    lines = (run / "logs.jsonl").read_text().splitlines()
    first_eval = next(i for i, line in enumerate(lines) if '"eval_' in line)
    (run / "logs.jsonl").write_text("\n".join(lines[: first_eval + 1]) + '\n{"loss": 1.0, "st')  # killed mid-write
    text = write_report(run).read_text()
    assert "incomplete" in text and "last evaluation during training" in text
    assert "before_after.png" not in text


def test_not_a_run_dir_names_what_is_missing(tmp_path, trained_run):
    with pytest.raises(UserError, match=r"not a run dir, config.resolved.yaml and logs.jsonl missing"):
        write_report(tmp_path)
    with pytest.raises(UserError, match="runs inside it: test-run"):
        write_report(trained_run.run_dir.parent)


def test_report_command_exit_codes(cli, tmp_path, trained_run, capsys):
    assert cli(["report", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert str(tmp_path) in err and "logs.jsonl" in err and "Traceback" not in err
    assert cli(["report", str(tmp_path / "nope")]) == 2
    assert cli(["report", str(trained_run.run_dir)]) == 0
    assert "report.md" in capsys.readouterr().out


def test_tensorboard_event_files_land_in_the_run_dir(trained_run):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    events = list(trained_run.run_dir.rglob("events.out.tfevents.*"))
    assert events, "report_to: tensorboard wrote no event files inside the run dir"
    accumulator = EventAccumulator(str(events[0].parent))
    accumulator.Reload()
    assert "train/loss" in accumulator.Tags()["scalars"]


@pytest.mark.parametrize(
    ("record", "status"),
    [
        ({"event": "interrupted", "step": 7, "resume": "R"}, "interrupted at step 7 (resume: `R`)"),
        (
            {"event": "interrupted", "during": "the evaluation before training", "resume": "R"},
            "interrupted during the evaluation before training (resume: `R`)",
        ),
    ],
)
def test_report_status_names_where_an_interrupt_stopped_the_run(record, status):
    from types import SimpleNamespace

    from embedding.report.write import _status

    assert _status(SimpleNamespace(logs=[{"step": 1, "loss": 2.0}, record])) == status
