"""The config -> SentenceTransformerTrainingArguments: the user's `args`, plus the defaults they left unset."""

from __future__ import annotations

import logging
from typing import Any

from ...config.schema import TrainConfig
from ...errors import UserError
from ..batching.dataloading import auto_dataloader_args, available_cpus, local_processes
from ..batching.group_sampler import NAME as ONE_PER_GROUP
from ..distributed.coordination import is_distributed, world_size
from ..plan import Plan, wants_cpu_bf16

logger = logging.getLogger(__name__)


def trainer_arguments(plan: Plan):
    """The trainer's arguments: `args` of the config win; precision, device, loader and batching fill the rest."""
    from sentence_transformers import SentenceTransformerTrainingArguments

    from ...console import interactive

    config = plan.config
    args: dict[str, Any] = {"seed": plan.seed, **config.args}
    args.setdefault("disable_tqdm", not interactive())  # one line per log event instead of bars in non-TTY logs
    _apply_precision(config, args)
    _apply_distributed_device(args)
    _apply_dataloader_defaults(config, args)
    _apply_objective_batching(plan, args)
    _apply_stream_sharding(plan, args)
    if args.get("batch_sampler") == ONE_PER_GROUP:
        # The trainer builds training batches from its `batch_samplers` (run.build_trainer); `batch_sampler` here
        # is what sentence-transformers reads for evaluation batches, where one_per_group means random ones.
        args["batch_sampler"] = "batch_sampler"
    try:
        return SentenceTransformerTrainingArguments(output_dir=str(plan.run_dir), run_name=config.run_name, **args)
    except (TypeError, ValueError) as exc:
        raise UserError(f"args: {str(exc).splitlines()[0]}") from None


def _apply_precision(config: TrainConfig, args: dict[str, Any]) -> None:
    """precision: auto -> bf16 autocast where the hardware computes bf16 natively, fp32 elsewhere; weights stay fp32.

    Natively: GPUs that support bf16, and CPUs with AMX or AVX512-BF16 (models/hardware.py), where bf16 autocast
    trains faster at the same quality (benchmarks/README.md). Other CPUs emulate bf16 and would be slower, so they
    stay fp32 (`precision: bf16` still forces it). On a CPU the answer is `plan.wants_cpu_bf16`, the one the run's
    `Execution` also reads, so the packed forward runs under the same autocast as the padded one.
    """
    import torch

    if "bf16" in args or "fp16" in args:
        return  # the user chose explicitly in args
    cuda = torch.cuda.is_available() and not args.get("use_cpu")
    if cuda:
        bf16 = torch.cuda.is_bf16_supported() if config.precision == "auto" else config.precision == "bf16"
    else:
        bf16 = wants_cpu_bf16(config.precision, args)
    if bf16:
        args["bf16"] = True
        if not cuda:  # transformers refuses bf16 without a GPU unless told the run is on the CPU (then: autocast)
            args["use_cpu"] = True
    elif config.precision == "fp16":
        args["fp16"] = True


def _apply_distributed_device(args: dict[str, Any]) -> None:
    """transformers only sets up CPU (gloo) DDP with use_cpu; without it every process would train alone."""
    if is_distributed() and "use_cpu" not in args:
        import torch

        args["use_cpu"] = not torch.cuda.is_available()


def _apply_dataloader_defaults(config: TrainConfig, args: dict[str, Any]) -> None:
    """Workers, pinned memory and persistent workers where `args` leaves them unset (see dataloading.py)."""
    import torch

    cuda = torch.cuda.is_available() and not args.get("use_cpu")
    added, why = auto_dataloader_args(
        config.args, cuda=cuda, cpu_count=available_cpus(), local_processes=local_processes()
    )
    args.update(added)  # never a key the user set
    logger.info(why)


def _apply_stream_sharding(plan: Plan, args: dict[str, Any]) -> None:
    """Streamed rows on several processes: each process reads its own shards (data/streaming.py, RowStream.shard).

    accelerate's default for an iterable dataset is to read it on rank 0 only and send every process its batches:
    one process would read, decode and preprocess the whole stream for all. It calls the dataset's `shard` instead
    when batches are not dispatched, which needs a shard (file) per process; an explicit `dispatch_batches` in
    `args.accelerator_config` wins.
    """
    from ...data.streaming import RowStream

    processes = world_size()
    if processes <= 1:
        return
    streams = [o.train.dataset for o in plan.objectives if isinstance(o.train.dataset, RowStream)]
    if not streams or not all(stream.process_split(processes)[0] for stream in streams):
        return
    accelerator = args.get("accelerator_config")
    if accelerator is None or isinstance(accelerator, dict):
        args["accelerator_config"] = {"dispatch_batches": False, **(accelerator or {})}


def _apply_objective_batching(plan: Plan, args: dict[str, Any]) -> None:
    """How the objectives' batches are drawn.

    Several objectives: the mixing mode picks the multi-dataset sampler (weighted mixing is the trainer's own
    sampler; per-objective batch sizes and samplers go to the trainer). One objective: there is no per-dataset
    sampler loop, so its batch size and sampler are the trainer's.
    """
    if len(plan.objectives) > 1:
        if "multi_dataset_batch_sampler" not in args and plan.config.mixing != "weighted":
            args["multi_dataset_batch_sampler"] = plan.config.mixing
        return
    spec = plan.objectives[0].spec
    if spec.batch_size:
        args["per_device_train_batch_size"] = spec.batch_size
    if spec.batch_sampler:
        args["batch_sampler"] = spec.batch_sampler
