"""The guided false-negative mask of the ranking losses (GISTEmbed's rule; issue 16): exactly the candidates above
the threshold leave the softmax, the guide is frozen and never a second student forward."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from loss_reference import cos, lse

from embedding.forward.execution import decide
from embedding.losses import AugmentedRankingLoss, RankingLoss
from tests.losses.objective_problems import objective_loss_problems

SQ3 = math.sqrt(3) / 2
# Guide vectors: a0 · [p0, p1, n0, n1] = [0.5, 0.6, 0.8, 1.0]; a1 · [...] = [0.866, 0.8, 0.6, 0.0]
GUIDE = [
    np.array([[1.0, 0.0], [0.0, 1.0]]),  # anchors
    np.array([[0.5, SQ3], [0.6, 0.8]]),  # positives
    np.array([[0.8, 0.6], [1.0, 0.0]]),  # negatives
]


def _t(cols, grad=False):
    return [torch.tensor(c, dtype=torch.float64, requires_grad=grad) for c in cols]


@pytest.mark.parametrize(
    "margin, forward, backward",
    [
        # a0: threshold 0.5 -> p1 (0.6), n0 (0.8), n1 (1.0); a1: threshold 0.8 -> p0 (0.866); 0.8 itself stays.
        # backward, p_i against [a0, a1]: p0 · = [0.5, 0.866] (own 0.5 -> a1 masked); p1 · = [0.6, 0.8] (none).
        (0.0, [[0, 1, 1, 1], [1, 0, 0, 0]], [[0, 1], [0, 0]]),
        # margin 0.25: a1's threshold 0.55 also takes n0 (0.6); p1's threshold 0.55 takes a0 (0.6).
        (0.25, [[0, 1, 1, 1], [1, 0, 1, 0]], [[0, 1], [1, 0]]),
    ],
)
def test_mask_removes_exactly_the_candidates_above_the_threshold(echo, margin, forward, backward):
    loss = RankingLoss(echo, guide="base", guide_margin=margin)
    a, p, n = _t(GUIDE)
    own = torch.arange(2)
    assert loss.guide.mask(a, torch.cat([p, n]), own).int().tolist() == forward
    assert loss.guide.mask(p, a, own).int().tolist() == backward
    masked = sum(map(sum, forward)) + sum(map(sum, backward))
    assert loss.guide.take_fraction() == pytest.approx(masked / (2 * 3 + 2 * 1))
    assert loss.guide.take_fraction() is None  # reset: the next log reads only its own steps


def _masked_ranking(student, forward, backward, scale=20.0):
    """The ranking loss by hand (numpy) with the masked candidates left out of each softmax."""
    a, p, n = student
    total = 0.0
    for i in range(2):
        keep = np.array(forward[i]) == 0
        total += lse(scale * cos(a[i : i + 1], np.concatenate([p, n]))[0][keep]) - scale * cos(a[i : i + 1], p)[0, i]
        keep = np.array(backward[i]) == 0
        total += lse(scale * cos(p[i : i + 1], a)[0][keep]) - scale * cos(p[i : i + 1], a)[0, i]
    return total / 4


def test_masked_loss_matches_the_formula(echo):
    student = [np.random.default_rng(3).normal(size=(2, 5)) for _ in range(3)]
    loss = RankingLoss(echo, guide="base")
    value = loss.compute_loss_from_embeddings(_t(student), guided=_t(GUIDE))
    assert value.item() == pytest.approx(_masked_ranking(student, [[0, 1, 1, 1], [1, 0, 0, 0]], [[0, 1], [0, 0]]))
    plain = RankingLoss(echo).compute_loss_from_embeddings(_t(student))
    assert plain.item() != pytest.approx(value.item())
    with pytest.raises(ValueError, match="guide"):
        loss.compute_loss_from_embeddings(_t(student))  # a guided loss never silently trains unmasked


def test_augmented_ranking_masks_the_backward_negatives_too(echo):
    loss = AugmentedRankingLoss(echo, guide="base")
    student = _t([np.random.default_rng(4).normal(size=(2, 5)) for _ in range(3)])
    loss.compute_loss_from_embeddings(student, guided=_t(GUIDE))
    # forward 2 x 3 candidates; backward p_i against [a0, a1, n0, n1]: 2 x 3
    assert loss.guide.candidates == 12


def _features(model, texts_per_column):
    return [model.preprocess(texts) for texts in texts_per_column]


TEXTS = [
    ["how do i pay my order", "where is the refund", "cancel account"],
    ["pay order", "refund where", "cancel my account"],
    ["reset password", "track package", "change address"],
]


def test_gradients_flow_only_through_the_student_and_the_student_runs_once(student):
    loss = RankingLoss(student, guide="base")
    guide = loss.guide.model
    before = {k: v.clone() for k, v in guide.state_dict().items()}
    assert not any(p.requires_grad for p in guide.parameters())
    assert not set(map(id, guide.parameters())) & set(map(id, loss.parameters()))  # never handed to an optimizer
    calls = []
    forward = student.forward
    student.forward = lambda features, **kw: calls.append(1) or forward(features, **kw)
    RankingLoss(student)(_features(student, TEXTS), None)
    unguided, calls[:] = len(calls), []
    value = loss(_features(student, TEXTS), None)
    assert len(calls) == unguided  # as many student calls as without a guide: the guide is its own model
    value.backward()
    assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in student.parameters())
    assert all(p.grad is None for p in guide.parameters())
    torch.optim.SGD(student.parameters(), lr=1.0).step()
    assert all(torch.equal(before[k], v) for k, v in guide.state_dict().items())  # still the base model
    assert loss.guide.candidates == 3 * 5 + 3 * 2


def test_a_guide_with_another_tokenizer_reads_the_decoded_texts(student, teacher_dir):
    loss = RankingLoss(student, guide=str(teacher_dir))
    assert not loss.guide.shared
    guided = loss.guide.embed(_features(student, TEXTS))
    from sentence_transformers import SentenceTransformer

    direct = SentenceTransformer(str(teacher_dir), device="cpu").encode(TEXTS[0], convert_to_tensor=True)
    assert guided[0].shape == direct.shape
    assert torch.allclose(guided[0], direct.float(), atol=1e-5)  # the student's texts, lower-cased by its tokenizer


def test_objective_loss_hands_the_guide_embeddings_to_the_main_loss(student):
    from embedding.config.schema import ContrastiveObjective
    from embedding.losses.build import build_objective_loss

    spec = ContrastiveObjective.model_validate(
        {"type": "contrastive", "datasets": {"train": {"name": "x"}}, "loss_args": {"guide": "base"}}
    )
    loss = build_objective_loss(student, spec, merge_columns="never")
    parts = loss(_features(student, TEXTS), None)
    assert set(parts) == {"main"} and torch.isfinite(parts["main"])
    assert loss.main.guide.candidates == 3 * 5 + 3 * 2
    assert loss.main.get_config_dict()["guide"] == "base"


def test_validate_types_the_guide_arguments_and_refuses_one_per_group_without_in_batch_negatives():
    ok = {"type": "contrastive", "loss": "ranking", "loss_args": {"guide": "base", "guide_margin": 0.1}}
    assert (
        objective_loss_problems({**ok, "batch_sampler": "one_per_group"}, "objectives[0]", allow_custom_code=False)
        == []
    )
    bad = {"type": "contrastive", "loss_args": {"guide": 3, "guide_margin": "wide"}}
    keys = {p.where for p in objective_loss_problems(bad, "objectives[0]", allow_custom_code=False)}
    assert keys == {"objectives[0].loss_args.guide", "objectives[0].loss_args.guide_margin"}
    cached = {"type": "contrastive", "loss": "cached-ranking", "loss_args": {"guide": "base"}}
    assert [p.where for p in objective_loss_problems(cached, "o", allow_custom_code=False)] == ["o.loss_args.guide"]
    cosine = {"type": "similarity", "loss": "cosine", "batch_sampler": "one_per_group"}
    (problem,) = objective_loss_problems(cosine, "objectives[1]", allow_custom_code=False)
    assert problem.where == "objectives[1].batch_sampler" and "no in-batch negatives" in problem.message
    augmented = {"type": "similarity", "loss": "augmented-cosine", "batch_sampler": "one_per_group"}
    assert objective_loss_problems(augmented, "o", allow_custom_code=False) == []


def test_a_guide_sharing_the_tokenizer_embeds_each_distinct_text_once_packed(student):
    # Given the base model as the guide and columns that repeat a text
    loss = RankingLoss(student, guide="base")
    assert loss.guide.shared
    columns = [TEXTS[0], TEXTS[1], [TEXTS[0][0], TEXTS[1][1], "change address"]]
    features = _features(student, columns)
    expected = [loss.guide.model(dict(f))["sentence_embedding"] for f in _features(student, columns)]
    shapes = []
    query = loss.guide.model[0].model.encoder.layer[0].attention.self.query
    query.register_forward_pre_hook(lambda module, args: shapes.append(tuple(args[0].shape)))
    # When
    guided = loss.guide.embed(features, decide(None, student))  # the CPU's default decision: packed
    # Then one packed call over the distinct texts' real tokens (CPU), the same embeddings as per column
    distinct = {text for column in columns for text in column}
    real = sum(int(student.preprocess([text])["attention_mask"].sum()) for text in distinct)
    assert shapes == [(real, 32)]
    for ours, theirs in zip(guided, expected, strict=True):
        torch.testing.assert_close(ours, theirs.float(), rtol=1e-5, atol=1e-5)
