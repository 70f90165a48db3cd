"""The run's execution is decided once (forward/execution.py) and reaches every forward: the training step, the
guided mask's guide and the evaluators' encoding all honour `execution.packed: false` (issue 28 item 5: the guide
and evaluation encoding used to pack on CPU whatever the config said). An explicit `packed: true` that cannot
take effect is an error naming the key when the model is loaded."""

from __future__ import annotations

import sys

import pytest
import torch

from embedding.config.execution import ExecutionSpec
from embedding.errors import UserError
from tests.conftest import base_config

TEXTS = [["how do i return my order", "track payment"], ["refund the order", "where is my card"]]


def _config(model, data, out, **execution) -> dict:
    config = base_config(model, data, out)
    objective = config["objectives"][0]
    objective.pop("matryoshka")
    objective["loss_args"] = {"guide": "base"}  # the guided mask: a frozen copy of the student embeds each batch
    config["objectives"] = [objective]
    config.pop("early_stopping")
    config["execution"] = execution
    return config


@pytest.fixture
def packed_calls(monkeypatch):
    """Every call of the packed forward, by the model it ran: patched wherever a module bound the name."""
    import embedding.evaluation.encode
    import embedding.forward.columns
    import embedding.forward.packed_gradcache
    import embedding.losses.objective
    import embedding.training.run  # noqa: F401 - everything a run imports, before the spy is installed

    calls: list[object] = []
    for name, module in list(sys.modules.items()):
        original = getattr(module, "embed_packed", None)
        if name.startswith("embedding.") and callable(original):

            def spy(model, *args, _original=original, **kwargs):
                calls.append(model)
                return _original(model, *args, **kwargs)

            monkeypatch.setattr(module, "embed_packed", spy)
    return calls


def _run_every_forward(tiny_bert, efaq_dir, tmp_path, calls, **execution) -> dict[str, int]:
    from embedding.training.plan import build_plan
    from embedding.training.run import build_trainer
    from embedding.validation import validate_mapping

    plan = build_plan(validate_mapping(_config(tiny_bert, efaq_dir, tmp_path / "out", **execution)), tmp_path / "r")
    trainer = build_trainer(plan, [])
    loss, student = trainer.loss, plan.model
    features = [student.preprocess(column) for column in TEXTS]
    sum(loss(features, None).values()).backward()
    guide = loss.main.guide.model
    trained = {"training": sum(m is student for m in calls), "guide": sum(m is guide for m in calls)}
    calls.clear()
    plan.evaluator(student)
    return {**trained, "evaluation": sum(m is student for m in calls)}


def test_packed_false_reaches_training_the_guide_and_evaluation_encoding(tiny_bert, efaq_dir, tmp_path, packed_calls):
    ran = _run_every_forward(tiny_bert, efaq_dir, tmp_path, packed_calls, packed=False)
    assert ran == {"training": 0, "guide": 0, "evaluation": 0}


def test_packed_auto_on_cpu_packs_all_three(tiny_bert, efaq_dir, tmp_path, packed_calls):
    # the same spy counts calls where the run packs: the test above is not passing by counting nothing
    ran = _run_every_forward(tiny_bert, efaq_dir, tmp_path, packed_calls)
    assert ran["training"] == 1 and ran["guide"] == 1 and ran["evaluation"] >= 1


def test_the_plan_holds_one_decision_that_the_loss_and_the_evaluator_share(tiny_bert, efaq_dir, tmp_path):
    from embedding.training.plan import build_plan
    from embedding.validation import validate_mapping

    config = _config(tiny_bert, efaq_dir, tmp_path / "out", packed=False, chunk_rows=3)
    plan = build_plan(validate_mapping(config), tmp_path / "r")
    assert plan.execution.packed is False and plan.execution.chunk_rows == 3 and plan.execution.policy == "sorted"
    assert plan.objectives[0].loss.execution is plan.execution
    assert plan.evaluator.execution is plan.execution


def test_explicit_packed_true_on_a_model_it_cannot_run_is_an_error_at_model_load(tiny_bert, efaq_dir, tmp_path):
    # a model `validate` cannot judge from the config: its modules are known once it is loaded
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import LayerNorm, Pooling, Transformer

    from embedding.training.plan import build_plan
    from embedding.validation import validate_mapping

    folder = tmp_path / "with-layernorm"
    SentenceTransformer(modules=[Transformer(str(tiny_bert)), Pooling(32, "mean"), LayerNorm(32)]).save(str(folder))
    config = _config(folder, efaq_dir, tmp_path / "out", packed=True)
    with pytest.raises(
        UserError, match=r"^execution\.packed: true, but the model \(BertModel -> Pooling -> LayerNorm"
    ):
        build_plan(validate_mapping(config), tmp_path / "r")
    assert build_plan(validate_mapping(_config(folder, efaq_dir, tmp_path / "out")), tmp_path / "r2").execution


def test_explicit_packed_true_on_a_model_packing_does_not_cover_names_the_key(tiny_bert):
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import LayerNorm, Pooling, Transformer

    from embedding.forward.execution import decide

    encoder = Transformer(str(tiny_bert))
    model = SentenceTransformer(modules=[encoder, Pooling(32, "mean"), LayerNorm(32)], device="cpu")
    with pytest.raises(
        UserError, match=r"^execution\.packed: true, but the model \(BertModel -> Pooling -> LayerNorm"
    ):
        decide(ExecutionSpec(packed=True), model)
    assert decide(ExecutionSpec(packed="auto"), model).packed is False  # auto: padded chunks, no error
    plain = SentenceTransformer(modules=[encoder, Pooling(32, "mean")], device="cpu")
    with pytest.raises(UserError, match=r"execution\.packed: true, but this run has 2 processes"):
        decide(ExecutionSpec(packed=True), plain, processes=2)
    # `auto` does not run sorted steps on an accelerator: packing would do nothing there
    with pytest.raises(UserError, match=r"execution\.packed: true packs sorted steps, but merge_columns runs `auto`"):
        decide(ExecutionSpec(packed=True), plain, device_type="cuda")


def test_banner_line_is_the_decision(tiny_bert):
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Pooling, Transformer

    from embedding.forward.execution import decide

    model = SentenceTransformer(modules=[Transformer(str(tiny_bert)), Pooling(32, "mean")], device="cpu")
    assert "packed without padding" in decide(ExecutionSpec(), model).describe()
    assert "length-sorted chunks of 16" in decide(ExecutionSpec(packed=False), model).describe()
    assert "packed" not in decide(ExecutionSpec(), model, processes=2).describe()  # DDP: padded chunks
    assert torch.is_tensor(decide(ExecutionSpec(), model).embed(model, [model.preprocess(c) for c in TEXTS])[0])
