"""Config -> plan: the model, each objective's data and loss, the evaluator and the trainer arguments.

Everything the run will use is resolved here, in the order it happens, so a failure (bad split, missing
column, unknown loss argument) surfaces before any training step.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..config.evaluator_schema import EvaluatorSpec, evaluator_entries
from ..config.schema import ObjectiveSpec, TrainConfig
from ..data.preprocess import TrainingData, retrieval_data, training_rows
from ..data.sources import SourceCache
from ..errors import UserError
from ..forward.execution import Execution, decide
from ..models import Resolution, load_model
from .distributed.coordination import main_process_first
from .distributed.sharded_mining import load_data_on_every_rank

logger = logging.getLogger(__name__)


@dataclass
class ObjectivePlan:
    name: str
    spec: ObjectiveSpec
    train: TrainingData
    validation: TrainingData | None
    loss: Any = None


@dataclass
class Plan:
    config: TrainConfig
    run_dir: Path
    seed: int
    model: Any = None
    resolution: Resolution | None = None
    objectives: list[ObjectivePlan] = field(default_factory=list)
    evaluator: Any = None
    ir_summary: str = ""
    sources: SourceCache = field(default_factory=SourceCache)
    source: str | None = None  # the config file, for messages
    # how every step (and the guide's and evaluation's encoding) runs, decided once after the model is loaded
    execution: Execution | None = None


def objective_names(config: TrainConfig) -> list[str]:
    return config.objective_names()  # unique: a rule of the schema (config/rules.py)


def seed_of(config: TrainConfig) -> int:
    seed = config.args.get("seed", 42)
    return int(seed)


def load_data(plan: Plan) -> None:
    """Preprocess every objective's data (cached)."""
    config = plan.config
    for i, (name, spec) in enumerate(zip(objective_names(config), config.objectives, strict=True)):
        where = f"objectives[{i}].datasets"
        train = train_rows(plan, spec, f"{where}.train")
        validation = None
        if spec.datasets.validation is not None:
            val_raw = plan.sources.get(spec.datasets.validation, f"{where}.validation")
            validation = training_rows(
                val_raw,
                spec.type,
                spec.datasets.validation.preprocess_args,
                seed=plan.seed,
                where=f"{where}.validation",
            )
        plan.objectives.append(ObjectivePlan(name, spec, train, validation))


def train_rows(plan: Plan, spec: ObjectiveSpec, where: str) -> TrainingData:
    """An objective's training rows: preprocessed in memory (cached), or streamed shard by shard."""
    train = spec.datasets.train
    if train.streaming:
        from ..data.sources import stream_parts
        from ..data.stream_rows import streamed_rows

        parts = stream_parts(train, where)
        return streamed_rows(parts, spec.type, train.preprocess_args, seed=plan.seed, where=where)
    raw = plan.sources.get(train, where)
    return training_rows(raw, spec.type, train.preprocess_args, seed=plan.seed, where=where)


def ir_data(plan: Plan, spec: EvaluatorSpec, where: str):
    from ..data.formats.beir import is_beir_folder

    args = spec.dataset.preprocess_args
    if is_beir_folder(spec.dataset.name):  # corpus.jsonl, queries.jsonl, qrels/<split>.tsv: read directly
        raw, args = spec.dataset.name, {"qrels_split": spec.dataset.args.get("split", "test"), **args}
    else:
        raw = plan.sources.get(spec.dataset, f"{where}.dataset")
    data = retrieval_data(raw, args, seed=plan.seed, where=f"{where}.dataset")
    if not data.queries:
        raise UserError(f"{where}.dataset: no query has a relevant document; check the data or its columns")
    return data


def build_one_evaluator(plan: Plan, spec: EvaluatorSpec, name: str | None, where: str) -> tuple[Any, str]:
    """One evaluator of the config (metrics prefixed with `name`) and a summary of its data; it encodes texts as
    the run's `Execution` says."""
    args = {**spec.args, "name": name} if name else spec.args
    if spec.type == "sts":
        from ..evaluation.sts import build_sts_evaluator
        from ..evaluation.tasks import scored_pairs_of

        pairs = scored_pairs_of(
            plan.sources.get(spec.dataset, f"{where}.dataset"), spec.dataset.preprocess_args, f"{where}.dataset"
        )
        evaluator = build_sts_evaluator(pairs, args, where=f"{where}.args", execution=plan.execution)
        return evaluator, pairs.summary()
    from ..evaluation.retrieval import build_ir_evaluator

    data = ir_data(plan, spec, where)
    evaluator = build_ir_evaluator(
        data,
        args,
        max_queries=spec.max_queries,
        max_corpus=spec.max_corpus,
        seed=plan.seed,
        where=f"{where}.args",
        execution=plan.execution,
    )
    return evaluator, data.summary()


def build_evaluator(plan: Plan):
    """The config's evaluator: one, or a list run in order as one EvaluatorSequence; None without one."""
    entries = evaluator_entries(plan.config.evaluator)
    if not entries:
        return None
    # unique names: a rule of the schema (config/rules.py)
    built = [build_one_evaluator(plan, spec, name, where) for where, name, spec in entries]
    if not isinstance(plan.config.evaluator, list):  # the original shape: the evaluator itself, same metrics
        plan.ir_summary = built[0][1]
        return built[0][0]
    from ..evaluation.sequence import EvaluatorSequence

    plan.ir_summary = "; ".join(
        f"{name}: {summary}" for (_, name, _), (_, summary) in zip(entries, built, strict=True)
    )
    main = plan.config.args.get("metric_for_best_model")
    return EvaluatorSequence([ev for ev, _ in built], main=main.removeprefix("eval_") if main else None)


