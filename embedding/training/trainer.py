"""SentenceTransformerTrainer with checkpoints that appear only once complete.

The stock trainer writes `checkpoint-N/` in place; a process killed mid-write leaves a folder that makes resume
crash ("no file named model.safetensors"). Here each checkpoint is written under `.partial/` and renamed into
the run dir when every file is on disk; rotation (`save_total_limit`) then runs on the real run dir.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from sentence_transformers import SentenceTransformerTrainer
from transformers.trainer_utils import PREFIX_CHECKPOINT_DIR, rotate_checkpoints

STAGING = ".partial"


class EmbeddingTrainer(SentenceTransformerTrainer):
    _staging_dir: str | None = None

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
        rotate_checkpoints(output_dir=run_dir, save_total_limit=self.args.save_total_limit,
                           best_model_checkpoint=self.state.best_model_checkpoint, use_mtime=False)

    def _unstage_paths(self, staging: str, run_dir: str, state_file: Path) -> None:
        """The best-checkpoint path was recorded while the folder sat in staging; point it at the run dir."""
        best = self.state.best_model_checkpoint
        if best and best.startswith(staging):
            self.state.best_model_checkpoint = run_dir + best[len(staging):]
            if state_file.exists():
                state = json.loads(state_file.read_text())
                state["best_model_checkpoint"] = self.state.best_model_checkpoint
                state_file.write_text(json.dumps(state, indent=2, sort_keys=True) + "\n")
