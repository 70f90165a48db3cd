"""SentenceTransformerTrainer with checkpoints that appear only once complete, written by one process.

The stock trainer writes `checkpoint-N/` in place; a process killed mid-write leaves a folder that makes resume
crash ("no file named model.safetensors"). Here each checkpoint is written under `.partial/` and renamed into
the run dir when every file is on disk; rotation (`save_total_limit`) then runs on the real run dir.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import torch
from sentence_transformers import SentenceTransformerTrainer
from transformers import Trainer
from transformers.trainer_utils import PREFIX_CHECKPOINT_DIR, rotate_checkpoints

from ..batching.dataloading import LengthGroupingMixin, sampler_name
from ..batching.sampling import WeightedBatchSampler
from ..distributed.engine_save import EngineSaveMixin
from .secret_args import secrets_pickled_as_none

STAGING = ".partial"


class EmbeddingTrainer(EngineSaveMixin, LengthGroupingMixin, SentenceTransformerTrainer):
    """SentenceTransformerTrainer with staged checkpoints, per-objective batching and per-component loss logs.

    Keyword arguments beyond the stock trainer's, per objective in objective order (empty with one objective):
        objective_batch_sizes: the batch size of each objective (None: args.per_device_train_batch_size).
        batch_samplers: the training batch sampler of each objective, by name (`no_duplicates`, `one_per_group`,
            ...; one per training dataset, also with one objective): the one place the training batches' sampler
            is read from. Unset: args.batch_sampler, as in sentence-transformers (evaluation batches always are).
        objective_weights: the mixing weight of each objective (used by `mixing: weighted`).
        mixing: how batches of the objectives interleave: proportional, round_robin or weighted.
        group_by_length: length-grouped training batches (dataloading.LengthGroupingMixin).
    """

    def __init__(
        self,
        *args,
        objective_batch_sizes: list[int | None] | None = None,
        batch_samplers: list[str] | None = None,
        objective_weights: list[float] | None = None,
        mixing: str = "proportional",
        group_by_length: bool = True,
        **kwargs,
    ):
        self.objective_batch_sizes = list(objective_batch_sizes or [])
        self.batch_samplers = list(batch_samplers or [])
        self.objective_weights = list(objective_weights or [])
        self.mixing = mixing
        self.group_by_length = group_by_length
        self._staging_dir: str | None = None
        self._train_sampler_index: int | None = None
        super().__init__(*args, **kwargs)

    def get_train_dataloader(self):
        self._train_sampler_index = 0
        try:
            return super().get_train_dataloader()
        finally:
            self._train_sampler_index = None

    def get_batch_sampler(self, dataset, batch_size, drop_last, valid_label_columns=None, generator=None, seed=0):
        """Training batches: the objective's own sampler by name (`batch_samplers`, in dataset order) at its own
        batch size, passed down as an argument; evaluation batches: sentence-transformers' own."""
        index = self._train_sampler_index
        if index is None:
            return super().get_batch_sampler(dataset, batch_size, drop_last, valid_label_columns, generator, seed)
        self._train_sampler_index = index + 1
        if index < len(self.objective_batch_sizes):
            batch_size = self.objective_batch_sizes[index] or batch_size
        name = (
            self.batch_samplers[index] if index < len(self.batch_samplers) else sampler_name(self.args.batch_sampler)
        )
        if name is None:  # a sampler class or function given in Python: sentence-transformers calls it
            return super().get_batch_sampler(dataset, batch_size, drop_last, valid_label_columns, generator, seed)
        return self.training_batch_sampler(name, dataset, batch_size, drop_last, valid_label_columns, generator, seed)

    def get_multi_dataset_batch_sampler(self, dataset, batch_samplers, generator=None, seed=0):
        if self.mixing == "weighted":
            return WeightedBatchSampler(
                dataset, batch_samplers, generator=generator, seed=seed, weights=self.objective_weights
            )
        return super().get_multi_dataset_batch_sampler(dataset, batch_samplers, generator, seed)

    def _save(self, output_dir: str | None = None, state_dict=None) -> None:
        # transformers 5 calls `_save` on every rank for plain DDP and sentence-transformers' `_save` assumes it
        # runs on rank 0 only: every process would write the same files at once. Only the saving rank writes.
        if not self.args.should_save:
            return None
        with secrets_pickled_as_none(self.args):
            return super()._save(output_dir, state_dict=state_dict)

    def _push_from_checkpoint(self, checkpoint_folder: str) -> None:
        with secrets_pickled_as_none(self.args):
            return super()._push_from_checkpoint(checkpoint_folder)

    def _get_output_dir(self, trial) -> str:
        if self._staging_dir is not None:
            return self._staging_dir
        return super()._get_output_dir(trial)

    def _save_checkpoint(self, model, trial) -> None:
        run_dir = super()._get_output_dir(trial)
        staging = os.path.join(run_dir, STAGING)
        self._staging_dir = staging
        try:
            super()._save_checkpoint(model, trial)
        finally:
            self._staging_dir = None
        if not self.args.should_save:
            return
        name = f"{PREFIX_CHECKPOINT_DIR}-{self.state.global_step}"
        final = os.path.join(run_dir, name)
        if os.path.exists(final):
            shutil.rmtree(final)
        os.replace(os.path.join(staging, name), final)
        shutil.rmtree(staging, ignore_errors=True)
        self._unstage_paths(staging, run_dir, Path(final) / "trainer_state.json")
        rotate_checkpoints(
            output_dir=run_dir,
            save_total_limit=self.args.save_total_limit,
            best_model_checkpoint=self.state.best_model_checkpoint,
            use_mtime=False,
        )

    def _unstage_paths(self, staging: str, run_dir: str, state_file: Path) -> None:
        """The best-checkpoint path was recorded while the folder sat in staging; point it at the run dir."""
        best = self.state.best_model_checkpoint
        if best and best.startswith(staging):
            self.state.best_model_checkpoint = run_dir + best[len(staging) :]
            if state_file.exists():
                state = json.loads(state_file.read_text())
                state["best_model_checkpoint"] = self.state.best_model_checkpoint
                state_file.write_text(json.dumps(state, indent=2, sort_keys=True) + "\n")

    # --- loss components: averaged per component over the steps that produced it -------------------------------
    # sentence-transformers divides every component by the step count of all objectives together, which dilutes
    # each objective's terms in multi-objective runs. Here each key carries its own count.

    def track_loss_components(self, loss: dict) -> None:
        kind = "train" if self.model.training else "eval"
        sums = self.__dict__.setdefault("_component_sums", {}).setdefault(kind, {})
        for key, value in loss.items():
            value = value.detach().float().reshape(())
            total, count = sums.get(key, (torch.zeros_like(value), torch.zeros_like(value)))
            sums[key] = (total + value, count + 1)

    def log(self, logs: dict, start_time: float | None = None) -> None:
        kind = (
            "train"
            if "loss" in logs
            else "eval"
            if any(k.startswith("eval_") and k.endswith("loss") for k in logs)
            else None
        )
        sums = self.__dict__.get("_component_sums", {}).pop(kind, None) if kind else None
        if sums:
            logs = dict(logs)
            keys = sorted(sums)
            stacked = torch.stack([torch.stack(sums[k]) for k in keys])  # (components, 2): sum, count
            gathered = self.accelerator.gather(stacked.unsqueeze(0)).reshape(-1, len(keys), 2).sum(0)
            for key, (total, count) in zip(keys, gathered.tolist(), strict=True):
                if count:
                    logs[f"eval_{key}" if kind == "eval" else key] = round(total / count, 6)
        return Trainer.log(self, logs, start_time) if start_time is not None else Trainer.log(self, logs)
