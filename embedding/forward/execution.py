"""How this run executes its steps, decided once: `decide(spec, model, ...)` -> a frozen `Execution`.

The config's `execution:` block (config/execution.py) says what the user asked for (`auto`s included); what runs
also depends on the device, the model and the number of processes. That decision is taken here, once, and the
resulting `Execution` is handed by constructor to everything that embeds texts the run's way: the objective loss
(and its packed GradCache mini-batches), the guided mask's guide and the evaluators' encoding. The start banner
prints `Execution.describe()`, so what it says is what the step does.

- `packed`: sorted steps (and the guide's, and evaluation's batches) run as one unpadded sequence of tokens
  (packed.py): where `packed: auto` packs (CPU) or `packed: true`, for a model packed.py covers, in one process
  (DDP wraps the model, and gradient synchronisation hooks into the wrapper's forward). An explicit
  `packed: true` that cannot take effect is an error naming the key.
- `cpu_bf16`: the run trains under bf16 autocast on a CPU. sentence-transformers' padded path gets it from
  accelerate, which wraps the model's `forward`; the packed path calls the encoder's layers itself, so it opens
  the same autocast (`autocast()`), or bf16 would be claimed but not run.
"""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import Any

from ..config.execution import ExecutionSpec
from ..errors import UserError
from .columns import MergeColumns, describe, embed_grouped, resolved
from .packed import packed_encoder, packed_for
from .sorted_step import buckets_for, chunk_rows_for

PACKED_MODELS = "BERT, RoBERTa or XLM-R encoders followed by Pooling / Normalize / Dense"


@dataclass(frozen=True)
class Execution:
    """The resolved execution of a run's steps (see the module docstring). Defaults: CPU, nothing packed."""

    merge_columns: MergeColumns = "auto"  # as configured; `policy` is what runs on `device_type`
    group_by_length: bool = True
    device_type: str = "cpu"
    packed: bool = False
    chunk_rows: int = chunk_rows_for("cpu")
    bucket_widths: tuple[int, ...] = ()
    cpu_bf16: bool = False
    token_ids: bool = True

    @property
    def policy(self) -> MergeColumns:
        """The column policy that runs on this device (`auto` resolved)."""
        return resolved(self.merge_columns, self.device_type)

    def autocast(self) -> AbstractContextManager:
        """The autocast a forward that bypasses the model's `forward` (packed) must open itself."""
        if not self.cpu_bf16:
            return nullcontext()
        import torch

        return torch.autocast("cpu", dtype=torch.bfloat16)

    def embed(self, model: Any, features: list[dict[str, Any]]) -> list[Any]:
        """One `sentence_embedding` tensor per column of a training step, as this run executes it."""
        return embed_grouped(
            model,
            features,
            self.merge_columns,
            chunk_rows=self.chunk_rows,
            bucket_widths=list(self.bucket_widths),
            packed=self.packed,
            autocast=self.autocast,
        )

    def describe(self) -> str:
        """The banner's `encoder calls` line: what this run's steps do."""
        return describe(self.merge_columns, self.device_type, self.packed)


def decide(
    spec: ExecutionSpec | None,
    model: Any,
    *,
    device_type: str | None = None,
    processes: int = 1,
    cpu_bf16: bool = False,
) -> Execution:
    """The `Execution` of `spec` for this model, device type (default: the model's) and process count.

    Raises:
        UserError: `execution.packed: true` where it cannot take effect (the model, several processes, or a
            `merge_columns` that does not run sorted steps on this device).
    """
    spec = spec or ExecutionSpec()
    device = device_type or _device_type(model)
    policy = resolved(spec.merge_columns, device)
    covered = packed_encoder(model) is not None
    if spec.packed is True:
        _check_packed_can_run(model, policy, device, covered, processes)
    return Execution(
        merge_columns=spec.merge_columns,
        group_by_length=spec.group_by_length,
        device_type=device,
        packed=packed_for(device, spec.packed) and covered and processes <= 1,
        chunk_rows=chunk_rows_for(device, spec.chunk_rows),
        bucket_widths=buckets_for(device, spec.bucket_widths),
        cpu_bf16=cpu_bf16 and device == "cpu",
        token_ids=spec.token_ids,
    )


def _check_packed_can_run(model: Any, policy: str, device: str, covered: bool, processes: int) -> None:
    if not covered:
        raise UserError(
            f"execution.packed: true, but the model ({_architecture(model)}) is not one packed execution covers "
            f"({PACKED_MODELS}, absolute positions); set execution.packed: auto (padded chunks for this model) "
            "or false"
        )
    if processes > 1:
        raise UserError(
            f"execution.packed: true, but this run has {processes} processes (DDP wraps the model, and packed "
            "execution runs the bare encoder); set execution.packed: auto or false"
        )
    if policy != "sorted":
        raise UserError(
            f"execution.packed: true packs sorted steps, but merge_columns runs `{policy}` on {device}; set "
            "execution.merge_columns: sorted, or execution.packed: auto"
        )


def _device_type(model: Any) -> str:
    device = getattr(model, "device", None)
    return getattr(device, "type", None) or "cpu"


def _architecture(model: Any) -> str:
    modules = [type(module).__name__ for module in model] if hasattr(model, "__iter__") else []
    encoder = getattr(modules and model[0], "model", None)
    names = [type(encoder).__name__] if encoder is not None else []
    return " -> ".join(names + modules[1:]) if names else type(model).__name__
