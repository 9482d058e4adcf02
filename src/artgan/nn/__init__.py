"""Building blocks for MIGAN and SAGAN: AMS, SFT, self-attention, ECA, S-ECA."""

from __future__ import annotations

from artgan.nn.ams import AMSBlock
from artgan.nn.attention import SelfAttention
from artgan.nn.eca import ECA, SECA, eca_kernel_size
from artgan.nn.sft import SFTConditionNet, SFTLayer

__all__ = [
    "ECA",
    "SECA",
    "AMSBlock",
    "SFTConditionNet",
    "SFTLayer",
    "SelfAttention",
    "eca_kernel_size",
]
