"""The Optuna study of a sweep: its storage, sampler and pruner, and how many trials count against the budget.

Storage: SQLite in the sweep's run dir by default; a `postgresql://` / `mysql://` / `sqlite://` URL (Optuna's
RDBStorage) or a journal file (`*.log`, `*.jsonl` or `journal:PATH`, Optuna's JournalFileBackend) shares one study
between processes. RDB storages get Optuna's heartbeat: a trial whose process died (SIGKILL, a lost machine) is
marked failed after the grace period and queued again with the same values (RetryHeartbeatStaleTrialCallback),
so a live worker runs it.
"""

from __future__ import annotations

import contextlib
import importlib.util
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import optuna
from optuna.storages import RetryHeartbeatStaleTrialCallback
from optuna.trial import FrozenTrial, TrialState

from ..config.schema import TrainConfig
from ..errors import UserError

STUDY_FILE = "study.db"
JOURNAL_SUFFIXES = (".log", ".jsonl", ".journal")
TABLES_LOCK = 0x656D6264  # "embd": the advisory lock workers take while Optuna creates its tables


def storage_url(url: str | None, run_dir: Path) -> str:
    """The storage as the user would pass it to optuna-dashboard: the default is the run dir's SQLite file."""
    return url or f"sqlite:///{(run_dir / STUDY_FILE).resolve()}"


def shared(url: str | None) -> bool:
    """Whether the study is meant to be shared between processes on several machines (not the run dir's own)."""
    return url is not None


def make_storage(url: str, heartbeat_s: int):
    """An Optuna storage for `url`; RDB storages with heartbeats, so a dead worker's trial is run again."""
    if url.startswith("journal:") or url.endswith(JOURNAL_SUFFIXES):
        from optuna.storages.journal import JournalFileBackend, JournalStorage

        return JournalStorage(JournalFileBackend(url.removeprefix("journal:")))
    if url.startswith("postgresql://") and importlib.util.find_spec("psycopg2") is None:
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")  # psycopg 3: the `sweep` extra's client
    for attempt in range(5):
        try:
            with _creating_tables(url):
                return _rdb_storage(url, heartbeat_s)
        except Exception as exc:  # a wrong host, password, database or missing driver: the user's to fix
            if _lost_table_race(exc) and attempt < 4:
                time.sleep(1 + attempt)  # another worker is creating the tables right now: they exist next time
                continue
            raise UserError(f"sweep.storage: cannot open the study storage ({type(exc).__name__}: {exc})") from None


def _lost_table_race(exc: Exception) -> bool:
    """Two workers created Optuna's tables at once and this one lost (a duplicate table, type or version row)."""
    return type(exc).__name__ == "IntegrityError" or "already exists" in str(exc)


@contextlib.contextmanager
def _creating_tables(url: str) -> Iterator[None]:
    """On PostgreSQL, workers create the tables one at a time (a session advisory lock); elsewhere the retry."""
    if not url.startswith("postgresql"):
        yield
        return
    import sqlalchemy

    engine = sqlalchemy.create_engine(url, poolclass=sqlalchemy.pool.NullPool)
    try:
        with engine.connect() as connection:
            connection.execute(sqlalchemy.text("SELECT pg_advisory_lock(:key)"), {"key": TABLES_LOCK})
            try:
                yield
            finally:
                connection.execute(sqlalchemy.text("SELECT pg_advisory_unlock(:key)"), {"key": TABLES_LOCK})
    finally:
        engine.dispose()


def _rdb_storage(url: str, heartbeat_s: int):
    with warnings.catch_warnings():  # Optuna marks heartbeats experimental; they are what a dead worker needs
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        return optuna.storages.RDBStorage(
            url,
            heartbeat_interval=heartbeat_s,
            grace_period=3 * heartbeat_s,
            heartbeat_stale_trial_callback=RetryHeartbeatStaleTrialCallback(),
            engine_kwargs={"pool_pre_ping": True} if not url.startswith("sqlite") else None,
        )


