"""Hyperparameter sweeps on Optuna: `embedding sweep --config cfg.yaml` runs the config's `sweep:` block.

Every trial is a normal run in `output_dir/run_name/trials/NNN/`; the study lives in SQLite in the run dir, or in a
shared storage (PostgreSQL, a journal file) that any number of `embedding sweep` processes work on together.
runner.py drives it; study.py holds the Optuna parts; trial.py runs one trial; outputs.py / report.py /
progress.py write what the user reads; workers.py starts `--workers N` processes.
"""

from __future__ import annotations

from .runner import run_sweep

__all__ = ["run_sweep"]
