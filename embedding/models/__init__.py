"""Offline-first model resolution and loading (base model and teachers).

Order: local path -> local Hugging Face cache -> an installed package that ships the model -> Hub download
(`resolution`). A plain Transformers checkpoint gets a pooling layer and normalisation (`loading`).
`resolve_local` and `embedding_size` (`size`) read folders and JSON only (no torch): `embedding validate` uses
them; importing this package imports neither torch nor sentence-transformers.
"""

from __future__ import annotations

from .loading import load_model
from .resolution import PACKAGED_MODELS, Resolution, resolve, resolve_local
from .size import embedding_size

__all__ = ["PACKAGED_MODELS", "Resolution", "embedding_size", "load_model", "resolve", "resolve_local"]
