"""The recipe for a new loss: one class plus one `register(LossEntry(...))`, and every part of the project knows it.

Also: the typed `loss_args` of each loss in the table give the same defaults as its class's constructor.
"""

from __future__ import annotations

import inspect

import pytest
import torch
from pydantic import Field

from embedding.config.catalog import losses as registry
from embedding.config.catalog.loss_args import LossArgs
from embedding.config.catalog.losses import LossEntry, register
from embedding.config.schema import ObjectiveSpec
from embedding.losses.build import build_objective_loss
from tests.losses.objective_problems import objective_loss_problems


class ToyArgs(LossArgs):
    """`loss_args` of the toy loss."""

    target: float = Field(1.0, description="Cosine the anchor and positive should reach.")


class ToyLoss(torch.nn.Module):
    """Squared distance of each (anchor, positive) cosine to `target`."""

    def __init__(self, model: torch.nn.Module, target: float = 1.0, margin: float = 0.0) -> None:
        super().__init__()
        self.model, self.target, self.margin = model, target, margin

    def compute_loss_from_embeddings(self, embeddings: list[torch.Tensor], labels: torch.Tensor | None = None):
        cosine = torch.nn.functional.cosine_similarity(embeddings[0], embeddings[1])
        return ((cosine - self.target + self.margin) ** 2).mean()


@pytest.fixture
def toy(monkeypatch) -> LossEntry:
    monkeypatch.setattr(registry, "LOSSES", dict(registry.LOSSES))  # the registration ends with the test
    return register(LossEntry("toy", "contrastive", f"{__name__}:ToyLoss", ToyArgs, margin=True))


def problems(**objective) -> list[str]:
    return [str(p) for p in objective_loss_problems(objective, "objectives[0]", allow_custom_code=False)]


def test_a_registered_loss_is_validated(toy):
    assert problems(type="contrastive", loss="toy", loss_args={"target": 0.5}, margin=0.1) == []
    assert problems(type="contrastive", loss="toy", loss_args={"targt": 0.5, "margin": 0.1}) == [
        "objectives[0].loss_args.targt: unknown argument of loss `toy` (did you mean `target`?); valid: `target`",
        "objectives[0].loss_args.margin: unknown argument of loss `toy` (set it with the objective's `margin:` "
        "key); valid: `target`",
    ]
    assert problems(type="contrastive", loss="toy", loss_args={"target": "high"}) == [
        "objectives[0].loss_args.target: expected a number, got 'high'"
    ]
    assert problems(type="similarity", loss="toy") == [
        "objectives[0].loss: `toy` is a contrastive loss, not a similarity one; similarity losses: "
        "`augmented-cosine`, `augmented-cross-entropy`, `cosine`, `cosine-cross-entropy`, `cross-entropy`"
    ]


def test_a_registered_loss_is_listed_for_the_editor_schema(toy):
    assert "toy" in registry.loss_names("contrastive") and "toy" not in registry.loss_names("similarity")
    schema = registry.loss_args_json_schemas()["toy"]
    assert schema["properties"]["target"]["default"] == 1.0 and schema["additionalProperties"] is False


def test_a_registered_loss_is_built_and_trains(toy, student):
    from test_losses_objective import CONTRASTIVE, batch_of

    objective = ObjectiveSpec(
        type="contrastive", datasets={"train": {"name": "x"}}, loss="toy", loss_args={"target": 0.5}, margin=0.1
    )
    loss = build_objective_loss(student, objective)
    assert isinstance(loss.main, ToyLoss) and (loss.main.target, loss.main.margin) == (0.5, 0.1)
    features, labels = batch_of(student, CONTRASTIVE)
    value = loss(features, labels)["main"]
    value.backward()
    assert torch.isfinite(value) and any(p.grad is not None for p in student.parameters())


def test_register_refuses_a_taken_name_or_a_second_default(toy):
    with pytest.raises(ValueError, match="already registered"):
        register(LossEntry("toy", "contrastive", "x:Y", ToyArgs))
    with pytest.raises(ValueError, match="already has a default"):
        register(LossEntry("toy2", "contrastive", "x:Y", ToyArgs, default=True))


def _constructor_defaults(cls: type) -> dict[str, object]:
    parameters = list(inspect.signature(cls.__init__).parameters.values())[2:]  # self, model
    return {p.name: p.default for p in parameters}


@pytest.mark.parametrize(
    "entry",
    [*registry.LOSSES.values(), *registry.DISTILLATION.values()],
    ids=lambda e: f"{e.name}-{e.kind}",
)
def test_typed_defaults_are_the_constructor_defaults(entry):
    constructor = _constructor_defaults(entry.load())
    typed = entry.args().model_dump()
    objective_keys = {key for key, used in (("margin", entry.margin), ("gather_across_devices", entry.gather)) if used}
    assert set(constructor) == set(typed) | objective_keys
    assert {key: constructor[key] for key in typed} == typed


def test_the_penalty_defaults_to_auto_eps():
    # The classes' fixed 2e-5 is for Python callers; a config's default is ε = 1/(N − 1) (Lee et al. 2025).
    for entry in registry.VARIATION_PENALTY.values():
        assert entry.args().model_dump() == {"eps": "auto"} and "eps" in _constructor_defaults(entry.load())
