"""The config blocks about what happens around training: early stopping, the evaluation after it, the export."""

from __future__ import annotations

from typing import Annotated, Any, Literal, get_args

from pydantic import AfterValidator, Field, field_validator

from .common import Sizes, Strict, check_distinct
from .eval_schema import TaskSpec


class EarlyStoppingSpec(Strict):
    patience: int = Field(1, ge=1, description="Evaluations without improvement before stopping.")
    threshold: float = Field(0.0, ge=0, description="Minimum improvement that counts.")


Precision = Literal["float32", "int8", "ubinary"]  # sentence-transformers' quantize_embeddings names


class EvaluationSpec(Strict):
    before: bool = Field(True, description="Evaluate the base model before training (before/after table).")
    fail_if_worse: bool = Field(False, description="Exit non-zero (model still saved) if the main metric dropped.")
    tasks: list[TaskSpec] = Field(
        default_factory=list,
        description="Extra tasks run on the base and the trained model after training, in the `embedding evaluate` "
        "task format ({type: ir|sts, dataset: {...}, split, args}); results in the run dir's evaluation/ folder.",
    )
    dimensions: Sizes | None = Field(None, description="Embedding sizes for `tasks` (default: trained dims).")
    quantization: bool | list[Precision] = Field(
        False,
        description="After training, the trained model's cost table on the first `retrieval` evaluator: nDCG@k and "
        "bytes per vector for each embedding size (`dimensions`, else the Matryoshka dims, plus the full size) x "
        "precision (int8 calibrated on up to 1,000 texts of the first objective's training rows; ubinary with "
        "float32 rescoring) -> quantization.json, a table and quantization.png in report.md. true = all three "
        "precisions, or a list of them. Off by default: it encodes the evaluator's data once more and scores "
        "every query against the whole corpus per size and precision (memory grows with queries x corpus).",
    )

    @field_validator("quantization", mode="plain", json_schema_input_type=bool | list[Precision])
    @classmethod
    def check_quantization(cls, value: Any) -> bool | list[str]:
        """One message for either shape (a union would report the bool and the list reading separately)."""
        names = get_args(Precision)
        if isinstance(value, bool):
            return value
        if isinstance(value, list) and value and all(isinstance(v, str) and v in names for v in value):
            return list(dict.fromkeys(value))
        raise ValueError(f"expected true, false or a non-empty list of {', '.join(names)}; got {value!r}")


class ExportSpec(Strict):
    formats: Annotated[
        list[Literal["onnx", "onnx-int8", "onnx-int8-dynamic", "openvino", "static"]],
        AfterValidator(lambda formats: check_distinct(formats, "formats")),
    ] = Field(min_length=1, description="Export final/ after training, one folder each: run_dir/export-<format>.")
    max_drop: float = Field(
        0.01,
        ge=0,
        description="Largest allowed drop of the evaluator's main metric (torch -> export) on the run's (first) "
        "evaluator. A larger drop, or an export that fails, is reported and `embedding train` exits 3 (the "
        "trained model and the export folders are kept).",
    )
    batch_size: int = Field(32, gt=0, description="Encoding batch size of the check (both models).")
