"""The config schema: the single source of truth for keys, types, defaults, ranges and their documentation, and
(through its mixins) for every rule across keys: `rules.py` (the run) and `catalog/loss_rules.py` (an objective's
loss). A `TrainConfig` that exists has passed them all.

Imports pydantic and the standard library only, so `embedding validate` and `embedding schema` stay instant.
Every model forbids unknown keys; rules that need this machine (files, models) are `embedding.validation.machine`.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, field_validator, model_validator

from .adapter import BaseModelSpec
from .catalog.loss_rules import LossRules
from .catalog.trainer_args import TrainerArgs, trainer_args_json_schema
from .common import DatasetSpec, LocalPath, ModelSpec, Strict, check_sizes, default_names, no_nul
from .deprecated import move_execution_keys
from .eval_schema import TaskSpec
from .evaluator_schema import Evaluators, EvaluatorSpec
from .execution import ExecutionSpec
from .merge import MergeSpec
from .problems import fail, mapping_problems
from .rules import TrainRules
from .run_outputs import EarlyStoppingSpec, EvaluationSpec, ExportSpec
from .sweep import SweepSpec

__all__ = ["DatasetSpec", "EvaluatorSpec", "ModelSpec", "Strict", "TaskSpec", "TrainConfig"]


# Bytes in one file or folder name on common file systems (ext4, APFS, NTFS). run_name is a folder name and the
# longest name made from it is `--overwrite`'s `<run_name>.old-YYYYMMDD-HHMMSS` (20 bytes more).
NAME_MAX = 255
RUN_NAME_MAX = NAME_MAX - len(".old-YYYYMMDD-HHMMSS")


class TrainDatasetSpec(DatasetSpec):
    streaming: bool = Field(
        False,
        description="Read the training data shard by shard (datasets' streaming loader: local .jsonl/.parquet/.csv "
        "files or a Hub id) and preprocess rows on the fly with the same seeded per-row rules, so memory stays flat "
        "however large the data. Needs args.max_steps and one objective; no length grouping, one_per_group, "
        "filter, mining or distillation. A data file is a shard: give several files to spread them over processes.",
    )


class ObjectiveDatasets(Strict):
    train: TrainDatasetSpec = Field(description="Training data of this objective.")
    validation: DatasetSpec | None = Field(None, description="Optional data for the eval loss of this objective.")


class MatryoshkaSpec(Strict):
    matryoshka_dims: list[int] = Field(min_length=1, description="Embedding sizes trained at once, e.g. [64, 384].")
    matryoshka_weights: list[float] | None = Field(None, description="Weight per dim (default 1 each).")
    n_dims_per_step: int = Field(-1, description="Dims sampled per step; -1 = all.")

    @field_validator("n_dims_per_step")
    @classmethod
    def check_dims_per_step(cls, value: int) -> int:
        if value == 0 or value < -1:
            raise ValueError(f"must be -1 (all dims every step) or a positive count, got {value}")
        return value

    apply_to: Literal["main", "all"] = Field(
        "main", description="`main` wraps the main loss only; `all` also the distillation and penalty terms."
    )

    @field_validator("matryoshka_dims")
    @classmethod
    def check_dims_positive_and_sorted(cls, dims: list[int]) -> list[int]:
        if check_sizes(dims, "dims") != sorted(dims) and dims != sorted(dims, reverse=True):
            raise ValueError(f"dims must be sorted (ascending or descending), got {dims}; e.g. {sorted(dims)}")
        return dims

    def size_problem(self, width: int, model: str = "") -> str | None:
        """The one rule for dims larger than the model's embedding size, and its message (`None`: they fit).

        Checked twice with this text: by `validate` from the model's files, and after loading the model.
        """
        largest = max(self.matryoshka_dims)
        if largest <= width:
            return None
        example = [d for d in (8, 16, 32, 64, 128, 256, 512, 768, 1024) if d < width][-3:] + [width]
        return (
            f"{largest} is larger than the model's embedding size {width}{f' ({model})' if model else ''}; "
            f"use dims <= {width}, e.g. {example}"
        )

    @model_validator(mode="after")
    def check_weights_match_dims(self) -> MatryoshkaSpec:
        if self.matryoshka_weights is not None and len(self.matryoshka_weights) != len(self.matryoshka_dims):
            raise ValueError(
                f"matryoshka_weights has {len(self.matryoshka_weights)} entries but matryoshka_dims has "
                f"{len(self.matryoshka_dims)}; give one weight per dim"
            )
        return self


class DistillationSpec(Strict):
    alpha: float = Field(gt=0, description="Weight of the distillation term.")
    teacher: ModelSpec = Field(description="The teacher; it encodes the raw texts with its own tokenizer.")
    loss_args: dict[str, Any] = Field(
        default_factory=dict, description="scale, similarity (cosine|dot|euclidean|manhattan), reduction."
    )


class VariationPenaltySpec(Strict):
    alpha: float = Field(gt=0, description="Weight of the negative-similarity penalty (Lee et al. 2025).")
    loss_args: dict[str, Any] = Field(
        default_factory=dict, description="eps: float or `auto` (= 1/(N-1), N = training rows)."
    )


class ObjectiveSpec(LossRules, Strict):
    """One training objective: a dataset, a loss, and optional extra terms."""

    type: Literal["contrastive", "similarity"] = Field(
        description="`contrastive`: (anchor, positive, negatives...) ranking data; "
        "`similarity`: (anchor, candidate, label) scored pairs."
    )
    name: str | None = Field(
        None, pattern=r"^[A-Za-z0-9_.-]+$", description="Name in logs; defaults to the type, made unique."
    )
    datasets: ObjectiveDatasets
    loss: str | None = Field(
        None,
        description="A loss of this objective type (listed by `embedding schema`; default: the type's own), a "
        "sentence-transformers loss class name, or `module:Class` with allow_custom_code.",
    )
    loss_args: dict[str, Any] = Field(
        default_factory=dict,
        description="Keyword arguments of the loss: typed per loss in `embedding schema`, checked by `validate`.",
    )
    matryoshka: MatryoshkaSpec | None = None
    distillation: DistillationSpec | None = None
    margin: float | None = Field(
        None, description="Additive margin: contrastive subtracts it from each anchor's own positive similarity."
    )
    variation_penalty: VariationPenaltySpec | None = None
    weight: float = Field(1.0, gt=0, description="Share of steps for `mixing: weighted`; scales this loss.")
    batch_size: int | None = Field(
        None, gt=0, description="Per-device batch size of this objective (default: args.per_device_train_batch_size)."
    )
    batch_sampler: (
        Literal["batch_sampler", "no_duplicates", "no_duplicates_hashed", "group_by_label", "one_per_group"] | None
    ) = Field(
        None,
        description="Batch sampler of this objective (default: args.batch_sampler). E.g. `batch_sampler` for "
        "similarity data, so that one anchor's similar/almost/dissimilar pairs can share a batch; `one_per_group` "
        "(contrastive): no_duplicates plus at most one row of each group (FAQ entry, label, `group` column, else "
        "anchor text) per batch, so no in-batch negative is a false one.",
    )
    gather_across_devices: bool = Field(
        False, description="Multi-GPU: use the other devices' batches as extra in-batch negatives."
    )


class ContrastiveObjective(ObjectiveSpec):
    """(anchor, positive, negatives...) rows, ranking losses."""

    type: Literal["contrastive"]


class SimilarityObjective(ObjectiveSpec):
    """(anchor, candidate, label) rows, losses on scored pairs."""

    type: Literal["similarity"]


Objective = Annotated[ContrastiveObjective | SimilarityObjective, Field(discriminator="type")]


def check_trainer_args(args: dict[str, Any]) -> dict[str, Any]:
    """Each trainer argument known, of its type, among its choices and in its range (`TrainerArgs`); the mapping
    stays as written, so the run passes on only the keys a config sets."""
    fail(
        mapping_problems(
            TrainerArgs, args, "trainer argument", tail="; see SentenceTransformerTrainingArguments for the valid keys"
        )
    )
    return args


class TrainConfig(TrainRules, Strict):
    """A training run: one YAML/JSON file."""

    run_name: str = Field(min_length=1, description="Run folder name under output_dir.")
    base_model: BaseModelSpec
    output_dir: LocalPath = Field(
        "runs", min_length=1, description="Parent folder (`~` expanded); the run lives in output_dir/run_name."
    )
    objectives: list[Objective] = Field(min_length=1)
    args: dict[str, Any] = Field(
        default_factory=dict,
        json_schema_extra=lambda schema: schema.update(trainer_args_json_schema(), description=schema["description"]),
        description=(
            "SentenceTransformerTrainingArguments (typed: `TrainerArgs`); output_dir/logging_dir are the run's."
        ),
    )
    evaluator: Evaluators | None = Field(
        None,
        description="Evaluator(s) run during training (args.eval_strategy) and on the base and trained model: one "
        "spec, or a list run in order (sentence-transformers' SequentialEvaluator), each metric prefixed with its "
        "evaluator's name. args.metric_for_best_model may name any of their metrics.",
    )
    early_stopping: EarlyStoppingSpec | None = None
    evaluation: EvaluationSpec = Field(default_factory=EvaluationSpec)
    merge_with_base: MergeSpec | None = Field(None, description="After training: mix in the base weights (alpha).")
    export: ExportSpec | None = Field(
        None,
        description="Export the trained model to ONNX after training and check each export on the run's evaluator "
        "(as `embedding export RUN`): run_dir/export-<format>/ with export_report.json, a table in report.md.",
    )
    mixing: Literal["proportional", "round_robin", "weighted"] = Field(
        "proportional", description="How batches of several objectives are interleaved."
    )
    precision: Literal["auto", "fp32", "bf16", "fp16"] = Field(
        "auto",
        description="auto = bf16 autocast (weights stay fp32) where the hardware has bf16: GPUs that support it and "
        "CPUs with AMX or AVX512-BF16 (faster, same quality: benchmarks/cpu_bf16_quality.py); fp32 on other CPUs, "
        "where bf16 is emulated and slower. The start banner says which and why.",
    )
    execution: ExecutionSpec = Field(
        default_factory=ExecutionSpec,
        description="How each training step runs (encoder calls, length grouping, packing); same loss either way.",
    )
    allow_custom_code: bool = Field(
        False, description="Allow `module:Class` losses. Off by default: a config should not be able to run code."
    )
    sweep: SweepSpec | None = Field(None, description="A hyperparameter search, run by `embedding sweep`.")

    @model_validator(mode="before")
    @classmethod
    def move_execution_keys(cls, data: Any) -> Any:
        """`merge_columns` / `group_by_length` at the top level (before they moved under `execution`) still load."""
        return move_execution_keys(data)

    _check_args = field_validator("args")(check_trainer_args)

    @field_validator("run_name")
    @classmethod
    def check_run_name_is_a_folder_name(cls, value: str) -> str:
        if "/" in value or "\\" in value or value in (".", ".."):
            raise ValueError(
                f"{value!r} is used as a folder name under output_dir and cannot contain / or \\; "
                "put the parent folders in output_dir"
            )
        size = len(value.encode("utf-8", errors="surrogatepass"))
        if size > RUN_NAME_MAX:
            raise ValueError(
                f"is {size} bytes long (UTF-8); a file name holds at most {NAME_MAX} bytes and `--overwrite` adds "
                f"`.old-<date>` to this one: use a run_name of at most {RUN_NAME_MAX} bytes"
            )
        return no_nul(value)

    def objective_names(self) -> list[str]:
        """Each objective's name: its `name`, else its type, numbered when a type repeats (contrastive_2)."""
        return default_names([o.name for o in self.objectives], [o.type for o in self.objectives])
