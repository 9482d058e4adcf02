"""Shape rules and small pieces that several generators and critics share."""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from artgan.errors import ArtganError


def n_stages(resolution: int, minimum: int = 8) -> int:
    """log2(R) − 2 (the number of ×2 steps between 4×4 and R), validating R."""
    if resolution < minimum or resolution & (resolution - 1):
        raise ArtganError(f"resolution must be a power of two ≥ {minimum}, got {resolution}")
    return int(math.log2(resolution)) - 2


def attention_resolution(resolution: int) -> int:
    """Where self-attention sits: 32×32 (1024 positions) when R ≥ 64, else R/2, as in
    SAGAN, which attends at a mid resolution rather than on the full image."""
    return min(32, resolution // 2)


def he_init(*modules: nn.Module) -> None:
    """He init for layers followed by LeakyReLU(0.2): without BatchNorm this keeps
    activations at unit scale through the stack (PyTorch's default shrinks them)."""
    for m in modules:
        nn.init.kaiming_normal_(m.weight, a=0.2, nonlinearity="leaky_relu")
        nn.init.zeros_(m.bias)


def down_stack(
    resolution: int, channels: int, max_channels: int, spectral: bool
) -> tuple[nn.ModuleList, list[int]]:
    """Strided 4×4 convs from R px down to 4×4, widths doubling from ``channels``, He init.
    Conv i maps ``[B, c_in, r, r]`` to ``[B, widths[i], R / 2^(i+1), R / 2^(i+1)]``."""
    n = n_stages(resolution)
    widths = [min(channels * 2**i, max_channels) for i in range(n)]
    convs = nn.ModuleList()
    for c_in, c_out in zip([3, *widths[:-1]], widths, strict=True):
        conv = nn.Conv2d(c_in, c_out, 4, 2, 1)
        he_init(conv)
        convs.append(nn.utils.parametrizations.spectral_norm(conv) if spectral else conv)
    return convs, widths


def upsample_widths(resolution: int, channels: int, max_channels: int) -> list[int]:
    """Generator widths ``[C0, …, channels]``: entry j is the width at 4·2^j px, halving
    towards the image from at most ``max_channels``."""
    n = n_stages(resolution)
    return [min(channels * 2 ** (n - j), max_channels) for j in range(n + 1)]


def group_norm(channels: int, max_groups: int = 32) -> nn.GroupNorm:
    """GroupNorm with the most groups ≤ ``max_groups`` that divide ``channels``: 32 as in
    the DDPM UNet where the width allows it, fewer for the narrow widths of tests and
    CPU-sized models (GroupNorm needs the group count to divide the channels)."""
    groups = max(g for g in range(1, min(max_groups, channels) + 1) if channels % g == 0)
    return nn.GroupNorm(groups, channels)


class PixelNorm(nn.Module):
    """``[B, C, H, W]`` → same, each pixel's feature vector scaled to unit RMS over C
    (ProGAN's pixelwise normalisation): keeps a BatchNorm-free generator's activations
    from drifting in magnitude, without mixing images of the batch."""

    def forward(self, x: Tensor) -> Tensor:
        return x * torch.rsqrt(x.square().mean(dim=1, keepdim=True) + 1e-8)
