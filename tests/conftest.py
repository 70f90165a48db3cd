"""Shared fixtures. Everything is offline: HF_HUB_OFFLINE is set before any Hugging Face import."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

pytest_plugins = ["tests.gc_freeze"]

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
# `precision: auto` picks bf16 on CPUs with AMX / AVX512-BF16: the suite pins fp32 so that its exact comparisons
# (bit-identical resume, equality with a stock script) mean the same on every CPU. Precision tests mock the CPU.
os.environ.setdefault("EMBEDDING_CPU_BF16", "0")

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "datasets"
if not SHARED.exists():  # CI lays shared/ beside the clone
    SHARED = Path(os.environ.get("EMBEDDING_SHARED", REPO.parent / "shared")) / "datasets"

WORDS = (
    "como pedir o cartao da empresa quando e emitido qual prazo entrega devolver produto pagamento boleto "
    "pix frete gratis troca garantia cancelar pedido rastrear encomenda nota fiscal cupom desconto loja "
    "how do i return order refund shipping track payment card cancel the a my is what where when"
).split()


def write_tiny_bert(folder: Path, *, hidden: int = 32, vocab_words=WORDS, seed: int = 0, dropout: float = 0.1) -> Path:
    """A random 2-layer BERT with its own WordPiece vocab, saved as a plain Transformers checkpoint."""
    import torch
    from transformers import BertConfig, BertModel, BertTokenizerFast

    folder.mkdir(parents=True, exist_ok=True)
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *dict.fromkeys(vocab_words)]
    (folder / "vocab.txt").write_text("\n".join(vocab) + "\n")
    tokenizer = BertTokenizerFast(vocab_file=str(folder / "vocab.txt"), do_lower_case=True)
    torch.manual_seed(seed)
    config = BertConfig(
        vocab_size=len(vocab),
        hidden_size=hidden,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=37,
        max_position_embeddings=128,
        hidden_dropout_prob=dropout,
        attention_probs_dropout_prob=dropout,
    )
    BertModel(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


@pytest.fixture(scope="session")
def tiny_bert(tmp_path_factory) -> Path:
    """Path to a tiny random BERT (plain Transformers checkpoint, no sentence-transformers files)."""
    return write_tiny_bert(tmp_path_factory.mktemp("tiny-bert"))


EFAQ_ROWS = [
    {
        "sentence": "como pedir o cartao da empresa",
        "similar": ["pedir cartao empresa", "como pedir cartao"],
        "almost_similar": ["quando e emitido o cartao"],
        "dissimilar": ["qual prazo de entrega"],
    },
    {
        "sentence": "quando e emitido o cartao",
        "similar": ["cartao emitido quando", "qual prazo cartao emitido"],
        "almost_similar": ["como pedir o cartao da empresa"],
        "dissimilar": ["como devolver produto"],
    },
    {
        "sentence": "qual prazo de entrega",
        "similar": ["prazo entrega", "quando entrega pedido"],
        "almost_similar": ["rastrear encomenda"],
        "dissimilar": ["cupom desconto loja"],
    },
    {
        "sentence": "como devolver produto",
        "similar": ["devolver produto troca", "troca garantia produto"],
        "almost_similar": ["cancelar pedido"],
        "dissimilar": ["pagamento boleto pix"],
    },
    {
        "sentence": "rastrear encomenda",
        "similar": ["rastrear pedido", "onde esta minha encomenda"],
        "almost_similar": ["qual prazo de entrega"],
        "dissimilar": ["nota fiscal"],
    },
    {
        "sentence": "cancelar pedido",
        "similar": ["como cancelar pedido", "cancelar meu pedido"],
        "almost_similar": ["como devolver produto"],
        "dissimilar": ["frete gratis"],
    },
    {
        "sentence": "pagamento boleto pix",
        "similar": ["pagar com pix", "pagamento com boleto"],
        "almost_similar": ["cupom desconto loja"],
        "dissimilar": ["rastrear encomenda"],
    },
    {
        "sentence": "cupom desconto loja",
        "similar": ["usar cupom", "desconto na loja"],
        "almost_similar": ["pagamento boleto pix"],
        "dissimilar": ["cancelar pedido"],
    },
]


def write_jsonl(path: Path, rows) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


@pytest.fixture
def efaq_dir(tmp_path) -> Path:
    """A tiny e-faq dataset folder in Hub layout (train/validation/test.jsonl)."""
    folder = tmp_path / "efaq"
    for split in ("train", "validation", "test"):
        write_jsonl(folder / f"{split}.jsonl", EFAQ_ROWS)
    return folder


def base_config(model: str | Path, data: str | Path, out: str | Path, **extra) -> dict:
    """The spec's config shape at test size."""
    config = {
        "run_name": "test-run",
        "base_model": {"name": str(model)},
        "output_dir": str(out),
        "objectives": [
            {
                "type": "contrastive",
                "datasets": {
                    "train": {
                        "name": str(data),
                        "args": {"split": "train"},
                        "preprocess_args": {"negative_samples": 1},
                    },
                    "validation": {
                        "name": str(data),
                        "args": {"split": "validation"},
                        "preprocess_args": {"negative_samples": 1},
                    },
                },
                "matryoshka": {"matryoshka_dims": [16, 32]},
            },
            {
                "type": "similarity",
                "datasets": {"train": {"name": str(data), "args": {"split": "train"}}},
                "matryoshka": {"matryoshka_dims": [16, 32]},
            },
        ],
        "args": {
            "max_steps": 4,
            "per_device_train_batch_size": 4,
            "per_device_eval_batch_size": 16,
            "batch_sampler": "no_duplicates",
            "learning_rate": 1e-3,
            "eval_strategy": "steps",
            "eval_steps": 2,
            "save_strategy": "steps",
            "save_steps": 2,
            "save_total_limit": 1,
            "metric_for_best_model": "cosine_map@1",
            "load_best_model_at_end": True,
            "logging_steps": 1,
            "logging_first_step": True,
            "report_to": "none",
            "dataloader_num_workers": 0,
        },
        "evaluator": {
            "dataset": {
                "name": str(data),
                "args": {"split": "validation"},
                "preprocess_args": {"negative_samples": 1},
            },
            "args": {
                "mrr_at_k": [10],
                "ndcg_at_k": [10],
                "accuracy_at_k": [1, 10],
                "precision_recall_at_k": [1, 10],
                "map_at_k": [1, 10],
            },
        },
        "early_stopping": {"patience": 5, "threshold": 0.001},
    }
    config.update(extra)
    return config
