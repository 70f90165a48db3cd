"""Teacher targets from a teacher with its own tokenizer, and real SentenceTransformerTrainer runs."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from datasets import Dataset, DatasetDict
from sentence_transformers import SentenceTransformerTrainer, SentenceTransformerTrainingArguments

from embedding.config.schema import ObjectiveSpec
from embedding.errors import DataError
from embedding.forward.targets import unpack_targets
from embedding.forward.teacher import attach_teacher_targets
from embedding.losses.build import build_objective_loss

ANCHORS = [
    "how do i pay",
    "where is my order",
    "cancel my order",
    "reset my password",
    "how do i pay",
    "track my package",
    "change my address",
    "store open time",
]
POSITIVES = [
    "pay with card",
    "track my package",
    "cancel order",
    "change password",
    "pay with card",
    "where is my package",
    "change address",
    "when is the store open",
]
NEGATIVES = [
    "refund my order",
    "store open time",
    "change address",
    "delivery price",
    "reset my password",
    "pay with card",
    "cancel my order",
    "track my package",
]


def contrastive_rows() -> Dataset:
    return Dataset.from_dict({"anchor": ANCHORS, "positive": POSITIVES, "negative_1": NEGATIVES})


def similarity_rows() -> Dataset:
    return Dataset.from_dict({"anchor": ANCHORS, "candidate": NEGATIVES, "score": [1.0, 0.0, -1.0, 1.0] * 2})


def test_teacher_with_another_tokenizer_encodes_the_raw_texts(student, teacher):
    # Given a teacher whose vocabulary and width differ from the student's (feeding it the student's token ids
    # would index past its embedding table)
    assert teacher.tokenizer.vocab_size < student.tokenizer.vocab_size
    assert teacher.get_embedding_dimension() != student.get_embedding_dimension()
    # When
    packed = attach_teacher_targets(contrastive_rows(), teacher, "contrastive", batch_size=3)
    # Then: each column holds the teacher's own encoding, with its query / document prompts
    assert packed.column_names == ["anchor", "positive", "negative_1", "label"]
    labels = torch.tensor(packed["label"])
    y, columns = unpack_targets(labels, 3, "contrastive")
    assert y is None and [tuple(c.shape) for c in columns] == [(8, 24)] * 3
    np.testing.assert_allclose(columns[0].numpy(), teacher.encode_query(ANCHORS), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(columns[1].numpy(), teacher.encode_document(POSITIVES), rtol=1e-5, atol=1e-6)
    assert not np.allclose(columns[0].numpy(), teacher.encode(ANCHORS, prompt=""), atol=1e-4)
    assert not labels.requires_grad


def test_similarity_targets_keep_the_label_first(teacher):
    packed = attach_teacher_targets(similarity_rows(), teacher, "similarity")
    assert packed.column_names == ["anchor", "candidate", "label"]
    y, columns = unpack_targets(torch.tensor(packed["label"]), 2, "similarity")
    assert y.tolist() == [1.0, 0.0, -1.0, 1.0] * 2
    np.testing.assert_allclose(columns[1].numpy(), teacher.encode(NEGATIVES), rtol=1e-5, atol=1e-6)


def test_teacher_targets_refuse_unusable_datasets(teacher):
    with pytest.raises(
        DataError,
        match=r"distillation: a similarity dataset needs a label column \(label, labels, "
        r"score, scores\); columns: \['anchor', 'positive', 'negative_1'\]",
    ):
        attach_teacher_targets(contrastive_rows(), teacher, "similarity")
    with pytest.raises(
        DataError,
        match="distillation: a contrastive dataset must not have a `score` column; the teacher targets go there",
    ):
        attach_teacher_targets(similarity_rows(), teacher, "contrastive")


def train(model, loss, train_dataset, tmp_path, **args):
    arguments = SentenceTransformerTrainingArguments(
        output_dir=str(tmp_path / "out"),
        max_steps=2,
        per_device_train_batch_size=4,
        logging_steps=1,
        learning_rate=5e-3,
        report_to=[],
        save_strategy="no",
        use_cpu=True,
        seed=1,
        **args,
    )
    trainer = SentenceTransformerTrainer(model=model, args=arguments, train_dataset=train_dataset, loss=loss)
    trainer.train()
    return trainer


@pytest.mark.parametrize("loss_name, loss_args", [("ranking", {}), ("cached-ranking", {"mini_batch_size": 3})])
def test_two_step_training_with_every_term_changes_the_model_and_logs_each_component(
    student, teacher, tmp_path, loss_name, loss_args
):
    # Given main + margin + distillation + penalty + Matryoshka, through the real trainer
    data = attach_teacher_targets(contrastive_rows(), teacher, "contrastive")
    objective = ObjectiveSpec(
        type="contrastive",
        datasets={"train": {"name": "x"}},
        margin=0.1,
        loss=loss_name,
        loss_args=loss_args,
        distillation={"alpha": 0.5, "teacher": {"name": "t"}},
        variation_penalty={"alpha": 0.2},
        matryoshka={"matryoshka_dims": [32, 16]},
    )
    loss = build_objective_loss(student, objective, num_train_rows=len(data))
    before = student.encode(ANCHORS, convert_to_tensor=True)
    # When
    trainer = train(student, loss, data, tmp_path)
    # Then
    after = student.encode(ANCHORS, convert_to_tensor=True)
    assert not torch.allclose(before, after)
    logged = [entry for entry in trainer.state.log_history if "loss" in entry]
    assert len(logged) == 2
    for entry in logged:
        assert {"main", "distillation", "penalty"} <= set(entry)
        assert entry["loss"] == pytest.approx(entry["main"] + entry["distillation"] + entry["penalty"], abs=2e-3)
    # The model card (json.dumps of get_config_dict) is written without error, margin included
    # (a float32 tensor or a function in the loss config would make json.dumps fail when the model is saved).
    student.save(str(tmp_path / "model"))
    card = (tmp_path / "model" / "README.md").read_text(encoding="utf-8")
    assert '"margin": 0.1' in card and "On the Similarities of Embeddings in Contrastive Learning" in card


def test_two_objectives_of_the_same_type_both_train(student, tmp_path):
    # Given two contrastive objectives with their own loss modules, told apart by their component prefix
    losses = {}
    for name, loss_name in (("faq", "ranking"), ("faq_hard", "augmented-ranking")):
        objective = ObjectiveSpec(type="contrastive", datasets={"train": {"name": "x"}}, loss=loss_name)
        losses[name] = build_objective_loss(student, objective, component_prefix=f"{name}/")
    data = DatasetDict({"faq": contrastive_rows(), "faq_hard": contrastive_rows()})
    # When
    trainer = train(student, losses, data, tmp_path, multi_dataset_batch_sampler="round_robin")
    # Then: both objectives ran a step and logged their own main term
    keys = set().union(*(entry for entry in trainer.state.log_history if "loss" in entry))
    assert {"faq/main", "faq_hard/main"} <= keys
