"""The model under a sharding engine (DeepSpeed ZeRO-3, FSDP) saved as a plain sentence-transformers folder.

transformers' `save_model` gathers the full weights from every process (FSDP: `accelerator.get_state_dict`, ZeRO:
the engine's consolidated state dict) and hands them to `_save`; sentence-transformers' `_save` ignores them and
saves the module itself, whose parameters on a sharded run are this process's shards (ZeRO-3: empty tensors,
FSDP2: DTensor shards). Here the gathered tensors stand in for the module's parameters while it writes its folder.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from ...errors import UserError


@contextmanager
def gathered_weights(model, state_dict: dict[str, Any]) -> Iterator[None]:
    """`model`'s parameters and persistent buffers replaced by the tensors of `state_dict` (keys as in
    `model.state_dict()`) until the block ends; a tied parameter missing from it takes its twin's tensor."""
    import torch

    slots = [
        (getattr(module, kind), leaf, f"{prefix}.{leaf}" if prefix else leaf)
        for prefix, module in model.named_modules(remove_duplicate=False)
        for kind in ("_parameters", "_buffers")
        for leaf, value in getattr(module, kind).items()
        if value is not None
    ]
    by_identity = {id(table[leaf]): state_dict[key] for table, leaf, key in slots if key in state_dict}
    swapped = []
    try:
        for table, leaf, key in slots:
            original = table[leaf]
            tensor = state_dict[key] if key in state_dict else by_identity.get(id(original))
            if tensor is None:
                if isinstance(original, torch.nn.Parameter):
                    raise RuntimeError(f"the gathered weights lack the parameter {key}")
                continue  # a non-persistent buffer: never in a state dict, never sharded
            if isinstance(original, torch.nn.Parameter):
                tensor = torch.nn.Parameter(tensor.detach(), requires_grad=False)
            swapped.append((table, leaf, original))
            table[leaf] = tensor
        yield
    finally:
        for table, leaf, original in reversed(swapped):
            table[leaf] = original


class EngineSaveMixin:
    """Trainer mixin: gathered weights reach the saved folder; FSDP is refused where accelerate cannot run it."""

    def __init__(self, *args, **kwargs):
        check_engine_device(kwargs.get("args"))
        super().__init__(*args, **kwargs)

    def _save(self, output_dir: str | None = None, state_dict=None) -> None:
        if state_dict is None or not self.args.should_save:
            return super()._save(output_dir, state_dict=state_dict)
        model = self.accelerator.unwrap_model(self.model, keep_torch_compile=False)
        with gathered_weights(model, state_dict), no_card_examples(model):
            return super()._save(output_dir, state_dict=state_dict)


@contextmanager
def no_card_examples(model) -> Iterator[None]:
    """The model card's usage example encodes three sentences; on a sharded model every forward is collective, and
    only this process saves, so it would wait for the others forever."""
    card = getattr(model, "model_card_data", None)
    if card is None or not hasattr(card, "generate_widget_examples"):
        yield
        return
    before = card.generate_widget_examples
    card.generate_widget_examples = False
    try:
        yield
    finally:
        card.generate_widget_examples = before


def check_engine_device(args) -> None:
    """FSDP on a machine without a GPU: accelerate would train every process with the whole model (plain DDP),
    silently; said before training instead."""
    import torch

    if args is None or not getattr(args, "fsdp", None):
        return
    if getattr(args, "use_cpu", False) or not torch.cuda.is_available():
        raise UserError(
            "args.fsdp: FSDP runs on GPUs only (accelerate trains a CPU launch as plain DDP, every process holding "
            "the whole model); remove args.fsdp and args.fsdp_config to train on this machine, or run on GPUs"
        )


def is_sharded(model) -> bool:
    """Whether each process holds only a shard of the weights (FSDP2: DTensor parameters, ZeRO-3: `ds_id`): every
    forward pass is then collective, so every process must run the same encode calls."""
    from torch.distributed.tensor import DTensor

    parameter = next(iter(model.parameters()), None)
    return parameter is not None and (isinstance(parameter, DTensor) or hasattr(parameter, "ds_id"))
