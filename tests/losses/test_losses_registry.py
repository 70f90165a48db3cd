"""`embedding validate` side: names, arguments and combinations, checked without torch."""

from __future__ import annotations

import subprocess
import sys

import pytest

from embedding.config.catalog.losses import LOSSES
from embedding.config.catalog.snapshots import live_st_losses
from embedding.config.catalog.st_losses import st_losses
from tests.losses.objective_problems import objective_loss_problems


def problems(allow_custom_code=False, **objective):
    return [str(p) for p in objective_loss_problems(objective, "objectives[0]", allow_custom_code=allow_custom_code)]


def test_importing_the_registry_does_not_import_torch():
    code = (
        "import sys, embedding.losses, embedding.validation, tests.losses.objective_problems as r; "
        "r.objective_loss_problems({'type': 'contrastive', 'loss': 'GISTEmbedLoss'}, 'o', "
        "allow_custom_code=False); "
        "print('torch' in sys.modules, 'sentence_transformers' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False False"


def test_st_snapshot_matches_the_installed_library():
    # Fails after a sentence-transformers upgrade that changes a loss; rerun
    # `python -m embedding.config.catalog.snapshots`.
    assert st_losses() == live_st_losses()


@pytest.mark.parametrize(
    "kind, name",
    [(e.kind, e.name) for e in LOSSES.values()]
    + [
        ("contrastive", "GISTEmbedLoss"),
        ("similarity", "AnglELoss"),
        ("contrastive", "MultipleNegativesRankingLoss"),
        ("contrastive", "MultipleNegativesSymmetricRankingLoss"),
    ],
)
def test_known_losses_pass(kind, name):
    args = {"guide": "some/model"} if name == "GISTEmbedLoss" else {}
    assert problems(type=kind, loss=name, loss_args=args) == []


def test_default_loss_passes():
    assert problems(type="contrastive") == []
    assert problems(type="similarity", loss=None) == []


def test_unknown_loss_lists_the_valid_ones():
    [message] = problems(type="similarity", loss="cosin")
    assert message.startswith(
        "objectives[0].loss: unknown similarity loss `cosin` (did you mean `cosine`?); valid: `augmented-cosine`, "
        "`augmented-cross-entropy`, `cosine`, `cosine-cross-entropy`, `cross-entropy`, a sentence-transformers loss "
        "class (`AnglELoss`, "
    )
    assert message.endswith("`TripletLoss`), or `module:Class` with `allow_custom_code: true`")
    assert "`GISTEmbedLoss`" in message and "`MultipleNegativesSymmetricRankingLoss`" in message


def test_loss_of_the_other_type_says_so():
    assert problems(type="contrastive", loss="cosine") == [
        "objectives[0].loss: `cosine` is a similarity loss, not a contrastive one; contrastive losses: "
        "`augmented-ranking`, `cached-ranking`, `ranking`"
    ]


def test_unknown_argument_lists_the_valid_ones():
    assert problems(type="contrastive", loss="cached-ranking", loss_args={"mini_batchsize": 8}) == [
        "objectives[0].loss_args.mini_batchsize: unknown argument of loss `cached-ranking` (did you mean "
        "`mini_batch_size`?); valid: `mini_batch_num_tokens`, `mini_batch_size`, `scale`, `show_progress_bar`, "
        "`similarity`"
    ]
    assert problems(type="similarity", loss="AnglELoss", loss_args={"scal": 1}) == [
        "objectives[0].loss_args.scal: unknown argument of `AnglELoss` (did you mean `scale`?); valid: `scale`"
    ]


def test_margin_in_loss_args_points_to_the_objective_key():
    assert problems(type="contrastive", loss_args={"margin": 0.1}) == [
        "objectives[0].loss_args.margin: unknown argument of loss `ranking` (set it with the objective's `margin:` "
        "key); valid: `guide`, `guide_margin`, `scale`, `similarity`"
    ]


def test_argument_values_are_checked():
    assert problems(type="contrastive", loss_args={"similarity": "cos"}) == [
        "objectives[0].loss_args.similarity: must be 'cosine', 'dot', 'euclidean' or 'manhattan', got 'cos'"
    ]
    assert problems(type="contrastive", loss="cached-ranking", loss_args={"mini_batch_size": 0}) == [
        "objectives[0].loss_args.mini_batch_size: expected an integer > 0, got 0"
    ]
    assert problems(type="contrastive", loss="MultipleNegativesRankingLoss", loss_args={"similarity_fct": "cosine"})[
        0
    ].startswith("objectives[0].loss_args.similarity_fct: must be one of `cos_sim`, `dot_score`")
    assert problems(type="similarity", loss="CosineSimilarityLoss", loss_args={"loss_fct": "mse"}) == [
        "objectives[0].loss_args.loss_fct: takes a Python object and cannot be set from a config"
    ]
    assert problems(type="contrastive", loss="GISTEmbedLoss") == [
        "objectives[0].loss_args: `GISTEmbedLoss` needs `guide`"
    ]


def test_margin_is_refused_where_it_cannot_act():
    for name in ("cross-entropy", "augmented-cross-entropy", "cosine-cross-entropy"):
        assert problems(type="similarity", loss=name, margin=0.1) == [
            f"objectives[0].margin: loss `{name}` cannot use a margin; losses that can: `augmented-cosine`, `cosine`"
        ]
    assert problems(type="contrastive", loss="MultipleNegativesRankingLoss", margin=0.1) == [
        "objectives[0].margin: loss `MultipleNegativesRankingLoss` cannot use a margin; losses that can: "
        "`augmented-ranking`, `cached-ranking`, `ranking`"
    ]
    assert problems(type="contrastive", loss="cached-ranking", margin=0.1) == []
    assert problems(type="similarity", loss="augmented-cosine", margin=0.1) == []


def test_extra_terms_need_a_loss_that_shares_its_embeddings():
    assert problems(type="contrastive", loss="CachedMultipleNegativesRankingLoss", variation_penalty={"alpha": 1}) == [
        "objectives[0].variation_penalty: loss `CachedMultipleNegativesRankingLoss` embeds the batch itself (no "
        "compute_loss_from_embeddings), so it cannot share its embeddings with a `variation_penalty` term; pick "
        "another loss or drop `variation_penalty`"
    ]
    assert (
        problems(type="contrastive", loss="cached-ranking", distillation={"alpha": 1}, variation_penalty={"alpha": 1})
        == []
    )


def test_gather_across_devices_needs_a_loss_with_cross_device_negatives():
    assert problems(type="similarity", gather_across_devices=True) == [
        "objectives[0].gather_across_devices: loss `cosine` has no cross-device negatives; remove "
        "`gather_across_devices`"
    ]
    assert (
        problems(type="contrastive", loss="GISTEmbedLoss", loss_args={"guide": "m"}, gather_across_devices=True) == []
    )


def test_distillation_and_penalty_arguments_are_checked():
    assert problems(type="similarity", distillation={"alpha": 1, "loss_args": {"reduction": "sum"}}) == [
        "objectives[0].distillation.loss_args.reduction: unknown argument of similarity distillation; valid: "
        "`scale`, `similarity`"
    ]
    assert problems(type="contrastive", distillation={"alpha": 1, "loss_args": {"reduction": "avg"}}) == [
        "objectives[0].distillation.loss_args.reduction: must be 'batchmean', 'sum' or 'mean', got 'avg'"
    ]
    assert problems(type="contrastive", variation_penalty={"alpha": 1, "loss_args": {"eps": "1e-5x"}}) == [
        "objectives[0].variation_penalty.loss_args.eps: must be a positive number or `auto`, got '1e-5x'"
    ]
    assert problems(type="contrastive", variation_penalty={"alpha": 1, "loss_args": {"epsilon": 1}}) == [
        "objectives[0].variation_penalty.loss_args.epsilon: unknown argument of the variation penalty (did you mean "
        "`eps`?); valid: `eps`"
    ]


def test_custom_loss_needs_allow_custom_code():
    assert problems(type="contrastive", loss="mypkg.losses:MyLoss") == [
        "objectives[0].loss: `mypkg.losses:MyLoss` is a custom loss class; loading it runs code from the config, so "
        "set `allow_custom_code: true` at the top level of the config to allow it"
    ]
    assert problems(allow_custom_code=True, type="contrastive", loss="mypkg.losses:MyLoss") == []
    assert problems(allow_custom_code=True, type="contrastive", loss="mypkg.losses:My-Loss") == [
        "objectives[0].loss: `mypkg.losses:My-Loss` is not `module.path:ClassName`"
    ]


def test_wrapper_losses_point_to_the_config_key():
    assert problems(type="contrastive", loss="MatryoshkaLoss") == [
        "objectives[0].loss: `MatryoshkaLoss` cannot be used as a loss: use the objective's `matryoshka:` block "
        "instead"
    ]
