"""The files of an export folder beside its graph: what every client reads to tokenize and pool, nothing twice.

`model.save` writes modules.json, config.json, the tokenizer files and the Pooling / Normalize folders that
sentence-transformers, transformers.js, fastembed and a plain onnxruntime + `tokenizers` server read. The torch
weights (90 MB for MiniLM) stay out unless asked (`--with-torch`): a deployment runs the graph. The model card
describes the torch model (its usage lines load the weights), so it stays out as well. The tokenizer files are
made to agree on one maximum length, the model's max_seq_length (models/folder.py `align_max_length`).
"""

from __future__ import annotations

from pathlib import Path

from ..models.folder import align_max_length

TORCH_WEIGHTS = ("model.safetensors", "model.safetensors.index.json", "pytorch_model.bin")
TORCH_SHARDS = ("model-*.safetensors", "pytorch_model-*.bin")
LEFT_OUT = ("README.md",)


def torch_weight_files(folder: Path) -> list[Path]:
    """The Transformers weight files in `folder` and its module folders (not a StaticEmbedding's own table)."""
    found = []
    for place in [folder, *[p for p in folder.iterdir() if p.is_dir() and not p.name.endswith("StaticEmbedding")]]:
        found += [place / name for name in TORCH_WEIGHTS if (place / name).is_file()]
        found += [path for pattern in TORCH_SHARDS for path in place.glob(pattern)]
    return found


def write_layout(model, folder: Path, *, with_torch: bool = False) -> None:
    """Save `model`'s pipeline files into `folder` (weights only `with_torch`) with one max length throughout."""
    model.save(str(folder))
    if not with_torch:
        for path in torch_weight_files(folder):
            path.unlink()
    for name in LEFT_OUT:
        (folder / name).unlink(missing_ok=True)
    align_max_length(folder, getattr(model, "max_seq_length", None))
