"""The embedding size a model folder will produce, read from its JSON files alone (no torch).

`embedding validate` uses it to check Matryoshka dims against the model before anything is loaded.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def hidden_size(folder: Path) -> tuple[int, str] | None:
    """The encoder's width from config.json, and where it was read (None: no config.json or no width)."""
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
        found = hidden_size(folder)
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
                found = hidden_size(sub) or hidden_size(folder)
            break  # the last module with a size decides; an unknown one: cannot tell
    if found is None:
        return None
    truncate = (args or {}).get("truncate_dim")
    if isinstance(truncate, int) and not isinstance(truncate, bool) and 0 < truncate < found[0]:
        return truncate, "base_model.args.truncate_dim"
    return found
