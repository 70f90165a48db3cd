"""`execution.packed`: a sorted step runs as one unpadded sequence of tokens; the same embeddings and gradients."""

from __future__ import annotations

import pytest
import torch
from test_sorted_forward import TRIPLETS, batch_of

from embedding.forward.columns import describe, embed_grouped
from embedding.forward.packed import _runs, packed_encoder, packed_for
from embedding.forward.sorted_step import embed_sorted, plan_sorted


def query_rows(model) -> list[tuple[int, ...]]:
    """The input shapes every first-layer query projection receives (padded: [rows, width, h]; packed: [T, h])."""
    shapes: list[tuple[int, ...]] = []
    layer = model[0].model.encoder.layer[0].attention.self.query
    layer.register_forward_pre_hook(lambda module, args: shapes.append(tuple(args[0].shape)))
    return shapes


def gradients(model, embeddings) -> dict[str, torch.Tensor]:
    # a loss that mixes rows and columns, so a misplaced row changes the gradient
    loss = sum((e * e.roll(1, 0)).sum() + e[:, 0].sum() * i for i, e in enumerate(embeddings))
    named = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    grads = torch.autograd.grad(loss, [p for _, p in named], allow_unused=True)
    return {n: g for (n, _), g in zip(named, grads, strict=True) if g is not None}


def assert_same(a: list[torch.Tensor], b: list[torch.Tensor], tol: float = 1e-5) -> None:
    assert len(a) == len(b)
    for x, y in zip(a, b, strict=True):
        torch.testing.assert_close(x, y, rtol=tol, atol=tol)


def test_runs_of_equal_lengths_in_packed_order():
    assert _runs([2, 2, 3, 5, 5, 5]) == [(0, 2, 2), (4, 1, 3), (7, 3, 5)]
    assert _runs([4]) == [(0, 1, 4)]


