"""The memorisation check and the second feature space (FD-VGG19)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from artgan.metrics import frechet_distance
from artgan.metrics.fid import feature_stats
from artgan.metrics.memorisation import memorisation, nearest
from artgan.metrics.vgg_features import FEATURE_DIM, VGG19PoolFeatures


def _sets(seed: int = 0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(400, 32)), rng.normal(size=(300, 32)), rng.normal(size=(200, 32))


def test_a_generator_that_returns_training_images_is_flagged():
    train, test, _ = _sets()
    copies = train[:150] + 1e-3 * np.random.default_rng(1).normal(size=(150, 32))
    out = memorisation(copies, test, train)
    assert out["copies"] and out["copy_fraction"] == 1.0
    assert out["median_ratio"] < 0.01
    assert [p[1] for p in out["pairs"]] == [int(p[0]) for p in out["pairs"]]  # its source


def test_a_generator_that_returns_held_out_images_passes():
    train, test, unseen = _sets()
    out = memorisation(unseen, test, train)  # as far from train as held-out images are
    assert not out["copies"] and out["copy_fraction"] < 0.05
    assert out["median_ratio"] == pytest.approx(1.0, abs=0.1)


def test_nearest_is_exact():
    train = np.array([[0.0, 0.0], [10.0, 0.0]])
    d, j = nearest(np.array([[9.0, 0.0], [0.0, 2.0]]), train)
    assert j.tolist() == [1, 0] and d.tolist() == [1.0, 2.0]


def test_frechet_distance_on_known_gaussians():
    """FD = ‖μ1 − μ2‖² + Tr(Σ1 + Σ2 − 2(Σ1Σ2)^½); for diagonal covariances the last term
    is Σ (σ1 − σ2)²."""
    mu1, mu2 = np.zeros(3), np.array([1.0, 2.0, 0.0])
    s1, s2 = np.diag([1.0, 4.0, 9.0]), np.diag([4.0, 1.0, 9.0])
    expected = 5.0 + (1 - 2) ** 2 + (2 - 1) ** 2 + 0.0
    assert frechet_distance(mu1, s1, mu2, s2) == pytest.approx(expected, abs=1e-9)


def test_vgg19_features_shape_determinism_and_self_distance():
    net = VGG19PoolFeatures()
    rng = np.random.default_rng(0)
    images = torch.from_numpy(rng.integers(0, 256, (6, 3, 32, 32), dtype=np.uint8))
    with torch.inference_mode():
        a, b = net(images), net(images[:3])
        as_float = net(images.float() / 127.5 - 1)
    assert a.shape == (6, FEATURE_DIM) and a.dtype == torch.float64
    torch.testing.assert_close(a[:3], b)  # an image's features do not depend on its batch
    torch.testing.assert_close(a, as_float)  # uint8 and [-1, 1] inputs agree
    mu, sigma = feature_stats(a.numpy())
    assert frechet_distance(mu, sigma, mu, sigma) == pytest.approx(0.0, abs=1e-6)
    assert net.extractor_id.startswith("vgg19-relu4_4+relu5_4-gap:") and "64px" in net.extractor_id
