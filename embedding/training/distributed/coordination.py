"""Process coordination for torchrun / accelerate launches; a no-op in a single process.

Rank 0 owns the run dir (moving an old run aside, the resolved config, logs, the final model); preprocessing runs
on the main process first so the others reuse its cache instead of repeating the work N times.
"""

from __future__ import annotations

import os
from contextlib import contextmanager


def world_size() -> int:
    return int(os.environ.get("WORLD_SIZE", "1"))


def is_distributed() -> bool:
    return world_size() > 1


def state():
    """accelerate's PartialState: initialises the process group from torchrun's environment once."""
    import torch
    from accelerate import PartialState

    # Without cpu=True accelerate ignores torchrun's environment on machines without an accelerator.
    return PartialState(cpu=not torch.cuda.is_available())


def is_main() -> bool:
    return not is_distributed() or state().is_main_process


def barrier() -> None:
    if is_distributed():
        state().wait_for_everyone()


@contextmanager
def main_process_first():
    if not is_distributed():
        yield
        return
    with state().main_process_first():
        yield


def broadcast(obj):
    """Rank 0's value on every rank (e.g. metrics computed once)."""
    if not is_distributed():
        return obj
    from accelerate.utils import broadcast_object_list

    box = [obj]
    broadcast_object_list(box, from_process=0)
    return box[0]
