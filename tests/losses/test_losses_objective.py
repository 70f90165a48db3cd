"""The composed objective loss: one forward, named components, Matryoshka, weight, building from a config."""

from __future__ import annotations

import json

import pytest
import torch
from pydantic import ValidationError
from sentence_transformers.sentence_transformer.data_collator import SentenceTransformerDataCollator

from embedding.config.catalog.losses import LOSSES
from embedding.config.schema import ObjectiveSpec
from embedding.errors import ConfigError
from embedding.losses.build import build_objective_loss
from tests.losses.objective_problems import objective_loss_problems

CONTRASTIVE = {
    "anchor": ["how do i pay", "where is my order", "cancel my order", "reset my password"],
    "positive": ["pay with card", "track my package", "cancel order", "change password"],
    "negative_1": ["refund my order", "store open time", "change address", "delivery price"],
}
SIMILARITY = {
    "anchor": ["how do i pay", "how do i pay", "where is my order", "cancel my order"],
    "candidate": ["pay with card", "track my package", "track my package", "store open time"],
    "label": [1.0, -1.0, 1.0, 0.0],
}


def spec(kind="contrastive", **fields) -> ObjectiveSpec:
    return ObjectiveSpec(type=kind, datasets={"train": {"name": "x"}}, **fields)


def every_term(kind, loss=None, margin=0.1, **extra) -> ObjectiveSpec:
    return spec(
        kind,
        loss=loss,
        margin=margin,
        distillation={"alpha": 0.5, "teacher": {"name": "t"}},
        variation_penalty={"alpha": 0.2, "loss_args": {"eps": "auto"}},
        matryoshka={"matryoshka_dims": [32, 16], "apply_to": "all"},
        **extra,
    )


def batch_of(model, rows: dict, teacher=None, kind="contrastive"):
    """Collate rows like the trainer does and split them into per-column features and labels."""
    from datasets import Dataset

    from embedding.forward.teacher import attach_teacher_targets

    data = Dataset.from_dict(rows)
    if teacher is not None:
        data = attach_teacher_targets(data, teacher, kind)
    batch = SentenceTransformerDataCollator(preprocess_fn=model.preprocess)([data[i] for i in range(len(data))])
    columns = [c for c in data.column_names if c != "label"]
    features = [{k[len(c) + 1 :]: v for k, v in batch.items() if k.startswith(f"{c}_")} for c in columns]
    return features, batch.get("label")


@pytest.mark.parametrize("kind, rows", [("contrastive", CONTRASTIVE), ("similarity", SIMILARITY)])
def test_one_student_forward_per_step_with_every_term(student, teacher, kind, rows):
    # Given main + margin + distillation + penalty + Matryoshka on every term, columns merged into one call
    loss = build_objective_loss(student, every_term(kind), num_train_rows=101, merge_columns="always")
    features, labels = batch_of(student, rows, teacher, kind)
    calls = []
    student.register_forward_pre_hook(lambda *args: calls.append(1))
    # When
    out = loss(features, labels)
    torch.stack(list(out.values())).sum().backward()
    # Then: one model call embeds every column, and every term reached the student
    assert len(calls) == 1
    assert set(out) == {"main", "distillation", "penalty"}
    assert all(v.shape == torch.Size([]) and torch.isfinite(v) for v in out.values())
    grads = [p.grad for p in student.parameters() if p.grad is not None]
    assert grads and sum(g.abs().sum() for g in grads) > 0


