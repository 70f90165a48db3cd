"""Training helps: the packaged MiniLM fine-tuned on AIA-BDE beats the base model and BM25 on the held-out test split,
and bf16 autocast on a CPU with native bf16 trains a model as good as fp32 (what lets `precision: auto` pick it).

The config is the documented benchmark `benchmarks/configs/aia_bde.yaml` (README, "Benchmarks"), so this test is
the proof of the README's numbers. Slow: real MiniLM runs (3 epochs of AIA-BDE on CPU, ~13 min each in fp32).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from embedding.cli import main
from embedding.models import hardware

from .test_reproduce import SHARED

CONFIG = Path(__file__).resolve().parents[2] / "benchmarks" / "configs" / "aia_bde.yaml"
DATA = SHARED / "aia-bde" / "efaq"
STS_BOUND = 0.01  # issue 16: the out-of-domain STS-B Spearman within 0.01 of the base model's

pytestmark = [pytest.mark.slow, pytest.mark.skipif(not DATA.exists(), reason="needs ../shared/datasets/aia-bde")]


def task_value(run_dir: Path, model: str, task: str) -> float:
    """The run's `evaluation.tasks` result: its main metric at full size, for the base ("before") or trained model."""
    rows = json.loads((run_dir / "evaluation.json").read_text())["tasks"]
    metric = "spearman" if task == "STS-B" else "ndcg@10"
    found = [r for r in rows if r["model"] == model and r["dataset"] == task and r["metric"] == metric]  # its name
    return max(found, key=lambda r: r["dim"] or 0)["value"]


def train(out: Path, *overrides: str) -> Path:
    args = ["train", "--config", str(CONFIG), "--set", f"output_dir={out}"]
    assert main(args + [a for o in overrides for a in ("--set", o)]) == 0
    return out / "aia-bde"


@pytest.fixture(scope="module")
def fp32_run(tmp_path_factory) -> Path:
    """The recipe as documented, fp32 (the suite pins `precision: auto` to fp32: tests/conftest.py)."""
    return train(tmp_path_factory.mktemp("fp32"))


def test_fine_tuned_minilm_beats_base_and_bm25_on_aia_bde_test(fp32_run, tmp_path):
    # Given the BM25 baseline on the same test split (all listed negatives in the corpus, queries kept out)
    bm25_dir = tmp_path / "bm25"
    command = ["evaluate", "--model", "bm25", "--task", "ir", "--split", "test", "--dataset", str(DATA)]
    assert main(command + ["--output-dir", str(bm25_dir)]) == 0
    (bm25,) = [
        r["value"] for r in json.loads((bm25_dir / "results.json").read_text())["rows"] if r["metric"] == "ndcg@10"
    ]
    # When the packaged MiniLM is fine-tuned on the train split (the evaluator is the validation split; the test
    # split is an evaluation task, run on the base and the trained model: nothing is selected on it)
    before, after = task_value(fp32_run, "before", "AIA-BDE"), task_value(fp32_run, "after", "AIA-BDE")
    # Then: the published-shape numbers (base 0.899, BM25 0.918) and a real improvement over both
    assert before == pytest.approx(0.899, abs=0.005)
    assert bm25 == pytest.approx(0.918, abs=0.005)
    assert after > max(before, bm25) + 0.005, (before, bm25, after)
    # and out of domain (STS-B test) the trained model stays close to the base model's 0.8203
    sts_before, sts_after = task_value(fp32_run, "before", "STS-B"), task_value(fp32_run, "after", "STS-B")
    assert sts_before == pytest.approx(0.8203, abs=0.001)
    assert sts_after >= sts_before - STS_BOUND, (sts_before, sts_after)


def native_bf16_cpu() -> bool:
    """This CPU's own answer (the suite's EMBEDDING_CPU_BF16=0 pin aside)."""
    return any(flag in hardware.cpu_flags() for flag in hardware.BF16_FLAGS) or hardware.torch_reports_bf16()


@pytest.mark.skipif(not native_bf16_cpu(), reason="the claim is about CPUs with native bf16 (AMX / AVX512-BF16)")
def test_bf16_on_a_native_bf16_cpu_trains_as_well_as_fp32(fp32_run, tmp_path):
    bf16_run = train(tmp_path, "precision=bf16")
    # bf16 really trained (the banner's precision line; its "native" wording follows the suite's fp32 pin)
    assert "precision: bf16 autocast (weights fp32)" in (bf16_run / "train.log").read_text()
    fp32, bf16 = task_value(fp32_run, "after", "AIA-BDE"), task_value(bf16_run, "after", "AIA-BDE")
    assert abs(bf16 - fp32) <= 0.005, (fp32, bf16)
