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
