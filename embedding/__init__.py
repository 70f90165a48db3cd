"""embedding: train, evaluate and ship sentence-embedding models from one YAML file.

The Python API mirrors the CLI: `embedding.train(config)`, `embedding.validate(path)`, ...
Imports are lazy so `import embedding` (and `embedding --help`) stay instant.
"""

from __future__ import annotations

__version__ = "0.1.0"
__all__ = ["train", "validate", "preprocess", "load_config"]


def __getattr__(name: str):
    if name in __all__:
        from . import api

        return getattr(api, name)
    raise AttributeError(name)
