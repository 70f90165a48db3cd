"""Mining with false-negative control: the default relative margin, cross-encoder rescoring, the statistics file.

The models are tiny and random: a static word-embedding model (texts that share words score high, others low,
so the margins have something to refuse) and a 2-layer BERT cross-encoder with one output.
"""

from __future__ import annotations

import json
from pathlib import Path

import datasets
import pytest

from embedding.config.schema import ModelSpec
from embedding.data import mining
from embedding.data.args import MiningArgs
from embedding.data.preprocess import FALSE_NEGATIVES, training_rows
from tests.conftest import EFAQ_ROWS, WORDS
from tests.data.conftest import rows_of

PAIRS = [
    {"anchor": "como pedir o cartao da empresa", "positive": "pedir cartao empresa"},
    {"anchor": "qual prazo de entrega", "positive": "quando entrega pedido"},
    {"anchor": "como devolver produto", "positive": "troca garantia produto"},
    {"anchor": "cancelar pedido", "positive": "como cancelar meu pedido"},
    {"anchor": "pagamento boleto pix", "positive": "pagar com pix"},
    {"anchor": "cupom desconto loja", "positive": "usar cupom na loja"},
    {"anchor": "rastrear encomenda", "positive": "onde esta minha encomenda"},
    {"anchor": "nota fiscal do pedido", "positive": "emitir nota fiscal"},
]


@pytest.fixture(scope="session")
def static_model(tmp_path_factory) -> Path:
    """A random static word-embedding SentenceTransformer (one vector per word, averaged)."""
    import torch
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import StaticEmbedding
    from tokenizers import Tokenizer
    from tokenizers.models import WordLevel
    from tokenizers.pre_tokenizers import Whitespace

    vocab = {word: i for i, word in enumerate(["[UNK]", *dict.fromkeys(WORDS)])}
    tokenizer = Tokenizer(WordLevel(vocab, unk_token="[UNK]"))
    tokenizer.pre_tokenizer = Whitespace()
    torch.manual_seed(0)
    folder = tmp_path_factory.mktemp("static-model")
    SentenceTransformer(modules=[StaticEmbedding(tokenizer, embedding_dim=16)]).save(str(folder))
    return folder


@pytest.fixture(scope="session")
def tiny_cross_encoder(tmp_path_factory) -> Path:
    """A random 2-layer BertForSequenceClassification with one label and a word-level tokenizer (wide weights, so
    the scores differ well beyond float noise): a CrossEncoder folder."""
    import torch
    from tokenizers import Tokenizer
    from tokenizers.models import WordPiece
    from tokenizers.normalizers import BertNormalizer
    from tokenizers.pre_tokenizers import BertPreTokenizer
    from tokenizers.processors import TemplateProcessing
    from transformers import BertConfig, BertForSequenceClassification, PreTrainedTokenizerFast

    folder = tmp_path_factory.mktemp("tiny-cross-encoder")
    special = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    vocab = {word: i for i, word in enumerate([*special, *dict.fromkeys(WORDS)])}
    tokenizer = Tokenizer(WordPiece(vocab, unk_token="[UNK]"))
    tokenizer.normalizer = BertNormalizer(lowercase=True)
    tokenizer.pre_tokenizer = BertPreTokenizer()
    tokenizer.post_processor = TemplateProcessing(
        single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B:1 [SEP]:1", special_tokens=[("[CLS]", 2), ("[SEP]", 3)]
    )
    names = dict(zip(("pad_token", "unk_token", "cls_token", "sep_token", "mask_token"), special, strict=True))
    PreTrainedTokenizerFast(tokenizer_object=tokenizer, **names).save_pretrained(folder)
    torch.manual_seed(3)
    config = BertConfig(
        vocab_size=len(vocab),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=37,
        num_labels=1,
        initializer_range=0.5,
    )
    BertForSequenceClassification(config).save_pretrained(folder)
    return folder


def _mined(raw, **options):
    return training_rows(raw, "contrastive", {"mine_hard_negatives": options}, seed=1, where="t")


def _cosines(model_path: Path, pairs: list[tuple[str, str]]) -> list[float]:
    """The mining model's own score of each (anchor, text), computed here independently of the miner."""
    from embedding.models import load_model

    model, _ = load_model(ModelSpec(name=str(model_path)))
    left = model.encode([a for a, _ in pairs], normalize_embeddings=True, convert_to_tensor=True)
    right = model.encode([b for _, b in pairs], normalize_embeddings=True, convert_to_tensor=True)
    return (left * right).sum(dim=1).tolist()


def test_relative_margin_is_on_by_default():
    assert MiningArgs(model="m").relative_margin == 0.05
    assert MiningArgs(model="m", relative_margin=None).relative_margin is None


