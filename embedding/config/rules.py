"""The training config's cross-field rules, each a validator beside the keys it relates, grouped by topic into
mixins of `TrainConfig` (as axolotl's schema mixins are). Each rule is written once: a typed config has passed them
all, so the run never checks them again.

Each rule is a method `rules_<topic>` returning what it found; `TrainRules` runs them all in one validator, once
every key is valid, so every problem is reported at once, each at its key path.
Rules that need this machine (files, models, installed packages) are `embedding.validation.machine`'s.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, model_validator

from ..errors import did_you_mean
from .catalog.loss_rules import custom_code_problem
from .evaluator_schema import IR_METRIC_ARGS, evaluator_entries, evaluator_metrics
from .problems import Found, fail


class NamingRules:
    """Objective and evaluator names are unique; custom code runs only when the config allows it."""

    def rules_names(self) -> Found:
        names = self.objective_names()
        found: Found = [
            (
                ("objectives", i, "name"),
                f"`{n}` is already the name of objectives[{names.index(n)}]; objective names must be unique",
            )
            for i, n in enumerate(names)
            if n in names[:i]
        ]
        evaluators = [name for _, name, _ in evaluator_entries(self.evaluator)]
        if dup := sorted({n for n in evaluators if n is not None and evaluators.count(n) > 1}):
            found.append(
                (("evaluator",), f"names must be unique, `{', '.join(dup)}` repeats; set a distinct `name:` on each")
            )
        if not self.allow_custom_code:
            found += [
                (("objectives", i, "loss"), custom_code_problem(o.loss))
                for i, o in enumerate(self.objectives)
                if ":" in (o.loss or "")
            ]
        return found


def metric_names(config: Any) -> set[str]:
    """Metric keys (without the trainer's `eval_` prefix) the configured evaluators and eval losses produce."""
    names = {n for *_, metrics in evaluator_metrics(config.evaluator) for n in metrics}
    validated = [
        f"{name}_loss"
        for o, name in zip(config.objectives, config.objective_names(), strict=True)
        if o.datasets.validation
    ]
    return names | set(validated) | ({"loss"} if validated else set())


def _k_hint(evaluator: Any, bare: str, *, after_match: bool) -> str:
    """`add 5 to evaluator.args.ndcg_at_k` when `bare` is a retrieval metric at a k its evaluator does not list."""
    metric_kind, _, k = bare.rpartition("@")
    key = IR_METRIC_ARGS.get(metric_kind.rsplit("_", 1)[-1])
    retrieval = [(where, name) for where, name, spec in evaluator_entries(evaluator) if spec.type == "retrieval"]
    where = next((w for w, name in retrieval if name is None or bare.startswith(f"{name}_")), None)
    if "@" not in bare or not key or where is None:
        return ""
    return f"{', or' if after_match else ';'} add {k} to {where}.args.{key}"


class TrainerRules:
    """`args` against the rest of the config: the metric it selects, early stopping, checkpoints."""

    def rules_metric_for_best_model(self) -> Found:
        metric = self.args.get("metric_for_best_model")
        if not isinstance(metric, str) or (bare := metric.removeprefix("eval_")) in (produced := metric_names(self)):
            return []
        where = ("args", "metric_for_best_model")
        if not produced:
            return [
                (
                    where,
                    f"`{metric}` is not produced: there is no `evaluator` and no objective has validation "
                    "data; add an evaluator or remove the key",
                )
            ]
        hint = did_you_mean(bare, produced)
        hint += _k_hint(self.evaluator, bare, after_match=bool(hint))
        if isinstance(self.evaluator, list):
            listed = [n for *_, metrics in evaluator_metrics(self.evaluator, listed=True) for n in metrics]
            losses = sorted(n for n in produced if n == "loss" or n.endswith("_loss"))
            hint += (
                f"; the evaluators log: {', '.join(listed + losses)} (retrieval metrics also as dot_, "
                "euclidean_, manhattan_ when that is the model's similarity function)"
            )
        return [(where, f"`{metric}` is not produced by the configured evaluator{hint}")]

    def rules_early_stopping(self) -> Found:
        args = self.args
        if self.early_stopping is not None:
            needs = [
                (
                    args.get("eval_strategy", "no") in ("no", None),
                    "needs evaluation: set args.eval_strategy to `steps` or `epoch`",
                ),
                (not args.get("metric_for_best_model"), "needs args.metric_for_best_model (e.g. `cosine_ndcg@10`)"),
                (not args.get("load_best_model_at_end"), "needs args.load_best_model_at_end: true"),
            ]
            return [(("early_stopping",), text) for missing, text in needs if missing]
        return []

    def rules_save_matches_eval(self) -> Found:
        args = self.args
        if not args.get("load_best_model_at_end"):
            return []
        eval_strategy, save_strategy = args.get("eval_strategy", "no"), args.get("save_strategy", "steps")
        if save_strategy != "best" and eval_strategy != save_strategy:
            return [
                (
                    ("args", "save_strategy"),
                    f"load_best_model_at_end needs save_strategy == eval_strategy (got {save_strategy!r} "
                    f"and {eval_strategy!r})",
                )
            ]
        save, every = args.get("save_steps", 500), args.get("eval_steps") or args.get("logging_steps", 500)
        if eval_strategy == "steps" and isinstance(save, int) and isinstance(every, int) and save % every:
            return [
                (
                    ("args", "save_steps"),
                    f"{save} must be a multiple of eval_steps ({every}) when load_best_model_at_end is "
                    f"on; e.g. save_steps: {every * max(1, save // every)}",
                )
            ]
        return []


class AfterTrainingRules:
    """What runs after training needs what it measures with: merge, quantization table, export."""

    def rules_after_training(self) -> Found:
        found: Found = []
        merge, types = self.merge_with_base, [spec.type for _, _, spec in evaluator_entries(self.evaluator)]
        if merge is not None and self.base_model.adapter is not None:
            found.append(
                (
                    ("merge_with_base",),
                    "interpolates the trained and the base weights of the whole model; with base_model.adapter "
                    "only the adapter is trained. Remove merge_with_base or base_model.adapter",
                )
            )
        if merge is not None and not types and len(merge.alphas()) > 1:
            found.append(
                (
                    ("merge_with_base", "alpha"),
                    f"choosing among several alphas ({merge.alpha!r}) needs an `evaluator` on validation "
                    "data to choose on; add an `evaluator`, or give one alpha (e.g. alpha: 0.5)",
                )
            )
        if self.evaluation.quantization and "retrieval" not in types:
            found.append(
                (
                    ("evaluation", "quantization"),
                    "needs a retrieval `evaluator` to measure each size and precision on; add one, or remove the key",
                )
            )
        if self.export is not None and not types:
            found.append(
                (("export",), "needs an `evaluator` to check the exported model against the trained one; add one")
            )
        return found


class ExecutionRules:
    """How steps run: streamed data, sharding engines (their files: validation.machine), packed execution."""

    def rules_streaming(self) -> Found:
        """A stream has no length known ahead and no random access: the run needs `args.max_steps`, and what picks
        rows by index (samplers, mining, distillation targets, a row filter counted up front) or mixes several
        objectives' datasets (sentence-transformers takes an iterable dataset alone) is refused."""
        found: Found = []
        for i, objective in enumerate(self.objectives):
            train = objective.datasets.train
            if train.streaming:
                found += [
                    (("objectives", i, "datasets", "train", "streaming"), text)
                    for text in _stream_problems(self, objective)
                ]
        return found

    def rules_engines(self) -> Found:
        args, found = self.args, []
        if args.get("fsdp") and args.get("deepspeed") is not None:
            found.append(
                (("args", "fsdp"), "FSDP and DeepSpeed both shard the model; use one of args.fsdp and args.deepspeed")
            )
        if args.get("fsdp_config") is not None and not args.get("fsdp"):
            found.append(
                (("args", "fsdp_config"), "has no effect without args.fsdp; add `fsdp: full_shard` or remove the key")
            )
        return found

    def rules_packed(self) -> Found:
        """Explicit `packed: true` packs sorted steps; a `merge_columns` that never sorts would ignore it."""
        policy = self.execution.merge_columns
        if self.execution.packed is True and policy not in ("sorted", "auto"):
            return [
                (
                    ("execution", "packed"),
                    f"true packs sorted steps, but merge_columns `{policy}` never runs them; set "
                    "execution.merge_columns: sorted (or auto), or execution.packed: auto",
                )
            ]
        return []


def _stream_problems(config: Any, objective: Any) -> list[str]:
    found = []
    if not isinstance(config.args.get("max_steps"), int) or config.args["max_steps"] <= 0:
        found.append(
            "a stream has no length known ahead, so the run needs a number of steps: set args.max_steps "
            "(e.g. max_steps: 1000); num_train_epochs cannot apply"
        )
    if len(config.objectives) > 1:
        found.append(
            f"streamed rows train one objective alone ({len(config.objectives)} configured): "
            "sentence-transformers cannot mix a stream with other datasets; keep one objective or set streaming: false"
        )
    sampler = objective.batch_sampler or config.args.get("batch_sampler")
    if sampler not in (None, "batch_sampler"):
        found.append(
            f"batch_sampler `{sampler}` picks rows by index, a stream is read in order: remove "
            "batch_sampler (rows come in the stream's seeded shuffle; duplicates in a batch are "
            "not prevented)"
        )
    if objective.datasets.train.filter:
        found.append("a row `filter` is not applied to streamed data: remove `filter`")
    if objective.datasets.train.preprocess_args.get("mine_hard_negatives") is not None:
        found.append(
            "preprocess_args.mine_hard_negatives cannot apply to a stream (mining embeds the "
            "whole corpus at once); remove it"
        )
    if objective.distillation is not None:
        found.append(
            "`distillation` cannot apply to a stream (teacher targets are computed for every "
            "row before training); remove it"
        )
    return found


class TrainRules(NamingRules, TrainerRules, AfterTrainingRules, ExecutionRules, BaseModel):
    """Every cross-field rule of `TrainConfig`, run together (a validator that raised would stop the next)."""

    @model_validator(mode="after")
    def check_rules(self) -> Any:
        fail(
            [found for name in sorted(dir(TrainRules)) if name.startswith("rules_") for found in getattr(self, name)()]
        )
        return self
