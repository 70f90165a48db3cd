"""Start banner, line progress for logs, TensorBoard location."""

from __future__ import annotations

import io
import logging
from types import SimpleNamespace

from embedding.training.display.banner import ProgressLines, banner_facts, install_progress, print_banner, schedule


def test_banner_shows_each_objective(plan_and_trainer):
    from rich.console import Console

    plan, trainer = plan_and_trainer
    out = io.StringIO()
    print_banner(plan, trainer, console=Console(file=out, width=250))
    text = out.getvalue()
    for expected in (
        "contrastive",
        "similarity",
        "RankingLoss",
        "CoSENTMarginLoss",
        "16 (from 8 raw)",
        "32 (from 8 raw)",
        "7 (3 in-batch + 4 hard)",
        "Matryoshka[16, 32]",
        "[train]",
        "fp32",
        "4 per device",
        "every 2 steps",
        "auto (cpu): each distinct text of a step once, packed without padding (the loss sees the same batch)",
        "cosine_map@1",
        str(plan.run_dir),
        "(path)",
    ):
        assert expected in text, expected


def test_banner_is_log_lines_without_a_terminal(plan_and_trainer, caplog):
    plan, trainer = plan_and_trainer
    with caplog.at_level(logging.INFO, logger="embedding.training.display.banner"):
        print_banner(plan, trainer)  # pytest's stdout is not a TTY
    text = caplog.text
    assert "objective contrastive" in text and "objective similarity" in text
    assert "negatives/anchor 7 (3 in-batch + 4 hard)" in text and "loss CoSENTMarginLoss" in text
    assert "\x1b[" not in text and "┃" not in text  # plain text: no colours, no box drawing


def _plan(rows, mixing="proportional", gather=False):
    objectives = [
        SimpleNamespace(
            name=f"o{i}",
            train=SimpleNamespace(dataset=[0] * n),
            spec=SimpleNamespace(type="contrastive", gather_across_devices=gather),
        )
        for i, n in enumerate(rows)
    ]
    return SimpleNamespace(objectives=objectives, config=SimpleNamespace(mixing=mixing))


def _args(**kw):
    base = dict(
        per_device_train_batch_size=10,
        world_size=1,
        dataloader_drop_last=False,
        max_steps=-1,
        num_train_epochs=2,
        gradient_accumulation_steps=1,
        multi_dataset_batch_sampler="proportional",
    )
    return SimpleNamespace(**{**base, **kw})


def test_step_shares_and_totals():
    shares, steps, exact = schedule(_plan([100, 300]), _args())
    assert [round(s, 2) for s in shares] == [0.25, 0.75] and steps == 80 and not exact
    shares, steps, _ = schedule(_plan([100, 300]), _args(multi_dataset_batch_sampler="round_robin"))
    assert shares == [0.5, 0.5] and steps == 40  # stops when the smaller dataset runs out
    _, steps, _ = schedule(_plan([100, 300]), _args(world_size=4, gradient_accumulation_steps=2))
    assert steps == 2 * (40 // 4 // 2)
    assert schedule(_plan([100]), _args(max_steps=7))[1:] == (7, True)


def test_negatives_per_anchor_with_gather_across_devices():
    from embedding.training.display.banner import _negatives

    obj = SimpleNamespace(
        spec=SimpleNamespace(type="contrastive", gather_across_devices=True),
        train=SimpleNamespace(
            dataset=SimpleNamespace(column_names=["anchor", "positive", "negative_1", "negative_2"])
        ),
    )
    assert _negatives(obj, 8, 4) == "95 (31 in-batch + 64 hard) across 4 devices"
    obj.spec.gather_across_devices = False
    assert _negatives(obj, 8, 4) == "23 (7 in-batch + 16 hard)"


def test_facts_cover_the_spec(plan_and_trainer):
    facts, rows = banner_facts(*plan_and_trainer)
    assert [k for k, _ in facts] == [
        "model",
        "trainable",
        "device",
        "precision",
        "encoder calls",
        "batch size",
        "steps",
        "learning rate",
        "evaluation",
        "seed",
        "run dir",
    ]
    assert [r["steps share"] for r in rows] == ["33%", "67%"]  # 4 vs 8 batches of 4 rows


def test_progress_lines_replace_bars_in_logs(plan_and_trainer, capsys):
    from transformers.trainer_callback import PrinterCallback, ProgressCallback

    _, trainer = plan_and_trainer
    callback = install_progress(trainer)
    try:
        kinds = {type(cb) for cb in trainer.callback_handler.callbacks}
        assert ProgressLines in kinds and ProgressCallback not in kinds and PrinterCallback not in kinds
        state = SimpleNamespace(global_step=2, max_steps=4, is_world_process_zero=True)
        callback.started -= 10  # 10 s for 2 steps -> 10 s left
        callback.on_log(None, state, None, logs={"loss": 1.23456, "learning_rate": 5e-4, "grad_norm": 3.0})
        callback.on_log(
            None,
            state,
            None,
            logs={"eval_cosine_map@1": 0.5, "eval_contrastive_loss": 2.0, "eval_contrastive_runtime": 0.3},
        )
        lines = capsys.readouterr().out.splitlines()
        assert lines[0].startswith("step 2/4 (50%) | loss 1.2346 | lr 5.00e-04 | ETA 0:1")
        assert lines[1].startswith("eval step 2/4") and "cosine_map@1 0.5000" in lines[1]
        assert "contrastive_loss 2.0000" in lines[1] and "runtime" not in lines[1]
    finally:
        trainer.remove_callback(callback)


def test_tensorboard_events_go_to_the_run_dir(plan_and_trainer):
    from transformers.integrations import TensorBoardCallback

    from embedding.report.trackers import tensorboard_into_run_dir

    plan, trainer = plan_and_trainer
    where = tensorboard_into_run_dir(trainer, plan.run_dir)
    assert where == plan.run_dir / "tensorboard"
    callback = next(cb for cb in trainer.callback_handler.callbacks if isinstance(cb, TensorBoardCallback))
    callback.on_train_begin(trainer.args, trainer.state, trainer.control)
    callback.on_log(trainer.args, trainer.state, trainer.control, logs={"loss": 1.0})
    callback.on_train_end(trainer.args, trainer.state, trainer.control)
    assert list(where.glob("events.out.tfevents.*"))


def test_a_110_column_terminal_keeps_objective_names_whole(plan_and_trainer):
    from rich.console import Console

    plan, trainer = plan_and_trainer
    out = io.StringIO()
    print_banner(plan, trainer, console=Console(file=out, width=110))
    table = out.getvalue().split("objectives", 1)[1]
    first_cells = [line.split("│")[1].strip() for line in table.splitlines() if line.startswith("│")]
    assert {"contrastive", "similarity"} <= set(first_cells), first_cells
    assert "…" not in table  # other cells fold onto more lines instead of being cut
