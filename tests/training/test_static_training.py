"""A static embedding model (StaticEmbedding: a raw `tokenizers.Tokenizer`, no max length) trains like any model:
the distilled `--format static` export fine-tuned with the run's objectives."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import EFAQ_ROWS, base_config


@pytest.fixture
def static_folder(tmp_path) -> Path:
    """A random static word-embedding model over the e-faq rows' words, saved as a sentence-transformers folder."""
    import torch
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import StaticEmbedding
    from tokenizers import Tokenizer
    from tokenizers.models import WordLevel
    from tokenizers.pre_tokenizers import Whitespace

    texts = [t for row in EFAQ_ROWS for v in row.values() for t in ([v] if isinstance(v, str) else v)]
    words = dict.fromkeys(w for t in texts for w in t.split())
    tokenizer = Tokenizer(WordLevel({w: i for i, w in enumerate(["[UNK]", *words])}, unk_token="[UNK]"))
    tokenizer.pre_tokenizer = Whitespace()
    torch.manual_seed(0)
    folder = tmp_path / "static"
    SentenceTransformer(modules=[StaticEmbedding(tokenizer, embedding_dim=32)], device="cpu").save(str(folder))
    return folder


def test_a_static_model_trains_with_the_default_execution(static_folder, efaq_dir, tmp_path):
    """Length grouping counts tokens with the model's tokenizer: a raw `tokenizers.Tokenizer` (no `len`, no
    `backend_tokenizer`) and an infinite `max_seq_length` used to stop the run with an internal error."""
    import numpy as np
    from safetensors.numpy import load_file

    from embedding import train

    config = base_config(static_folder, efaq_dir, tmp_path / "runs")
    assert "group_by_length" not in config.get("execution", {})  # the default: grouped by length
    result = train(config)

    final = Path(result.run_dir) / "final"
    before, after = (load_file(str(f / "model.safetensors")) for f in (static_folder, final))
    assert before.keys() == after.keys()
    assert any(not np.allclose(before[k], after[k]) for k in before)  # the vectors were trained

    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(final), device="cpu")
    assert type(model[0]).__name__ == "StaticEmbedding"
    assert model.encode(["como pedir o cartao"]).shape == (1, 32)
