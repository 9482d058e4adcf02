"""Sharpness difference (Mathieu et al. 2016) against a direct loop-by-loop implementation."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from artgan.errors import ArtganError
from artgan.metrics.sharpness import sharpness_difference


def _sd_reference(x: np.ndarray, y: np.ndarray, max_value: float) -> float:
    """The paper's formula for one image pair ``[C, H, W]``, written out with loops."""
    c_n, h, w = y.shape
    total, count = 0.0, 0
    for c in range(c_n):
        for i in range(1, h):
            for j in range(1, w):
                gy = abs(y[c, i, j] - y[c, i - 1, j]) + abs(y[c, i, j] - y[c, i, j - 1])
                gx = abs(x[c, i, j] - x[c, i - 1, j]) + abs(x[c, i, j] - x[c, i, j - 1])
                total += abs(gy - gx)
                count += 1
    return 10.0 * math.log10(max_value**2 / (total / count))


def test_matches_direct_numpy_implementation() -> None:
    g = torch.Generator().manual_seed(0)
    y = torch.rand(3, 3, 9, 7, generator=g)
    x = (y + 0.1 * torch.randn(3, 3, 9, 7, generator=g)).clamp(0, 1)
    sd = sharpness_difference(x, y)
    assert sd.shape == (3,) and sd.dtype == torch.float64
    for b in range(3):
        ref = _sd_reference(x[b].double().numpy(), y[b].double().numpy(), 1.0)
        assert float(sd[b]) == pytest.approx(ref, rel=1e-12)


def test_data_range_and_scale() -> None:
    g = torch.Generator().manual_seed(1)
    y = torch.rand(2, 3, 8, 8, generator=g)
    x = torch.rand(2, 3, 8, 8, generator=g)
    sd1 = sharpness_difference(x, y, data_range=1.0)
    torch.testing.assert_close(
        sharpness_difference(x, y, data_range=2.0), sd1 + 20 * math.log10(2.0)
    )
    # Not scale-invariant: max² over a mean |gradient| grows by 10·log10(2) when images
    # and range both double, which is why [-1, 1] images are mapped to [0, 1] first.
    torch.testing.assert_close(
        sharpness_difference(2 * x - 1, 2 * y - 1, data_range=2.0), sd1 + 10 * math.log10(2.0)
    )


def test_identical_images_give_inf() -> None:
    y = torch.rand(2, 3, 8, 8)
    sd = sharpness_difference(y, y)
    assert torch.isinf(sd).all() and (sd > 0).all()
    # A constant offset leaves the gradients unchanged up to float rounding.
    assert (sharpness_difference(y + 0.1, y) > 60).all()


def test_blur_scores_lower_than_mild_noise() -> None:
    g = torch.Generator().manual_seed(2)
    y = torch.rand(4, 3, 32, 32, generator=g)
    noisy = (y + 0.01 * torch.randn(y.shape, generator=g)).clamp(0, 1)
    box = torch.ones(3, 1, 3, 3) / 9
    blurred = F.conv2d(F.pad(y, (1, 1, 1, 1), mode="replicate"), box, groups=3)
    blurrier = F.conv2d(F.pad(blurred, (1, 1, 1, 1), mode="replicate"), box, groups=3)
    sd_noise = sharpness_difference(noisy, y)
    sd_blur = sharpness_difference(blurred, y)
    sd_blurrier = sharpness_difference(blurrier, y)
    assert (sd_blur < sd_noise).all()
    assert (sd_blurrier < sd_blur).all()


def test_batch_items_are_independent() -> None:
    y = torch.rand(4, 3, 8, 8)
    x = torch.rand(4, 3, 8, 8)
    whole = sharpness_difference(x, y)
    parts = torch.cat([sharpness_difference(x[i : i + 1], y[i : i + 1]) for i in range(4)])
    torch.testing.assert_close(whole, parts)


def test_bad_inputs_are_clear_errors() -> None:
    y = torch.rand(4, 3, 8, 8)
    with pytest.raises(ArtganError, match="mismatched pair counts"):
        sharpness_difference(y[:3], y)
    with pytest.raises(ArtganError, match="shapes differ"):
        sharpness_difference(y[..., :6], y)
    with pytest.raises(ArtganError, match=r"\[B, C, H, W\]"):
        sharpness_difference(y[0], y[0])
    with pytest.raises(ArtganError, match="H, W"):
        sharpness_difference(y[..., :1], y[..., :1])
    with pytest.raises(ArtganError, match="data_range"):
        sharpness_difference(y, y, data_range=0)
