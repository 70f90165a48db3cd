"""Process coordination for torchrun / accelerate launches; a no-op in a single process.

Rank 0 owns the run dir (moving an old run aside, the resolved config, logs, the final model); preprocessing runs
on the main process first so the others reuse its cache instead of repeating the work N times.
"""

from __future__ import annotations

import atexit
import os
from contextlib import contextmanager
from functools import cache


def world_size() -> int:
    return int(os.environ.get("WORLD_SIZE", "1"))


def is_distributed() -> bool:
    return world_size() > 1


def state():
    """accelerate's PartialState: initialises the process group from torchrun's environment once."""
    import torch
    from accelerate import PartialState

    # Without cpu=True accelerate ignores torchrun's environment on machines without an accelerator.
    partial = PartialState(cpu=not torch.cuda.is_available())
    _destroy_at_exit()
    return partial


@cache
def _destroy_at_exit() -> None:
    """Destroy the process group while the interpreter is still whole, once per process.

    Left to interpreter finalization, gloo's worker threads can still hold tensors whose release needs the GIL, and
    the process aborts ("terminate called without an active exception", SIGABRT) after a run that succeeded,
    which torchrun reports as a failure (pytorch/pytorch#190489).
    """
    import torch.distributed as dist

    def destroy() -> None:
        if dist.is_available() and dist.is_initialized():
            dist.destroy_process_group()

    atexit.register(destroy)


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
