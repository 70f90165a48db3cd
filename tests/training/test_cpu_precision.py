"""Precision on a CPU: `auto` autocasts to bf16 where the CPU has native bf16 (AMX / AVX512-BF16) and keeps fp32
elsewhere; `bf16` always autocasts, and the banner says whether the CPU has native bf16.

The CPU's answer is mocked both ways, so these tests mean the same on any machine.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import torch

from embedding.models import hardware
from embedding.training.display import banner
from embedding.training.trainer import arguments

SAPPHIRE_RAPIDS = "processor\t: 0\nflags\t\t: fpu sse avx2 avx512f avx512_bf16 amx_bf16 amx_tile amx_int8\n\n"
COOPER_LAKE = "processor\t: 0\nflags\t\t: fpu sse avx2 avx512f avx512_bf16\n\n"
SKYLAKE = "processor\t: 0\nflags\t\t: fpu sse avx2 avx512f avx512_vnni\n\n"


@pytest.fixture
def cpu(monkeypatch, tmp_path):
    """Make this machine a CPU-only one with the given /proc/cpuinfo text; torch's own check says what it's told."""
    monkeypatch.delenv(hardware.OVERRIDE, raising=False)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)

    def describe(cpuinfo: str | None, torch_says: bool = False) -> None:
        path = tmp_path / "cpuinfo"
        if cpuinfo is not None:
            path.write_text(cpuinfo)
        monkeypatch.setattr(hardware, "CPUINFO", path)
        monkeypatch.setattr(hardware, "torch_reports_bf16", lambda: torch_says)

    return describe


@pytest.mark.parametrize(
    ("cpuinfo", "torch_says", "expected"),
    [
        (SAPPHIRE_RAPIDS, True, "AMX"),
        (COOPER_LAKE, True, "AVX512-BF16"),
        (SKYLAKE, False, None),
        (None, False, None),  # no /proc/cpuinfo (macOS, Windows): fp32
        (None, True, "AVX512-BF16"),  # ... unless torch itself finds the instructions
    ],
)
def test_native_bf16_from_cpu_flags_and_torch(cpu, cpuinfo, torch_says, expected):
    cpu(cpuinfo, torch_says)
    assert hardware.native_bf16() == expected


def test_environment_overrides_the_detection(cpu, monkeypatch):
    cpu(SAPPHIRE_RAPIDS, True)
    monkeypatch.setenv(hardware.OVERRIDE, "0")
    assert hardware.native_bf16() is None
    cpu(SKYLAKE, False)
    monkeypatch.setenv(hardware.OVERRIDE, "1")
    assert hardware.native_bf16() == "forced by EMBEDDING_CPU_BF16=1"


def _precision_args(precision: str, **args) -> dict:
    arguments._apply_precision(SimpleNamespace(precision=precision), args)
    return args


def test_auto_picks_bf16_on_a_native_bf16_cpu(cpu):
    cpu(SAPPHIRE_RAPIDS, True)
    assert _precision_args("auto") == {"bf16": True, "use_cpu": True}
    cpu(COOPER_LAKE, True)
    assert _precision_args("auto") == {"bf16": True, "use_cpu": True}
    assert _precision_args("auto", bf16=False) == {"bf16": False}  # `args` of the config win
    assert _precision_args("bf16") == {"bf16": True, "use_cpu": True}
    assert _precision_args("fp32") == {}
    assert _precision_args("bf16", bf16=False) == {"bf16": False}  # `args` of the config win


def test_auto_keeps_fp32_on_a_cpu_without_native_bf16(cpu, monkeypatch):
    cpu(SKYLAKE, False)
    assert _precision_args("auto") == {}
    cpu(SAPPHIRE_RAPIDS, True)
    monkeypatch.setenv(hardware.OVERRIDE, "0")  # the test suite's own pin (tests/conftest.py)
    assert _precision_args("auto") == {}
    assert _precision_args("bf16") == {"bf16": True, "use_cpu": True}  # asked for: done, the banner says the cost


def test_bf16_on_cpu_builds_trainer_arguments_whose_autocast_is_bf16(cpu, tmp_path):
    # transformers refuses bf16 without a GPU unless use_cpu is set; with it, accelerate autocasts the CPU to bf16
    from sentence_transformers import SentenceTransformerTrainingArguments
    from transformers import Trainer

    cpu(SAPPHIRE_RAPIDS, True)
    targs = SentenceTransformerTrainingArguments(output_dir=str(tmp_path), report_to="none", **_precision_args("bf16"))
    trainer = Trainer(model=torch.nn.Linear(2, 2), args=targs)
    with trainer.autocast_smart_context_manager(), trainer.accelerator.autocast():
        assert torch.is_autocast_enabled("cpu") and torch.get_autocast_dtype("cpu") == torch.bfloat16
        assert trainer.model(torch.ones(1, 2)).dtype == torch.bfloat16


def _banner_precision(precision: str, **args) -> str:
    return banner._precision(SimpleNamespace(device=torch.device("cpu"), **args), precision)


def test_banner_says_why_on_a_cpu(cpu):
    cpu(SAPPHIRE_RAPIDS, True)
    assert _banner_precision("bf16", bf16=True) == "bf16 autocast (weights fp32), native on this CPU (AMX)"
    assert _banner_precision("auto", bf16=True) == "bf16 autocast (weights fp32), native on this CPU (AMX) (auto)"
    cpu(SKYLAKE, False)
    assert _banner_precision("auto") == "fp32 (auto: this CPU has no native bf16)"
    assert _banner_precision("fp32") == "fp32"
    assert _banner_precision("bf16", bf16=True) == (
        "bf16 autocast (weights fp32), but this CPU has no native bf16: slower than fp32"
    )


def test_banner_names_the_override_that_turned_bf16_off(cpu, monkeypatch):
    cpu(SAPPHIRE_RAPIDS, True)  # a CPU that has it, the detection turned off: the banner must not blame the CPU
    monkeypatch.setenv(hardware.OVERRIDE, "0")
    assert _banner_precision("auto") == "fp32 (auto: native bf16 detection turned off by EMBEDDING_CPU_BF16=0)"


def test_banner_on_a_gpu_is_unchanged(cpu):
    args = SimpleNamespace(device=torch.device("cuda", 0), bf16=True)
    assert banner._precision(args, "auto") == "bf16 autocast (weights fp32)"
