"""Device and precision choice."""

from __future__ import annotations

import pytest

from artgan.errors import ArtganError


def test_precision_auto_picks_native_bf16_only(monkeypatch):
    """auto → bf16 only where the hardware has it; an explicit bf16 on a CPU that
    emulates it is kept but warned about (it runs ~40x slower than fp32 there)."""
    import torch

    import artgan.runtime.device as rtm

    cpu = torch.device("cpu")
    monkeypatch.setattr(rtm, "native_bf16", lambda device: False)
    assert rtm.resolve_precision("auto", cpu) == "fp32"
    with pytest.warns(UserWarning, match="no native bf16"):
        assert rtm.resolve_precision("bf16", cpu) == "bf16"
    assert rtm.setup_runtime("cpu", "auto", threads=torch.get_num_threads()).precision == "fp32"
    monkeypatch.setattr(rtm, "native_bf16", lambda device: True)
    assert rtm.resolve_precision("auto", cpu) == "bf16"
    assert rtm.resolve_precision("fp32", cpu) == "fp32"
    with pytest.raises(ArtganError, match="unknown precision 'fp16'"):
        rtm.resolve_precision("fp16", cpu)


def test_cpu_name_reads_the_model_name_and_falls_back_to_platform(monkeypatch, tmp_path):
    import platform
    from pathlib import Path

    import artgan.runtime.device as rtm

    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text("processor\t: 0\nmodel name\t: Some CPU 9000 @ 1GHz\nflags\t: avx2\n")
    real_path = Path
    monkeypatch.setattr(rtm, "Path", lambda p: cpuinfo if p == "/proc/cpuinfo" else real_path(p))
    assert rtm.cpu_name() == "Some CPU 9000 @ 1GHz"
    cpuinfo.unlink()  # no /proc/cpuinfo (macOS, Windows): what platform knows
    monkeypatch.setattr(platform, "processor", lambda: "")
    assert rtm.cpu_name() == platform.machine()


def test_runtime_describe_says_what_auto_became():
    import torch

    from artgan.runtime import Runtime

    cpu = torch.device("cpu")
    assert Runtime(cpu, "bf16", True).describe("auto").startswith("cpu, bf16 (auto: native bf16), ")
    assert Runtime(cpu, "fp32", True).describe("auto").startswith("cpu, fp32 (auto: no native")
    line = Runtime(cpu, "fp32", True).describe("fp32")
    assert line == f"cpu, fp32, {torch.get_num_threads()} threads"
