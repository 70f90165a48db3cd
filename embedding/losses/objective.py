"""One objective's training loss: main + α·distillation + α·penalty from ONE student forward pass per step."""

from __future__ import annotations

import json
import random
from collections.abc import Iterable, Sequence
from typing import Any

import torch
from sentence_transformers.base.losses.gradcache import CachedLossMixin
from torch import Tensor, nn

from ..config.catalog.loss_rules import shares_embeddings_problem
from ..config.execution import ExecutionSpec
from ..forward.columns import MergeColumns, sorted_plan
from ..forward.execution import Execution, decide
from ..forward.packed_gradcache import PackedMiniBatches
from ..forward.targets import task_labels
from .cached_ranking import CachedRankingLoss, sum_row_chunks
from .shared import citations as _citations
from .shared.similarity import truncate


def _jsonable(value: Any) -> Any:
    """A JSON-able copy of a config value: callables and objects by name, so the model card never breaks."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    try:
        json.dumps(value)
        return value
    except (TypeError, ValueError):
        return getattr(value, "__name__", None) or type(value).__name__


class ObjectiveLoss(PackedMiniBatches, CachedLossMixin, nn.Module):
    """The loss of one objective: its main loss plus the optional distillation and penalty terms, all computed from
    the same student embeddings, each optionally Matryoshka-truncated, scaled by the objective's `weight`::

        loss = weight · ( Σ_d w_d · main(E[:d])  +  α_dist · distillation(E', T)  +  α_pen · penalty(E') )

    E are the batch's student embeddings, T the teacher targets packed in the labels (see `targets.py`), d / w_d
    the Matryoshka dims and weights (truncated, re-normalised), E' = E, or each truncation of E (summed with the
    same w_d) when `matryoshka.apply_to` is `all`. Without `matryoshka` the sum has the single term d = full.

    One student pass per step: `forward` embeds every column once, and every term reuses those embeddings. How the
    columns go through the model is the run's `Execution` (`forward/execution.py`, decided once from the config's
    `execution:` block, the device, the model and the process count): `merge_columns` `always` = ONE model call for
    all columns, `never` = one per column, `stock` = as a stock sentence-transformers loss (anchor alone, the rest
    merged), `sorted` (`auto` on CPU) = each distinct text of the step once, length-sorted, packed without padding
    where the run packs. The `cached-ranking` main loss switches this module to GradCache: all terms are computed
    chunk by chunk of anchor rows inside the cached step, so distillation and the penalty also work at GradCache
    batch sizes.

    With `gather_across_devices`, only the main ranking loss sees the other devices' candidates; distillation and
    the penalty use this device's batch.

    A main loss without `compute_loss_from_embeddings` (GISTEmbedLoss, cached sentence-transformers losses,
    custom classes) is called as is on the features; `validate` refuses extra terms with it.

    Returns (forward): always a dict of named, already weighted components: ``"main"`` (or ``"main/<key>"`` when
    the main loss itself returns a dict), ``"distillation"``, ``"penalty"``, each prefixed with
    `component_prefix`. The sentence-transformers trainer sums them for the backward pass and logs each one.

    Args:
        model: the student SentenceTransformer (kept as `self.model`; the trainer swaps in the wrapped model).
        main: the main loss module.
        objective_type: `contrastive` or `similarity` (layout of the packed labels).
        distillation / distillation_alpha: the distillation term and its weight (None: no term).
        penalty / penalty_alpha: the variation penalty term and its weight (None: no term).
        matryoshka_dims / matryoshka_weights / n_dims_per_step / matryoshka_apply_to: as `MatryoshkaSpec`.
        weight: the objective's `weight`, multiplies every component.
        component_prefix: prepended to the component names, e.g. ``"loss/faq/"`` in multi-objective runs.
        merge_columns: `auto`, `always`, `never`, `stock` or `sorted`, see above (`execution.merge_columns`); used
            only without `execution`.
        execution: the run's decided `Execution`; None: decided here from `merge_columns` for the model's device
            (one process, the config's defaults otherwise).
    """

    def __init__(
        self,
        model: nn.Module,
        main: nn.Module,
        *,
        objective_type: str,
        distillation: nn.Module | None = None,
        distillation_alpha: float = 1.0,
        penalty: nn.Module | None = None,
        penalty_alpha: float = 1.0,
        matryoshka_dims: Sequence[int] | None = None,
        matryoshka_weights: Sequence[float] | None = None,
        n_dims_per_step: int = -1,
        matryoshka_apply_to: str = "main",
        weight: float = 1.0,
        component_prefix: str = "",
        merge_columns: MergeColumns = "auto",
        execution: Execution | None = None,
    ) -> None:
        super().__init__(execution=execution or decide(ExecutionSpec(merge_columns=merge_columns), model))
        self.model = model
        self.main = main
        self.distillation = distillation
        self.penalty = penalty
        self.objective_type = objective_type
        self.distillation_alpha = float(distillation_alpha)
        self.penalty_alpha = float(penalty_alpha)
        self.matryoshka_dims = tuple(matryoshka_dims) if matryoshka_dims else None
        self.matryoshka_weights = tuple(matryoshka_weights or [1.0] * len(self.matryoshka_dims or ()))
        self.n_dims_per_step = n_dims_per_step
        self.matryoshka_apply_to = matryoshka_apply_to
        self.weight = float(weight)
        self.component_prefix = component_prefix
        self.merge_columns = self.execution.merge_columns
        self._guided: list[Tensor] | None = None  # forward -> compute_loss_from_embeddings: the guide's embeddings
        # calculate_loss -> forward (GradCache): the detached value of each component of the cached step
        self._cached_parts: dict[str, Tensor] = {}
        self.shares_embeddings = hasattr(main, "compute_loss_from_embeddings")
        # Only our own cached loss: its chunked terms are what the shared-embedding GradCache step needs.
        self.uses_gradient_cache = isinstance(main, CachedRankingLoss)
        if not self.shares_embeddings and (distillation is not None or penalty is not None):
            term = "distillation" if distillation is not None else "variation_penalty"
            raise ValueError(shares_embeddings_problem(type(main).__name__, term))

    # GradCache settings come from the cached main loss.
    @property
    def mini_batch_size(self) -> int:
        return self.main.mini_batch_size

    @property
    def mini_batch_num_tokens(self) -> int | None:
        return getattr(self.main, "mini_batch_num_tokens", None)

    @property
    def show_progress_bar(self) -> bool:
        return getattr(self.main, "show_progress_bar", False)

    def forward(
        self, sentence_features: Iterable[dict[str, Tensor]], labels: Tensor | None = None
    ) -> dict[str, Tensor]:
        if not self.shares_embeddings:
            return self._named({}, "main", self.main(sentence_features, labels), self.weight)
        sentence_features = list(sentence_features)
        guide = getattr(self.main, "guide", None)  # the guided mask's frozen model (`guided_mask.py`)
        self._guided = guide.embed(sentence_features, self.execution) if guide is not None else None
        if not self.uses_gradient_cache:
            embeddings = self.execution.embed(self.model, sentence_features)
            return self.compute_loss_from_embeddings(embeddings, labels)
        # `sorted`: GradCache embeds the step's distinct texts, length-sorted, as one column; calculate_loss
        # scatters them back to the loss's columns, whose gradients then add up on each distinct text.
        step = sorted_plan(sentence_features, self.merge_columns)
        self.sorted_step_rows = None if step is None else step.where
        total = self.forward_cached(sentence_features if step is None else [step.stacked()], labels)
        parts = self._cached_parts
        # `total` carries the GradCache hook (its gradient replays the cached embedding gradients of ALL terms);
        # the other components are detached values, so the trainer's sum is `total` and each part is logged.
        names = list(parts)
        components = {name: parts[name] for name in names[1:]}
        return {names[0]: total - sum(components.values(), torch.zeros_like(total)), **components}

    def calculate_loss(
        self, reps: list[list[Tensor]], labels: Tensor | None = None, *, with_backward: bool = False
    ) -> Tensor:
        """GradCache step (2): all terms over row chunks of the cached embeddings (CachedLossMixin contract)."""
        embeddings = [torch.cat(column) for column in reps]
        scatter = self.sorted_step_rows
        dims = self._sample_dims()  # once per step, shared by every row chunk

        def compute(rows: tuple[int, int]) -> dict[str, Tensor]:
            # Scattered per chunk: each chunk's backward then owns its own index_select graph.
            columns = embeddings if scatter is None else [embeddings[0].index_select(0, w) for w in scatter]
            return self._terms(columns, labels, dims, rows)

        num_rows = len(embeddings[0]) if scatter is None else len(scatter[0])
        parts = sum_row_chunks(compute, num_rows, self.mini_batch_size, with_backward)
        self._cached_parts = {key: value.detach() for key, value in parts.items()}
        return torch.stack(list(parts.values())).sum()

    def compute_loss_from_embeddings(
        self, embeddings: list[Tensor], labels: Tensor | None = None
    ) -> dict[str, Tensor]:
        """All weighted components from one embedding tensor per column (the packed labels, if distilling); the
        guide's embeddings of the batch that `forward` computed go to the main loss, once."""
        guided, self._guided = self._guided, None
        return self._terms(embeddings, labels, self._sample_dims(), None, guided)

    def _sample_dims(self) -> list[tuple[int | None, float]]:
        if not self.matryoshka_dims:
            return [(None, 1.0)]
        pairs = list(zip(self.matryoshka_dims, self.matryoshka_weights, strict=True))
        if 0 < self.n_dims_per_step < len(pairs):
            pairs = random.sample(pairs, self.n_dims_per_step)
        return pairs

    def _terms(
        self,
        embeddings: list[Tensor],
        labels: Tensor | None,
        dims: list[tuple[int | None, float]],
        rows: tuple[int, int] | None,
        guided: list[Tensor] | None = None,
    ) -> dict[str, Tensor]:
        teacher_targets_in_labels = self.distillation is not None
        y = task_labels(labels, self.objective_type, teacher_targets_in_labels)
        every_dim = dims if self.matryoshka_apply_to == "all" else [(None, 1.0)]
        out: dict[str, Tensor] = {}
        self._add(out, "main", self.main, embeddings, y, dims, rows, 1.0, guided)
        if self.distillation is not None:
            self._add(
                out, "distillation", self.distillation, embeddings, labels, every_dim, rows, self.distillation_alpha
            )
        if self.penalty is not None:
            self._add(out, "penalty", self.penalty, embeddings, y, every_dim, rows, self.penalty_alpha)
        return out

    def _add(
        self,
        out: dict[str, Tensor],
        name: str,
        loss: nn.Module,
        embeddings: list[Tensor],
        labels: Tensor | None,
        dims: list[tuple[int | None, float]],
        rows: tuple[int, int] | None,
        alpha: float,
        guided: list[Tensor] | None = None,
    ) -> None:
        extra = ({} if rows is None else {"rows": rows}) | ({} if guided is None else {"guided": guided})
        for dim, dim_weight in dims:
            value = loss.compute_loss_from_embeddings(truncate(embeddings, dim), labels, **extra)
            self._named(out, name, value, self.weight * alpha * dim_weight)

    def _named(
        self, out: dict[str, Tensor], name: str, value: Tensor | dict[str, Tensor], coefficient: float
    ) -> dict[str, Tensor]:
        items = value.items() if isinstance(value, dict) else [("", value)]
        for key, tensor in items:
            full = f"{self.component_prefix}{name}" + (f"/{key}" if key else "")
            out[full] = out[full] + coefficient * tensor if full in out else coefficient * tensor
        return out

    def get_config_dict(self) -> dict[str, Any]:
        def describe(loss: nn.Module | None, **extra: Any) -> dict[str, Any] | None:
            if loss is None:
                return None
            config = loss.get_config_dict() if hasattr(loss, "get_config_dict") else {}
            # A wrapper (MatryoshkaLoss) names its inner loss `loss`; keep both names.
            config = {("inner_loss" if key == "loss" else key): value for key, value in config.items()}
            return _jsonable({"loss": type(loss).__name__, **extra, **config})

        matryoshka = (
            None
            if not self.matryoshka_dims
            else {
                "dims": list(self.matryoshka_dims),
                "weights": list(self.matryoshka_weights),
                "n_dims_per_step": self.n_dims_per_step,
                "apply_to": self.matryoshka_apply_to,
            }
        )
        return {
            "objective_type": self.objective_type,
            "weight": self.weight,
            "main": describe(self.main),
            "distillation": describe(self.distillation, alpha=self.distillation_alpha),
            "variation_penalty": describe(self.penalty, alpha=self.penalty_alpha),
            "matryoshka": matryoshka,
        }

    @property
    def citation(self) -> str:
        citations = [getattr(loss, "citation", "") for loss in (self.main, self.distillation, self.penalty) if loss]
        return _citations.join(*[c for c in citations if isinstance(c, str)])
