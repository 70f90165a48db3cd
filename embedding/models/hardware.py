"""Whether this CPU computes bf16 natively (AVX512-BF16 or AMX), for `precision: auto`.

Without those instructions bf16 autocast on a CPU converts every operand and runs slower than fp32; with them
(Intel Cooper Lake, Sapphire Rapids and later; AMD Zen 4 and later) MiniLM trained 2.28x the samples per
CPU-second on a Sapphire Rapids machine (issue 15, benchmarks/README.md).
Either torch's own check or the Linux CPU flags say yes; anything else (other systems, unreadable files, an older
torch) answers no, so the fallback is always fp32. `EMBEDDING_CPU_BF16=0` (or `1`) overrides the detection: the
test suite pins fp32 with it so that its results do not depend on the CPU of the machine running it.
"""

from __future__ import annotations

import os
from pathlib import Path

CPUINFO = Path("/proc/cpuinfo")
OVERRIDE = "EMBEDDING_CPU_BF16"
# /proc/cpuinfo flag -> the name users know it by (AMX first: it is the faster of the two).
BF16_FLAGS = {"amx_bf16": "AMX", "avx512_bf16": "AVX512-BF16"}


def cpu_flags() -> frozenset[str]:
    """The first processor's flags from /proc/cpuinfo (empty where the file does not exist or cannot be read)."""
    try:
        text = CPUINFO.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return frozenset()
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "flags":
            return frozenset(value.split())
    return frozenset()


def torch_reports_bf16() -> bool:
    """torch's own test of the CPU (a private helper of torch.cpu; False where this torch lacks it)."""
    import torch

    check = getattr(getattr(torch, "cpu", None), "_is_avx512_bf16_supported", None)
    try:
        return bool(check()) if check is not None else False
    except Exception:  # noqa: BLE001 - a capability probe must never stop a run: no answer means fp32
        return False


def native_bf16() -> str | None:
    """The native bf16 instructions of this CPU ("AMX", "AVX512-BF16"), or None: keep fp32."""
    override = os.environ.get(OVERRIDE, "").strip()
    if override in ("0", "1"):
        return "forced by EMBEDDING_CPU_BF16=1" if override == "1" else None
    flags = cpu_flags()
    named = [name for flag, name in BF16_FLAGS.items() if flag in flags]
    if named:
        return named[0]
    return "AVX512-BF16" if torch_reports_bf16() else None
