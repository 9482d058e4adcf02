"""Sharpness difference (Mathieu, Couprie & LeCun 2016, "Deep multi-scale video prediction
beyond mean square error", §4): a PSNR computed on image gradients instead of pixels.

For a reference ``y`` and an estimate ``x`` (paper: Y and Ŷ), with backward differences

    ∇_i y[c, i, j] = |y[c, i, j] - y[c, i-1, j]|      (vertical)
    ∇_j y[c, i, j] = |y[c, i, j] - y[c, i, j-1]|      (horizontal)

    SD = 10 · log10( data_range² / mean_{c, i≥1, j≥1} |(∇_i y + ∇_j y) - (∇_i x + ∇_j x)| )

in dB; higher means the estimate's edges match the reference's more closely. The mean
runs over the ``C × (H-1) × (W-1)`` positions where both differences exist (the paper's
sum; no made-up border pixels) and over channels, as common reimplementations do.
``data_range`` is the paper's ``max_Ŷ``, the largest possible intensity: 1 for images in
[0, 1] (the default, as for :func:`artgan.metrics.ssim`). Only differences enter, so an
offset does not matter, but a scale does: ``max²`` is quadratic and the mean gradient
error linear in intensity, so the same pair scores 10·log10(2) ≈ 3 dB higher as [-1, 1]
images with ``data_range=2`` than as [0, 1] images. Report SD on [0, 1] images with
``data_range=1`` (map generator outputs by ``(x + 1) / 2`` first) so numbers compare.

Identical gradients give ``+inf`` (as PSNR does for identical images): report it as such
or aggregate with care; nothing is capped.
"""

from __future__ import annotations

import torch
from torch import Tensor

from artgan.errors import ArtganError


def _grad_sum(x: Tensor) -> Tensor:
    """``[B, C, H, W]`` → ``[B, C, H-1, W-1]``: |vertical| + |horizontal| backward difference."""
    di = (x[:, :, 1:, 1:] - x[:, :, :-1, 1:]).abs()
    dj = (x[:, :, 1:, 1:] - x[:, :, 1:, :-1]).abs()
    return di + dj


def sharpness_difference(x: Tensor, y: Tensor, data_range: float = 1.0) -> Tensor:
    """SD in dB of each estimate ``x`` against its reference ``y``: ``[B, C, H, W]`` → ``[B]``.

    Computed and returned in float64 (``+inf`` where the gradients agree exactly). Pairs
    are matched by index: both batches must have the same shape, H, W ≥ 2.
    """
    if not isinstance(x, Tensor) or not isinstance(y, Tensor):
        raise ArtganError("sharpness difference needs two tensors [B, C, H, W]")
    if x.shape != y.shape:
        raise ArtganError(
            f"sharpness difference compares image pairs: shapes differ, "
            f"{tuple(x.shape)} vs {tuple(y.shape)} (mismatched pair counts or sizes)"
        )
    if x.ndim != 4 or x.shape[2] < 2 or x.shape[3] < 2:
        raise ArtganError(
            f"sharpness difference needs [B, C, H, W] images with H, W ≥ 2, got {tuple(x.shape)}"
        )
    if not data_range > 0:
        raise ArtganError(f"data_range must be positive, got {data_range}")
    x64, y64 = x.detach().double(), y.detach().double()
    err = (_grad_sum(y64) - _grad_sum(x64)).abs().mean(dim=(1, 2, 3))
    # err = 0 divides to +inf and log10(inf) = inf: no warning, no NaN.
    return 10.0 * torch.log10(float(data_range) ** 2 / err)