def test_components_are_the_weighted_terms(echo):
    # Given embeddings and the standalone terms
    torch.manual_seed(0)
    emb = [torch.randn(4, 6) for _ in range(3)]
    features = [{"sentence_embedding": e} for e in emb]
    loss = build_objective_loss(
        echo,
        spec(
            variation_penalty={"alpha": 0.2, "loss_args": {"eps": 0.01}},
            weight=3.0,
            matryoshka={"matryoshka_dims": [6, 3], "matryoshka_weights": [1.0, 0.5]},
        ),
    )
    # When
    out = loss(features, None)
    # Then: main is Matryoshka-summed, the penalty (apply_to: main) uses the full embeddings, all times weight
    main = loss.main.compute_loss_from_embeddings
    truncated = [torch.nn.functional.normalize(e[:, :3], dim=-1) for e in emb]
    assert out["main"].item() == pytest.approx(3.0 * (main(emb).item() + 0.5 * main(truncated).item()), rel=1e-6)
    penalty = loss.penalty.compute_loss_from_embeddings(emb).item()
    assert out["penalty"].item() == pytest.approx(3.0 * 0.2 * penalty, rel=1e-6)


def test_cached_composition_equals_the_plain_one(student, teacher):
    # Given one model in eval mode (no dropout, so both paths see identical embeddings)
    features, labels = batch_of(student, CONTRASTIVE, teacher)
    student.eval()
    results = []
    for name, loss_args in (("ranking", {}), ("cached-ranking", {"mini_batch_size": 3})):
        student.zero_grad(set_to_none=True)
        loss = build_objective_loss(student, every_term("contrastive", name, loss_args=loss_args), num_train_rows=101)
        out = loss([dict(f) for f in features], labels)
        torch.stack(list(out.values())).sum().backward()
        grads = {n: p.grad.clone() for n, p in student.named_parameters() if p.grad is not None}
        results.append(({k: v.item() for k, v in out.items()}, grads))
    (plain, plain_grads), (cached, cached_grads) = results
    assert plain == pytest.approx(cached, rel=1e-4)
    assert plain_grads.keys() == cached_grads.keys() and plain_grads
    for name in plain_grads:
        torch.testing.assert_close(cached_grads[name], plain_grads[name], rtol=1e-3, atol=1e-6)


def test_get_config_dict_is_json_for_every_loss(echo):
    for name, entry in LOSSES.items():
        kind = entry.kind
        extra = every_term(kind, name, margin=0.1 if entry.margin else None).model_dump(
            exclude={"type", "datasets", "loss", "matryoshka"}
        )
        loss = build_objective_loss(echo, spec(kind, loss=name, **extra), num_train_rows=11)
        config = json.loads(json.dumps(loss.get_config_dict()))
        assert config["main"]["loss"] == type(loss.main).__name__
        assert "Lee" in loss.citation
    loss = build_objective_loss(echo, spec(loss="TripletLoss", loss_args={"distance_metric": "COSINE"}))
    assert json.loads(json.dumps(loss.get_config_dict()))["main"]["distance_metric"] == "TripletDistanceMetric.COSINE"


def test_sentence_transformers_losses_by_name(echo):
    loss = build_objective_loss(
        echo,
        spec(loss="MultipleNegativesSymmetricRankingLoss", loss_args={"similarity_fct": "dot_score", "scale": 1.0}),
    )
    assert type(loss.main).__name__ == "MultipleNegativesRankingLoss"
    assert loss.get_config_dict()["main"]["directions"] == ["query_to_doc", "doc_to_query"]
    assert loss.get_config_dict()["main"]["partition_mode"] == "per_direction"
    assert loss.get_config_dict()["main"]["similarity_fct"] == "dot_score"
    with pytest.raises(ConfigError) as error:
        build_objective_loss(echo, spec(loss="TripletLoss", loss_args={"distance_metric": "cosin"}))
    assert error.value.render() == (
        "config has 1 problem:\n  - objective.loss_args.distance_metric: unknown metric "
        "'cosin' of TripletLoss; valid: `COSINE`, `EUCLIDEAN`, `MANHATTAN`"
    )


