"""What the trainer's training DataLoader gets: length-grouped batches and the loader settings the user left unset.

`LengthGroupingMixin` puts batching.LengthGroupedBatchSampler behind sentence-transformers' samplers;
`describe_padding` says what that saves, for the startup log; `auto_dataloader_args` picks workers, pinned memory
and persistent workers.

The sentence-transformers collator tokenizes every batch; with `dataloader_num_workers: 0` that runs in the main
process between GPU steps. On a GPU machine workers keep the GPU fed (throughput grows with them up to about one
per core); on a CPU collating is a sliver of a step and workers measured no faster, so there 0, which spares the
processes and their memory. The figures: benchmarks/README.md ("dataloader workers").

Training batches are padded from token ids kept since length grouping (token_collator.py, `execution.token_ids`)
rather than tokenized: inside the sentence-transformers collator (prompts, routers, label columns stay its own), it
replaces only the tokenizer call of a column, and only where the result is the same tensors. The worker counts
above were chosen with the tokenizing collator and stay as they are.
"""

from __future__ import annotations

import os

MAX_WORKERS = 16  # one per core of a 16-core GPU node was the fastest measured; more only cost memory and startup


def available_cpus() -> int:
    """CPUs this process may run on (the affinity mask of a container or job scheduler, not the machine's)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def local_processes() -> int:
    """Training processes on this machine (torchrun / accelerate set LOCAL_WORLD_SIZE); they share the CPUs."""
    try:
        return max(1, int(os.environ.get("LOCAL_WORLD_SIZE", "1")))
    except ValueError:
        return 1


def auto_dataloader_args(user_args: dict, *, cuda: bool, cpu_count: int, local_processes: int = 1) -> tuple[dict, str]:
    """Dataloader arguments for the keys the user left unset, and a one-line explanation for the log.

    Args:
        user_args: the config's `args` (SentenceTransformerTrainingArguments keys); keys set there always win.
        cuda: whether training runs on CUDA GPUs.
        cpu_count: CPUs available to this machine's training processes (`available_cpus()`).
        local_processes: training processes on this machine (one per GPU); each gets its share of the CPUs.

    Returns:
        (arguments to add, explanation). The arguments never contain a key of `user_args`.
    """
    added: dict = {}
    share = max(1, cpu_count // max(1, local_processes))
    if "dataloader_num_workers" in user_args:
        workers = int(user_args["dataloader_num_workers"] or 0)
        why = f"{workers} dataloader workers (args)"
    elif cuda:
        # One core per process stays with the main process (it launches the GPU work); the rest tokenize.
        workers = min(MAX_WORKERS, share - 1)
        added["dataloader_num_workers"] = workers
        why = (
            f"{workers} dataloader workers (auto: CUDA, {share} CPUs for this process, tokenization off the "
            "main process)"
        )
    else:
        workers = 0
        added["dataloader_num_workers"] = 0
        why = "0 dataloader workers (auto: CPU training, where tokenizing is under 1 % of a step)"
    if workers > 0 and "dataloader_persistent_workers" not in user_args:
        added["dataloader_persistent_workers"] = True  # no worker restart (and re-fork) at every epoch and eval
        why += ", persistent"
    if "dataloader_pin_memory" not in user_args:
        added["dataloader_pin_memory"] = bool(cuda)  # page-locked batches: async host->GPU copies; no use on CPU
        why += ", pinned memory" if cuda else ""
    return added, "dataloader: " + why


def sampler_name(choice) -> str | None:
    """A batch sampler setting as its name (`no_duplicates`, ...; sentence-transformers' enum by its value); None
    for a sampler class or function given in Python."""
    value = getattr(choice, "value", choice)
    return value if isinstance(value, str) else None


def stock_batch_sampler(name: str, dataset, batch_size, drop_last, valid_label_columns=None, generator=None, seed=0):
    """sentence-transformers' batch sampler of that name (its `BatchSamplers` values), for a training dataset."""
    from sentence_transformers.base.sampler import (
        DefaultBatchSampler,
        GroupByLabelBatchSampler,
        NoDuplicatesBatchSampler,
    )
    from torch.utils.data import RandomSampler

    kwargs = {"batch_size": batch_size, "drop_last": drop_last, "valid_label_columns": valid_label_columns}
    kwargs |= {"generator": generator, "seed": seed}
    if name in ("no_duplicates", "no_duplicates_hashed"):
        return NoDuplicatesBatchSampler(dataset, precompute_hashes=name == "no_duplicates_hashed", **kwargs)
    if name == "group_by_label":
        return GroupByLabelBatchSampler(dataset, **kwargs)
    return DefaultBatchSampler(RandomSampler(dataset, generator=generator), **kwargs)


class LengthGroupingMixin:
    """SentenceTransformerTrainer mixin: the TRAINING batch sampler of a dataset from the sampler's name
    (`training_batch_sampler`): LengthGroupedBatchSampler for `batch_sampler`, `no_duplicates` and
    `no_duplicates_hashed` (unless `group_by_length` is off), OnePerGroupBatchSampler for `one_per_group`,
    sentence-transformers' own otherwise. Eval batches are left to sentence-transformers (eval losses stay
    comparable between runs)."""

    group_by_length: bool = True
    length_mega_batch: int | None = None  # None: batching.DEFAULT_MEGA_BATCH

    def training_batch_sampler(
        self, name: str, dataset, batch_size, drop_last, valid_label_columns=None, generator=None, seed=0
    ):
        """The sampler of training batches named `name` for this dataset."""
        from datasets import IterableDataset

        if isinstance(dataset, IterableDataset):  # a stream is read in order: no sampler (as sentence-transformers)
            return None
        grouped = self.length_grouped_sampler(
            name, dataset, batch_size, drop_last, valid_label_columns, generator, seed
        )
        if grouped is not None:
            return grouped
        return stock_batch_sampler(name, dataset, batch_size, drop_last, valid_label_columns, generator, seed)

    def length_grouped_sampler(
        self, name: str, dataset, batch_size, drop_last, valid_label_columns=None, generator=None, seed=0
    ):
        """The length-grouped (or one-per-group) training sampler of that name, or None: sentence-transformers'."""
        from .length_groups import DEFAULT_MEGA_BATCH, GROUPABLE, LengthGroupedBatchSampler

        if name == "one_per_group" and hasattr(dataset, "with_format"):
            from .group_sampler import one_per_group_sampler

            return one_per_group_sampler(self, dataset, batch_size, drop_last, valid_label_columns, generator, seed)
        if not (self.group_by_length and name in GROUPABLE and hasattr(dataset, "with_format")):
            return None
        return LengthGroupedBatchSampler(
            dataset,
            batch_size,
            drop_last,
            valid_label_columns,
            generator,
            seed,
            tokenizer=getattr(self.model, "tokenizer", None),
            max_length=getattr(self.model, "max_seq_length", None),
            mega_batch=self.length_mega_batch or DEFAULT_MEGA_BATCH,
            no_duplicates=GROUPABLE[name],
            world_size=self.args.world_size,
        )


def describe_padding(trainer, names: list[str] | None = None) -> str:
    """One line for the startup log: per objective, the padded share of the tokens in epoch 0 with shuffled batches
    and with the batches the trainer will use (all text columns of a batch padded to its longest text, as the
    one-forward loss pads them). E.g. `contrastive 69% -> 46%; similarity 28% (not grouped) of the tokens are
    padding (shuffled batches -> grouped by length, epoch 0)`.

    Args:
        trainer: an EmbeddingTrainer with LengthGroupingMixin, built, before train() (its samplers are not built
            yet; the token counts computed here are cached for them).
        names: objective names, in order (default: the train dataset's keys, or `train`).
    """
    import numpy as np
    from datasets import IterableDataset

    from .length_groups import padding_fraction
    from .token_counts import column_stats, text_columns

    args, data = trainer.args, trainer.train_dataset
    datasets = list(data.values()) if hasattr(data, "keys") else [data]
    names = list(names or (data.keys() if hasattr(data, "keys") else ["train"]))
    several = len(datasets) > 1
    sizes = list(getattr(trainer, "objective_batch_sizes", None) or []) if several else []
    samplers = list(getattr(trainer, "batch_samplers", None) or [])
    labels = getattr(trainer.data_collator, "valid_label_columns", None)
    parts = []
    for i, (name, dataset) in enumerate(zip(names, datasets, strict=True)):
        if isinstance(dataset, IterableDataset):  # streamed rows: no sampler of ours, no lengths known ahead
            parts.append(f"{name} (streamed: not grouped{_stream_split(dataset, args)})")
            continue
        size = (sizes[i] if i < len(sizes) else None) or args.per_device_train_batch_size
        sampler = samplers[i] if i < len(samplers) else sampler_name(args.batch_sampler)  # as the trainer reads it
        grouped = trainer.length_grouped_sampler(
            sampler, dataset, size, args.dataloader_drop_last, labels, None, args.seed
        )
        lengths = (
            grouped.column_lengths
            if grouped is not None
            else column_stats(
                dataset,
                text_columns(dataset, labels),
                getattr(trainer.model, "tokenizer", None),
                getattr(trainer.model, "max_seq_length", None),
            )[0]
        )
        order = np.random.default_rng(int(args.seed or 0)).permutation(len(dataset))
        plain = padding_fraction(lengths[order[j : j + size]].ravel() for j in range(0, len(order), size))
        if grouped is None:
            parts.append(f"{name} {plain:.0%} (not grouped)")
            continue
        ours = padding_fraction(lengths[b].ravel() for b in grouped.batches(0))
        parts.append(f"{name} {plain:.0%} -> {ours:.0%}")
    return "; ".join(parts) + " of the tokens are padding (shuffled batches -> grouped by length, epoch 0)"


def _stream_split(dataset, args) -> str:
    """How several processes share a stream: each its own shards (and the rows left out to keep them equal), or
    rank 0 reading for all (fewer shards than processes, or `dispatch_batches` set)."""
    processes = max(1, args.world_size)
    split = getattr(dataset, "process_split", None)
    if processes == 1 or split is None:
        return ""
    own, left_out = split(processes)
    accelerator = args.accelerator_config
    dispatch = getattr(accelerator, "dispatch_batches", None)
    if not own or dispatch:
        return f"; rank 0 reads the stream for {processes} processes"
    return f"; each of {processes} processes reads its own shards, {left_out} rows/epoch left out to keep them equal"
