"""`merge_columns: sorted`: each distinct text of a step once, in length-sorted chunks; the same loss and gradients."""

from __future__ import annotations

import pytest
import torch
from test_losses_objective import CONTRASTIVE, batch_of, spec

from embedding.config.execution import ExecutionSpec
from embedding.forward.columns import describe, embed_grouped, resolved
from embedding.forward.execution import decide
from embedding.forward.sorted_step import SortedStep, bucket_width, buckets_for, chunk_rows_for, embed_sorted
from embedding.losses.build import build_objective_loss

TRIPLETS = {  # anchor, positive, 3 negatives; "cancel order" and "store open time" appear in several columns
    "anchor": ["how do i pay", "where is my order", "cancel my order", "reset my password", "cancel order"],
    "positive": ["pay with card", "track my package", "cancel order", "change password", "store open time"],
    "negative_1": ["refund my order", "store open time", "change address", "delivery price", "pay with card"],
    "negative_2": ["store open time", "cancel order", "track my package when is it", "how", "where is my order"],
    "negative_3": ["change my delivery address for the order", "price", "open", "card", "cancel order"],
}


def columns(ids_per_column: list[list[list[int]]]) -> list[dict[str, torch.Tensor]]:
    """Right-padded token batches from explicit token rows (0 = padding)."""
    out = []
    for rows in ids_per_column:
        width = max(len(r) for r in rows)
        ids = torch.tensor([r + [0] * (width - len(r)) for r in rows])
        mask = torch.tensor([[1] * len(r) + [0] * (width - len(r)) for r in rows])
        out.append({"input_ids": ids, "attention_mask": mask, "token_type_ids": torch.zeros_like(ids)})
    return out


def test_each_distinct_text_is_embedded_once_in_sorted_chunks_and_scattered_back():
    # Given two columns with a duplicate inside a column and one across columns, padded to different widths
    features = columns([[[5, 6, 7], [8, 9], [5, 6, 7]], [[8, 9], [4, 4, 4, 4, 4], [3]]])
    lengths = [f["attention_mask"].sum(1) for f in features]
    # When
    step = SortedStep(features, lengths)
    chunks = step.chunks(chunk_rows=2)
    # Then: 4 distinct texts, shortest first, each chunk at its own widest text
    texts = [
        tuple(r[m.bool()].tolist()) for c in chunks for r, m in zip(c["input_ids"], c["attention_mask"], strict=True)
    ]
    assert texts == [(3,), (8, 9), (5, 6, 7), (4, 4, 4, 4, 4)]
    assert [c["input_ids"].shape for c in chunks] == [torch.Size([2, 2]), torch.Size([2, 5])]
    # and every row finds its own text back at its place
    for column, where in zip(features, step.where, strict=True):
        for row, place in enumerate(where.tolist()):
            real = column["input_ids"][row][column["attention_mask"][row].bool()]
            assert tuple(real.tolist()) == texts[place]


def test_bucket_widths_pad_chunks_up_to_fixed_shapes():
    assert bucket_width(3, (16, 32)) == 16 and bucket_width(17, (16, 32)) == 32 and bucket_width(40, (16, 32)) == 40
    features = columns([[[5] * 3, [6] * 20], [[7] * 9, [8] * 40]])
    step = SortedStep(features, [f["attention_mask"].sum(1) for f in features])
    assert [c["input_ids"].shape[1] for c in step.chunks(1, (16, 32))] == [16, 16, 32, 40]
    assert buckets_for("cpu") == () and buckets_for("cuda") and buckets_for("cpu", [32, 16]) == (16, 32)
    assert chunk_rows_for("cpu") == 16 and chunk_rows_for("cuda", 7) == 7


