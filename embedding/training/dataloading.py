"""DataLoader settings the user did not choose: workers, pinned memory, persistent workers.

The sentence-transformers collator tokenizes every batch; with `dataloader_num_workers: 0` that runs in the main
process between GPU steps. Measured (issue 6, one H200, MiniLM, batch 512, 5 columns, bf16): 1,055 samples/s with
0 workers, 4,811 / 6,374 / 7,934 with 4 / 8 / 15 workers, so on a GPU machine the workers are what keeps the GPU
fed. On a CPU-only machine the step itself runs on the same cores and tokenizing is ~1 % of it: workers only take
cores from the matrix multiplications (see benchmarks/README.md), so 0.

Pre-tokenizing the data once was considered and left out: on CPU it would save that ~1 %, and on GPU the workers
already take the tokenization off the main process, while a custom collator would have to replicate the
sentence-transformers one (prompts, routers, label columns).
"""

from __future__ import annotations

import os

MAX_WORKERS = 16  # issue 6: 15 workers on 16 cores was the fastest measured; more only costs memory and startup


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


def auto_dataloader_args(user_args: dict, *, cuda: bool, cpu_count: int, local_processes: int = 1
                         ) -> tuple[dict, str]:
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
        why = (f"{workers} dataloader workers (auto: CUDA, {share} CPUs for this process, tokenization off the "
               "main process)")
    else:
        workers = 0
        added["dataloader_num_workers"] = 0
        why = "0 dataloader workers (auto: CPU training, workers would take cores from the model's step)"
    if workers > 0 and "dataloader_persistent_workers" not in user_args:
        added["dataloader_persistent_workers"] = True  # no worker restart (and re-fork) at every epoch and eval
        why += ", persistent"
    if "dataloader_pin_memory" not in user_args:
        added["dataloader_pin_memory"] = bool(cuda)  # page-locked batches: async host->GPU copies; no use on CPU
        why += ", pinned memory" if cuda else ""
    return added, "dataloader: " + why
