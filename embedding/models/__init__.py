"""Offline-first model resolution and loading (base model and teachers).

Order: local path -> local Hugging Face cache -> an installed package that ships the model -> Hub download
(`resolution`). A plain Transformers checkpoint gets a pooling layer and normalisation (`loading`).
`resolve_local`, `embedding_size` (`size`) and `check_model_folder` (model files and a tokenizer, `folder`) read
folders and JSON only (no torch): `embedding validate` can use them; importing this package imports neither
torch nor sentence-transformers.
"""

from __future__ import annotations

from .folder import check_model_folder, find_model
from .loading import load_model, load_sentence_transformer
from .resolution import PACKAGED_MODELS, Resolution, resolve, resolve_local
from .size import embedding_size

__all__ = [
    "PACKAGED_MODELS",
    "Resolution",
    "check_model_folder",
    "embedding_size",
    "find_model",
    "load_model",
    "load_sentence_transformer",
    "resolve",
    "resolve_local",
]
