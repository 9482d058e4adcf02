"""SSIM and MS-SSIM, differentiable, batched, usable as a metric and as a training loss.

Follows Wang et al. 2004 (SSIM) and Wang, Simoncelli & Bovik 2003 (MS-SSIM) the way the
common PyTorch references do (``pytorch-msssim``; ``piq`` agrees on even-sized images):

- an 11-tap Gaussian window (sigma 1.5), applied separably with 'valid' padding, so the
  statistics never see made-up border pixels;
- SSIM of a channel is the mean of its SSIM map; an image's value is the mean over
  channels; k1 = 0.01, k2 = 0.03, constants scaled by ``data_range``;
- MS-SSIM multiplies the contrast-structure term ``cs`` of the first ``M - 1`` scales and
  the full SSIM (luminance included) of the last scale, each raised to its scale weight,
  with 2×2 average pooling between scales. An odd side is padded by one pixel first,
  exactly as ``pytorch-msssim`` does (``avg_pool2d(padding=side % 2)``, zero padding
  counted in the mean).
- Negative values: ``cs`` at the first scales and the last-scale SSIM are clamped at 0
  with ``relu`` before the fractional powers (as ``pytorch-msssim`` and ``piq`` do), since
  a negative number to a fractional power is NaN. Anti-correlated images therefore get
  MS-SSIM 0, and a clamped scale passes no gradient.

Sizes. Each scale needs the window to fit after the halvings, so M scales with an
``N``-tap window need ``min(H, W) > (N - 1) * 2 ** (M - 1)``: > 160 px for the standard 5
scales, > 80 px for 4, > 40 px for 3. Too small an image is an :class:`ArtganError`.
:func:`ms_ssim_weights` gives the first M standard weights renormalised to sum to 1, and
:func:`ms_ssim_l1_loss` picks the most scales that fit (at most 5), so at 64 px the
training loss uses 3 scales with weights (0.0448, 0.2856, 0.3001) / 0.6305
= (0.0711, 0.4530, 0.4760), at 128 px 4 scales and from 161 px the standard 5.

Everything is computed in float32 (float64 if an input is float64) with autocast off, so
the loss is safe inside mixed-precision training.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor

from artgan.errors import ArtganError

MS_SSIM_WEIGHTS: tuple[float, ...] = (0.0448, 0.2856, 0.3001, 0.2363, 0.1333)


def gaussian_window(size: int = 11, sigma: float = 1.5) -> Tensor:
    """Normalised 1-D Gaussian window ``[size]`` (float64; callers cast)."""
    if size < 1 or size % 2 == 0:
        raise ArtganError(f"SSIM window size must be a positive odd number, got {size}")
    if sigma <= 0:
        raise ArtganError(f"SSIM window sigma must be positive, got {sigma}")
    coords = torch.arange(size, dtype=torch.float64) - size // 2
    g = torch.exp(-(coords**2) / (2.0 * sigma**2))
    return g / g.sum()


def max_ms_ssim_scales(height: int, width: int, window_size: int = 11) -> int:
    """Most MS-SSIM scales an ``height × width`` image supports with this window (0 if none)."""
    side = min(height, width)
    levels = 0
    while side > (window_size - 1) * 2**levels:
        levels += 1
    return levels


def ms_ssim_weights(levels: int) -> tuple[float, ...]:
    """The first ``levels`` standard MS-SSIM weights, renormalised to sum to 1.

    ``levels=5`` returns the standard weights unchanged (they already sum to ~1).
    """
    if not 1 <= levels <= len(MS_SSIM_WEIGHTS):
        raise ArtganError(f"MS-SSIM supports 1 to {len(MS_SSIM_WEIGHTS)} scales, got {levels}")
    if levels == len(MS_SSIM_WEIGHTS):
        return MS_SSIM_WEIGHTS
    head = MS_SSIM_WEIGHTS[:levels]
    total = math.fsum(head)
    return tuple(w / total for w in head)


def _prepare(x: Tensor, y: Tensor) -> tuple[Tensor, Tensor]:
    if x.shape != y.shape:
        raise ValueError(
            f"SSIM inputs must have the same shape, got {tuple(x.shape)} and {tuple(y.shape)}"
        )
    if x.dim() != 4:
        raise ValueError(f"SSIM expects [B, C, H, W] images, got shape {tuple(x.shape)}")
    dtype = torch.float64 if torch.float64 in (x.dtype, y.dtype) else torch.float32
    return x.to(dtype), y.to(dtype)


def _blur(t: Tensor, win: Tensor) -> Tensor:
    """Separable 'valid' Gaussian blur: ``[B, C, H, W]`` → ``[B, C, H-N+1, W-N+1]``."""
    c = t.shape[1]
    n = win.numel()
    t = F.conv2d(t, win.view(1, 1, n, 1).expand(c, 1, n, 1), groups=c)
    return F.conv2d(t, win.view(1, 1, 1, n).expand(c, 1, 1, n), groups=c)


def _ssim_cs(
    x: Tensor, y: Tensor, win: Tensor, data_range: float, k1: float, k2: float
) -> tuple[Tensor, Tensor]:
    """Per-channel SSIM and contrast-structure means, each ``[B, C]``."""
    c1 = (k1 * data_range) ** 2
    c2 = (k2 * data_range) ** 2
    b, c = x.shape[:2]
    # One grouped conv over the five statistics instead of five convs.
    stats = _blur(torch.cat([x, y, x * x, y * y, x * y], dim=1), win)
    mu_x, mu_y, e_xx, e_yy, e_xy = stats.split(c, dim=1)
    mu_xx, mu_yy, mu_xy = mu_x * mu_x, mu_y * mu_y, mu_x * mu_y
    sigma_xx = e_xx - mu_xx
    sigma_yy = e_yy - mu_yy
    sigma_xy = e_xy - mu_xy
    cs_map = (2 * sigma_xy + c2) / (sigma_xx + sigma_yy + c2)
    ssim_map = (2 * mu_xy + c1) / (mu_xx + mu_yy + c1) * cs_map
    return ssim_map.reshape(b, c, -1).mean(-1), cs_map.reshape(b, c, -1).mean(-1)


def _reduce(per_image: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return per_image.mean()
    if reduction == "none":
        return per_image
    raise ValueError(f"reduction must be 'mean' or 'none', got {reduction!r}")


def ssim(
    x: Tensor,
    y: Tensor,
    data_range: float = 1.0,
    window_size: int = 11,
    sigma: float = 1.5,
    k1: float = 0.01,
    k2: float = 0.03,
    reduction: str = "mean",
) -> Tensor:
    """Structural similarity of ``x`` and ``y``, both ``[B, C, H, W]`` in ``[0, data_range]``.

    Returns a scalar (``reduction="mean"``) or per-image values ``[B]`` (``"none"``), each the
    mean over channels of the mean SSIM map. 1 means identical.
    """
    x, y = _prepare(x, y)
    with torch.autocast(device_type=x.device.type, enabled=False):
        if min(x.shape[-2:]) < window_size:
            raise ArtganError(
                f"image {x.shape[-2]}×{x.shape[-1]} is smaller than the {window_size}-pixel "
                f"SSIM window; use a smaller window_size (odd) or larger images"
            )
        win = gaussian_window(window_size, sigma).to(x.device, x.dtype)
        ssim_c, _ = _ssim_cs(x, y, win, data_range, k1, k2)
        return _reduce(ssim_c.mean(1), reduction)


def ms_ssim(
    x: Tensor,
    y: Tensor,
    data_range: float = 1.0,
    weights: Sequence[float] = MS_SSIM_WEIGHTS,
    window_size: int = 11,
    sigma: float = 1.5,
    k1: float = 0.01,
    k2: float = 0.03,
    reduction: str = "mean",
) -> Tensor:
    """Multi-scale SSIM of ``x`` and ``y``, both ``[B, C, H, W]`` in ``[0, data_range]``.

    One scale per weight (finest first); weights are used as given (see
    :func:`ms_ssim_weights` for renormalised shorter lists). Per channel the value is
    ``prod_{j<M} relu(cs_j) ** w_j * relu(ssim_M) ** w_M``, then averaged over channels.
    Returns a scalar or ``[B]`` (``reduction="none"``).
    """
    x, y = _prepare(x, y)
    levels = len(weights)
    if levels < 1:
        raise ArtganError("MS-SSIM needs at least one scale weight")
    h, w = x.shape[-2:]
    if min(h, w) <= (window_size - 1) * 2 ** (levels - 1):
        fit = max_ms_ssim_scales(h, w, window_size)
        need = (window_size - 1) * 2 ** (levels - 1) + 1
        hint = f"weights=ms_ssim_weights({fit}) fits" if fit else "even one scale does not fit"
        raise ArtganError(
            f"image {h}×{w} is too small for {levels}-scale MS-SSIM with a {window_size}-pixel "
            f"window (needs sides of at least {need} px); use fewer scales ({hint}) "
            f"or a smaller window_size"
        )
    with torch.autocast(device_type=x.device.type, enabled=False):
        win = gaussian_window(window_size, sigma).to(x.device, x.dtype)
        w_t = torch.tensor(weights, dtype=x.dtype, device=x.device).view(-1, 1, 1)
        terms = []
        for level in range(levels):
            ssim_c, cs_c = _ssim_cs(x, y, win, data_range, k1, k2)
            if level < levels - 1:
                terms.append(torch.relu(cs_c))
                pad = [s % 2 for s in x.shape[-2:]]
                x = F.avg_pool2d(x, kernel_size=2, padding=pad)
                y = F.avg_pool2d(y, kernel_size=2, padding=pad)
        terms.append(torch.relu(ssim_c))
        per_channel = torch.prod(torch.stack(terms) ** w_t, dim=0)  # [B, C]
        return _reduce(per_channel.mean(1), reduction)


def ms_ssim_l1_loss(
    x: Tensor,
    y: Tensor,
    alpha: float = 0.84,
    data_range: float = 2.0,
    min_value: float = -1.0,
    weights: Sequence[float] | None = None,
    window_size: int = 11,
    reduction: str = "mean",
) -> Tensor:
    """MIGAN eq. 18: ``alpha * (1 - MS-SSIM(x, y)) + (1 - alpha) * L1(x, y)``.

    ``x`` (the reconstruction) and ``y`` (the target) are ``[B, C, H, W]`` in
    ``[min_value, min_value + data_range]`` — by default the generator's [-1, 1]. Both are
    mapped to [0, 1] first: SSIM's luminance term assumes non-negative intensities, and it
    puts the L1 term on the same 0–1 scale as ``1 - MS-SSIM`` so ``alpha`` means the same
    at any input range. ``weights=None`` uses the most standard scales that fit the image
    (:func:`ms_ssim_weights`; 3 at 64 px). Returns a scalar or ``[B]``.
    """
    x, y = _prepare(x, y)
    x01 = (x - min_value) / data_range
    y01 = (y - min_value) / data_range
    if weights is None:
        fit = max_ms_ssim_scales(x.shape[-2], x.shape[-1], window_size)
        weights = ms_ssim_weights(max(1, min(fit, len(MS_SSIM_WEIGHTS))))
    with torch.autocast(device_type=x.device.type, enabled=False):
        ms = ms_ssim(x01, y01, 1.0, weights, window_size, reduction="none")
        l1 = (x01 - y01).abs().flatten(1).mean(1)
        return _reduce(alpha * (1.0 - ms) + (1.0 - alpha) * l1, reduction)
