"""LoRA adapters (peft) on the student: add one, count what trains, merge it, save it.

peft injects its LoRA layers into the encoder itself (`inject_adapter_in_model`), not through transformers' peft
integration: in transformers 5.24 that integration refuses every peft release below 0.22. The encoder module
becomes a `LoraTransformer`, whose saves (the trainer's checkpoints) hold the base weights under their plain names
plus the adapter in its own file, so a checkpoint loads back (resume, best model) with the adapter in place.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

from sentence_transformers.base.modules import Transformer

from ..config.adapter import INSTALL, AdapterSpec
from ..errors import UserError

ADAPTER = "default"  # peft's adapter name
ADAPTER_WEIGHTS = "lora_adapter.safetensors"  # in checkpoints; not peft's names, which would make ST load a PEFT model
ADAPTER_RECORD = "lora_adapter.json"


class LoraTransformer(Transformer):
    """The encoder with a LoRA adapter: saves base weights + adapter separately and loads them back together."""

    adapter_spec: AdapterSpec
    base_name: str

    def save(self, output_path: str, *args, safe_serialization: bool = True, **kwargs) -> None:
        from safetensors.torch import save_file

        state = self.model.state_dict()
        base = {k.replace(".base_layer.", "."): v for k, v in state.items() if ".lora_" not in k}
        self.model.save_pretrained(output_path, state_dict=base, safe_serialization=safe_serialization)
        self.processor.save_pretrained(output_path)
        self.save_config(output_path)
        lora = {k: v.contiguous() for k, v in state.items() if ".lora_" in k}
        save_file(lora, str(Path(output_path) / ADAPTER_WEIGHTS))
        record = {"adapter": self.adapter_spec.model_dump(mode="json"), "base_model": self.base_name}
        (Path(output_path) / ADAPTER_RECORD).write_text(json.dumps(record, indent=2))

    @classmethod
    def load(cls, model_name_or_path: str, *args, subfolder: str = "", **kwargs) -> LoraTransformer:
        from safetensors.torch import load_file

        module = super().load(model_name_or_path, *args, subfolder=subfolder, **kwargs)
        folder = Path(model_name_or_path, subfolder)
        record = json.loads((folder / ADAPTER_RECORD).read_text(encoding="utf-8"))
        spec = AdapterSpec.model_validate(record["adapter"])
        inject(module, spec, record["base_model"])
        missing, unexpected = module.model.load_state_dict(load_file(str(folder / ADAPTER_WEIGHTS)), strict=False)
        if unexpected or any(".lora_" in key for key in missing):
            raise ValueError(f"{folder / ADAPTER_WEIGHTS} does not fit the model's adapter layers")
        return module


def lora_config(spec: AdapterSpec):
    from peft import LoraConfig

    return LoraConfig(r=spec.r, lora_alpha=spec.alpha, lora_dropout=spec.dropout, target_modules=spec.target_modules)


def linear_names(module) -> list[str]:
    """The last name part of every linear layer: what `target_modules` can name."""
    import torch

    return sorted({name.rsplit(".", 1)[-1] for name, m in module.named_modules() if isinstance(m, torch.nn.Linear)})


def inject(encoder: Transformer, spec: AdapterSpec, base_name: str) -> None:
    """Add the adapter's layers to the encoder (freezing every other weight) and make it a LoraTransformer."""
    from peft import inject_adapter_in_model

    inject_adapter_in_model(lora_config(spec), encoder.model, adapter_name=ADAPTER)
    encoder.__class__ = LoraTransformer
    encoder.adapter_spec, encoder.base_name = spec, base_name


def add_lora(model, spec: AdapterSpec, base_name: str, where: str = "base_model.adapter") -> None:
    """Put a fresh LoRA adapter on the model's encoder; a model peft cannot wrap is a UserError naming `where`."""
    try:
        import peft  # noqa: F401
    except ImportError:
        raise UserError(f"{where}: the peft package is not installed; {INSTALL}") from None
    import torch

    encoder = model[0] if len(model) else None
    if not isinstance(encoder, Transformer) or not isinstance(getattr(encoder, "model", None), torch.nn.Module):
        kinds = ", ".join(type(m).__name__ for m in model)
        raise UserError(
            f"{where}: `{base_name}` ({kinds}) has no torch Transformer encoder as its first module, which a LoRA "
            f"adapter needs; remove {where} or pick a Transformer-based model"
        )
    try:
        inject(encoder, spec, base_name)
    except ValueError as exc:
        targets = ", ".join(spec.target_modules) if spec.target_modules else "peft's default for this architecture"
        raise UserError(
            f"{where}.target_modules: {targets} matches no layer of `{base_name}` that LoRA can adapt "
            f"({str(exc).splitlines()[0]}); its linear layers are named: {', '.join(linear_names(encoder.model))}. "
            f"Set {where}.target_modules to some of them"
        ) from None


def has_adapter(model) -> bool:
    return len(model) > 0 and isinstance(model[0], LoraTransformer)


def merged_copy(model):
    """A plain SentenceTransformer with the adapter merged into the base weights (W + alpha/r · B·A)."""
    from peft.tuners.tuners_utils import BaseTunerLayer

    merged = copy.deepcopy(model)
    encoder = merged[0]
    for name, layer in list(encoder.model.named_modules()):
        if isinstance(layer, BaseTunerLayer):
            layer.merge()
            parent, _, child = name.rpartition(".")
            setattr(encoder.model.get_submodule(parent), child, layer.get_base_layer())
    encoder.model.__dict__.pop("peft_config", None)
    del encoder.adapter_spec, encoder.base_name
    encoder.__class__ = Transformer
    for parameter in merged.parameters():
        parameter.requires_grad_(True)  # a plain model again: fine-tuning it further trains every weight
    return merged


def save_adapter(model, folder: Path) -> None:
    """The adapter alone in peft's layout (adapter_config.json, adapter_model.safetensors) for the base model:
    `PeftModel.from_pretrained(SentenceTransformer(base)[0].auto_model, folder)` puts it on the base."""
    from peft import get_peft_model_state_dict
    from safetensors.torch import save_file

    encoder = model[0]
    config = copy.deepcopy(encoder.model.peft_config[ADAPTER])
    config.base_model_name_or_path = encoder.base_name
    folder.mkdir(parents=True, exist_ok=True)
    config.save_pretrained(str(folder))
    state = get_peft_model_state_dict(encoder.model, adapter_name=ADAPTER)
    weights = {f"base_model.model.{k}": v.contiguous() for k, v in state.items()}  # PeftModel's key names
    save_file(weights, str(folder / "adapter_model.safetensors"))


def parameter_counts(model) -> tuple[int, int]:
    """(trainable, total) parameters of the model."""
    params = list(model.parameters())
    return sum(p.numel() for p in params if p.requires_grad), sum(p.numel() for p in params)


def trainable_row(model) -> tuple[str, str]:
    """The banner's `trainable` fact: trainable of total parameters, and the adapter that trains them."""
    trainable, total = parameter_counts(model)
    text = f"{trainable:,} of {total:,} parameters ({trainable / max(total, 1):.2%})"
    if has_adapter(model):
        spec = model[0].adapter_spec
        targets = model[0].model.peft_config[ADAPTER].target_modules
        text += f", LoRA r={spec.r} alpha={spec.alpha:g} on {', '.join(sorted(targets))}"
    return "trainable", text
