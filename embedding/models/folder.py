"""What a local model folder must hold before it is loaded: model files and a tokenizer. Files only, no torch.

Without tokenizer files a checkpoint still loads (transformers falls back to a bare tokenizer that maps every word
to [UNK]) and scores nonsense; `evaluate` would write those scores into its results. Refused here instead, for the
base model, teachers, mining models and every model `evaluate` is given, before any data is prepared.
"""

from __future__ import annotations

import json
from pathlib import Path

from ..errors import UserError
from .resolution import Resolution, resolve

TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "vocab.txt", "vocab.json")
SENTENCEPIECE = "*.model"  # spiece.model, sentencepiece.bpe.model, tokenizer.model


def has_tokenizer(folder: Path) -> bool:
    return any((folder / name).is_file() for name in TOKENIZER_FILES) or any(folder.glob(SENTENCEPIECE))


def _tokenizer_folders(folder: Path) -> list[Path]:
    """Where the tokenizer may be: the folder of each Transformer module (and the model folder itself).

    Empty when no module is known to read tokenizer files (a custom or static-embedding pipeline): not checked.
    """
    try:
        modules = json.loads((folder / "modules.json").read_text(encoding="utf-8"))
    except FileNotFoundError:
        return [folder]  # a plain Transformers checkpoint: the tokenizer sits beside config.json
    except (OSError, ValueError):
        return []  # unreadable: sentence-transformers reports that itself
    paths = [
        str(m.get("path") or "")
        for m in (modules if isinstance(modules, list) else [])
        if isinstance(m, dict) and str(m.get("type", "")).endswith("Transformer")
    ]
    return [folder / path for path in dict.fromkeys(paths)] + [folder] if paths else []


def check_model_folder(folder: Path, name: str, where: str) -> None:
    """Raise a UserError naming `where`, the folder and the missing files when it is no complete model."""
    if not (folder / "modules.json").is_file() and not (folder / "config.json").is_file():
        shown = f"`{name}`" + (f" ({folder})" if str(folder) != name else "")
        raise UserError(
            f"{where}: {shown} is neither a sentence-transformers model (modules.json) nor a Transformers "
            "checkpoint (config.json); point it at the folder the model was saved to"
        )
    places = _tokenizer_folders(folder)
    if places and not any(has_tokenizer(place) for place in places):
        inside = [str(p.relative_to(folder)) for p in places if p != folder]
        also = f" (nor in {', '.join(inside)})" if inside else ""
        raise UserError(
            f"{where}: model folder {folder} has no tokenizer: none of {', '.join(TOKENIZER_FILES)} or a "
            f"sentencepiece {SENTENCEPIECE} file in it{also}. Copy the tokenizer files saved with the model into "
            "it (`tokenizer.save_pretrained(folder)`), or point to the complete model folder"
        )


def find_model(name: str, where: str) -> Resolution:
    """`resolve` (local path, cache, package, Hub), then the folder checks for anything found locally.

    `where` is the config key of the name (`base_model.name`, `models[0].name`).
    """
    resolution = resolve(name, where)
    if resolution.source != "hub":
        check_model_folder(Path(resolution.location), name, where)
    return resolution


def saved_max_length(folder: Path) -> int | None:
    """The model's max_seq_length as saved: sentence_bert_config.json's, else the tokenizer's model_max_length
    (sentence-transformers v6 stores it there)."""
    for name, key in (("sentence_bert_config.json", "max_seq_length"), ("tokenizer_config.json", "model_max_length")):
        try:
            value = json.loads((folder / name).read_text(encoding="utf-8")).get(key)
        except (OSError, ValueError, AttributeError):
            continue
        if isinstance(value, int) and 0 < value < 1_000_000:
            return value
    return None


def align_max_length(folder: Path, max_length: int | None = None) -> int | None:
    """Make every tokenizer file of a saved model say one maximum length, the model's max_seq_length.

    A base model's tokenizer files carry their own: MiniLM's `tokenizer_config.json` says `"max_length": 128`
    and its `tokenizer.json` truncates and pads to a fixed 128, while the model's max_seq_length is 256.
    sentence-transformers passes its own length, but clients that read the files (fastembed, transformers.js,
    `tokenizers` itself) cut long texts at 128. Returns the length written (None: nothing known to align to).
    """
    from ..safe_files import write_bytes

    places = _tokenizer_folders(folder) or [folder]
    max_length = max_length or next((n for n in map(saved_max_length, places) if n), None)
    if max_length is None:
        return None
    for place in places:
        config_path, fast_path = place / "tokenizer_config.json", place / "tokenizer.json"
        if config_path.is_file():
            config = json.loads(config_path.read_text(encoding="utf-8"))
            config["model_max_length"] = max_length
            if "max_length" in config:
                config["max_length"] = max_length
            write_bytes(config_path, (json.dumps(config, indent=2, ensure_ascii=False) + "\n").encode("utf-8"))
        if fast_path.is_file():
            fast = json.loads(fast_path.read_text(encoding="utf-8"))
            if isinstance(fast.get("truncation"), dict):
                fast["truncation"]["max_length"] = max_length
            if isinstance(fast.get("padding"), dict) and fast["padding"].get("strategy") != "BatchLongest":
                fast["padding"]["strategy"] = "BatchLongest"  # a fixed pad length is one more max length
            write_bytes(fast_path, json.dumps(fast, ensure_ascii=False).encode("utf-8"))
    return max_length