def test_no_padded_token_reaches_the_encoder_and_embeddings_and_gradients_equal_the_padded_path(student):
    # Given the tiny student without dropout, a step with duplicates and texts of many lengths
    student.eval()
    features, _ = batch_of(student, TRIPLETS)
    step = plan_sorted(features)
    shapes = query_rows(student)
    # When the step runs padded (chunks of 4) and packed
    padded = embed_sorted(student, features, 4, packed=False)
    padded_grads = gradients(student, padded)
    padded_shapes, shapes[:] = list(shapes), []
    packed = embed_sorted(student, features, 4, packed=True)
    # Then the packed run made one call on exactly the real tokens of the distinct texts; the chunks had padding
    assert shapes == [(sum(step.lengths), 32)]
    assert sum(s[0] * s[1] for s in padded_shapes) > sum(step.lengths)
    # and the embeddings and every parameter's gradient are the same
    assert_same(packed, padded)
    packed_grads = gradients(student, packed)
    assert packed_grads.keys() == padded_grads.keys() and len(packed_grads) > 10
    for name, grad in padded_grads.items():
        torch.testing.assert_close(packed_grads[name], grad, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("mode", ["cls", "max", ("mean", "max")])
def test_other_poolings_normalize_and_dense_follow_the_packed_encoder(student, mode):
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Dense, Normalize, Pooling

    transformer = student[0]
    pooling = Pooling(32, mode)
    dense = Dense(pooling.get_embedding_dimension(), 8, activation_function=torch.nn.Tanh())
    model = SentenceTransformer(modules=[transformer, pooling, dense, Normalize()], device="cpu").eval()
    features, _ = batch_of(model, TRIPLETS)
    assert packed_encoder(model) is not None
    assert_same(embed_sorted(model, features, 3, packed=True), embed_sorted(model, features, 3, packed=False))


def test_eager_attention_and_gradient_checkpointing_give_the_same_result(student):
    student.eval()
    features, _ = batch_of(student, TRIPLETS)
    expected = embed_sorted(student, features, 4, packed=False)
    expected_grads = gradients(student, expected)
    student[0].model.config._attn_implementation = "eager"
    assert packed_encoder(student) is not None
    assert_same(embed_sorted(student, features, 4, packed=True), expected)
    student[0].model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
    student[0].model.train()  # checkpointing only acts in training; dropout off so results stay comparable
    for module in student.modules():
        if isinstance(module, torch.nn.Dropout):
            module.p = 0.0
    checkpointed = embed_sorted(student, features, 4, packed=True)
    assert_same(checkpointed, expected)
    for name, grad in gradients(student, checkpointed).items():
        torch.testing.assert_close(grad, expected_grads[name], rtol=1e-5, atol=1e-6)


def test_bf16_autocast_packed_stays_close_to_padded(student):
    student.eval()
    features, _ = batch_of(student, TRIPLETS)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        packed = embed_sorted(student, features, 4, packed=True)
        padded = embed_sorted(student, features, 4, packed=False)
    assert_same(packed, padded, tol=1e-4)


def test_dropout_still_applies_in_training(student):
    student.train()
    features, _ = batch_of(student, TRIPLETS)
    torch.manual_seed(0)
    first = embed_sorted(student, features, 4, packed=True)
    torch.manual_seed(1)
    second = embed_sorted(student, features, 4, packed=True)
    assert not torch.allclose(first[0], second[0])


def test_models_the_packed_layers_do_not_cover_run_padded(student):
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import LayerNorm, Pooling

    # a module after pooling that is not Pooling / Normalize / Dense
    with_norm = SentenceTransformer(modules=[student[0], Pooling(32, "mean"), LayerNorm(32)], device="cpu")
    assert packed_encoder(with_norm) is None
    # a wrapper (DDP-like): gradient sync hooks into the wrapper's forward
    assert packed_encoder(torch.nn.Sequential(student)) is None
    # an attention implementation written elsewhere
    student[0].model.config._attn_implementation = "flex_attention"
    assert packed_encoder(student) is None
    student[0].model.config._attn_implementation = "sdpa"
    assert packed_encoder(student) is not None
    # and such models still train: the padded chunks
    features, _ = batch_of(with_norm, TRIPLETS)
    shapes = query_rows(with_norm)
    assert embed_sorted(with_norm, features, 4, packed=True) is not None
    assert all(len(s) == 3 for s in shapes)


def test_packed_is_auto_on_cpu_only_and_configurable(student):
    assert packed_for("cpu") and not packed_for("cuda")
    assert packed_for("cuda", True) and not packed_for("cpu", False)
    assert "packed" in describe("auto", "cpu") and "packed" not in describe("auto", "cpu", packed=False)
    assert "other models in length-sorted chunks" in describe("auto", "cpu")  # the model not known yet
    assert "other models" not in describe("auto", "cpu", packed=True)  # known to pack
    assert "packed" not in describe("auto", "cuda")
    student.eval()
    features, _ = batch_of(student, TRIPLETS)
    shapes = query_rows(student)
    embed_grouped(student, features, "auto", packed="auto")
    assert len(shapes) == 1 and len(shapes[0]) == 2
    shapes.clear()
    embed_grouped(student, features, "auto", packed=False)
    assert len(shapes) > 1 and all(len(s) == 3 for s in shapes)


@pytest.mark.parametrize("kind", ["roberta", "xlm-roberta"])
def test_roberta_family_counts_positions_from_after_the_padding_index(tmp_path, student_dir, kind):
    # Given a tiny random RoBERTa / XLM-R (fairseq positions: padding_idx + 1 onwards) with the student's tokenizer
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.base.modules import Transformer
    from sentence_transformers.sentence_transformer.modules import Pooling
    from transformers import AutoConfig, AutoModel, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(student_dir)
    config = AutoConfig.for_model(
        kind,
        vocab_size=tokenizer.vocab_size,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=37,
        max_position_embeddings=66,
        pad_token_id=tokenizer.pad_token_id,
        type_vocab_size=1,
    )
    torch.manual_seed(0)
    AutoModel.from_config(config).save_pretrained(tmp_path)
    tokenizer.save_pretrained(tmp_path)
    transformer = Transformer(str(tmp_path), max_seq_length=32)
    model = SentenceTransformer(modules=[transformer, Pooling(32, "mean")], device="cpu").eval()
    assert packed_encoder(model) is not None
    features, _ = batch_of(model, TRIPLETS)
    features = [{k: v for k, v in f.items() if k != "token_type_ids"} for f in features]
    # Then packed equals padded: with BERT's positions (from 0) it would not
    assert_same(embed_sorted(model, features, 4, packed=True), embed_sorted(model, features, 4, packed=False))


# torch's CPU fallback for jagged SDPA goes through its older nested layout, which warns; CUDA kernels do not
@pytest.mark.filterwarnings("ignore:The PyTorch API of nested tensors is in prototype stage")
def test_nested_attention_one_varlen_call_equals_the_runs(student):
    # The accelerator path (torch's jagged layout: one SDPA call per layer), checked on CPU against the runs
    from embedding.forward.packed import attention_for, embed_packed

    assert attention_for("cpu") == "runs" and attention_for("cuda") == "nested"
    student.eval()
    features, _ = batch_of(student, TRIPLETS)
    step = plan_sorted(features)
    encoder = packed_encoder(student)
    runs = embed_packed(student, encoder, step.sorted_rows(), step.lengths, attention="runs")
    runs_grads = gradients(student, [runs])
    nested = embed_packed(student, encoder, step.sorted_rows(), step.lengths, attention="nested")
    torch.testing.assert_close(nested, runs, rtol=1e-5, atol=1e-5)
    for name, grad in gradients(student, [nested]).items():
        torch.testing.assert_close(grad, runs_grads[name], rtol=1e-4, atol=1e-6)


def test_a_nested_kernel_error_falls_back_to_runs_once_with_a_warning(student, monkeypatch, caplog):
    import embedding.forward.packed as packed_forward

    def no_kernel(*args, **kwargs):
        raise RuntimeError("No available kernel. Aborting execution.")

    monkeypatch.setattr(packed_forward, "_attend_nested", no_kernel)
    monkeypatch.setattr(packed_forward, "_nested_failed", [])
    student.eval()
    features, _ = batch_of(student, TRIPLETS)
    step = plan_sorted(features)
    expected = packed_forward.embed_packed(
        student, packed_encoder(student), step.sorted_rows(), step.lengths, attention="runs"
    )
    with caplog.at_level("WARNING", logger="embedding.forward.packed"):
        for _ in range(2):
            out = packed_forward.embed_packed(
                student, packed_encoder(student), step.sorted_rows(), step.lengths, attention="nested"
            )
            torch.testing.assert_close(out, expected)
    warnings = [r for r in caplog.records if "jagged SDPA failed" in r.getMessage()]
    assert len(warnings) == 1 and "No available kernel" in warnings[0].getMessage()


def test_the_banner_says_packed_only_when_this_run_packs(student):
    from types import SimpleNamespace

    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import LayerNorm, Pooling

    from embedding.config.execution import ExecutionSpec
    from embedding.forward.execution import decide
    from embedding.training.display.banner import _column_forwards

    def line(model, world_size=1, packed="auto"):
        execution = decide(ExecutionSpec(packed=packed), model, device_type="cpu", processes=world_size)
        return _column_forwards(SimpleNamespace(execution=execution))

    assert "packed without padding" in line(student)
    assert "packed" not in line(student, packed=False)
    assert "packed" not in line(student, world_size=2)  # DDP wraps the model: padded chunks
    with_norm = SentenceTransformer(modules=[student[0], Pooling(32, "mean"), LayerNorm(32)], device="cpu")
    assert "packed" not in line(with_norm) and "length-sorted chunks of 16" in line(with_norm)


def test_lora_adapters_injected_in_place_run_packed_with_the_same_gradients(tiny_bert):
    # this project's LoRA (peft injected into the encoder's own Linear modules: the encoder class is unchanged)
    from embedding.config.adapter import BaseModelSpec
    from embedding.models import load_model

    model, _ = load_model(BaseModelSpec(name=str(tiny_bert), adapter={"r": 4, "dropout": 0.0}))
    with torch.no_grad():
        for name, parameter in model.named_parameters():
            if "lora_B" in name:
                parameter.normal_(std=0.5)  # B starts at zero: give the adapter an effect
    model.eval()
    assert packed_encoder(model) is not None
    features, _ = batch_of(model, TRIPLETS)
    shapes = query_rows(model)
    padded = embed_sorted(model, features, 4, packed=False)
    padded_grads = gradients(model, padded)
    shapes.clear()
    packed = embed_sorted(model, features, 4, packed=True)
    assert len(shapes) == 1 and len(shapes[0]) == 2  # the LoRA-wrapped query saw the packed tokens
    assert_same(packed, padded)
    packed_grads = gradients(model, packed)
    assert packed_grads and all("lora_" in name for name in packed_grads)
    for name, grad in padded_grads.items():
        torch.testing.assert_close(packed_grads[name], grad, rtol=1e-5, atol=1e-6)
