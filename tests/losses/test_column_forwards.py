"""Column grouping into encoder calls (`merge_columns`): the rule, the device policy, and that the loss is the same."""

from __future__ import annotations

import math

import pytest
import torch
from test_losses_objective import CONTRASTIVE, batch_of, every_term, spec

from embedding.forward.columns import embed_grouped, group_columns, slack_for
from embedding.losses.build import build_objective_loss


@pytest.mark.parametrize(
    "widths, slack, expected",
    [
        ([10, 10, 10], 0.0, [[0, 1, 2]]),  # equal widths: merging adds no padding
        ([10, 20, 10], 0.0, [[0, 2], [1]]),  # CPU: only the equal-width columns share a call
        ([12, 10, 14, 11, 13], 0.5, [[1, 3, 0, 4, 2]]),  # GPU: like widths, one call (5*14=70 <= 1.5*60)
        ([8, 40, 9, 10, 41], 0.5, [[0, 2, 3], [1, 4]]),  # GPU: a short query column is not padded to the documents
        ([8, 40], math.inf, [[0, 1]]),  # always
        ([10, 10], -1.0, [[0], [1]]),  # never
    ],
)
def test_group_columns_merges_while_padding_stays_within_slack(widths, slack, expected):
    assert group_columns(widths, slack) == expected


def test_every_column_is_in_exactly_one_group():
    torch.manual_seed(0)
    for _ in range(50):
        widths = torch.randint(1, 100, (int(torch.randint(1, 9, ())),)).tolist()
        for slack in (0.0, 0.3, 1.0):
            groups = group_columns(widths, slack)
            assert sorted(i for g in groups for i in g) == list(range(len(widths)))
            for g in groups:  # the rule holds for every group it made
                assert len(g) * max(widths[i] for i in g) <= (1 + slack) * sum(widths[i] for i in g) or len(g) == 1


def test_auto_policy_depends_on_the_device():
    assert slack_for("auto", "cpu") == 0.0
    assert slack_for("auto", "cuda") == 0.5
    assert slack_for("always", "cpu") == math.inf
    assert slack_for("never", "cuda") < 0


def count_calls(model):
    calls = []
    model.register_forward_pre_hook(lambda *args: calls.append(1))
    return calls


ROWS = {
    "anchor": ["how do i pay", "where", "cancel", "reset"],  # short
    "positive": [
        "pay with card for my order to the store",
        "track my package where is the refund",
        "cancel order and change address",
        "change password reset account",
    ],
    "negative_1": [
        "refund my order when can you help with a return",
        "store open time",
        "change address for delivery price",
        "delivery price",
    ],
}


@pytest.mark.parametrize("policy, expected_calls", [("always", 1), ("never", 3), ("auto", 1), ("sorted", 1)])
def test_policy_sets_the_number_of_encoder_calls_on_cpu(student, policy, expected_calls):
    # Given three columns of three different token widths, on CPU
    student.eval()
    features, _ = batch_of(student, ROWS)
    assert len({f["input_ids"].shape[1] for f in features}) == 3
    calls = count_calls(student)
    # When (sorted steps in padded chunks: packed ones make no model call, test_packed_forward.py)
    embeddings = embed_grouped(student, features, policy, packed=False)
    # Then
    assert len(calls) == expected_calls
    assert [e.shape[0] for e in embeddings] == [4, 4, 4]


def test_the_loss_is_the_same_for_every_grouping(student, teacher):
    # Given the full objective (margin, distillation, penalty, Matryoshka) without dropout
    student.eval()
    features, labels = batch_of(student, ROWS | {"negative_1": CONTRASTIVE["negative_1"]}, teacher)
    values = {}
    for policy in ("always", "never", "auto", "sorted"):
        loss = build_objective_loss(student, every_term("contrastive"), num_train_rows=101, merge_columns=policy)
        values[policy] = {k: v.item() for k, v in loss(features, labels).items()}
    # Then: padding is masked out, so grouping changes the calls, not the loss
    for policy in ("never", "auto", "sorted"):
        assert values[policy] == pytest.approx(values["always"], rel=1e-5, abs=1e-6)


def test_config_key_reaches_the_loss(student):
    from embedding.config.schema import TrainConfig as Config

    config = Config.model_validate(
        {
            "run_name": "r",
            "output_dir": "o",
            "base_model": {"name": "m"},
            "objectives": [{"type": "contrastive", "datasets": {"train": {"name": "x"}}}],
            "merge_columns": "never",  # the old top-level place still loads (moved under execution)
        }
    )
    assert config.execution.merge_columns == "never"
    loss = build_objective_loss(student, spec(), merge_columns=config.execution.merge_columns)
    assert loss.merge_columns == "never"
    with pytest.raises(Exception, match="always"):
        Config.model_validate({**config.model_dump(), "execution": {"merge_columns": "sometimes"}})


def test_banner_line_says_what_auto_does_on_each_device():
    from embedding.forward.columns import describe

    assert "length-sorted chunks" in describe("auto", "cpu")
    assert "50%" in describe("auto", "cuda")
    assert describe("always", "cpu").startswith("always") and describe("never", "cuda").startswith("never")
