"""Experiment trackers (`args.report_to`): keep their local files inside the run dir.

transformers 5 dropped `logging_dir`; its TensorBoardCallback writes to `$TENSORBOARD_LOGGING_DIR`, else to
`<output_dir>/runs/<date>_<host>`. The run points it at `<run dir>/tensorboard` instead, so that
`tensorboard --logdir <output_dir>` lists every run under its run name.
"""

from __future__ import annotations

import os
from pathlib import Path

TENSORBOARD_DIR = "tensorboard"


def tensorboard_into_run_dir(trainer, run_dir: str | Path) -> Path | None:
    """Point the trainer's TensorBoard callback at `run_dir/tensorboard`.

    An explicit `TENSORBOARD_LOGGING_DIR` wins (the user chose a place). Call after the trainer is built and
    before `train()`: the callback opens its writer at the start of training.

    Args:
        trainer: the built trainer.
        run_dir: the run's folder.

    Returns:
        Where the event files go, or None when TensorBoard is not among `args.report_to`.
    """
    from transformers.integrations import TensorBoardCallback

    for callback in trainer.callback_handler.callbacks:
        if isinstance(callback, TensorBoardCallback):
            if os.environ.get("TENSORBOARD_LOGGING_DIR"):
                return Path(callback.logging_dir)
            if callback.tb_writer is None:
                callback.logging_dir = str(Path(run_dir) / TENSORBOARD_DIR)
            return Path(callback.logging_dir)
    return None
