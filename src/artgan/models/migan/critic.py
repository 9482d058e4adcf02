"""MIGAN's multi-scale critic (paper §4.3.2, Fig. 4): global and patch scores at two
scales, no BatchNorm (the gradient penalty is per image)."""

from __future__ import annotations

import math

import torch.nn.functional as F
from torch import Tensor, nn

from artgan.errors import ArtganError
from artgan.nn import SelfAttention
from artgan.nn.blocks import attention_resolution, down_stack


def patch_resolution(resolution: int) -> int:
    """Size of the critic feature map the patch head reads: 16×16 for inputs ≥ 64 px,
    8×8 for 16–32 px, 4×4 for 8 px (always at least one strided conv deep)."""
    return min(16, max(8, resolution // 4), resolution // 2)


class _Critic(nn.Module):
    """One scale of the critic: ``[B, 3, r, r]`` → (global ``[B]``, patch ``[B, 1, p, p]``)
    with p = ``patch_resolution(r)``. No BatchNorm (WGAN-GP penalises per-sample
    gradients, which batch statistics would couple)."""

    def __init__(
        self, resolution: int, channels: int, max_channels: int, use_sa: bool, spectral: bool
    ) -> None:
        super().__init__()
        self.convs, widths = down_stack(resolution, channels, max_channels, spectral)
        log_r = int(math.log2(resolution))
        self.patch_at = log_r - int(math.log2(patch_resolution(resolution))) - 1
        self.att_at = log_r - int(math.log2(attention_resolution(resolution))) - 1
        self.sa = SelfAttention(widths[self.att_at], spectral=spectral) if use_sa else None
        self.act = nn.LeakyReLU(0.2)
        heads = [nn.Conv2d(widths[self.patch_at], 1, 3, padding=1), nn.Conv2d(widths[-1], 1, 4)]
        if spectral:
            heads = [nn.utils.parametrizations.spectral_norm(h) for h in heads]
        self.patch_head, self.global_head = heads

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        patch = x
        for i, conv in enumerate(self.convs):
            x = self.act(conv(x))
            if self.sa is not None and i == self.att_at:
                x = self.sa(x)
            if i == self.patch_at:
                patch = self.patch_head(x)
        return self.global_head(x).flatten(), patch


class MultiScaleDiscriminator(nn.Module):
    """``[B, 3, R, R]`` → ``[global_0 [B], patch_0 [B, 1, p0, p0], global_1, patch_1, …]``.

    MIGAN §4.3.2 / Fig. 4: the same critic design (separate weights) on the image and on
    2×-average-pooled copies (scale s sees R / 2^s px), each giving a global score and a
    patch score map (p_s = ``patch_resolution(R / 2^s)``). Scores are raw WGAN critic
    values; the loss averages each tensor and sums over the list.
    """

    def __init__(
        self,
        resolution: int,
        channels: int = 32,
        max_channels: int = 256,
        n_scales: int = 2,
        use_sa: bool = False,
        spectral: bool = False,
    ) -> None:
        super().__init__()
        if n_scales < 1:
            raise ArtganError(f"n_scales must be ≥ 1, got {n_scales}")
        smallest = resolution >> (n_scales - 1)
        if smallest < 8 or resolution & (resolution - 1):
            raise ArtganError(
                f"resolution {resolution} with {n_scales} scales gives a {smallest}px "
                "critic; need a power of two with every scale ≥ 8 px"
            )
        self.critics = nn.ModuleList(
            _Critic(resolution >> s, channels, max_channels, use_sa, spectral)
            for s in range(n_scales)
        )

    def forward(self, x: Tensor) -> list[Tensor]:
        out: list[Tensor] = []
        for s, critic in enumerate(self.critics):
            if s:
                x = F.avg_pool2d(x, 2)
            out.extend(critic(x))
        return out