def test_bucketed_embeddings_equal_the_padded_ones(student):
    student.eval()
    features, _ = batch_of(student, TRIPLETS)
    plain = embed_sorted(student, features, 4)
    bucketed = embed_sorted(student, features, 4, (16, 24, 32))
    for a, b in zip(plain, bucketed, strict=True):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize(
    "rows, fields",
    [
        ({k: CONTRASTIVE[k] for k in ("anchor", "positive")}, {}),  # pairs
        (TRIPLETS, {}),  # 3 negatives, duplicates inside the batch
        (TRIPLETS, {"matryoshka": {"matryoshka_dims": [32, 16, 8]}}),
        (TRIPLETS, {"margin": 0.1, "variation_penalty": {"alpha": 0.3, "loss_args": {"eps": 0.01}}}),
    ],
)
@pytest.mark.parametrize(
    "execution",
    [{"chunk_rows": 1, "packed": False}, {"chunk_rows": 3, "packed": False}, {"chunk_rows": 64, "packed": False}]
    + [{"packed": True}],  # one unpadded sequence of tokens (forward/packed.py)
)
def test_loss_and_gradients_equal_the_per_column_forward(student, rows, fields, execution):
    # Given the tiny student without dropout
    student.eval()
    features, labels = batch_of(student, rows)
    results = []
    for policy in ("never", "sorted"):
        student.zero_grad(set_to_none=True)
        run = decide(ExecutionSpec(merge_columns=policy, **(execution if policy == "sorted" else {})), student)
        loss = build_objective_loss(student, spec(**fields), num_train_rows=101, execution=run)
        out = loss([dict(f) for f in features], labels)
        torch.stack(list(out.values())).sum().backward()
        grads = {n: p.grad.clone() for n, p in student.named_parameters() if p.grad is not None}
        results.append(({k: v.item() for k, v in out.items()}, grads))
    (plain, plain_grads), (ours, our_grads) = results
    # Then
    assert ours == pytest.approx(plain, rel=1e-5, abs=1e-6)
    assert our_grads.keys() == plain_grads.keys() and plain_grads
    for name in plain_grads:
        torch.testing.assert_close(our_grads[name], plain_grads[name], rtol=1e-5, atol=1e-5)


def test_duplicates_cost_one_encoder_row_each(student):
    student.eval()
    features, _ = batch_of(student, TRIPLETS)
    rows = []
    student.register_forward_pre_hook(lambda module, args: rows.append(args[0]["input_ids"].shape[0]))
    # auto on CPU: sorted (in padded chunks here; packed execution is tested in test_packed_forward.py)
    embeddings = embed_grouped(student, features, "auto", chunk_rows=4, packed=False)
    distinct = {text for column in TRIPLETS.values() for text in column}
    assert sum(rows) == len(distinct) < sum(len(c) for c in TRIPLETS.values())
    assert max(rows) <= 4
    assert [e.shape[0] for e in embeddings] == [5] * 5


def test_what_sorted_cannot_take_goes_through_the_grouping(student):
    # Given a prompt (pooling reads prompt_length) and a left-padded batch
    features = columns([[[5, 6, 7], [8, 9]], [[4], [3, 3]]])
    with_prompt = [{**f, "prompt_length": 2} for f in features]
    left = [dict(f) for f in features]
    left[0]["attention_mask"] = left[0]["attention_mask"].flip(1)
    assert embed_sorted(student, with_prompt, 4) is None
    assert embed_sorted(student, left, 4) is None
    # The sorted policy then embeds per column (CPU grouping: equal widths only), the same embeddings
    student.eval()
    real, _ = batch_of(student, CONTRASTIVE)
    real = [{**f, "prompt_length": torch.tensor([1])} for f in real]
    rows = []
    student.register_forward_pre_hook(lambda module, args: rows.append(args[0]["input_ids"].shape[0]))
    embed_grouped(student, real, "sorted")
    assert sum(rows) == 12  # no deduplication: every row of every column went through the encoder


def test_auto_is_sorted_on_cpu_only_and_the_banner_says_so():
    assert resolved("auto", "cpu") == "sorted" and resolved("auto", "cuda") == "auto"
    assert resolved("never", "cpu") == "never"
    assert "length-sorted chunks of 16" in describe("auto", "cpu")
    assert "50%" in describe("auto", "cuda")


def test_features_a_forward_already_wrote_into_still_take_the_sorted_path(student):
    # Given a batch an earlier pass (a guide model, another policy) ran through a model: it added output keys
    student.eval()
    features, _ = batch_of(student, TRIPLETS)
    expected = [student(dict(f))["sentence_embedding"] for f in features]
    for f in features:
        student(f)
    # Then the sorted path still takes it, with the same embeddings
    embeddings = embed_sorted(student, features, 4)
    assert embeddings is not None
    for ours, theirs in zip(embeddings, expected, strict=True):
        torch.testing.assert_close(ours, theirs, rtol=1e-5, atol=1e-5)
