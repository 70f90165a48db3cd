"""`--format static`: the trained model distilled into a static embedding model with model2vec.

model2vec embeds every token of the vocabulary once with the trained transformer (mean pooled, PCA to
`PCA_DIMS`, SIF-weighted by token frequency rank); a text's vector is then the mean of its tokens' rows, with no
attention, so it encodes tens to hundreds of times faster on a CPU and loses what context adds (word order,
negation, disambiguation). The folder is a sentence-transformers model with a StaticEmbedding module, which
`SentenceTransformer(folder)` loads as it is (no model2vec needed to use it).
"""

from __future__ import annotations

from pathlib import Path

from .errors import LibraryFailed

PCA_DIMS = 256  # model2vec's default: fewer dimensions, and the PCA step itself improves the distilled vectors


def distill(model, pca_dims: int | None = PCA_DIMS):
    """A SentenceTransformer(StaticEmbedding[, Normalize]) distilled from `model`'s transformer and tokenizer."""
    from model2vec.distill import distill_from_model
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.base.modules.normalize import Normalize
    from sentence_transformers.sentence_transformer.modules import StaticEmbedding

    transformer = model[0]
    width = transformer.get_embedding_dimension()
    static = distill_from_model(
        model=transformer.model,
        tokenizer=transformer.tokenizer,
        device="cpu",
        pca_dims=pca_dims if pca_dims and pca_dims < width else None,
        quantize_to="float32",
    )
    weights = static.embedding if hasattr(static, "embedding") else static.embeddings
    modules = [StaticEmbedding(tokenizer=static.tokenizer, embedding_weights=weights)]
    if any(isinstance(module, Normalize) for module in model):
        modules.append(Normalize())
    return SentenceTransformer(modules=modules, device="cpu")


def write_static(model, folder: Path) -> str:
    """Distil `model` into `folder` (a sentence-transformers StaticEmbedding model); returns the table's file."""
    try:
        static = distill(model)
        static.save(str(folder))
    except Exception as exc:
        raise LibraryFailed(f"static (model2vec) distillation failed: {type(exc).__name__}: {exc}") from exc
    (folder / "README.md").unlink(missing_ok=True)
    found = sorted(p.relative_to(folder).as_posix() for p in folder.glob("*StaticEmbedding/*.safetensors"))
    return found[0] if found else "modules.json"
