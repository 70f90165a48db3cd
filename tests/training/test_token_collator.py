"""Training batches padded from the kept token ids: the same tensors as the tokenizer's, the same trained weights."""

from __future__ import annotations

import json

import pytest
import torch

from embedding.training.batching.token_collator import CHECKS, TokenIdPreprocess, same_batch, token_id_preprocess
from tests.conftest import SHARED

EFAQ = SHARED / "aia-bde" / "efaq" / "train.jsonl"


def efaq_rows(limit: int = 48) -> dict[str, list]:
    """anchor / positive / negative columns (and a float label) from real aia-bde e-faq rows."""
    if not EFAQ.exists():
        pytest.skip("needs ../shared/datasets/aia-bde")
    raw = [json.loads(line) for line in EFAQ.read_text(encoding="utf-8").splitlines()[:limit]]
    return {
        "anchor": [r["sentence"] for r in raw],
        "positive": [r["similar"][0] for r in raw],
        "negative": [raw[(i + 7) % len(raw)]["sentence"].upper() for i in range(len(raw))],
        "label": [float(i % 3) for i in range(len(raw))],
    }


def load(path: str, max_seq_length: int | None = None):
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(path, device="cpu")
    if max_seq_length:
        model.max_seq_length = max_seq_length  # shorter than many e-faq texts: truncation is exercised
    return model


@pytest.fixture
def tiny(tiny_bert):
    return load(str(tiny_bert), max_seq_length=24)


def minilm():
    from embedding.models.resolution import resolve

    try:
        return load(resolve("sentence-transformers/all-MiniLM-L6-v2").location)
    except Exception as exc:  # the packaged model is a test extra; without it this case has nothing to compare
        pytest.skip(f"all-MiniLM-L6-v2 not available: {exc}")


def collators(model, data):
    from sentence_transformers.sentence_transformer.data_collator import SentenceTransformerDataCollator

    stock = SentenceTransformerDataCollator(preprocess_fn=model.preprocess, valid_label_columns=["label"])
    preprocess = token_id_preprocess(model, stock, [data])
    assert preprocess is not None
    ours = SentenceTransformerDataCollator(preprocess_fn=preprocess, valid_label_columns=["label"])
    return stock, ours, preprocess


@pytest.mark.parametrize("which", ["tiny", "minilm"])
def test_collated_features_equal_the_tokenizer_ones_on_efaq_rows(tiny, which):
    from datasets import Dataset

    # Given real e-faq rows and a model whose tokenizer truncates some of them
    model = tiny if which == "tiny" else minilm()
    data = Dataset.from_dict(efaq_rows())
    stock, ours, preprocess = collators(model, data)
    calls = []
    tokenize = preprocess.stock
    preprocess.stock = lambda *args, **kwargs: calls.append(1) or tokenize(*args, **kwargs)
    # When every batch is collated both ways
    for begin in range(0, len(data), 16):
        rows = [data[i] for i in range(begin, min(begin + 16, len(data)))]
        # Then: the same keys, dtypes and values, labels included
        assert same_batch(ours(rows), stock(rows))
    # and the tokenizer ran only for the first columns' check (3 batches x 3 columns = 9 > CHECKS)
    assert preprocess.checked is True and len(calls) == CHECKS


def test_what_the_ids_cannot_stand_in_for_goes_to_the_tokenizer(tiny):
    from datasets import Dataset
    from sentence_transformers.sentence_transformer.data_collator import SentenceTransformerDataCollator

    data = Dataset.from_dict(efaq_rows(8))
    # Prompts change the tokens: no short cut at all
    prompted = SentenceTransformerDataCollator(preprocess_fn=tiny.preprocess, prompts={"anchor": "query: "})
    assert token_id_preprocess(tiny, prompted, [data]) is None
    _, ours, preprocess = collators(tiny, data)
    # A text never tokenized (an eval row) and a task: the tokenizer's own output
    for inputs, kwargs in ((["a text that is not in the data"], {}), (data["anchor"][:2], {"task": "query"})):
        assert same_batch(preprocess(inputs, **kwargs), tiny.preprocess(inputs, **kwargs))
    # Kept ids that differ from the tokenizer's: found on the first batch, never used again
    wrong = TokenIdPreprocess(tiny.preprocess, {t: ids[:-1] for t, ids in preprocess.ids.items()}, 0)
    texts = data["anchor"][:4]
    assert same_batch(wrong(texts), tiny.preprocess(texts)) and wrong.checked is False
    assert same_batch(wrong(texts), tiny.preprocess(texts))


def train_weights(tiny_bert, tmp_path, token_ids: bool):
    from datasets import Dataset
    from sentence_transformers import SentenceTransformerTrainingArguments
    from sentence_transformers.sentence_transformer.losses import MultipleNegativesRankingLoss

    from embedding.training.trainer.run_trainer import RunTrainer

    torch.manual_seed(0)
    model = load(str(tiny_bert), max_seq_length=24)
    rows = efaq_rows(32)
    data = Dataset.from_dict({k: v for k, v in rows.items() if k != "label"})
    args = SentenceTransformerTrainingArguments(
        output_dir=str(tmp_path / f"run-{token_ids}"),
        max_steps=4,
        per_device_train_batch_size=8,
        learning_rate=1e-3,
        seed=0,
        report_to="none",
        save_strategy="no",
        use_cpu=True,
        dataloader_num_workers=0,
    )
    trainer = RunTrainer(
        model=model,
        args=args,
        train_dataset=data,
        loss=MultipleNegativesRankingLoss(model),
        token_ids=token_ids,
    )
    assert trainer.token_ids is token_ids
    trainer.train()
    return {k: v.clone() for k, v in model.state_dict().items()}


@pytest.mark.slow  # two short trainings: over 20 s on 2 cores
def test_training_with_kept_ids_gives_the_same_weights(tiny_bert, tmp_path):
    with_ids = train_weights(tiny_bert, tmp_path, True)
    without = train_weights(tiny_bert, tmp_path, False)
    assert with_ids.keys() == without.keys()
    assert all(torch.equal(with_ids[k], without[k]) for k in with_ids)
    first = next(k for k in with_ids if k.endswith("word_embeddings.weight"))
    assert not torch.equal(with_ids[first], load_untrained_embeddings(tiny_bert, first))  # it did train


def load_untrained_embeddings(tiny_bert, key):
    return load(str(tiny_bert)).state_dict()[key]
