"""bf16 that really runs in the packed path (issues 32 and 33): where the banner says `bf16 autocast`, the packed
forward computes under it (the trainer's autocast wraps only the model's `forward`, which the packed layers do not
call), so the weights differ from an fp32 run; where it says fp32, they are bit-identical to one.

This machine has no native bf16, so bf16 is forced with the switch users have: `EMBEDDING_CPU_BF16=1` (the test
suite pins it to 0, tests/conftest.py).
"""

from __future__ import annotations

import logging

import pytest
import torch

from embedding.models.hardware import OVERRIDE
from tests.conftest import base_config


def _train(tiny_bert, efaq_dir, out, caplog, **extra) -> tuple[dict[str, torch.Tensor], dict[str, str], object]:
    """Two packed training steps; the trained weights, the banner's facts and the run's execution decision."""
    from embedding.training.display.banner import banner_facts
    from embedding.training.plan import build_plan
    from embedding.training.run import build_trainer
    from embedding.validation import validate_mapping

    config = base_config(tiny_bert, efaq_dir, out, **extra)
    config["objectives"] = [{**config["objectives"][0], "matryoshka": None}]
    config["objectives"][0].pop("matryoshka")
    config.pop("evaluator"), config.pop("early_stopping")
    config["args"] = {**config["args"], "max_steps": 2, "eval_strategy": "no", "save_strategy": "no"}
    for key in ("metric_for_best_model", "load_best_model_at_end", "save_steps", "eval_steps", "save_total_limit"):
        config["args"].pop(key)
    plan = build_plan(validate_mapping(config), out / "run")
    trainer = build_trainer(plan, [])
    facts = dict(banner_facts(plan, trainer)[0])
    with caplog.at_level(logging.ERROR):
        trainer.train()
    return {k: v.detach().clone() for k, v in plan.model.state_dict().items()}, facts, plan.execution


@pytest.mark.slow  # three short trainings: ~25 s on 2 cores
def test_forced_bf16_changes_the_packed_step_and_fp32_is_bit_identical(
    tiny_bert, efaq_dir, tmp_path, monkeypatch, caplog
):
    fp32, fp32_facts, fp32_run = _train(tiny_bert, efaq_dir, tmp_path / "fp32", caplog, precision="fp32")
    monkeypatch.setenv(OVERRIDE, "0")  # auto with native bf16 turned off: fp32
    off, off_facts, _ = _train(tiny_bert, efaq_dir, tmp_path / "off", caplog)
    monkeypatch.setenv(OVERRIDE, "1")  # auto on a CPU said to have native bf16: bf16 autocast
    bf16, bf16_facts, bf16_run = _train(tiny_bert, efaq_dir, tmp_path / "bf16", caplog)

    # every run packed (the path under test), and the decision says which precision it runs
    assert fp32_run.packed and bf16_run.packed and "packed without padding" in bf16_facts["encoder calls"]
    assert (fp32_run.cpu_bf16, bf16_run.cpu_bf16) == (False, True)
    # fp32 with bf16 off: bit for bit the same weights, and the banner says fp32
    assert all(torch.equal(off[k], fp32[k]) for k in fp32)
    assert fp32_facts["precision"] == "fp32"
    assert off_facts["precision"].startswith("fp32 (auto: native bf16 detection turned off by EMBEDDING_CPU_BF16=0)")
    # bf16 where the banner says bf16: the packed forward ran under autocast, so the weights moved differently
    assert bf16_facts["precision"].startswith("bf16 autocast (weights fp32)")
    changed = [k for k in fp32 if not torch.equal(bf16[k], fp32[k])]
    assert len(changed) > len(fp32) // 2


def test_packed_embeddings_are_bf16_rounded_under_the_runs_autocast(tiny_bert):
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Pooling, Transformer

    from embedding.config.execution import ExecutionSpec
    from embedding.forward.execution import decide

    model = SentenceTransformer(modules=[Transformer(str(tiny_bert)), Pooling(32, "mean")], device="cpu").eval()
    texts = [["how do i return my order", "track payment"], ["refund the order", "where is my card now"]]
    features = [model.preprocess(column) for column in texts]
    fp32 = decide(ExecutionSpec(merge_columns="sorted"), model)
    bf16 = decide(ExecutionSpec(merge_columns="sorted"), model, cpu_bf16=True)
    assert fp32.packed and bf16.packed
    with torch.no_grad():
        exact = fp32.embed(model, [dict(f) for f in features])
        rounded = bf16.embed(model, [dict(f) for f in features])
        padded = decide(ExecutionSpec(merge_columns="sorted", packed=False), model).embed(model, features)
    for ours, reference, theirs in zip(rounded, exact, padded, strict=True):
        assert ours.dtype == torch.float32  # as the trainer's autocast wrapper returns it
        assert not torch.equal(ours, reference)
        torch.testing.assert_close(ours, reference, rtol=0.05, atol=0.05)  # bf16 rounding, not another result
        torch.testing.assert_close(reference, theirs, rtol=1e-5, atol=1e-5)  # fp32: packed = padded


@pytest.mark.parametrize("cpu_bf16", [False, True])
def test_autocast_is_on_exactly_when_the_decision_says_bf16(cpu_bf16):
    from embedding.forward.execution import Execution

    with Execution(cpu_bf16=cpu_bf16).autocast():
        assert torch.is_autocast_enabled("cpu") is cpu_bf16
