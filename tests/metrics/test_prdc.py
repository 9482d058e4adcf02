"""Precision/recall/density/coverage against the authors' `prdc` package, and the
analytic values for two samples of one distribution."""

from __future__ import annotations

import numpy as np
import pytest

from artgan.errors import ArtganError
from artgan.metrics.prdc import kth_neighbour_radii, prdc


@pytest.mark.parametrize(("n", "m", "dim", "shift"), [(300, 250, 16, 0.0), (200, 400, 32, 0.7)])
def test_matches_the_prdc_package(n, m, dim, shift, capsys):
    rng = np.random.default_rng(0)
    real = rng.normal(size=(n, dim))
    fake = rng.normal(loc=shift, scale=1.2, size=(m, dim))
    ours = prdc(real, fake, k=5)
    prdc_ref = pytest.importorskip("prdc")  # the reference package; the rest need none
    ref = prdc_ref.compute_prdc(real_features=real, fake_features=fake, nearest_k=5)
    for key in ("precision", "recall", "density", "coverage"):
        # Distances differ in the last bits (sklearn's dot-product formula): a sample
        # exactly on a ball's edge could flip, hence one sample's worth of tolerance.
        assert ours[key] == pytest.approx(ref[key], abs=1.0 / min(n, m)), key


def test_kth_radius_excludes_the_point_itself():
    x = np.array([[0.0], [1.0], [3.0], [6.0]])
    assert kth_neighbour_radii(x, 1).tolist() == [1.0, 1.0, 2.0, 3.0]
    assert kth_neighbour_radii(x, 2).tolist() == [3.0, 2.0, 3.0, 5.0]


def test_two_samples_of_one_distribution_give_the_analytic_values():
    """Naeem et al.: for matching distributions E[density] = 1 and E[coverage] =
    1 − 2^−k (0.969 at k = 5, M = N); precision and recall agree with each other."""
    rng = np.random.default_rng(1)
    real, fake = rng.normal(size=(2000, 64)), rng.normal(size=(2000, 64))
    out = prdc(real, fake, k=5)
    assert out["density"] == pytest.approx(1.0, abs=0.06)
    assert out["coverage"] == pytest.approx(1 - 2**-5, abs=0.02)
    assert out["precision"] == pytest.approx(out["recall"], abs=0.05)
    far = prdc(real, rng.normal(loc=3.0, size=(2000, 64)), k=5)
    assert far["precision"] < 0.05 and far["coverage"] < 0.05


@pytest.mark.slow
def test_the_packages_documented_example():
    """prdc's README: 10,000 vs 10,000 samples of N(0, I) in 1000-d, k = 5 →
    precision ≈ 0.477, recall ≈ 0.471, density ≈ 1.056, coverage ≈ 0.974."""
    rng = np.random.default_rng(2)
    real, fake = rng.normal(size=(10000, 1000)), rng.normal(size=(10000, 1000))
    out = prdc(real, fake, k=5)
    documented = {"precision": 0.4772, "recall": 0.4705, "density": 1.0555, "coverage": 0.9735}
    for key, value in documented.items():
        assert out[key] == pytest.approx(value, abs=0.03), key


def test_too_few_samples_is_a_clear_error():
    with pytest.raises(ArtganError, match="need more than 5 real and generated images"):
        prdc(np.zeros((5, 3)), np.zeros((10, 3)))