def sampler(config: TrainConfig, offset: int = 0):
    """The configured sampler, seeded with the sweep's seed + `offset` (open_study: trials already in the study)."""
    spec = config.sweep
    seed = spec.sampler_seed(config.args) + offset
    if spec.sampler == "grid":
        grid = {key: _values(param) for key, param in spec.space().items()}
        return optuna.samplers.GridSampler(grid, seed=seed, **spec.sampler_args)
    if spec.sampler == "random":
        return optuna.samplers.RandomSampler(seed=seed, **spec.sampler_args)
    return optuna.samplers.TPESampler(seed=seed, **spec.sampler_args)


def _values(param) -> list[Any]:
    if param.type == "categorical":
        return list(param.choices)
    if param.type == "int":
        return param.values()
    count = int(round((param.high - param.low) / param.step))
    return [param.low + i * param.step for i in range(count + 1)]


def pruner(config: TrainConfig):
    spec = config.sweep
    if spec.pruner == "median":
        return optuna.pruners.MedianPruner(**spec.pruner_args)
    if spec.pruner == "halving":
        return optuna.pruners.SuccessiveHalvingPruner(**spec.pruner_args)
    return optuna.pruners.NopPruner()


def open_study(config: TrainConfig, name: str, storage, worker: int = 0) -> optuna.Study:
    """Create the study, or join it (another worker, a resume): same name, same direction.

    The sampler's seed is the sweep's seed plus the trials already in the study (and the worker's number): a
    fresh sweep suggests the same configs for the same seed, and a resumed sweep or a second worker does not
    repeat the suggestions the first one made.
    """
    try:
        study = optuna.create_study(
            study_name=name,
            storage=storage,
            sampler=sampler(config),
            pruner=pruner(config),
            direction=config.sweep.direction,
            load_if_exists=True,
        )
        offset = len(study.get_trials(deepcopy=False)) + 10_000 * worker
        return optuna.load_study(
            study_name=name, storage=storage, sampler=sampler(config, offset), pruner=pruner(config)
        )
    except TypeError as exc:  # sampler_args / pruner_args the Optuna class does not take
        raise UserError(f"sweep.sampler_args / sweep.pruner_args: {exc}") from None


def counts(trial: FrozenTrial, before: int | None = None) -> bool:
    """Whether `trial` takes a place in the budget, for a trial numbered `before` deciding whether it may run.

    Finished (complete, pruned) and failed-by-its-values trials count; a trial stopped by a signal or by a dead
    process does not (its retry does), nor one that found the budget spent. Trials still running or queued count
    when they started first (a lower number), so two workers asking at once do not both take the last place.
    """
    if trial.state in (TrialState.COMPLETE, TrialState.PRUNED):
        return True
    if trial.state == TrialState.FAIL:
        return "error" in trial.user_attrs
    if trial.state in (TrialState.RUNNING, TrialState.WAITING):
        return before is None or trial.number < before
    return False


def used(study: optuna.Study, before: int | None = None) -> int:
    """How many places of the budget are taken (see `counts`)."""
    return sum(counts(t, before) for t in study.get_trials(deepcopy=False) if t.number != before)


def trial_dir_name(trial: FrozenTrial | optuna.Trial) -> str:
    """trials/NNN: a retried trial keeps the folder of the trial it repeats (and resumes from its checkpoint)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        number = RetryHeartbeatStaleTrialCallback.retried_trial_number(trial)
    return f"{trial.number if number is None else number:03d}"


def requeue(study: optuna.Study, trial: FrozenTrial) -> None:
    """Queue a trial stopped by a signal or a dead process again, with the same values (Optuna's retry)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        RetryHeartbeatStaleTrialCallback()(study, trial)


def requeued(study: optuna.Study) -> set[int]:
    """The numbers of the trials already queued again."""
    found = set()
    for t in study.get_trials(deepcopy=False):
        history = t.system_attrs.get("retry_history") or []
        found.update(history)
    return found
