"""LoRA adapters on the tiny model, without training: what trains, the merge, the saves, and the load-time errors."""

from __future__ import annotations

import sys

import pytest
import torch

from embedding.config.adapter import BaseModelSpec
from embedding.errors import UserError
from embedding.models import load_model

TEXTS = ["como pedir o cartao da empresa", "qual prazo de entrega", "cancelar pedido", "frete gratis"]


def lora_model(tiny_bert, **adapter):
    model, _ = load_model(BaseModelSpec(name=str(tiny_bert), adapter={"r": 4, "dropout": 0.0, **adapter}))
    with torch.no_grad():  # B starts at zero (the adapter is a no-op); give it a delta to merge and to save
        for name, parameter in model.named_parameters():
            if "lora_B" in name:
                parameter.normal_(std=0.5)
    return model.eval()


def encode(model):
    return model.encode(TEXTS, convert_to_tensor=True)


def test_only_the_adapter_trains_and_the_row_says_how_much(tiny_bert):
    from embedding.models.adapter import parameter_counts, trainable_row

    model = lora_model(tiny_bert)
    trainable = {name for name, p in model.named_parameters() if p.requires_grad}
    assert trainable and all(".lora_A." in name or ".lora_B." in name for name in trainable)
    assert {name.split(".")[-4] for name in trainable} == {"query", "value"}  # peft's default for BERT
    count, total = parameter_counts(model)
    assert count == sum(p.numel() for n, p in model.named_parameters() if n in trainable) and count < 0.05 * total
    key, text = trainable_row(model)
    assert key == "trainable" and text.startswith(f"{count:,} of {total:,} parameters (")
    assert "LoRA r=4 alpha=16 on query, value" in text


def test_merged_model_is_base_plus_delta_and_loads_without_peft(tiny_bert, tmp_path):
    from sentence_transformers import SentenceTransformer

    from embedding.models.adapter import merged_copy

    model = lora_model(tiny_bert, target_modules=["query", "key", "dense"])
    base, _ = load_model(BaseModelSpec(name=str(tiny_bert)))
    assert (encode(model) - encode(base.eval())).abs().max() > 1e-3  # the delta is not a no-op
    merged = merged_copy(model)
    assert not any("lora" in name for name, _ in merged.named_parameters())
    assert (encode(merged) - encode(model)).abs().max() < 1e-5
    merged.save(str(tmp_path / "merged"))
    assert not list((tmp_path / "merged").glob("*adapter*"))
    plain = SentenceTransformer(str(tmp_path / "merged"))
    assert type(plain[0]).__module__.startswith("sentence_transformers")
    assert (encode(plain) - encode(model)).abs().max() < 1e-5
    assert any(".lora_B." in name for name, _ in model.named_parameters())  # the copy merged, not the model


def test_checkpoint_save_loads_back_with_the_adapter(tiny_bert, tmp_path):
    from sentence_transformers import SentenceTransformer

    from embedding.models.adapter import LoraTransformer

    model = lora_model(tiny_bert)
    model.save(str(tmp_path / "checkpoint"))
    loaded = SentenceTransformer(str(tmp_path / "checkpoint"), trust_remote_code=True).eval()
    assert isinstance(loaded[0], LoraTransformer)
    a, b = model.state_dict(), loaded.state_dict()
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    assert (encode(loaded) - encode(model)).abs().max() == 0


def test_adapter_folder_goes_on_the_base_with_peft(tiny_bert, tmp_path):
    from peft import PeftModel

    from embedding.models.adapter import save_adapter

    model = lora_model(tiny_bert)
    save_adapter(model, tmp_path / "adapter")
    assert sorted(p.name for p in (tmp_path / "adapter").iterdir()) == [
        "adapter_config.json",
        "adapter_model.safetensors",
    ]
    base, _ = load_model(BaseModelSpec(name=str(tiny_bert)))
    base[0].model = PeftModel.from_pretrained(base[0].model, str(tmp_path / "adapter"))
    assert (encode(base.eval()) - encode(model)).abs().max() < 1e-6


def test_target_modules_matching_nothing_names_the_layers_there_are(tiny_bert):
    with pytest.raises(UserError) as info:
        lora_model(tiny_bert, target_modules=["q_proj"])
    message = str(info.value)
    assert message.startswith("base_model.adapter.target_modules: q_proj matches no layer")
    assert "its linear layers are named: dense, key, query, value" in message


def test_a_model_without_a_transformer_encoder_is_refused(tiny_bert):
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import StaticEmbedding
    from tokenizers import Tokenizer

    from embedding.config.adapter import AdapterSpec
    from embedding.models.adapter import add_lora

    tokenizer = Tokenizer.from_file(str(tiny_bert / "tokenizer.json"))
    static = SentenceTransformer(modules=[StaticEmbedding(tokenizer, embedding_dim=8)])
    with pytest.raises(UserError, match=r"base_model.adapter: `static` \(StaticEmbedding\) has no torch Transformer"):
        add_lora(static, AdapterSpec(), "static")


def test_without_peft_the_message_says_what_to_install(tiny_bert, monkeypatch):
    monkeypatch.setitem(sys.modules, "peft", None)  # `import peft` raises ImportError
    with pytest.raises(UserError, match=r"base_model.adapter: the peft package is not installed; run pip install "):
        lora_model(tiny_bert)


def test_validate_names_the_missing_peft(monkeypatch):
    import embedding.validation.machine as rules

    assert rules.package_problems({"base_model": {"name": "m", "adapter": {"r": 4}}}) == []
    assert rules.package_problems({"base_model": {"name": "m"}}) == []
    monkeypatch.setattr(rules, "_installed", lambda name: False)
    (problem,) = rules.package_problems({"base_model": {"name": "m", "adapter": {"r": 4}}})
    assert problem.where == "base_model.adapter" and "pip install 'embedding[adapter]'" in problem.message


def test_validate_reports_the_missing_peft_with_the_other_problems(tiny_bert, tmp_path, monkeypatch):
    import embedding.validation.machine as rules
    from embedding.errors import ConfigError
    from embedding.validation import validate_mapping
    from tests.conftest import base_config

    cfg = base_config(tiny_bert, tmp_path / "data", tmp_path / "out")
    cfg["base_model"]["adapter"] = {"r": 0}
    monkeypatch.setattr(rules, "_installed", lambda name: False)
    with pytest.raises(ConfigError) as info:
        validate_mapping(cfg)
    message = str(info.value)
    assert "base_model.adapter.r: expected an integer >= 1, got 0" in message
    assert "base_model.adapter: needs the peft package, which is not installed: run pip install" in message
