"""What every benchmark shares: which precisions are worth timing on this machine.

bf16 autocast is ~1.7x faster than fp32 on a CPU with AVX512-BF16/AMX and ~40x slower on
one that emulates it (AVX2-only x86), where a bf16 row would take most of a benchmark's
time and measure nothing a user would choose. ``auto`` therefore times bf16 only where
it is native, and says so in the results.
"""

from __future__ import annotations

import torch

from artgan.runtime import native_bf16


def precisions(asked: str = "auto") -> tuple[list[str], str]:
    """``"auto"`` → ``["fp32"]`` plus ``"bf16"`` where native; ``"fp32,bf16"`` → as asked.
    Returns the list and a markdown line saying what was left out and why ("" if none)."""
    if asked != "auto":
        return [p.strip() for p in asked.split(",") if p.strip()], ""
    if native_bf16(torch.device("cpu")):
        return ["fp32", "bf16"], ""
    return ["fp32"], (
        "bf16 not measured: this CPU has no native bf16 (AVX512-BF16/AMX) and emulates it "
        "far slower than fp32 (`--precision auto` never picks it here; force it with "
        "`--precisions fp32,bf16`).\n"
    )
