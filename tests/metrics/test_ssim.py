"""SSIM / MS-SSIM: agreement with pytorch-msssim and piq, invariants, the eq. 18 loss."""

from __future__ import annotations

import importlib
import importlib.util
import itertools
import math
import sys
import types
from collections.abc import Callable

import pytest
import torch
import torch.nn.functional as F

from artgan.errors import ArtganError
from artgan.metrics import (
    MS_SSIM_WEIGHTS,
    gaussian_window,
    max_ms_ssim_scales,
    ms_ssim,
    ms_ssim_l1_loss,
    ms_ssim_weights,
    ssim,
)

TOL = 1e-4


def _structured(size: int, seed: int) -> torch.Tensor:
    """A painting-like [1, 3, S, S] image in [0, 1]: gradients, stripes, a disc, texture."""
    g = torch.Generator().manual_seed(seed)
    yy, xx = torch.meshgrid(torch.linspace(0, 1, size), torch.linspace(0, 1, size), indexing="ij")
    f = 3 + 5 * torch.rand(3, generator=g)
    phase = 6.28 * torch.rand(3, generator=g)
    chans = [
        0.5 + 0.3 * torch.sin(f[c] * 6.28 * (xx + 0.3 * yy) + phase[c]) * (0.4 + 0.6 * yy)
        for c in range(3)
    ]
    img = torch.stack(chans)
    cx, cy = torch.rand(2, generator=g) * 0.6 + 0.2
    disc = ((xx - cx) ** 2 + (yy - cy) ** 2 < 0.04).float()
    img = img * (1 - disc) + disc * torch.rand(3, 1, 1, generator=g)
    img = img + 0.03 * torch.randn(3, size, size, generator=g)
    return img.clamp(0, 1).unsqueeze(0)


def _pairs(size: int) -> list[tuple[str, torch.Tensor, torch.Tensor]]:
    """Image pairs from very similar to unrelated, each [4, 3, S, S] in [0, 1]."""
    g = torch.Generator().manual_seed(size)
    x = torch.cat([_structured(size, s) for s in range(4)])
    blur = F.avg_pool2d(F.pad(x, (1, 1, 1, 1), mode="replicate"), 3, stride=1)
    noisy = (x + 0.1 * torch.randn(x.shape, generator=g)).clamp(0, 1)
    rand_a = torch.rand(x.shape, generator=g)
    rand_b = (rand_a + 0.3 * torch.randn(x.shape, generator=g)).clamp(0, 1)
    other = torch.cat([_structured(size, s) for s in range(10, 14)])
    return [
        ("blur", x, blur),
        ("noise", x, noisy),
        ("contrast", x, 0.5 + 0.6 * (x - 0.5)),
        ("random", rand_a, rand_b),
        ("unrelated", x, other),
        ("inverted", x, 1 - x),  # negative cs: exercises the relu clamp
    ]


def _load_piq() -> tuple[Callable, Callable]:
    """piq's ssim and multi_scale_ssim, its own unmodified code.

    piq/__init__.py imports torchvision unconditionally (for its Inception / VGG metrics),
    and torchvision does not import next to our CPU torch (SPEC §3). piq.ssim and
    piq.ms_ssim themselves only need torch and numpy, so when the package import fails on
    torchvision we load those two modules under a bare ``piq`` package object that skips
    __init__.py, then drop them from sys.modules again.
    """
    try:
        import piq

        return piq.ssim, piq.multi_scale_ssim
    except ModuleNotFoundError as exc:
        if exc.name != "piq" and not (exc.name or "").startswith("torchvision"):
            raise
    spec = importlib.util.find_spec("piq")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("piq is not installed (pip install --no-deps -r requirements-test.txt)")
    saved = {k: v for k, v in sys.modules.items() if k == "piq" or k.startswith("piq.")}
    pkg = types.ModuleType("piq")
    pkg.__path__ = list(spec.submodule_search_locations)
    sys.modules["piq"] = pkg
    try:
        ssim_mod = importlib.import_module("piq.ssim")
        ms_mod = importlib.import_module("piq.ms_ssim")
    finally:
        for k in [k for k in sys.modules if k == "piq" or k.startswith("piq.")]:
            del sys.modules[k]
        sys.modules.update(saved)
    return ssim_mod.ssim, ms_mod.multi_scale_ssim


