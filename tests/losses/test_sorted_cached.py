"""`cached-ranking` on the `sorted` path: GradCache embeds each distinct text once, length-sorted; same loss/grads."""

from __future__ import annotations

import pytest
import torch
from test_losses_objective import CONTRASTIVE, batch_of, spec
from test_sorted_forward import TRIPLETS

from embedding.config.execution import ExecutionSpec
from embedding.forward.execution import decide
from embedding.losses.build import build_objective_loss


def run(student, rows, policy, fields, mini_batch_size, packed=False):
    student.zero_grad(set_to_none=True)
    features, labels = batch_of(student, rows)
    objective = spec(loss="cached-ranking", loss_args={"mini_batch_size": mini_batch_size}, **fields)
    # padded: the model calls below are counted; packed ones call no model
    execution = decide(ExecutionSpec(merge_columns=policy, packed=packed and policy == "sorted"), student)
    loss = build_objective_loss(student, objective, num_train_rows=101, execution=execution)
    encoded = []
    hook = student.register_forward_pre_hook(lambda module, args: encoded.append(args[0]["input_ids"].shape))
    out = loss([dict(f) for f in features], labels)
    torch.stack(list(out.values())).sum().backward()
    hook.remove()
    grads = {n: p.grad.clone() for n, p in student.named_parameters() if p.grad is not None}
    return {k: v.item() for k, v in out.items()}, grads, encoded


@pytest.mark.parametrize(
    "rows, fields",
    [
        ({k: CONTRASTIVE[k] for k in ("anchor", "positive")}, {}),
        (TRIPLETS, {}),  # 3 negatives, duplicate texts across columns
        (TRIPLETS, {"matryoshka": {"matryoshka_dims": [32, 16, 8]}, "margin": 0.1}),
    ],
)
@pytest.mark.parametrize("mini_batch_size", [2, 64])
@pytest.mark.parametrize("packed", [False, True])
def test_sorted_gradcache_equals_the_per_column_gradcache(student, rows, fields, mini_batch_size, packed):
    student.eval()  # no dropout: both paths must give the same numbers
    plain, plain_grads, _ = run(student, rows, "never", fields, mini_batch_size)
    ours, our_grads, _ = run(student, rows, "sorted", fields, mini_batch_size, packed=packed)
    assert ours == pytest.approx(plain, rel=1e-5, abs=1e-6)
    assert our_grads.keys() == plain_grads.keys() and plain_grads
    for name in plain_grads:
        torch.testing.assert_close(our_grads[name], plain_grads[name], rtol=1e-5, atol=1e-5)


def test_each_distinct_text_is_embedded_once_per_pass_shortest_first(student):
    student.eval()
    _, _, encoded = run(student, TRIPLETS, "sorted", {}, 4)
    distinct = {text for column in TRIPLETS.values() for text in column}
    passes = len(encoded) // 2  # step 1 without gradients, step 3 replays the same mini-batches with them
    first, replay = encoded[:passes], encoded[passes:]
    assert first == replay
    assert sum(shape[0] for shape in first) == len(distinct) < sum(len(c) for c in TRIPLETS.values())
    assert max(shape[0] for shape in first) <= 4
    widths = [shape[1] for shape in first]
    assert widths == sorted(widths)  # each mini-batch trimmed to its own widest text


def test_packed_gradcache_embeds_each_mini_batch_as_unpadded_tokens_in_both_passes(student):
    student.eval()
    features, _ = batch_of(student, TRIPLETS)
    texts = {
        tuple(row[mask.bool()].tolist())
        for f in features
        for row, mask in zip(f["input_ids"], f["attention_mask"], strict=True)
    }
    shapes = []
    query = student[0].model.encoder.layer[0].attention.self.query
    query.register_forward_pre_hook(lambda module, args: shapes.append(tuple(args[0].shape)))
    run(student, TRIPLETS, "sorted", {}, 4, packed=True)
    # every distinct text once per pass (step 1 without gradients, step 3 replaying it), 4 per mini-batch, no padding
    distinct = sorted(len(text) for text in texts)
    expected = [(sum(distinct[i : i + 4]), 32) for i in range(0, len(distinct), 4)]
    assert shapes == expected + expected


@pytest.mark.parametrize(
    "mini_batch_size, execution",
    [
        # padded: GradCache's mini-batches are the very model calls of the uncached sorted path's chunks of 3
        (3, {"chunk_rows": 3, "packed": False}),
        # packed: one mini-batch holding every distinct text is the very packed forward the uncached loss makes
        (64, {"packed": True}),
    ],
)
def test_with_dropout_gradcache_replays_the_masks_of_its_first_pass(student, mini_batch_size, execution):
    # With the same seed the dropout masks are the same only if GradCache's second pass replays the RNG state of its
    # first pass: then the cached loss and gradients equal the uncached ones.
    student.train()
    results = []
    for loss_name in ("ranking", "cached-ranking"):
        torch.manual_seed(7)
        student.zero_grad(set_to_none=True)
        features, labels = batch_of(student, TRIPLETS)
        args = {"mini_batch_size": mini_batch_size} if loss_name == "cached-ranking" else {}
        run = decide(ExecutionSpec(merge_columns="sorted", **execution), student)
        loss = build_objective_loss(student, spec(loss=loss_name, loss_args=args), execution=run)
        out = loss([dict(f) for f in features], labels)
        torch.stack(list(out.values())).sum().backward()
        grads = {n: p.grad.clone() for n, p in student.named_parameters() if p.grad is not None}
        results.append((sum(v.item() for v in out.values()), grads))
    (plain, plain_grads), (cached, cached_grads) = results
    assert cached == pytest.approx(plain, rel=1e-5)
    assert cached_grads.keys() == plain_grads.keys() and plain_grads
    for name in plain_grads:
        torch.testing.assert_close(cached_grads[name], plain_grads[name], rtol=1e-4, atol=1e-5)
