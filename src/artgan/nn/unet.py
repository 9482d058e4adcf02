"""A small UNet that predicts the noise ε of a diffusion model (Ho et al. 2020, "Denoising
Diffusion Probabilistic Models", appendix B), sized for 32–64 px on a CPU.

Layout: a 3×3 conv to ``channels``; per level ``i`` (side ``R / 2^i``, width
``channels · channel_mult[i]``) ``num_res_blocks`` residual blocks, each followed by
self-attention where that side is in ``attn_resolutions``, then a stride-2 3×3 conv (not
after the last level); a middle of residual block, attention (if the lowest side is
listed), residual block; then the mirror image upwards, where every block reads the
matching down-path activation concatenated to its input (the skip connections), with
nearest ×2 + 3×3 conv between levels; GroupNorm, SiLU and a 3×3 conv to ε.

The timestep enters every residual block: its sinusoidal embedding goes through an MLP,
and each block turns it into a per-channel scale and shift of its normalised features
(the "scale-shift norm" of Nichol & Dhariwal 2021). A scale, not only the additive bias of
the original DDPM, lets the noise level change how strongly a channel fires.

The layers take plain arguments (``artgan.nn``'s rule); a model's builder maps its config
section onto them.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from artgan.errors import ArtganError
from artgan.nn.attention import single_head_attention
from artgan.nn.blocks import group_norm


def timestep_embedding(t: Tensor, dim: int, max_period: float = 10_000.0) -> Tensor:
    """Integer steps ``t [B]`` → ``[B, dim]`` float32: ``[cos(t·ω_k) | sin(t·ω_k)]`` with
    ``ω_k = max_period^(−k / half)``, ``k = 0 … half − 1``, ``half = dim // 2`` (the
    Transformer's positional encoding). An odd ``dim`` gets a zero last column.

    Geometric frequencies give every step a distinct code whose nearby steps have nearby
    codes, at any T up to ``max_period``, with nothing to learn.
    """
    half = dim // 2
    k = torch.arange(half, dtype=torch.float32, device=t.device)
    freqs = torch.exp(-math.log(max_period) * k / max(half, 1))
    args = t.to(torch.float32)[:, None] * freqs[None, :]
    emb = torch.cat([torch.cos(args), torch.sin(args)], dim=1)
    return F.pad(emb, (0, 1)) if dim % 2 else emb


class ResBlock(nn.Module):
    """``x [B, c_in, H, W]``, ``emb [B, emb_dim]`` → ``[B, c_out, H, W]``:
    GroupNorm, SiLU, 3×3 conv; GroupNorm, then ``·(1 + scale) + shift`` from ``emb``;
    SiLU, dropout, 3×3 conv; plus the input (through a 1×1 conv where widths differ)."""

    def __init__(self, c_in: int, c_out: int, emb_dim: int, dropout: float) -> None:
        super().__init__()
        self.norm1 = group_norm(c_in)
        self.conv1 = nn.Conv2d(c_in, c_out, 3, 1, 1)
        self.emb = nn.Linear(emb_dim, 2 * c_out)
        self.norm2 = group_norm(c_out)
        self.dropout = nn.Dropout(dropout)
        self.conv2 = nn.Conv2d(c_out, c_out, 3, 1, 1)
        # Zero init: the block starts as its skip path, so the deep stack starts close to
        # the identity and trains from a well-conditioned point (as in Ho et al.'s code).
        nn.init.zeros_(self.conv2.weight)
        nn.init.zeros_(self.conv2.bias)
        self.skip: nn.Module = nn.Conv2d(c_in, c_out, 1) if c_in != c_out else nn.Identity()

    def forward(self, x: Tensor, emb: Tensor) -> Tensor:
        h = self.conv1(F.silu(self.norm1(x)))
        scale, shift = self.emb(F.silu(emb))[:, :, None, None].chunk(2, dim=1)
        h = self.norm2(h) * (1 + scale) + shift
        return self.skip(x) + self.conv2(self.dropout(F.silu(h)))


class AttentionBlock(nn.Module):
    """``[B, C, H, W]`` → same: one-head self-attention over the H·W positions, added to
    the input.

    Not :class:`artgan.nn.SelfAttention` (SAGAN's): the UNet's residual stream grows
    through the stack, so the block normalises its input first (GroupNorm, as the DDPM
    UNet does), and the values keep the full width. The output projection starts at zero,
    so the block starts as the identity.
    """

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.norm = group_norm(channels)
        self.qkv = nn.Conv2d(channels, 3 * channels, 1)
        self.proj = nn.Conv2d(channels, channels, 1)
        nn.init.zeros_(self.proj.weight)
        nn.init.zeros_(self.proj.bias)

    def forward(self, x: Tensor) -> Tensor:
        b, c, h, w = x.shape
        # [B, 3C, H, W] → three [B, N, C]: SDPA attends over the second-to-last dim.
        q, k, v = self.qkv(self.norm(x)).flatten(2).transpose(1, 2).chunk(3, dim=2)
        o = single_head_attention(q, k, v)  # scaled by 1/sqrt(C)
        return x + self.proj(o.transpose(1, 2).reshape(b, c, h, w))


class _Stage(nn.Module):
    """A residual block, then self-attention where the level asks for it."""

    def __init__(self, c_in: int, c_out: int, emb_dim: int, dropout: float, attend: bool):
        super().__init__()
        self.res = ResBlock(c_in, c_out, emb_dim, dropout)
        self.attn: nn.Module = AttentionBlock(c_out) if attend else nn.Identity()

    def forward(self, x: Tensor, emb: Tensor) -> Tensor:
        return self.attn(self.res(x, emb))


def unet_levels(
    resolution: int, channel_mult: tuple[int, ...], attn_resolutions: tuple[int, ...]
) -> list[int]:
    """The side of each level, ``[R, R/2, …]`` (one per ``channel_mult`` entry),
    validating that R halves that often and that attention sits on one of them."""
    n = len(channel_mult)
    if n == 0 or any(m < 1 for m in channel_mult):
        raise ArtganError(f"channel_mult needs one positive entry per level, got {channel_mult}")
    if resolution < 2 ** (n - 1) or resolution % 2 ** (n - 1):
        raise ArtganError(
            f"a UNet with {n} levels halves the image {n - 1} times; "
            f"{resolution} px is not divisible by {2 ** (n - 1)}"
        )
    levels = [resolution >> i for i in range(n)]
    bad = sorted(set(attn_resolutions) - set(levels))
    if bad:
        raise ArtganError(f"attention at {bad} px, but the UNet's levels are {levels} px")
    return levels


class UNet(nn.Module):
    """``x [B, 3, R, R]``, ``t [B]`` (long, 0 … T−1) → ε ``[B, 3, R, R]``.

    ``channels``: the width of the first level; level i is ``channels · channel_mult[i]``
    wide at ``R / 2^i`` px. ``attn_resolutions``: the sides (px) that get self-attention,
    e.g. ``(16,)`` at 32 or 64 px; ``()`` for none. ``dropout``: inside every residual
    block (Ho et al. use 0.1 on CIFAR-10). The time embedding is ``4 · channels`` wide.
    """

    def __init__(
        self,
        channels: int,
        channel_mult: tuple[int, ...],
        resolution: int,
        attn_resolutions: tuple[int, ...],
        dropout: float,
        num_res_blocks: int = 2,
    ) -> None:
        super().__init__()
        levels = unet_levels(resolution, channel_mult, attn_resolutions)
        widths = [channels * m for m in channel_mult]
        emb_dim = 4 * channels
        self.channels, self.resolution = channels, resolution
        self.time_mlp = nn.Sequential(
            nn.Linear(channels, emb_dim), nn.SiLU(), nn.Linear(emb_dim, emb_dim)
        )
        self.conv_in = nn.Conv2d(3, channels, 3, 1, 1)
        # Down path; `skips` records the width of every activation it keeps for the up path.
        self.down = nn.ModuleList()
        skips, c = [channels], channels
        for i, (side, w) in enumerate(zip(levels, widths, strict=True)):
            for _ in range(num_res_blocks):
                self.down.append(_Stage(c, w, emb_dim, dropout, side in attn_resolutions))
                c = w
                skips.append(c)
            if i < len(levels) - 1:
                self.down.append(nn.Conv2d(c, c, 3, 2, 1))
                skips.append(c)
        self.mid = _Stage(c, c, emb_dim, dropout, levels[-1] in attn_resolutions)
        self.mid_out = ResBlock(c, c, emb_dim, dropout)
        # Up path: one block more per level than on the way down, so that every kept
        # activation (the downsampling convs' too) is read by exactly one block.
        self.up = nn.ModuleList()
        for i in reversed(range(len(levels))):
            for _ in range(num_res_blocks + 1):
                attend = levels[i] in attn_resolutions
                self.up.append(_Stage(c + skips.pop(), widths[i], emb_dim, dropout, attend))
                c = widths[i]
            if i > 0:
                self.up.append(
                    nn.Sequential(nn.Upsample(scale_factor=2.0, mode="nearest"),
                                  nn.Conv2d(c, c, 3, 1, 1))
                )  # fmt: skip
        self.norm_out = group_norm(c)
        self.conv_out = nn.Conv2d(c, 3, 3, 1, 1)
        # Zero init: the first prediction is ε = 0, the loss starts at E[ε²] = 1.
        nn.init.zeros_(self.conv_out.weight)
        nn.init.zeros_(self.conv_out.bias)

    def forward(self, x: Tensor, t: Tensor) -> Tensor:
        emb = self.time_mlp(timestep_embedding(t, self.channels).to(x.dtype))
        h = self.conv_in(x)
        kept = [h]
        for layer in self.down:
            h = layer(h, emb) if isinstance(layer, _Stage) else layer(h)
            kept.append(h)
        h = self.mid_out(self.mid(h, emb), emb)
        for layer in self.up:
            if isinstance(layer, _Stage):
                h = layer(torch.cat([h, kept.pop()], dim=1), emb)
            else:  # upsampling
                h = layer(h)
        return self.conv_out(F.silu(self.norm_out(h)))