@pytest.fixture(scope="module")
def pms():
    return pytest.importorskip("pytorch_msssim")


@pytest.fixture(scope="module")
def piq_fns() -> tuple[Callable, Callable]:
    return _load_piq()


@pytest.mark.parametrize("size", [64, 192, 256])
def test_ssim_matches_references(size: int, pms, piq_fns) -> None:
    piq_ssim, _ = piq_fns
    for name, x, y in _pairs(size):
        ours = ssim(x, y, reduction="none")
        ref = pms.ssim(x, y, data_range=1.0, size_average=False)
        # downsample=False: piq otherwise pre-pools images larger than ~384 px.
        ref_piq = piq_ssim(x, y, data_range=1.0, reduction="none", downsample=False)
        assert ours.shape == (4,)
        assert (ours - ref).abs().max() < TOL, name
        assert (ours - ref_piq).abs().max() < TOL, name
        assert ssim(x, y).item() == pytest.approx(ref.mean().item(), abs=TOL)


@pytest.mark.parametrize("size", [192, 256])
def test_ms_ssim_matches_references(size: int, pms, piq_fns) -> None:
    _, piq_ms = piq_fns
    for name, x, y in _pairs(size):
        ours = ms_ssim(x, y, reduction="none")
        ref = pms.ms_ssim(x, y, data_range=1.0, size_average=False)
        ref_piq = piq_ms(x, y, data_range=1.0, reduction="none")
        assert (ours - ref).abs().max() < TOL, name
        assert (ours - ref_piq).abs().max() < TOL, name
    # data_range is honoured the same way.
    x, y = _pairs(size)[1][1:]
    ours = ms_ssim(255 * x, 255 * y, data_range=255.0)
    assert ours.item() == pytest.approx(
        pms.ms_ssim(255 * x, 255 * y, data_range=255).item(), abs=TOL
    )


def test_ms_ssim_odd_size_pools_like_pytorch_msssim(pms) -> None:
    x, y = _pairs(201)[1][1:]
    ours = ms_ssim(x, y, reduction="none")
    assert (ours - pms.ms_ssim(x, y, data_range=1.0, size_average=False)).abs().max() < TOL


def test_three_scale_ms_ssim_at_64px_matches_piq(piq_fns) -> None:
    # pytorch-msssim always demands > 160 px, whatever the weights; piq takes fewer scales
    # and renormalises them, so both get ms_ssim_weights(3).
    _, piq_ms = piq_fns
    w = ms_ssim_weights(3)
    assert math.isclose(sum(w), 1.0)
    for name, x, y in _pairs(64):
        ours = ms_ssim(x, y, weights=w, reduction="none")
        ref = piq_ms(x, y, data_range=1.0, reduction="none", scale_weights=torch.tensor(w))
        assert (ours - ref).abs().max() < TOL, name


def test_gaussian_window() -> None:
    g = gaussian_window(11, 1.5)
    assert g.shape == (11,)
    assert g.sum().item() == pytest.approx(1.0)
    assert torch.equal(g, g.flip(0)) and g.argmax().item() == 5
    with pytest.raises(ArtganError, match="odd"):
        gaussian_window(10)


def test_identity_symmetry_range() -> None:
    for _, x, y in _pairs(192)[:4]:
        assert torch.allclose(ssim(x, x, reduction="none"), torch.ones(4), atol=1e-6)
        assert torch.allclose(ms_ssim(x, x, reduction="none"), torch.ones(4), atol=1e-6)
        assert torch.allclose(ssim(x, y, reduction="none"), ssim(y, x, reduction="none"))
        assert torch.allclose(ms_ssim(x, y, reduction="none"), ms_ssim(y, x, reduction="none"))
        v = ms_ssim(x, y, reduction="none")
        assert ((v >= 0) & (v < 1)).all()
    x, y = _pairs(192)[0][1:]
    # Ordered sensibly: a slight blur is closer than an unrelated painting.
    other = _pairs(192)[4][2]
    assert ms_ssim(x, y) > ms_ssim(x, other)
    assert ssim(x, y) > ssim(x, other)


def test_batch_size_independent() -> None:
    x = torch.cat([_structured(192, s) for s in range(8)])
    y = torch.roll(x, shifts=3, dims=-1)
    for fn in (ssim, ms_ssim):
        batched = fn(x, y, reduction="none")
        single = torch.cat([fn(x[i : i + 1], y[i : i + 1], reduction="none") for i in range(8)])
        assert torch.allclose(batched, single, atol=1e-6, rtol=0)


