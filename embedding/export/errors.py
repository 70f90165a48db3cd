"""The export's own fault: the export library crashed on a model (not bad input, exit 1, one clear line)."""

from __future__ import annotations

from ..errors import EmbeddingError


class LibraryFailed(EmbeddingError):
    """torch.onnx / onnxruntime raised while exporting or quantizing; nothing was written."""

    exit_code = 1

    def render(self) -> str:
        return f"library failed: {self.args[0]}"
