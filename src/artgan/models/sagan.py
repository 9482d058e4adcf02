"""SAGAN (Zhang et al. 2019), our stand-in for the MIGAN paper's "SPA-GAN" baseline.

Generator: linear → 4×4, then upsampling stages (nearest ×2 → spectral-norm 3×3 conv →
BatchNorm → ReLU), self-attention at min(32, R/2) px, 3×3 conv → tanh. Discriminator:
spectral-norm strided 4×4 convs with LeakyReLU(0.1), self-attention at min(32, R/2) px,
linear → logit. Spectral norm everywhere (both networks, as in the paper); trained with
the hinge loss.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.nn.utils.parametrizations import spectral_norm

from artgan.config import SAGANConfig
from artgan.models.latent import LatentSpec
from artgan.models.registry import ModelSpec, register
from artgan.nn import SelfAttention
from artgan.nn.blocks import attention_resolution, n_stages, upsample_widths


class SAGANGenerator(nn.Module):
    """``[B, latent_dim]`` → ``[B, 3, resolution, resolution]`` in [-1, 1]."""

    def __init__(
        self, latent_dim: int, resolution: int, channels: int = 32, max_channels: int = 256
    ) -> None:
        super().__init__()
        n = n_stages(resolution)
        widths = upsample_widths(resolution, channels, max_channels)  # as in MIGAN's G
        self.latent_dim = latent_dim
        self.widths = widths
        self.fc = spectral_norm(nn.Linear(latent_dim, widths[0] * 16))
        self.bn0 = nn.BatchNorm2d(widths[0])
        self.convs = nn.ModuleList(
            spectral_norm(nn.Conv2d(widths[i], widths[i + 1], 3, padding=1)) for i in range(n)
        )
        self.bns = nn.ModuleList(nn.BatchNorm2d(widths[i + 1]) for i in range(n))
        att = int(math.log2(attention_resolution(resolution))) - 2
        self.att_after = att - 1  # stage index; −1 = the 4×4 base (R = 8)
        self.attn = SelfAttention(widths[att], spectral=True)
        self.to_rgb = spectral_norm(nn.Conv2d(widths[-1], 3, 3, padding=1))

    def forward(self, latent: Tensor) -> Tensor:
        h = self.fc(latent).view(latent.shape[0], self.widths[0], 4, 4)
        h = F.relu(self.bn0(h))
        if self.att_after == -1:
            h = self.attn(h)
        for i, (conv, bn) in enumerate(zip(self.convs, self.bns, strict=True)):
            h = F.relu(bn(conv(F.interpolate(h, scale_factor=2.0, mode="nearest"))))
            if i == self.att_after:
                h = self.attn(h)
        return torch.tanh(self.to_rgb(h))


class SAGANDiscriminator(nn.Module):
    """``[B, 3, resolution, resolution]`` → logits ``[B]``."""

    def __init__(self, resolution: int, channels: int = 32, max_channels: int = 256) -> None:
        super().__init__()
        n = n_stages(resolution)
        widths = [min(channels * 2**i, max_channels) for i in range(n)]
        self.convs = nn.ModuleList(
            spectral_norm(nn.Conv2d(c_in, c_out, 4, 2, 1))
            for c_in, c_out in zip([3, *widths[:-1]], widths, strict=True)
        )
        # Conv i outputs R / 2^(i+1) px.
        self.att_at = int(math.log2(resolution // attention_resolution(resolution))) - 1
        self.attn = SelfAttention(widths[self.att_at], spectral=True)
        self.fc = spectral_norm(nn.Linear(widths[-1] * 16, 1))

    def forward(self, image: Tensor) -> Tensor:
        h = image
        for i, conv in enumerate(self.convs):
            h = F.leaky_relu(conv(h), 0.1)
            if i == self.att_at:
                h = self.attn(h)
        return self.fc(h.flatten(1)).flatten()


def _generator(cfg: SAGANConfig, latent: LatentSpec, resolution: int) -> nn.Module:
    return SAGANGenerator(latent.dim, resolution, cfg.g_channels, cfg.max_channels)


def _discriminator(cfg: SAGANConfig, latent: LatentSpec, resolution: int) -> nn.Module:
    return SAGANDiscriminator(resolution, cfg.d_channels, cfg.max_channels)


SPEC = register(
    ModelSpec(
        name="sagan",
        description="SAGAN baseline (SPA-GAN stand-in): self-attention in G and D, "
        "spectral norm, hinge loss",
        generator=_generator,
        discriminator=_discriminator,
    )
)