def test_custom_loss_by_dotted_path(echo):
    name = "custom_loss_module:MeanSquaredCosineLoss"
    [problem] = objective_loss_problems({"type": "similarity", "loss": name}, "o", allow_custom_code=False)
    assert problem.message.endswith("set `allow_custom_code: true` at the top level of the config to allow it")
    loss = build_objective_loss(
        echo,
        spec(
            "similarity",
            loss=name,
            loss_args={"target": 0.5},
            variation_penalty={"alpha": 1.0, "loss_args": {"eps": 0.1}},
        ),
    )
    emb = [torch.eye(2, 6), torch.eye(2, 6)]
    out = loss([{"sentence_embedding": e} for e in emb], torch.tensor([1.0, -1.0]))
    assert out["main"].item() == pytest.approx(0.25)
    assert out["penalty"].item() == pytest.approx(1.1**2, rel=1e-6)


def test_eps_auto_and_matryoshka_dims_are_resolved_or_refused(echo):
    loss = build_objective_loss(echo, spec(variation_penalty={"alpha": 1.0}), num_train_rows=101)
    assert loss.penalty.eps == pytest.approx(0.01)
    with pytest.raises(ConfigError) as error:
        build_objective_loss(echo, spec(variation_penalty={"alpha": 1.0}))
    assert error.value.problems[0].message == (
        "`auto` needs the number of training rows (got 0); set eps to a number, e.g. 2e-5"
    )
    with pytest.raises(ConfigError) as error:
        build_objective_loss(echo, spec(matryoshka={"matryoshka_dims": [8, 4]}))
    assert str(error.value.problems[0]) == (
        "objective.matryoshka.matryoshka_dims: 8 is larger than the model's embedding size 6; use dims <= 6, e.g. [6]"
    )


def test_a_typed_objective_has_passed_the_loss_rules():
    # The rules are the objective's validators: no typed objective (hence no build) skips them.
    with pytest.raises(ValidationError, match="loss `cross-entropy` cannot use a margin; losses that can: "):
        spec("similarity", loss="cross-entropy", margin=0.1)


def test_a_main_loss_returning_a_dict_gives_one_component_per_key(echo):
    loss = build_objective_loss(echo, spec(loss="GlobalOrthogonalRegularizationLoss", weight=2.0))
    emb = [torch.randn(4, 6), torch.randn(4, 6)]
    out = loss([{"sentence_embedding": e} for e in emb], None)
    expected = loss.main.compute_loss_from_embeddings(emb)
    assert set(out) == {"main/gor_mean", "main/gor_second_moment"}
    assert out["main/gor_mean"].item() == pytest.approx(2.0 * expected["gor_mean"].item(), rel=1e-6)


def test_a_loss_that_embeds_by_itself_is_called_on_the_features(student):
    # Given a sentence-transformers GradCache loss (no compute_loss_from_embeddings) with Matryoshka
    objective = spec(
        loss="CachedMultipleNegativesSymmetricRankingLoss",
        loss_args={"mini_batch_size": 2},
        matryoshka={"matryoshka_dims": [16, 32]},
    )
    loss = build_objective_loss(student, objective)
    features, labels = batch_of(student, CONTRASTIVE)
    # When
    out = loss(features, labels)
    out["main"].backward()
    # Then: sentence-transformers' MatryoshkaLoss wraps it, and the student gets gradients
    assert type(loss.main).__name__ == "MatryoshkaLoss" and list(out) == ["main"]
    config = loss.get_config_dict()["main"]
    assert (config["loss"], config["inner_loss"]) == ("MatryoshkaLoss", "CachedMultipleNegativesRankingLoss")
    assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in student.parameters())


def test_constructor_errors_become_config_problems(echo):
    with pytest.raises(ConfigError) as error:
        build_objective_loss(echo, spec(loss_args={"scale": -1.0}))
    assert str(error.value.problems[0]) == "objective.loss_args: RankingLoss: scale must be positive, got -1.0"
    with pytest.raises(ConfigError) as error:
        build_objective_loss(echo, spec(loss="MultipleNegativesRankingLoss", loss_args={"partition_mode": "x"}))
    assert str(error.value.problems[0]) == (
        "objective.loss_args: MultipleNegativesRankingLoss: partition_mode must be 'joint' or 'per_direction', got x"
    )
