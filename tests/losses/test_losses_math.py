"""Each loss against its formula computed by hand (numpy, float64) on a tiny fixed batch."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from loss_reference import (
    augmented_cosent_bruteforce,
    bce,
    cos,
    cosent_bruteforce,
    in_batch_penalty,
    kl_distillation,
    ranking,
    sigmoid,
)
from sentence_transformers.sentence_transformer.losses import CoSENTLoss, MultipleNegativesRankingLoss

from embedding.forward.targets import pack_row
from embedding.losses import (
    AugmentedBinaryCrossEntropyLoss,
    AugmentedCoSENTLoss,
    AugmentedRankingLoss,
    BinaryCrossEntropyLoss,
    CachedRankingLoss,
    CoSENTMarginLoss,
    CosineCrossEntropyLoss,
    InBatchNegativesVariancePenaltyLoss,
    KLDistillationLoss,
    LabeledNegativesVariancePenaltyLoss,
    RankingLoss,
    SimilarityDistillationLoss,
)
from embedding.losses.cosent_margin import ranked_pairs_loss

RNG = np.random.default_rng(7)
COLS = [RNG.normal(size=(4, 6)) for _ in range(4)]  # anchor, positive, negative_1, negative_2
LABELS = np.array([1.0, 0.0, -1.0, 1.0])


def tensors(cols, grad=False):
    return [torch.tensor(c, dtype=torch.float64, requires_grad=grad) for c in cols]


@pytest.mark.parametrize("margin", [0.0, 0.2])
@pytest.mark.parametrize("num_cols", [2, 4])
def test_ranking_matches_formula(echo, margin, num_cols):
    # Given a batch with `num_cols - 2` negative columns
    cols = COLS[:num_cols]
    # When / Then
    for cls, augmented in ((RankingLoss, False), (AugmentedRankingLoss, True)):
        value = cls(echo, scale=20.0, margin=margin).compute_loss_from_embeddings(tensors(cols))
        assert value.shape == torch.Size([])
        assert value.item() == pytest.approx(ranking(cols, 20.0, margin, augmented), rel=1e-9)


def test_ranking_without_margin_is_st_symmetric_mnrl(echo):
    st = MultipleNegativesRankingLoss(
        echo, directions=("query_to_doc", "doc_to_query"), partition_mode="per_direction"
    )
    ours = RankingLoss(echo).compute_loss_from_embeddings(tensors(COLS))
    assert ours.item() == pytest.approx(st.compute_loss_from_embeddings(tensors(COLS), None).item(), rel=1e-9)


def test_margin_raises_ranking_loss_and_widens_the_learned_gap(echo):
    # The margin is subtracted from the own positive: same embeddings, higher loss ...
    low, high = (RankingLoss(echo, margin=m).compute_loss_from_embeddings(tensors(COLS)).item() for m in (0.0, 0.3))
    assert high > low
    # ... and its gradient pushes the positive pair further above the negatives than without the margin.
    gaps = []
    for margin in (0.0, 0.3):
        emb = tensors(COLS, grad=True)
        RankingLoss(echo, margin=margin).compute_loss_from_embeddings(emb).backward()
        moved = [(e - 0.05 * e.grad).detach().numpy() for e in emb]
        sims = cos(moved[0], np.concatenate(moved[1:]))
        gaps.append(np.mean([sims[i, i] - np.max(np.delete(sims[i], i)) for i in range(4)]))
    assert gaps[1] > gaps[0]


def test_cached_ranking_equals_ranking_in_value_and_gradient(echo):
    # Given the same embeddings, one loss computed at once and one over row chunks of 3 (4 rows: 3 + 1)
    plain, chunked = tensors(COLS, grad=True), tensors(COLS, grad=True)
    reps = [[c[:3].detach().requires_grad_(), c[3:].detach().requires_grad_()] for c in chunked]
    # When
    expected = RankingLoss(echo, margin=0.1).compute_loss_from_embeddings(plain)
    expected.backward()
    value = CachedRankingLoss(echo, margin=0.1, mini_batch_size=3).calculate_loss(reps, None, with_backward=True)
    # Then
    assert value.item() == pytest.approx(expected.item(), rel=1e-9)
    for column, rep in zip(plain, reps, strict=True):
        got = torch.cat([r.grad for r in rep])
        assert column.grad.abs().sum() > 0
        torch.testing.assert_close(got, column.grad)


def test_cosine_matches_formula_and_st_cosent(echo):
    u, v = COLS[0], COLS[1]
    expected = cosent_bruteforce(20.0 * np.diag(cos(u, v)), LABELS)
    value = CoSENTMarginLoss(echo).compute_loss_from_embeddings(tensors([u, v]), torch.tensor(LABELS))
    st = CoSENTLoss(echo).compute_loss_from_embeddings(tensors([u, v]), torch.tensor(LABELS))
    assert value.item() == pytest.approx(expected, rel=1e-9)
    assert value.item() == pytest.approx(st.item(), rel=1e-9)


def test_cosine_margin_acts_on_differences(echo):
    # A shift of every similarity cancels in CoSENT; the margin is added to every ordered difference instead.
    u, v = tensors(COLS[:2])
    plain = CoSENTMarginLoss(echo).compute_loss_from_embeddings([u, v], torch.tensor(LABELS)).item()
    with_margin = CoSENTMarginLoss(echo, margin=0.1).compute_loss_from_embeddings([u, v], torch.tensor(LABELS))
    expected = cosent_bruteforce(20.0 * np.diag(cos(COLS[0], COLS[1])), LABELS, margin=20.0 * 0.1)
    assert with_margin.item() == pytest.approx(expected, rel=1e-9)
    assert with_margin.item() > plain


@pytest.mark.parametrize("labels", [[1.0, 0.0, -1.0, 1.0], [0.3, 0.9, 0.1, 0.5], [1.0, 1.0, 1.0, 1.0]])
@pytest.mark.parametrize("margin", [0.0, 0.05])
def test_augmented_cosine_equals_the_n4_bruteforce(echo, labels, margin):
    u, v = COLS[0], COLS[1]
    expected = augmented_cosent_bruteforce(u, v, np.array(labels), 20.0, -1.0, margin)
    value = AugmentedCoSENTLoss(echo, margin=margin).compute_loss_from_embeddings(
        tensors([u, v]), torch.tensor(labels)
    )
    assert value.item() == pytest.approx(expected, rel=1e-9)


def test_ranked_pairs_gradient_matches_the_pairwise_matrix():
    # Given continuous labels with ties, the sort-based loss has the gradient of the explicit P x P version
    scores = torch.tensor(RNG.normal(size=12), requires_grad=True)
    labels = torch.tensor(RNG.integers(0, 4, size=12).astype(float))
    ranked_pairs_loss(scores, labels, 0.3).backward()
    dense = scores.detach().clone().requires_grad_()
    diff = dense[:, None] - dense[None, :] + 0.3
    mask = labels[:, None] < labels[None, :]
    torch.logsumexp(torch.cat([dense.new_zeros(1), diff[mask]]), 0).backward()
    assert dense.grad.abs().sum() > 0
    torch.testing.assert_close(scores.grad, dense.grad)


def test_cross_entropy_losses_match_formula(echo):
    u, v = COLS[0], COLS[1]
    c = cos(u, v)
    y = torch.tensor(LABELS)
    targets = np.full((4, 4), -1.0)
    np.fill_diagonal(targets, LABELS)
    cases = [
        (BinaryCrossEntropyLoss(echo), bce(sigmoid(20 * np.diag(c)), sigmoid(20 * LABELS))),
        (AugmentedBinaryCrossEntropyLoss(echo), bce(sigmoid(20 * c), sigmoid(20 * targets))),
        (CosineCrossEntropyLoss(echo), bce((np.diag(c) + 1) / 2, sigmoid(20 * LABELS))),
    ]
    for loss, expected in cases:
        assert loss.compute_loss_from_embeddings(tensors([u, v]), y).item() == pytest.approx(expected, rel=1e-6)


def test_variation_penalties_match_formula(echo):
    eps = 0.01
    value = InBatchNegativesVariancePenaltyLoss(echo, eps=eps).compute_loss_from_embeddings(tensors(COLS))
    assert value.item() == pytest.approx(in_batch_penalty(COLS, eps), rel=1e-9)
    c = np.diag(cos(COLS[0], COLS[1]))
    expected = np.sum(((c + eps) ** 2)[LABELS < 0]) / (np.sum(LABELS < 0) + 1e-8)
    labeled = LabeledNegativesVariancePenaltyLoss(echo, eps=eps)
    assert labeled.compute_loss_from_embeddings(tensors(COLS[:2]), torch.tensor(LABELS)).item() == pytest.approx(
        expected, rel=1e-9
    )
    # almost_similar (0) is not a negative: a batch without label < 0 has no penalty
    assert labeled.compute_loss_from_embeddings(tensors(COLS[:2]), torch.zeros(4)).item() == 0.0


def _packed(teacher_cols, y=None):
    return torch.tensor(
        [pack_row(None if y is None else y[i], [c[i] for c in teacher_cols]) for i in range(len(teacher_cols[0]))]
    )


def test_kl_distillation_matches_formula_and_keeps_the_teacher_out_of_the_graph(echo):
    # Given a teacher of another width (5) than the student (6)
    teacher_cols = [RNG.normal(size=(4, 5)) for _ in range(4)]
    labels = _packed(teacher_cols)
    student = tensors(COLS, grad=True)
    # When
    value = KLDistillationLoss(echo).compute_loss_from_embeddings(student, labels)
    value.backward()
    # Then
    assert value.item() == pytest.approx(kl_distillation(COLS, teacher_cols), rel=1e-5)
    assert all(s.grad.abs().sum() > 0 for s in student)
    assert not labels.requires_grad and labels.grad is None


def test_similarity_distillation_is_cosent_on_teacher_scores(echo):
    teacher_cols = [RNG.normal(size=(4, 5)) for _ in range(2)]
    labels = _packed(teacher_cols, y=LABELS)
    value = SimilarityDistillationLoss(echo).compute_loss_from_embeddings(tensors(COLS[:2]), labels)
    expected = cosent_bruteforce(20.0 * np.diag(cos(COLS[0], COLS[1])), np.diag(cos(*teacher_cols)))
    assert value.item() == pytest.approx(expected, rel=1e-5)


def test_distillation_without_packed_targets_says_what_to_run(echo):
    with pytest.raises(
        ValueError,
        match=r"distillation expects teacher targets packed in the label column "
        r"\(\(batch, 1 \+ 2 \* D\) floats\), got labels of shape \(4,\); run "
        r"embedding.forward.teacher.attach_teacher_targets on the train and validation datasets first",
    ):
        SimilarityDistillationLoss(echo).compute_loss_from_embeddings(tensors(COLS[:2]), torch.tensor(LABELS))


def test_invalid_arguments_name_the_valid_values(echo):
    with pytest.raises(ValueError, match="Invalid similarity: 'cos'. Valid: cosine, dot, euclidean, manhattan"):
        RankingLoss(echo, similarity="cos")
    with pytest.raises(ValueError, match="Invalid reduction: 'avg'. Valid: batchmean, sum, mean"):
        KLDistillationLoss(echo, reduction="avg")
    with pytest.raises(ValueError, match="mini_batch_size must be a positive integer, got 0"):
        CachedRankingLoss(echo, mini_batch_size=0)
