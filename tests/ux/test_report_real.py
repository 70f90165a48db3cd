"""report.md and its plots from real tiny runs: Matryoshka sizes, base model at step 0, honest axes."""

from __future__ import annotations

import re

import pytest

from embedding.report import plots, write_report
from embedding.report.rundir import load_run
from tests.conftest import base_config
from tests.ux.test_report import assert_valid_png, linked_pngs


@pytest.fixture(scope="module")
def run_with_tasks(tmp_path_factory, tiny_bert, efaq_data):
    """A 4-step Matryoshka run (dims 16, 32) with one `evaluation.tasks` retrieval task."""
    from embedding import train

    config = base_config(tiny_bert, efaq_data, tmp_path_factory.mktemp("ux-tasks"))
    config["evaluation"] = {"tasks": [{"type": "ir", "dataset": {"name": str(efaq_data)}, "split": "test"}]}
    return train(config)


@pytest.fixture
def figures(monkeypatch):
    """The figures the plot functions draw, kept open for inspection."""
    kept = []
    monkeypatch.setattr(plots, "_save", lambda fig, path: kept.append(fig) or path)
    yield kept
    plots._pyplot().close("all")


def test_matryoshka_plot_of_a_real_run(run_with_tasks):
    report = write_report(run_with_tasks.run_dir)
    assert "matryoshka.png" in linked_pngs(report)
    assert_valid_png(run_with_tasks.run_dir / "matryoshka.png")
    assert "## Extra evaluation tasks" in report.read_text()


def test_matryoshka_panels_have_every_trained_size(run_with_tasks, figures):
    run = load_run(run_with_tasks.run_dir)
    before, after = plots.task_sizes(run.evaluation["tasks"])
    assert plots.plot_matryoshka(before, after, run.run_dir / "m.png") is not None
    panel = figures[0].axes[0]
    assert [t.get_text() for t in panel.get_yticklabels()] == ["16", "32"]


def test_no_extra_tasks_section_without_tasks(trained_run):
    text = write_report(trained_run.run_dir).read_text()
    assert "Extra evaluation tasks" not in text


def test_model_row_names_the_model_once(trained_run):
    text = write_report(trained_run.run_dir).read_text()
    row = next(line for line in text.splitlines() if line.startswith("| model |"))
    model = re.search(r"`([^`]+)`", row).group(1)
    assert row.count(model) == 1 and "(path)" in row, row


def test_eval_metrics_start_at_the_base_model_with_labelled_honest_axes(trained_run, figures):
    run = load_run(trained_run.run_dir)
    before = run.evaluation["before"]
    plots.plot_eval_metrics(run, run.run_dir / "e.png", "cosine_ndcg@10", before=before)
    panels = [ax for ax in figures[0].axes if ax.get_visible()]
    for ax in panels:
        assert ax.get_ylabel(), ax.get_title()
        low, high = ax.get_ylim()
        assert high - low >= plots.MIN_SPAN - 1e-9, (ax.get_title(), low, high)
        for line in ax.get_lines():
            assert line.get_xdata()[0] == 0  # the base model, before any step
    ndcg = next(ax for ax in panels if ax.get_title() == "ndcg").get_lines()[0]
    assert ndcg.get_ydata()[0] == pytest.approx(before["cosine_ndcg@10"])


def test_resources_start_at_zero(trained_run, figures):
    plots.plot_resources(load_run(trained_run.run_dir), trained_run.run_dir / "r.png")
    assert figures[0].axes[0].get_ylim()[0] == 0
