"""What a run shows while it starts and trains: the start banner and quiet, line-based progress for logs.

On a terminal the banner is a rich table and the trainer's tqdm bars stay (with the loss in the bar). When
stdout is not a terminal (CI, `nohup`, a log file) redrawn bars turn into thousands of carriage-return lines, so
the banner goes to the logger as plain lines and `ProgressLines` prints one line per log event instead.
"""

from __future__ import annotations

import logging
import math
import os

from ...console import interactive
from ...models.hardware import OVERRIDE, native_bf16
from .batch_facts import batch_size_of, batch_warnings, setting
from .batch_facts import negatives_per_anchor as _negatives
from .false_negatives import banner_row as false_negatives_row
from .global_batch import global_batch_row
from .progress import ProgressLines, QuietBar

logger = logging.getLogger(__name__)


def _loss_name(loss) -> str:
    main = getattr(loss, "main", loss)  # ObjectiveLoss wraps the loss the user chose
    text = type(main).__name__
    if getattr(loss, "matryoshka_dims", None):
        text += f" x Matryoshka{list(loss.matryoshka_dims)}"
    if getattr(loss, "distillation", None) is not None:
        text += f" + {getattr(loss, 'distillation_alpha', 1.0):g}·{type(loss.distillation).__name__}"
    if getattr(loss, "penalty", None) is not None:
        text += f" + {getattr(loss, 'penalty_alpha', 1.0):g}·{type(loss.penalty).__name__}"
    return text


