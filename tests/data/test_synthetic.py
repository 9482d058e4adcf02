"""The built-in procedural landscapes."""

from __future__ import annotations

import numpy as np
import pytest

from artgan.data import LANDSCAPE_CLASSES, load_dataset, make_landscapes
from artgan.errors import ArtganError


def test_shape_dtype_labels_and_metadata() -> None:
    data = make_landscapes(n=40, resolution=32, seed=0)
    assert data.images.shape == (40, 32, 32, 3) and data.images.dtype == np.uint8
    assert data.labels.shape == (40,) and data.labels.dtype == np.int64
    assert data.class_names == LANDSCAPE_CLASSES == ["dawn", "day", "dusk", "night"]
    assert set(data.labels.tolist()) == {0, 1, 2, 3}
    assert data.files[0] == "landscape_00000" and len(data.files) == 40
    assert data.source == "builtin:landscapes" and data.skipped == []
    assert len(data) == 40 and data.resolution == 32


def test_deterministic_and_seeded() -> None:
    a = make_landscapes(n=24, resolution=16, seed=5)
    b = make_landscapes(n=24, resolution=16, seed=5)
    c = make_landscapes(n=24, resolution=16, seed=6)
    assert np.array_equal(a.images, b.images) and a.fingerprint == b.fingerprint
    assert not np.array_equal(a.images, c.images) and a.fingerprint != c.fingerprint


def test_prefix_is_stable_across_n() -> None:
    small = make_landscapes(n=5, resolution=64)
    large = make_landscapes(n=100, resolution=64)
    assert np.array_equal(small.images, large.images[:5])
    assert small.fingerprint != large.fingerprint


@pytest.mark.parametrize("resolution", [8, 64, 256])
def test_images_have_content_and_differ(resolution: int) -> None:
    n = 12 if resolution == 256 else 48
    data = make_landscapes(n=n, resolution=resolution, seed=1)
    imgs = data.images.astype(np.float32)
    assert (imgs.reshape(n, -1).std(axis=1) > 15).all()
    # Sky above land: by daylight the top rows differ in colour from the bottom rows.
    band = max(1, resolution // 8)
    top, bottom = imgs[:, :band].mean(axis=(1, 2)), imgs[:, -band:].mean(axis=(1, 2))
    lit = data.labels != LANDSCAPE_CLASSES.index("night")
    assert (np.abs(top - bottom).sum(axis=1)[lit] > 40).all()
    # Every pair of images differs noticeably.
    flat = imgs.reshape(n, -1)
    dist = np.abs(flat[:, None] - flat[None]).mean(axis=2)
    assert dist[~np.eye(n, dtype=bool)].min() > 3


def test_classes_set_the_palette() -> None:
    data = make_landscapes(n=200, resolution=16)
    brightness = [data.images[data.labels == k].mean() for k in range(4)]
    night = brightness[LANDSCAPE_CLASSES.index("night")]
    assert night < min(b for i, b in enumerate(brightness) if i != 3) - 20
    sky = data.images[:, :4].astype(np.float32).mean(axis=(1, 2))  # [N, 3]
    day = sky[data.labels == 1]
    assert (day[:, 2] > day[:, 0]).mean() > 0.9  # blue daytime sky
    dusk = sky[data.labels == 2]
    assert dusk[:, 0].mean() > dusk[:, 2].mean()  # warm dusk


def test_load_dataset_builtin() -> None:
    for path in (None, "builtin:landscapes"):
        data = load_dataset(path, 16)
        assert data.source == "builtin:landscapes" and data.images.shape[1:] == (16, 16, 3)


@pytest.mark.parametrize(
    ("n", "resolution", "says"),
    [(0, 32, "positive integer, got 0"), (-3, 32, "positive integer, got -3"),
     (10, 48, "power of two between 8 and 1024, got 48"), (10, 2048, "got 2048")],
)  # fmt: skip
def test_invalid_arguments(n: int, resolution: int, says: str) -> None:
    with pytest.raises(ArtganError, match=says):
        make_landscapes(n=n, resolution=resolution)
