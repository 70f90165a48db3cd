"""What a sweep leaves besides its trials: `best/` (the best trial's model), `best.yaml` (a plain training config
that trains it again), `sweep.md`, and the keep policy for the trials' models.

The best is chosen on the validation metric only (Optuna's best trial); test tasks are reported, never used.
"""

from __future__ import annotations

import copy
import os
import shutil
from pathlib import Path
from typing import Any

import optuna
import yaml
from optuna.trial import FrozenTrial, TrialState

from ..validation.sweep import with_value
from .progress import print_table
from .report import write_sweep_report

BEST_DIR, BEST_CONFIG, BEST_MARK = "best", "best.yaml", ".trial"
MODEL_DIRS = ("final", "final-unmerged")


def best_trial(study: optuna.Study) -> FrozenTrial | None:
    try:
        return study.best_trial
    except ValueError:  # no trial complete yet
        return None


def after_trial(sweep, trial: FrozenTrial) -> None:
    """After each trial of this process: refresh best/ when the best changed, then drop models per `keep`."""
    best = best_trial(sweep.study)
    if best is not None:
        copy_best_model(sweep.run_dir, best)
    apply_keep(sweep.run_dir, sweep.study, sweep.config.sweep.keep)


def copy_best_model(run_dir: Path, best: FrozenTrial) -> bool:
    """best/ = the best trial's final/ (hard links where the file system allows); False when it is not here."""
    source = run_dir / "trials" / best.user_attrs.get("dir", f"{best.number:03d}") / "final"
    target = run_dir / BEST_DIR
    if (target / BEST_MARK).is_file() and (target / BEST_MARK).read_text().strip() == str(best.number):
        return True
    if not source.is_dir():
        return False  # ran on another machine (shared storage), or its model was not kept
    partial = run_dir / f".{BEST_DIR}.partial-{os.getpid()}"
    shutil.rmtree(partial, ignore_errors=True)
    shutil.copytree(source, partial, copy_function=_link_or_copy)
    (partial / BEST_MARK).write_text(f"{best.number}\n")
    old = run_dir / f".{BEST_DIR}.old-{os.getpid()}"
    if target.exists():
        target.rename(old)  # derived from a trial that stays in trials/: replacing it loses nothing
    partial.rename(target)
    shutil.rmtree(old, ignore_errors=True)
    return True


def _link_or_copy(src: str, dst: str) -> None:
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


def apply_keep(run_dir: Path, study: optuna.Study, keep: int | str) -> None:
    """Drop the trained weights (final/, checkpoints) of finished trials outside the best `keep`; logs, configs
    and reports stay, so every trial can still be read and re-run. Failed trials keep their last checkpoint."""
    if keep == "all":
        return
    ranked = _ranked(study)
    keep_n = 0 if keep == "none" else int(keep)
    finished = [t for t in study.get_trials(deepcopy=False) if t.state in (TrialState.COMPLETE, TrialState.PRUNED)]
    kept = {t.number for t in ranked[:keep_n]}
    for trial in finished:
        if trial.number in kept:
            continue
        folder = run_dir / "trials" / trial.user_attrs.get("dir", f"{trial.number:03d}")
        for path in [*(folder / m for m in MODEL_DIRS), *folder.glob("checkpoint-*")]:
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)


def _ranked(study: optuna.Study) -> list[FrozenTrial]:
    done = [t for t in study.get_trials(deepcopy=False) if t.state == TrialState.COMPLETE and t.value is not None]
    return sorted(done, key=lambda t: t.value, reverse=study.direction == optuna.study.StudyDirection.MAXIMIZE)


def best_config(sweep, best: FrozenTrial) -> dict[str, Any]:
    """The sweep's config with the best values: a plain training config (no `sweep:` block) of its own run."""
    data = copy.deepcopy(sweep.base)
    for key, value in best.params.items():
        data = with_value(data, key, value)
    return {**data, "run_name": f"{sweep.config.run_name}-best"}


def write_best_config(sweep, best: FrozenTrial) -> Path:
    path = sweep.run_dir / BEST_CONFIG
    header = (
        f"# The best trial ({best.user_attrs.get('dir', best.number)}) of sweep {sweep.run_dir}, chosen on "
        f"validation {best.user_attrs.get('metric', sweep.config.sweep.metric)} = {best.value:.4f}.\n"
        f"# Train it again (same weights): embedding train --config {path}\n"
    )
    text = yaml.safe_dump(best_config(sweep, best), sort_keys=False, allow_unicode=True)
    partial = path.with_name(f".{BEST_CONFIG}.{os.getpid()}")
    partial.write_text(header + text, encoding="utf-8")
    os.replace(partial, path)
    return path


def finish(sweep) -> int:
    """The end of a sweep: table, best config, best/, best.yaml, sweep.md. 0, or 1 when no trial finished."""
    study = sweep.study
    best = best_trial(study)
    if best is not None:
        write_best_config(sweep, best)
        here = copy_best_model(sweep.run_dir, best)
        apply_keep(sweep.run_dir, study, sweep.config.sweep.keep)
    else:
        here = False
    report = write_sweep_report(sweep, best)
    print_table(sweep, best, here, report)
    return 0 if best is not None else 1