def batch_sampler_of(config: TrainConfig, spec: ObjectiveSpec) -> str:
    """The training batch sampler of an objective, by name: its own `batch_sampler`, else `args.batch_sampler`
    (the default of every objective), else sentence-transformers' default (`batch_sampler`: random batches)."""
    return spec.batch_sampler or config.args.get("batch_sampler") or "batch_sampler"


def check_model_fits(plan: Plan) -> None:
    dim = plan.model.get_embedding_dimension()
    for i, obj in enumerate(plan.objectives):
        problem = obj.spec.matryoshka.size_problem(dim) if obj.spec.matryoshka and dim else None
        if problem:
            raise UserError(f"objectives[{i}].matryoshka.matryoshka_dims: {problem}")


def build_losses(plan: Plan) -> None:
    from ..errors import ConfigError, Problem
    from ..losses.build import build_objective_loss

    for i, obj in enumerate(plan.objectives):
        try:
            obj.loss = build_objective_loss(
                plan.model,
                obj.spec,
                num_train_rows=len(obj.train.dataset),
                execution=plan.execution,
                component_prefix=f"loss/{obj.name}/",  # logs.jsonl: loss/<objective>/main, .../penalty
            )
        except ConfigError as exc:  # the loss builder knows the objective, not its index or the file
            problems = [
                Problem(
                    p.where.replace("objective", f"objectives[{i}]", 1)
                    if p.where.startswith("objective")
                    else f"objectives[{i}].{p.where}",
                    p.message,
                )
                for p in exc.problems
            ]
            raise ConfigError(problems, source=plan.source) from None


def teacher_key(spec) -> str:
    import json

    return json.dumps([spec.name, spec.args, spec.pooling, spec.normalize], sort_keys=True, default=str)


def load_teachers(plan: Plan) -> dict[str, Any]:
    """One teacher per distinct (name, args); each encodes its objective's raw texts with its own tokenizer."""
    teachers: dict[str, Any] = {}
    for i, obj in enumerate(plan.objectives):
        dist = obj.spec.distillation
        if dist is None:
            continue
        key = teacher_key(dist.teacher)
        if key not in teachers:
            teacher, resolution = load_model(dist.teacher, f"objectives[{i}].distillation.teacher")
            teacher.eval()
            teacher.requires_grad_(False)
            logger.info("teacher %s", resolution.describe())
            teachers[key] = teacher
        from ..forward.teacher import attach_teacher_targets

        obj.train.dataset = attach_teacher_targets(obj.train.dataset, teachers[key], obj.spec.type)
        if obj.validation is not None:
            obj.validation.dataset = attach_teacher_targets(obj.validation.dataset, teachers[key], obj.spec.type)
    return teachers


def wants_cpu_bf16(precision: str, args: dict[str, Any]) -> bool:
    """Whether a run on a CPU trains under bf16 autocast: `args.bf16` / `args.fp16` when the user set them, else
    `precision` (`auto`: where the CPU computes bf16 natively, models/hardware.py). The trainer's arguments and the
    `Execution` (which opens the same autocast around the packed forward) both read this one answer."""
    from ..models.hardware import native_bf16

    if "bf16" in args or "fp16" in args:
        return bool(args.get("bf16"))
    if precision == "auto":
        return native_bf16() is not None
    return precision == "bf16"


def decide_execution(config: TrainConfig, model: Any) -> Execution:
    """The run's `Execution`, decided once for the device it trains on (the model's, or the CPU with
    `args.use_cpu`), the model and the process count.

    Raises:
        UserError: `execution.packed: true` where it cannot take effect (named in the message).
    """
    from .distributed.coordination import world_size

    device = "cpu" if config.args.get("use_cpu") else getattr(getattr(model, "device", None), "type", "cpu")
    bf16 = device == "cpu" and wants_cpu_bf16(config.precision, config.args)
    return decide(config.execution, model, device_type=device, processes=world_size(), cpu_bf16=bf16)


def build_plan(config: TrainConfig, run_dir: Path, source: str | None = None) -> Plan:
    from transformers import set_seed

    plan = Plan(config=config, run_dir=run_dir, seed=seed_of(config), source=source)
    set_seed(plan.seed)  # before anything random: data, evaluator corpus, model init (same seed, same run)
    objective_names(config)
    plan.model, plan.resolution = load_model(config.base_model)
    plan.execution = decide_execution(config, plan.model)
    # Rank 0 preprocesses and caches, every process encoding a share of any mining; the others reuse the cache.
    load_data_on_every_rank(load_data, plan)
    with main_process_first():  # rank 0 builds the evaluator and teachers first; the others reuse the cache
        check_model_fits(plan)
        plan.evaluator = build_evaluator(plan)
        load_teachers(plan)  # their targets travel in the label columns
    build_losses(plan)
    return plan
