"""ECA channel attention (Wang et al. 2020) and MIGAN's S-ECA (§4.3, eq. 15–16).

ECA: global average pool → 1-D conv across neighbouring channels (adaptive odd kernel,
eq. 16) → sigmoid → per-channel weights. S-ECA: self-attention (spatial, global) then
ECA (channel), in that order as the paper describes.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from artgan.nn.attention import SelfAttention


def eca_kernel_size(channels: int, gamma: int = 2, b: int = 1) -> int:
    """Eq. 16: ``k = |log2(C)/γ + b/γ|_odd`` (truncate, then round up to odd)."""
    t = int(abs((math.log2(channels) + b) / gamma))
    return t if t % 2 else t + 1


class ECA(nn.Module):
    """``[B, C, H, W]`` → ``x · σ(conv1d(gap(x)))`` ``[B, C, H, W]``."""

    def __init__(self, channels: int, gamma: int = 2, b: int = 1) -> None:
        super().__init__()
        k = eca_kernel_size(channels, gamma, b)
        self.conv = nn.Conv1d(1, 1, k, padding=k // 2, bias=False)

    def forward(self, x: Tensor) -> Tensor:
        y = x.mean(dim=(2, 3))  # [B, C]
        w = torch.sigmoid(self.conv(y[:, None, :]))  # [B, 1, C]: channels as a sequence
        return x * w[:, 0, :, None, None]


class SECA(nn.Module):
    """``[B, C, H, W]`` → ``ECA(SA(x))``; an absent part is not constructed, so with
    both flags False this is the identity with no parameters."""

    def __init__(self, channels: int, use_sa: bool = True, use_eca: bool = True) -> None:
        super().__init__()
        self.sa = SelfAttention(channels) if use_sa else None
        self.eca = ECA(channels) if use_eca else None

    def forward(self, x: Tensor) -> Tensor:
        if self.sa is not None:
            x = self.sa(x)
        if self.eca is not None:
            x = self.eca(x)
        return x
