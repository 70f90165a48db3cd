"""The trainer of a run: EmbeddingTrainer whose checkpoints a resume can always trust, up to the very end.

- No checkpoint holds NaN/inf weights: the loss guard (callbacks.NaNGuard) sees the loss before the update, and a
  huge learning rate turns finite gradients into inf weights that a save would otherwise keep as "last good".
- The newest checkpoint is never deleted at the end of train(): it is the interrupt checkpoint or the one where
  training ended, and --resume needs it.
- A resume from the checkpoint where training ended trains no further step; it only finishes.
- A save that fails (a full disk) leaves no half-written checkpoint behind.

Training batches are padded from the kept token ids (token_collator.py, `execution.token_ids`) instead of tokenized
every step; that changes neither the batches nor the loss. How each step runs through the encoder is the losses'
own: they were built with the run's `Execution` (forward/execution.py).
"""

from __future__ import annotations

import os
import shutil

import torch
from transformers import EarlyStoppingCallback

from .base import STAGING, EmbeddingTrainer
from .callbacks import NonFiniteLoss


class RunTrainer(EmbeddingTrainer):
    def __init__(self, *args, token_ids: bool = True, **kwargs):
        self.non_finite_weights: NonFiniteLoss | None = None  # set when a save was refused for NaN/inf weights
        super().__init__(*args, **kwargs)
        self.token_ids = self._collate_from_token_ids() if token_ids else False

    def _collate_from_token_ids(self) -> bool:
        """Pad training batches from the token ids kept for length grouping; False where the collator must tokenize."""
        from ..batching.token_collator import token_id_preprocess

        data = self.train_dataset
        datasets = list(data.values()) if isinstance(data, dict) else [data]
        preprocess = token_id_preprocess(self.model, self.data_collator, datasets)
        if preprocess is not None:
            self.data_collator.preprocess_fn = preprocess
        return preprocess is not None

    def _run_epoch(self, *args, **kwargs):
        if self._training_ended():
            # Resumed from the checkpoint where training ended: the stock loop would still run one more step.
            self.control.should_training_stop = True
            return None
        return super()._run_epoch(*args, **kwargs)

    def _training_ended(self) -> bool:
        """max_steps reached, or early stopping had run out of patience when the (resumed) state was saved."""
        if 0 < self.state.max_steps <= self.state.global_step:
            return True
        stored = self.state.stateful_callbacks.get("EarlyStoppingCallback")
        live = [cb for cb in self.callback_handler.callbacks if isinstance(cb, EarlyStoppingCallback)]
        if not isinstance(stored, dict) or not live:
            return False
        counter = stored.get("attributes", {}).get("early_stopping_patience_counter", 0)
        return counter >= live[0].early_stopping_patience

    def _finalize_training(self, trial, num_train_samples, start_time):
        # With save_total_limit 1 the stock trainer deletes the newest checkpoint here when it is not the best one.
        # Rotation after each save already keeps at most the newest and the best (rotate_checkpoints protects both).
        limit = self.args.save_total_limit
        self.args.save_total_limit = None if limit == 1 else limit
        try:
            return super()._finalize_training(trial, num_train_samples, start_time)
        finally:
            self.args.save_total_limit = limit

    def _non_finite_weight(self) -> str | None:
        """The name of a NaN/inf weight (on any process), else None; one device sync."""
        params = list(self.model.named_parameters())
        if not params:
            return None
        finite = torch.stack([torch.isfinite(p.detach()).all() for _, p in params])
        bad = (~finite).any().reshape(1).to(torch.int32)
        if self.accelerator.num_processes > 1:  # sharded weights: every process must take the same decision
            bad = self.accelerator.reduce(bad, reduction="sum")
        if not bool(bad.item()):
            return None
        return next((name for (name, _), ok in zip(params, finite.tolist(), strict=True) if not ok), "(sharded)")

    def _save_checkpoint(self, model, trial) -> None:
        bad = self._non_finite_weight()
        if bad is not None:
            self.non_finite_weights = NonFiniteLoss(self.state.global_step, "all", f"the weight `{bad}`")
            self.control.should_training_stop = True  # session.fit turns this into a TrainingFault
            return
        try:
            super()._save_checkpoint(model, trial)
        except BaseException:
            if self.args.should_save:  # e.g. a full disk: no half checkpoint left, and its space given back
                shutil.rmtree(os.path.join(self._get_output_dir(trial), STAGING), ignore_errors=True)
            raise

    def log(self, logs: dict, start_time: float | None = None) -> None:
        if "train_runtime" in logs and self.state.global_step == getattr(self, "_initial_global_step", None):
            # A resume where training had ended trains no step: its "train_loss" would read 0. Dropped in place,
            # so that the metrics train() returns (evaluation.json) do not carry it either.
            logs.pop("train_loss", None)
        return super().log(logs, start_time)
