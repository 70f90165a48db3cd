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

    Also gives mlflow / trackio / wandb the run's resolved config (`config_to_trackers`): one call where trackers
    are set up.
    """
    from transformers.integrations import TensorBoardCallback

    config_to_trackers(trainer, run_dir)
    for callback in trainer.callback_handler.callbacks:
        if isinstance(callback, TensorBoardCallback):
            if os.environ.get("TENSORBOARD_LOGGING_DIR"):
                return Path(callback.logging_dir)
            if callback.tb_writer is None:
                callback.logging_dir = str(Path(run_dir) / TENSORBOARD_DIR)
            return Path(callback.logging_dir)
    return None


def flat_config(config: dict, prefix: str = "config") -> dict[str, str]:
    """The resolved config as `config.a.b` -> value text, secrets as *** (safe_files.redact), for tracker params."""
    from ..safe_files import redact

    flat: dict[str, str] = {}

    def walk(value, key: str) -> None:
        if isinstance(value, dict) and value:
            for name, item in value.items():
                walk(item, f"{key}.{name}")
        elif isinstance(value, list) and value and any(isinstance(v, (dict, list)) for v in value):
            for i, item in enumerate(value):
                walk(item, f"{key}.{i}")
        else:
            flat[key] = str(value)[:5000]  # mlflow keeps at most 6,000 characters a value

    walk(redact(config), prefix)
    return flat


def tracker_callback(config: dict):
    """A trainer callback that gives the active mlflow / trackio / wandb run the resolved config (secrets redacted)
    once training starts: their own callbacks log the trainer's arguments, not the run's config. Added after the
    trackers' callbacks, so their runs are open by then."""
    from transformers import TrainerCallback

    class ConfigToTrackers(TrainerCallback):
        mlflow_run_id: str | None = None

        def on_train_begin(self, args, state, control, **kwargs):
            if not state.is_world_process_zero:
                return
            params = flat_config(config)
            if "mlflow" in (args.report_to or []):
                import mlflow

                run = mlflow.active_run()
                if run is not None:
                    self.mlflow_run_id = run.info.run_id
                    items = list(params.items())
                    for start in range(0, len(items), 100):  # mlflow takes up to 100 params a call
                        mlflow.log_params(dict(items[start : start + 100]))
            if "trackio" in (args.report_to or []):
                import trackio

                if hasattr(trackio.config, "update"):  # the open run's config once trackio.init ran
                    trackio.config.update(params, allow_val_change=True)
            if "wandb" in (args.report_to or []):
                import wandb

                if wandb.run is not None:
                    wandb.run.config.update(params, allow_val_change=True)

    return ConfigToTrackers()


def log_final_model(callback, final: str | Path) -> bool:
    """The final model as an artifact of the mlflow run the training logged to (`final/`); False without one."""
    run_id = getattr(callback, "mlflow_run_id", None)
    if run_id is None or not Path(final).is_dir():
        return False
    import mlflow

    client = mlflow.MlflowClient()
    client.log_artifacts(run_id, str(final), artifact_path="final")
    return True


CONFIG_FILE = "config.resolved.yaml"  # written (secrets redacted) before the trainer is built


def config_to_trackers(trainer, run_dir: str | Path):
    """Add the callback that logs the run's resolved config to mlflow / trackio / wandb, when `report_to` names one."""
    import yaml

    trackers = set(trainer.args.report_to or [])
    path = Path(run_dir) / CONFIG_FILE
    if not trackers & {"mlflow", "trackio", "wandb"} or not path.is_file():
        return None
    config = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    callback = tracker_callback(config if isinstance(config, dict) else {})
    trainer.add_callback(callback)  # after the trackers' own callbacks: their runs are open when it runs
    return callback


def final_model_to_trackers(trainer, final: str | Path) -> bool:
    """`log_final_model` for the run's config callback, if the run has one (mlflow among `report_to`)."""
    for callback in trainer.callback_handler.callbacks:
        if type(callback).__name__ == "ConfigToTrackers" and trainer.is_world_process_zero():
            return log_final_model(callback, final)
    return False