def test_low_precision_and_autocast_inputs_are_computed_in_float32() -> None:
    x, y = _pairs(64)[1][1:]
    ref = ssim(x, y)
    assert ref.dtype == torch.float32
    half = ssim(x.bfloat16(), y.bfloat16())
    assert half.dtype == torch.float32
    assert half.item() == pytest.approx(ref.item(), abs=2e-2)  # only the inputs were rounded
    with torch.autocast("cpu", dtype=torch.bfloat16):
        auto = ms_ssim_l1_loss(2 * x - 1, 2 * y - 1)
    assert auto.dtype == torch.float32
    assert auto.item() == pytest.approx(ms_ssim_l1_loss(2 * x - 1, 2 * y - 1).item(), abs=1e-6)
    assert ssim(x.double(), y.double()).dtype == torch.float64


def test_gradient_flows_to_x() -> None:
    x, y = _pairs(64)[1][1:]
    x = x.clone().requires_grad_(True)
    ms_ssim(x, y, weights=ms_ssim_weights(3)).backward()
    assert x.grad is not None and torch.isfinite(x.grad).all() and x.grad.abs().sum() > 0
    x.grad = None
    ssim(x, y).backward()
    assert torch.isfinite(x.grad).all() and x.grad.abs().sum() > 0


def test_loss_zero_for_identical_and_decreases_towards_target() -> None:
    x, y = _pairs(64)[4][1:]  # unrelated paintings
    x, y = 2 * x - 1, 2 * y - 1  # the generator's range
    assert ms_ssim_l1_loss(y, y).abs().item() < 1e-6
    losses = [ms_ssim_l1_loss(y + t * (x - y), y).item() for t in (1.0, 0.6, 0.3, 0.1)]
    assert all(a > b for a, b in itertools.pairwise(losses)), losses
    # A gradient step on the loss moves x towards y.
    xr = x.clone().requires_grad_(True)
    loss = ms_ssim_l1_loss(xr, y)
    loss.backward()
    assert torch.isfinite(xr.grad).all()
    with torch.no_grad():
        stepped = ms_ssim_l1_loss(xr - 20.0 * xr.grad, y)
    assert stepped < loss
    # Even anti-correlated images (all cs clamped to 0) give finite gradients.
    xr = (-y).clone().requires_grad_(True)
    ms_ssim_l1_loss(xr, y).backward()
    assert torch.isfinite(xr.grad).all()


def test_loss_formula_and_scale_choice() -> None:
    x, y = _pairs(64)[1][1:]
    per = ms_ssim_l1_loss(2 * x - 1, 2 * y - 1, reduction="none")
    expected = 0.84 * (1 - ms_ssim(x, y, weights=ms_ssim_weights(3), reduction="none"))
    expected += 0.16 * (x - y).abs().flatten(1).mean(1)
    assert torch.allclose(per, expected, atol=1e-6)
    assert max_ms_ssim_scales(64, 64) == 3
    assert max_ms_ssim_scales(128, 128) == 4
    assert max_ms_ssim_scales(160, 200) == 4
    assert max_ms_ssim_scales(161, 256) == 5
    assert ms_ssim_weights(5) == MS_SSIM_WEIGHTS


def test_too_small_is_a_clear_error() -> None:
    x = torch.rand(1, 3, 64, 64)
    with pytest.raises(ArtganError, match=r"too small for 5-scale MS-SSIM.*161 px") as info:
        ms_ssim(x, x)
    msg = str(info.value)
    assert "ms_ssim_weights(3)" in msg and "window_size" in msg and "\n" not in msg
    with pytest.raises(ArtganError, match="too small"):
        ms_ssim(torch.rand(1, 3, 160, 160), torch.rand(1, 3, 160, 160))
    with pytest.raises(ArtganError, match="smaller than the 11-pixel SSIM window"):
        ssim(torch.rand(1, 3, 8, 8), torch.rand(1, 3, 8, 8))
    # A smaller window makes 5 scales fit at 64 px: (7 - 1) * 16 = 96 > 64, still too small,
    # but (3 - 1) * 16 = 32 < 64 fits.
    assert ms_ssim(x, x, window_size=3).item() == pytest.approx(1.0, abs=1e-6)
