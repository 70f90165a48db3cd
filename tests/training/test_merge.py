"""merge_with_base at the unit level: a tiny random BERT as the base, the same with shifted weights as "trained"."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest
import torch

from embedding.config.merge import AUTO_GRID, MergeSpec
from embedding.config.schema import ModelSpec
from embedding.errors import UserError
from embedding.models import load_model
from embedding.training.steps.merge import choose_alpha, merge_with_base
from embedding.training.steps.merge_weights import check_mergeable, interpolate, snapshot

PROBE = "0.model.embeddings.word_embeddings.weight"  # the parameter the fake evaluator reads


def _pair(tiny_bert, **spec):
    """(trained, base): the same tiny model twice, the "trained" one with every float parameter shifted."""
    base, _ = load_model(ModelSpec(name=str(tiny_bert), **spec))
    trained, _ = load_model(ModelSpec(name=str(tiny_bert), **spec))
    torch.manual_seed(0)
    with torch.no_grad():
        for parameter in trained.parameters():
            parameter.add_(torch.randn_like(parameter) * 0.05)
    return trained, base


def test_alpha_0_is_the_base_and_alpha_1_the_trained_model_bit_for_bit(tiny_bert):
    trained, base = _pair(tiny_bert)
    ours, theirs = snapshot(trained), snapshot(base)
    for alpha, expected in ((1.0, ours), (0.0, theirs)):
        merged = interpolate(ours, theirs, alpha)
        assert all(torch.equal(merged[k], expected[k]) for k in ours)
    half = interpolate(ours, theirs, 0.5)
    assert torch.allclose(half[PROBE], (ours[PROBE] + theirs[PROBE]) / 2)


def test_different_architectures_are_refused(tiny_bert):
    trained, _ = _pair(tiny_bert)
    unnormalized, _ = load_model(ModelSpec(name=str(tiny_bert), normalize=False))
    with pytest.raises(UserError, match=r"merge_with_base: .*differ in architecture \(modules .*Normalize"):
        check_mergeable(trained, unnormalized)
    cls, _ = load_model(ModelSpec(name=str(tiny_bert), pooling="cls"))
    with pytest.raises(UserError, match=r"module 1 \(Pooling\) settings"):
        check_mergeable(trained, cls)


def test_choice_follows_the_main_metric_only():
    rows = [{"alpha": a, "metrics": {"main": m, "other": -m}} for a, m in ((0.3, 0.5), (0.5, 0.7), (0.7, 0.6))]
    assert choose_alpha(rows, "main") == 0.5
    assert choose_alpha(rows, "other") == 0.3
    assert choose_alpha(rows, None) == 0.3  # nothing measured: the first (the only one, as validate demands)


def test_choice_is_the_smallest_alpha_within_the_tolerance_of_the_best():
    # validation nDCG@10 per alpha of a real AIA-BDE run: rising to alpha 1 by small steps
    scores = {0.1: 0.9589, 0.2: 0.9622, 0.3: 0.9660, 0.4: 0.9671, 0.5: 0.9689, 0.8: 0.9708, 1.0: 0.9716}
    rows = [{"alpha": a, "metrics": {"ndcg": m}} for a, m in scores.items()]
    assert choose_alpha(rows, "ndcg") == 1.0  # no tolerance: the best
    assert choose_alpha(rows, "ndcg", 0.005) == 0.4  # 0.9671 >= 0.9716 - 0.005; 0.3 (0.9660) is not
    assert choose_alpha(rows, "ndcg", 0.001) == 0.8
    assert choose_alpha(rows, "ndcg", 1.0) == 0.1
    assert choose_alpha(list(reversed(rows)), "ndcg", 0.005) == 0.4  # the order listed does not matter


class ProbeEvaluator:
    """Scores a model by how close its probe weight sits to alpha 0.3 between base and trained."""

    primary_metric = "probe"

    def __init__(self, trained, base):
        self.trained, self.base = trained[PROBE], base[PROBE]

    def __call__(self, model):
        weight = model.state_dict()[PROBE]
        alpha = ((weight - self.base).sum() / (self.trained - self.base).sum()).item()
        return {"probe": -abs(alpha - 0.3)}


def _session(tmp_path, tiny_bert, trained, evaluator, alpha):
    trainer = SimpleNamespace(
        model=trained,
        is_world_process_zero=lambda: True,
        accelerator=SimpleNamespace(wait_for_everyone=lambda: None),
        save_model=lambda path: trained.save(path),
    )
    config = SimpleNamespace(
        merge_with_base=MergeSpec(alpha=alpha),
        base_model=ModelSpec(name=str(tiny_bert), pooling="cls"),
        evaluation=SimpleNamespace(tasks=[], dimensions=None),
    )
    plan = SimpleNamespace(config=config, evaluator=evaluator, run_dir=tmp_path, seed=1)
    return SimpleNamespace(plan=plan, trainer=trainer)


def test_the_evaluator_picks_alpha_and_final_holds_the_merged_model(tmp_path, tiny_bert):
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Normalize, Pooling

    trained, base = _pair(tiny_bert, pooling="cls")
    ours, theirs = snapshot(trained), snapshot(base)
    final = tmp_path / "final"
    trained.save(str(final))  # what save_final_model left after training
    session = _session(tmp_path, tiny_bert, trained, ProbeEvaluator(ours, theirs), "auto")
    record = merge_with_base(session, SimpleNamespace(model_dir=final))
    assert record["alphas"] == list(AUTO_GRID) and record["chosen"] == 0.3
    assert json.loads((tmp_path / "merge.json").read_text())["chosen"] == 0.3
    unmerged = SentenceTransformer(str(tmp_path / "final-unmerged"))
    assert all(torch.equal(unmerged.state_dict()[k], ours[k]) for k in ours)
    merged = SentenceTransformer(str(final))  # plain sentence-transformers loads it
    expected = interpolate(ours, theirs, 0.3)
    assert all(torch.allclose(merged.state_dict()[k], expected[k]) for k in ours)
    assert all(torch.equal(trained.state_dict()[k], expected[k]) for k in ours)  # the run goes on with it
    pools = [m for m in merged if isinstance(m, Pooling)]
    assert [type(m).__name__ for m in merged] == [type(m).__name__ for m in trained]
    assert pools[0].get_config_dict() == trained[1].get_config_dict() and pools[0].pooling_mode == "cls"
    assert isinstance(merged[-1], Normalize)
    card = (final / "README.md").read_text()
    assert "## Merged with the base model" in card and "| 0.3 |" in card and "**chosen**" in card


def test_one_alpha_needs_no_evaluator(tmp_path, tiny_bert):
    trained, base = _pair(tiny_bert, pooling="cls")
    ours, theirs = snapshot(trained), snapshot(base)
    trained.save(str(tmp_path / "final"))
    record = merge_with_base(
        _session(tmp_path, tiny_bert, trained, None, 0.0), SimpleNamespace(model_dir=tmp_path / "final")
    )
    assert record["chosen"] == 0.0 and record["chosen_on"] == "the only alpha"
    merged = snapshot(trained)
    assert all(torch.equal(merged[k], theirs[k]) for k in theirs) and (tmp_path / "final-unmerged").is_dir()
    assert not all(torch.equal(ours[k], theirs[k]) for k in ours)
