"""Load an export folder for encoding (README / docs: `embedding.export.runtime.load_exported`).

The loader lives in models/exported.py, below evaluation, so that `embedding evaluate --model EXPORT_FOLDER` runs
the exported graph too.
"""

from __future__ import annotations

from ..models.exported import exported_graph, graph_session, load_exported

__all__ = ["exported_graph", "graph_session", "load_exported"]
