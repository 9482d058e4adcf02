"""Reference-statistics cache: hits, misses on changed inputs, and broken files rebuilt."""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from artgan.data import load_folder
from artgan.errors import ArtganError
from artgan.metrics.cache import (
    cached_stats,
    default_stats_dir,
    imageset_key_parts,
    stats_key,
)
from artgan.metrics.fid import feature_stats

KEY = {"source_fingerprint": "abc", "count": 5, "resolution": 64, "extractor": "test"}


class _Counter:
    """A ``compute`` callable that counts its calls and returns fixed features ``[5, 4]``."""

    def __init__(self, seed: int = 0) -> None:
        self.calls = 0
        self.feats = np.random.default_rng(seed).normal(size=(5, 4))

    def __call__(self) -> np.ndarray:
        self.calls += 1
        return self.feats


def _only_file(folder: Path) -> Path:
    files = list(folder.iterdir())
    assert len(files) == 1, files  # no temp files left behind
    return files[0]


def test_hit_returns_identical_stats_without_recomputing(tmp_path: Path) -> None:
    compute = _Counter()
    first = cached_stats(KEY, compute, tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a clean hit warns about nothing
        second = cached_stats(dict(reversed(KEY.items())), compute, tmp_path)  # order-free
    assert compute.calls == 1
    assert second.key == first.key == stats_key(KEY)
    for a, b in [(first.mu, second.mu), (first.sigma, second.sigma)]:
        assert np.array_equal(a, b)
    assert np.array_equal(second.features, compute.feats)
    mu, sigma = feature_stats(compute.feats)
    assert np.array_equal(first.mu, mu) and np.array_equal(first.sigma, sigma)
    assert _only_file(tmp_path).name == f"{first.key}.npz"


def test_changed_key_recomputes(tmp_path: Path) -> None:
    compute = _Counter()
    a = cached_stats(KEY, compute, tmp_path)
    b = cached_stats({**KEY, "extractor": "other"}, compute, tmp_path)
    assert compute.calls == 2 and a.key != b.key
    assert len(list(tmp_path.iterdir())) == 2


@pytest.mark.parametrize("damage", ["garbage", "truncate", "flip", "foreign"])
def test_corrupted_file_is_detected_and_rebuilt(tmp_path: Path, damage: str) -> None:
    compute = _Counter()
    stats = cached_stats(KEY, compute, tmp_path)
    path = _only_file(tmp_path)
    raw = bytearray(path.read_bytes())
    if damage == "garbage":
        raw = bytearray(b"not an npz file")
    elif damage == "truncate":
        raw = raw[: len(raw) // 2]
    elif damage == "flip":  # one bit inside the stored features: still a valid zip/npy
        pos = raw.find(compute.feats.tobytes())
        assert pos > 0
        raw[pos + 3] ^= 0x10
    path.write_bytes(bytes(raw))
    if damage == "foreign":  # a valid stats file stored under another key's name
        other = cached_stats({**KEY, "count": 6}, _Counter(1), tmp_path / "x")
        os.replace(tmp_path / "x" / f"{other.key}.npz", path)
    with pytest.warns(UserWarning, match="rebuilding"):
        rebuilt = cached_stats(KEY, compute, tmp_path)
    assert compute.calls == 2
    assert np.array_equal(rebuilt.sigma, stats.sigma)
    cached_stats(KEY, compute, tmp_path)  # and the rebuilt file is good again
    assert compute.calls == 2


def test_unwritable_cache_dir_only_warns(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.warns(UserWarning, match="without a cache"):
        stats = cached_stats(KEY, _Counter(), blocker / "stats")
    assert stats.features.shape == (5, 4)


def test_too_few_images_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ArtganError, match="at least 2"):
        cached_stats(KEY, lambda: np.zeros((1, 4)), tmp_path)


def test_default_dir_follows_artgan_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ARTGAN_CACHE", str(tmp_path))
    assert default_stats_dir() == tmp_path / "stats"
    monkeypatch.delenv("ARTGAN_CACHE")
    assert default_stats_dir() == Path.home() / ".cache" / "artgan" / "stats"


def test_image_folder_key_follows_pixels_resolution_split_not_timestamps(tmp_path: Path) -> None:
    root = tmp_path / "art"
    root.mkdir()
    rng = np.random.default_rng(0)
    for i in range(3):
        Image.fromarray(rng.integers(0, 256, (12, 12, 3), dtype=np.uint8)).save(root / f"{i}.png")
    cache = tmp_path / "ds"

    def key(resolution: int = 8, extractor: str = "inc") -> str:
        data = load_folder(root, resolution, cache_dir=cache, progress=False)
        return stats_key(imageset_key_parts(data, extractor))

    base = key()
    assert key() == base
    assert key(resolution=16) != base
    assert key(extractor="other") != base
    data = load_folder(root, 8, cache_dir=cache, progress=False)
    assert stats_key(imageset_key_parts(data.subset(np.array([0, 1])), "inc")) != base
    st = (root / "1.png").stat()
    os.utime(root / "1.png", ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))  # touched
    assert key() == base  # same pixels: a copy with new timestamps keeps its statistics
    Image.fromarray(rng.integers(0, 256, (12, 12, 3), dtype=np.uint8)).save(root / "1.png")
    assert key() != base
