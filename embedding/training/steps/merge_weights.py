"""Weight interpolation between a trained model and its base: W = alpha * W_trained + (1 - alpha) * W_base.

The merged model is the trained model with interpolated parameters: its modules (pooling, normalisation, Dense...)
and their settings are the trained model's, never the base model's. Both must have the same architecture, down to
every module's settings; anything else is refused with what differs.
"""

from __future__ import annotations

from typing import Any

from ...errors import UserError


def _module_settings(module) -> dict[str, Any]:
    """A module's saved settings (pooling mode, normalisation...); {} for modules without any."""
    get = getattr(module, "get_config_dict", None)
    return get() if callable(get) else {}


def architecture_difference(trained, base) -> str | None:
    """What differs between the two SentenceTransformers (modules, their settings, parameter names and shapes);
    None when they can be merged."""
    kinds = [type(m).__name__ for m in trained], [type(m).__name__ for m in base]
    if kinds[0] != kinds[1]:
        return f"modules {' -> '.join(kinds[0])} (trained) vs {' -> '.join(kinds[1])} (base)"
    for i, (ours, theirs) in enumerate(zip(trained, base, strict=True)):
        if _module_settings(ours) != _module_settings(theirs):
            return f"module {i} ({kinds[0][i]}) settings {_module_settings(ours)} vs {_module_settings(theirs)}"
    ours, theirs = trained.state_dict(), base.state_dict()
    if ours.keys() != theirs.keys():
        extra = sorted(set(ours) ^ set(theirs))
        return f"parameters only one of them has: {', '.join(extra[:3])}{' ...' if len(extra) > 3 else ''}"
    for name, tensor in ours.items():
        if tensor.shape != theirs[name].shape:
            return f"parameter {name} has shape {tuple(tensor.shape)} (trained) vs {tuple(theirs[name].shape)} (base)"
    return None


def check_mergeable(trained, base) -> None:
    difference = architecture_difference(trained, base)
    if difference:
        raise UserError(
            f"merge_with_base: the trained model and base_model differ in architecture ({difference}); weights "
            "can only be interpolated between the same architecture. Remove merge_with_base (e.g. for adapter "
            "training, or when base_model.pooling/normalize changed the modules)"
        )


def interpolate(trained: dict[str, Any], base: dict[str, Any], alpha: float) -> dict[str, Any]:
    """The merged state dict. alpha 1 and 0 return exact copies of one side (bitwise); integer buffers (position
    ids and the like) are the trained model's."""
    merged = {}
    for name, tensor in trained.items():
        if alpha == 1 or not tensor.is_floating_point():
            merged[name] = tensor.clone()
        elif alpha == 0:
            merged[name] = base[name].to(dtype=tensor.dtype, device=tensor.device, copy=True)
        else:
            other = base[name].to(dtype=tensor.dtype, device=tensor.device)
            merged[name] = tensor * alpha + other * (1 - alpha)
    return merged


def snapshot(model) -> dict[str, Any]:
    """A detached copy of the model's state dict (kept while the model is overwritten with merged weights)."""
    return {name: tensor.detach().clone() for name, tensor in model.state_dict().items()}