def schedule(plan, args) -> tuple[list[float], int, bool]:
    """(share of steps per objective, total optimizer steps, whether the total is exact).

    The samplers are sentence-transformers': `proportional` draws every batch of every dataset (shares follow
    the batch counts), `round_robin` alternates and stops when the smallest dataset runs out (equal shares).
    """
    batch, world = args.per_device_train_batch_size, max(1, args.world_size)
    counts = [
        len(o.train.dataset) // batch if args.dataloader_drop_last else math.ceil(len(o.train.dataset) / batch)
        for o in plan.objectives
    ]
    if len(counts) > 1 and setting(args.multi_dataset_batch_sampler) == "round_robin":
        shares, per_epoch = [1 / len(counts)] * len(counts), min(counts) * len(counts)
    else:
        total = sum(counts) or 1
        shares, per_epoch = [c / total for c in counts], sum(counts)
    if args.max_steps and args.max_steps > 0:
        return shares, int(args.max_steps), True
    # Each process gets every world-th batch; an optimizer step consumes gradient_accumulation_steps of them.
    steps = max(1, per_epoch // world // max(1, args.gradient_accumulation_steps))
    return shares, math.ceil(args.num_train_epochs * steps), False


def _eval_schedule(plan, args) -> str:
    strategy = setting(args.eval_strategy)
    if strategy == "steps":
        text = f"every {args.eval_steps or args.logging_steps} steps"
    elif strategy == "epoch":
        text = "every epoch"
    else:
        text = "no evaluation during training"
    if plan.evaluator is not None:
        metric = args.metric_for_best_model or getattr(plan.evaluator, "primary_metric", None)
        ev = plan.config.evaluator
        kind = "evaluators" if isinstance(ev, list) else "STS evaluator" if ev.type == "sts" else "IR evaluator"
        text += f"; {kind} ({plan.ir_summary or 'retrieval'})" + (f", main metric {metric}" if metric else "")
        text += "; before/after table" if plan.config.evaluation.before else "; after-training table"
    return text


def _precision(args, requested: str) -> str:
    """What autocast does and, on a CPU, why: bf16 pays only with native instructions (AMX, AVX512-BF16)."""
    half = "bf16" if getattr(args, "bf16", False) else "fp16" if getattr(args, "fp16", False) else None
    device = getattr(args, "device", "cpu")
    if getattr(device, "type", str(device).split(":")[0]) != "cpu" or half == "fp16":
        return f"{half} autocast (weights fp32)" if half else "fp32"
    native = native_bf16()
    if half:
        return (
            "bf16 autocast (weights fp32), "
            + (f"native on this CPU ({native})" if native else "but this CPU has no native bf16: slower than fp32")
            + (" (auto)" if requested == "auto" else "")
        )
    if requested != "auto":
        return "fp32"
    if native:
        return "fp32 (`bf16` set off in args)"
    if os.environ.get(OVERRIDE, "").strip() == "0":
        return f"fp32 (auto: native bf16 detection turned off by {OVERRIDE}=0)"
    return "fp32 (auto: this CPU has no native bf16)"


def _column_forwards(plan) -> str:
    """How the steps go through the encoder: the run's decided `Execution` (forward/execution.py), not a guess."""
    return plan.execution.describe()


def banner_facts(plan, trainer) -> tuple[list[tuple[str, str]], list[dict[str, str]]]:
    """The banner's content as data: (key/value facts, one row per objective)."""
    from ...models.adapter import trainable_row

    args = trainer.args
    world = max(1, args.world_size)
    shares, steps, exact = schedule(plan, args)
    model = plan.resolution.describe() if plan.resolution is not None else plan.config.base_model.name
    rows = []
    for obj, share in zip(plan.objectives, shares, strict=True):
        dataset = obj.spec.datasets.train
        split = dataset.args.get("split")
        rows.append(
            {
                "objective": obj.name,
                "type": obj.spec.type,
                "format": obj.train.format,
                "rows": f"{len(obj.train.dataset):,} (from {obj.train.raw_rows:,} raw"
                + (f"; {obj.train.filtered})" if obj.train.filtered else ")"),
                "data": dataset.name + (f" [{split}]" if split else ""),
                "loss": _loss_name(obj.loss),
                "weight": f"{obj.spec.weight:g}",
                "negatives/anchor": _negatives(obj, batch_size_of(obj, args), world, len(obj.train.dataset)),
                "steps share": f"{share:.0%}",
            }
        )
    effective = args.per_device_train_batch_size * world * max(1, args.gradient_accumulation_steps)
    facts = [
        ("model", model),
        trainable_row(trainer.model),
        ("device", f"{args.device}" + (f" x {world} processes" if world > 1 else "")),
        ("precision", _precision(args, plan.config.precision)),
        ("encoder calls", _column_forwards(plan)),
        ("batch size", f"{args.per_device_train_batch_size} per device, {effective} per optimizer step"),
        *([row] if (row := global_batch_row(plan, args)) else []),
        (
            "steps",
            f"{steps:,}"
            + ("" if exact else f" (≈ {args.num_train_epochs:g} epochs)")
            + (f", mixing {plan.config.mixing}" if len(plan.objectives) > 1 else ""),
        ),
        ("learning rate", f"{args.learning_rate:g}"),
        ("evaluation", _eval_schedule(plan, args)),
        ("seed", str(plan.seed)),
        ("run dir", str(plan.run_dir)),
    ]
    removed = false_negatives_row(plan, trainer)
    if removed is not None:
        facts.insert(-2, removed)
    return facts, rows


def print_banner(plan, trainer, *, console=None) -> None:
    """Show what is about to train (main process only): a rich panel on a terminal, log lines otherwise.

    Args:
        plan: the run's Plan (model, objectives with data and losses, evaluator).
        trainer: the built trainer; its `args` give device, precision, batch size and schedule.
        console: a rich Console to print to (tests); forces the rich form.
    """
    from ..distributed.coordination import is_main

    if not is_main():
        return
    facts, rows = banner_facts(plan, trainer)
    if console is None and not interactive():
        logger.info("training %s", plan.config.run_name)
        for key, value in facts:
            logger.info("  %s: %s", key, value)
        for row in rows:
            logger.info(
                "  objective %s: %s",
                row["objective"],
                ", ".join(f"{k} {v}" for k, v in row.items() if k != "objective"),
            )
        for warning in batch_warnings(plan, trainer.args):
            logger.warning("%s", warning)
        return
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    console = console or Console()
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column()
    for key, value in facts:
        grid.add_row(key, escape(value))  # "[train]" and paths are text, not rich markup
    table = Table(title="objectives", title_justify="left")
    for column in rows[0] if rows else ():
        # a narrow terminal folds the other cells onto more lines; the objective's name is never cut
        fit = {"no_wrap": True, "min_width": max(len(r[column]) for r in rows)} if column == "objective" else {}
        justify = "right" if column in ("rows", "weight", "steps share") else "left"
        table.add_column(column, justify=justify, overflow="fold", **fit)
    for row in rows:
        table.add_row(*(escape(v) for v in row.values()))
    console.rule(f"[bold]embedding[/bold] · {escape(plan.config.run_name)}")
    console.print(grid)
    console.print(table)
    for warning in batch_warnings(plan, trainer.args):
        console.print(f"[bold yellow]warning:[/bold yellow] {escape(warning)}")


def install_progress(trainer) -> ProgressLines:
    """Line progress when stdout is not a terminal (or `disable_tqdm` is set); otherwise one bar with the
    losses in it and one line above it per evaluation."""
    from transformers.trainer_callback import PrinterCallback, ProgressCallback

    metric = trainer.args.metric_for_best_model or getattr(getattr(trainer, "evaluator", None), "primary_metric", None)
    bar = next((cb for cb in trainer.callback_handler.callbacks if isinstance(cb, ProgressCallback)), None)
    trainer.remove_callback(ProgressCallback)  # its bar writes every log event above itself as a raw dict
    if not interactive() or trainer.args.disable_tqdm or bar is None:
        # PrinterCallback (what disable_tqdm installs) prints raw dicts; these lines replace it.
        trainer.remove_callback(PrinterCallback)
        bar = None
    else:
        bar = QuietBar()
        trainer.add_callback(bar)
    objectives = len(trainer.loss) if isinstance(trainer.loss, dict) else 1  # one loss per objective's dataset
    callback = ProgressLines(metric, bar=bar, objectives=objectives)
    trainer.add_callback(callback)
    return callback
