"""Differentiable augmentations for the discriminator's inputs (DiffAugment, Zhao et al.
2020; the ADA pipeline, Karras et al. 2020, gates the same operations per image).

Each operation maps ``[B, C, H, W]`` in [-1, 1] to the same shape, differentiably in its
input, with every random parameter drawn from the CPU ``generator`` given (so training
stays counter-based and resumes exactly). ``p`` applies the operation to each image
with that probability (1 for DiffAugment). With ``world`` processes each draws the
parameters of the global batch and keeps its slice (``rank``), so N processes augment
exactly as one.

- ``color``: brightness ± 0.5, saturation × [0, 2], contrast × [0.5, 1.5] (DiffAugment's);
- ``translation``: an integer shift of up to 1/8 of the side, zero (grey) padded;
- ``cutout``: a square of half the side set to 0 (grey) at a random centre;
- ``flip``: a horizontal flip with probability 1/2 (for ADA; DiffAugment does not use it).
"""

from __future__ import annotations

import torch
from torch import Tensor

from artgan.augment.registry import AUGMENTATIONS, Augmentation

TRANSLATION = 0.125
CUTOUT = 0.5


def _rand(g: torch.Generator, n: int, world: int, rank: int, *shape: int) -> Tensor:
    """``[n, *shape]`` uniform draws: this rank's slice of the global batch's."""
    return torch.rand(n * world, *shape, generator=g)[rank * n : (rank + 1) * n]


def _gate(x: Tensor, out: Tensor, g: torch.Generator, p: float, world: int, rank: int) -> Tensor:
    """``out`` for the images drawn with probability ``p``, ``x`` for the others."""
    if p >= 1.0:
        return out
    keep = _rand(g, x.shape[0], world, rank).to(x.device) < p
    return torch.where(keep[:, None, None, None], out, x)


def color(x: Tensor, g: torch.Generator, p: float = 1.0, world: int = 1, rank: int = 0) -> Tensor:
    r = _rand(g, x.shape[0], world, rank, 3).to(x.device, x.dtype)[:, :, None, None, None]
    out = x + (r[:, 0] - 0.5)
    mean_c = out.mean(dim=1, keepdim=True)
    out = (out - mean_c) * (r[:, 1] * 2) + mean_c
    mean = out.mean(dim=(1, 2, 3), keepdim=True)
    out = (out - mean) * (r[:, 2] + 0.5) + mean
    return _gate(x, out, g, p, world, rank)


def translation(
    x: Tensor, g: torch.Generator, p: float = 1.0, world: int = 1, rank: int = 0
) -> Tensor:
    b, c, h, w = x.shape
    sh, sw = int(h * TRANSLATION + 0.5), int(w * TRANSLATION + 0.5)
    r = _rand(g, b, world, rank, 2)
    dy = (r[:, 0] * (2 * sh + 1)).long() - sh  # uniform integers in [-sh, sh]
    dx = (r[:, 1] * (2 * sw + 1)).long() - sw
    ys = (torch.arange(h)[None, :] - dy[:, None]).to(x.device)  # [B, H] source rows
    xs = (torch.arange(w)[None, :] - dx[:, None]).to(x.device)
    out = x.gather(2, ys.clamp(0, h - 1)[:, None, :, None].expand(b, c, h, w))
    out = out.gather(3, xs.clamp(0, w - 1)[:, None, None, :].expand(b, c, h, w))
    inside = ((ys >= 0) & (ys < h))[:, None, :, None] & ((xs >= 0) & (xs < w))[:, None, None, :]
    return _gate(x, out * inside.to(x.dtype), g, p, world, rank)


def cutout(x: Tensor, g: torch.Generator, p: float = 1.0, world: int = 1, rank: int = 0) -> Tensor:
    b, _, h, w = x.shape
    ch, cw = int(h * CUTOUT + 0.5), int(w * CUTOUT + 0.5)
    r = _rand(g, b, world, rank, 2)
    top = (r[:, 0] * h).long() - ch // 2  # the square's top-left corner, may lie outside
    left = (r[:, 1] * w).long() - cw // 2
    ys, xs = torch.arange(h)[None, :], torch.arange(w)[None, :]
    rows = (ys >= top[:, None]) & (ys < top[:, None] + ch)  # [B, H]
    cols = (xs >= left[:, None]) & (xs < left[:, None] + cw)
    hole = (rows[:, None, :, None] & cols[:, None, None, :]).to(x.device)
    return _gate(x, x * (~hole).to(x.dtype), g, p, world, rank)


def flip(x: Tensor, g: torch.Generator, p: float = 1.0, world: int = 1, rank: int = 0) -> Tensor:
    mirror = (_rand(g, x.shape[0], world, rank) < 0.5).to(x.device)
    out = torch.where(mirror[:, None, None, None], x.flip(3), x)
    return _gate(x, out, g, p, world, rank)


for _fn, _what in (
    (color, "brightness, saturation and contrast (DiffAugment's colour)"),
    (translation, "integer shift by up to 1/8 of the side, grey padding"),
    (cutout, "a grey square of half the side"),
    (flip, "horizontal flip with probability 1/2"),
):
    AUGMENTATIONS.register(Augmentation(_fn.__name__, _what, _fn, differentiable=True))