def test_stats_file_is_written_and_its_counts_add_up(static_model, file_backed, monkeypatch):
    raw = file_backed(EFAQ_ROWS)
    data = _mined(raw, model=str(static_model), num_negatives=2)
    stats = data.mining
    files = list(Path(raw.cache_files[0]["filename"]).parent.glob("mining-*.json"))
    assert len(files) == 1 and json.loads(files[0].read_text()) == stats
    assert stats["options"]["relative_margin"] == 0.05 and stats["dropped"]["relative_margin"] > 0
    assert (
        stats["rows_kept"] == len(data.dataset) and stats["rows"] == stats["rows_kept"] + stats["rows_dropped_short"]
    )
    assert stats["kept"] == 2 * len(data.dataset)
    refused = sum(stats["dropped"].values())
    outcomes = stats["kept"] + stats["in_short_rows"] + refused + stats["skipped_range_min"] + stats["unused"]
    assert stats["candidates"] == outcomes
    assert stats["dropped"]["false_negative"] == data.stats[FALSE_NEGATIVES]
    histogram = stats["histogram"]
    assert len(histogram["edges"]) == len(histogram["kept"]) + 1
    assert (sum(histogram["kept"]), sum(histogram["dropped"])) == (stats["kept"], refused)
    assert sum(histogram["positive"]) == stats["rows"]
    assert any("relative_margin 0.05" in note and str(files[0]) in note for note in data.notes)

    def no_model(*_args, **_kwargs):
        raise AssertionError("a cache hit must not load the mining model")

    monkeypatch.setattr(mining, "_model", no_model)
    cached = _mined(datasets.load_from_disk(str(files[0].parent)), model=str(static_model), num_negatives=2)
    assert cached.cache_hit and cached.mining == stats


def test_kept_negatives_score_below_the_default_relative_margin(static_model):
    data = _mined(datasets.Dataset.from_list(PAIRS), model=str(static_model), num_negatives=2)
    rows = rows_of(data.dataset)
    assert rows and data.mining["dropped"]["relative_margin"] > 0
    negatives = [(r["anchor"], r[f"negative_{j}"]) for r in rows for j in (1, 2)]
    scores = _cosines(static_model, [(r["anchor"], r["positive"]) for r in rows])
    positive = dict(zip([r["anchor"] for r in rows], scores, strict=True))
    for (anchor, _), score in zip(negatives, _cosines(static_model, negatives), strict=True):
        assert score <= (1 - 0.05) * positive[anchor] + 1e-5


def test_the_rule_is_sentence_transformers_own(static_model):
    """Same rows as `util.mine_hard_negatives(relative_margin=0.05)` where no other rule applies."""
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.util import mine_hard_negatives

    raw = datasets.Dataset.from_list(PAIRS)
    ours = rows_of(_mined(raw, model=str(static_model), num_negatives=1).dataset)
    corpus = [t for r in PAIRS for t in r.values()]  # ours ranks every text of the rows, anchors included
    model = SentenceTransformer(str(static_model))
    theirs = mine_hard_negatives(raw, model, corpus=corpus, relative_margin=0.05, num_negatives=1, verbose=False)
    assert sorted((r["anchor"], r["negative_1"]) for r in ours) == sorted((r["anchor"], r["negative"]) for r in theirs)


def test_cross_encoder_rescores_the_candidates(static_model, tiny_cross_encoder):
    from sentence_transformers import CrossEncoder

    raw = datasets.Dataset.from_list(PAIRS)
    options = {"model": str(static_model), "num_negatives": 2, "relative_margin": None}
    plain = rows_of(_mined(raw, **options).dataset)
    data = _mined(raw, **options, cross_encoder={"name": str(tiny_cross_encoder)})
    rescored = rows_of(data.dataset)
    assert data.mining["scorer"] == f"cross-encoder {tiny_cross_encoder}"
    texts = list(dict.fromkeys(t for r in PAIRS for t in r.values()))
    cross = CrossEncoder(str(tiny_cross_encoder))
    for row in rescored:  # the window holds the whole corpus: the two best non-positives by the cross-encoder win
        own = next(r for r in PAIRS if r["anchor"] == row["anchor"])
        candidates = [t for t in texts if t not in own.values()]
        scores = cross.predict([(row["anchor"], t) for t in candidates]).tolist()
        best = sorted(candidates, key=lambda t: -scores[candidates.index(t)])[:2]
        assert [row["negative_1"], row["negative_2"]] == best
    assert [(r["negative_1"], r["negative_2"]) for r in rescored] != [
        (r["negative_1"], r["negative_2"]) for r in plain
    ]


def test_rows_short_in_the_first_window_are_mined_again_in_a_wider_one(static_model, monkeypatch):
    """A window of 2 candidates: the margins leave rows without a negative; widening (x4 up to the corpus) finds
    them one, every kept negative still below the margin; with range_max set the window is the user's."""
    monkeypatch.setattr(mining, "_window", lambda options, positives, extra: 2)
    raw = datasets.Dataset.from_list(PAIRS)
    monkeypatch.setattr(mining, "WIDEST_WINDOW", 1)  # no widening: the rows the first window leaves short
    narrow = _mined(raw, model=str(static_model), num_negatives=1)
    monkeypatch.setattr(mining, "WIDEST_WINDOW", 512)
    widened = _mined(raw, model=str(static_model), num_negatives=1)
    assert narrow.mining["rows_dropped_short"] > widened.mining["rows_dropped_short"]
    assert len(widened.dataset) == widened.mining["rows_kept"] > len(narrow.dataset)
    rows = rows_of(widened.dataset)
    positive = dict(
        zip(
            [r["anchor"] for r in rows],
            _cosines(static_model, [(r["anchor"], r["positive"]) for r in rows]),
            strict=True,
        )
    )
    for (anchor, _), score in zip(
        negatives := [(r["anchor"], r["negative_1"]) for r in rows], _cosines(static_model, negatives), strict=True
    ):
        assert score <= (1 - 0.05) * positive[anchor] + 1e-5
    users = _mined(raw, model=str(static_model), num_negatives=1, range_max=1)
    assert users.mining["rows_dropped_short"] == narrow.mining["rows_dropped_short"]
