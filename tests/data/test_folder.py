"""The preprocessing cache: hits, invalidation, corruption recovery, atomic and optional writes."""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import artgan.data.folder as cache_mod
from artgan.data import ImageSet, default_cache_dir, load_folder, split_indices
from artgan.data.folder import fingerprint_folder


def make_folder(root: Path, n: int = 3) -> Path:
    for i in range(n):
        sub = root / ("even" if i % 2 == 0 else "odd")
        sub.mkdir(parents=True, exist_ok=True)
        Image.new("RGB", (20, 16), (40 * i, 100, 200 - 40 * i)).save(sub / f"img{i}.png")
    return root


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return make_folder(tmp_path / "art")


@pytest.fixture
def decode_count(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Records every file the loader decodes (the cache module's own reference)."""
    calls: list[str] = []
    real = cache_mod.load_image

    def counting(path: Path, resolution: int, fit: str = "crop") -> np.ndarray:
        calls.append(Path(path).name)
        return real(path, resolution, fit)

    monkeypatch.setattr(cache_mod, "load_image", counting)
    return calls


def load(folder: Path, cache: Path, resolution: int = 8, fit: str = "crop") -> ImageSet:
    return load_folder(folder, resolution, fit=fit, cache_dir=cache, progress=False)


def same(a: ImageSet, b: ImageSet) -> bool:
    return (
        np.array_equal(a.images, b.images)
        and np.array_equal(a.labels, b.labels)
        and a.files == b.files
        and a.class_names == b.class_names
        and a.skipped == b.skipped
        and a.fingerprint == b.fingerprint
    )


def test_second_load_hits_the_cache(
    folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = load(folder, tmp_path / "cache")

    def boom(*args: object, **kwargs: object) -> np.ndarray:
        raise AssertionError("decoded again although the cache is valid")

    monkeypatch.setattr(cache_mod, "load_image", boom)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        second = load(folder, tmp_path / "cache")
    assert same(first, second)
    assert second.images.dtype == np.uint8 and second.labels.dtype == np.int64
    assert second.class_names == ["even", "odd"] and second.labels.tolist() == [0, 0, 1]


def test_cache_write_is_atomic_and_leaves_no_temp_files(folder: Path, tmp_path: Path) -> None:
    data = load(folder, tmp_path / "cache")
    assert sorted(p.name for p in (tmp_path / "cache").iterdir()) == [f"{data.fingerprint}.npz"]


def test_touched_added_removed_files_change_the_key(
    folder: Path, tmp_path: Path, decode_count: list[str]
) -> None:
    cache = tmp_path / "cache"
    base = load(folder, cache)
    assert len(decode_count) == 3

    target = folder / "even" / "img0.png"
    st = target.stat()
    os.utime(target, ns=(st.st_atime_ns, st.st_mtime_ns + 5_000_000_000))
    touched = load(folder, cache)
    assert touched.fingerprint != base.fingerprint and len(decode_count) == 6

    Image.new("RGB", (8, 8), (1, 2, 3)).save(folder / "odd" / "new.png")
    added = load(folder, cache)
    assert added.fingerprint not in (base.fingerprint, touched.fingerprint)
    assert len(added) == 4 and "odd/new.png" in added.files

    (folder / "even" / "img2.png").unlink()
    removed = load(folder, cache)
    assert len(removed) == 3 and "even/img2.png" not in removed.files
    assert len({base.fingerprint, touched.fingerprint, added.fingerprint, removed.fingerprint}) == 4


def test_changed_content_is_picked_up(folder: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    load(folder, cache)
    target = folder / "odd" / "img1.png"
    st = target.stat()
    Image.new("RGB", (20, 16), (250, 250, 0)).save(target)
    os.utime(target, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
    data = load(folder, cache)
    pixels = data.images[data.files.index("odd/img1.png")]
    assert (pixels[..., :2] == 250).all() and (pixels[..., 2] == 0).all()


def test_resolution_and_fit_have_separate_caches(folder: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    small, big = load(folder, cache, 8), load(folder, cache, 16)
    padded = load(folder, cache, 8, fit="pad")
    assert small.images.shape == (3, 8, 8, 3) and big.images.shape == (3, 16, 16, 3)
    assert len({small.fingerprint, big.fingerprint, padded.fingerprint}) == 3
    assert len(list(cache.glob("*.npz"))) == 3
    files = small.files
    assert fingerprint_folder(folder, files, 8, "crop") == small.fingerprint


@pytest.mark.parametrize(
    "damage",
    [
        lambda p: p.write_bytes(b"this is not a zip file"),
        lambda p: p.write_bytes(p.read_bytes()[: p.stat().st_size // 2]),
        lambda p: p.write_bytes(b""),
    ],
    ids=["garbage", "truncated", "empty"],
)
def test_corrupt_cache_is_rebuilt(
    folder: Path, tmp_path: Path, damage: Callable[[Path], object], decode_count: list[str]
) -> None:
    cache = tmp_path / "cache"
    good = load(folder, cache)
    damage(cache / f"{good.fingerprint}.npz")
    with pytest.warns(UserWarning, match="rebuilding"):
        rebuilt = load(folder, cache)
    assert same(good, rebuilt) and len(decode_count) == 6
    # The rebuilt file is valid again: the next load neither warns nor decodes.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        again = load(folder, cache)
    assert same(good, again) and len(decode_count) == 6


def test_cache_with_wrong_stored_fingerprint_is_rebuilt(folder: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    small = load(folder, cache, 8)
    files = small.files
    other = fingerprint_folder(folder, files, 16, "crop")
    # A valid file under the wrong name (e.g. copied by hand) must not be trusted.
    (cache / f"{other}.npz").write_bytes((cache / f"{small.fingerprint}.npz").read_bytes())
    with pytest.warns(UserWarning, match="rebuilding"):
        big = load(folder, cache, 16)
    assert big.images.shape == (3, 16, 16, 3) and big.fingerprint == other


def test_unwritable_cache_dir_still_loads(folder: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "blocker"
    blocker.write_text("a file where the cache folder should be")
    with pytest.warns(UserWarning, match="continuing without a cache"):
        data = load(folder, blocker / "cache")
    assert len(data) == 3 and data.images.shape == (3, 8, 8, 3)


def test_skipped_files_survive_the_cache(folder: Path, tmp_path: Path) -> None:
    (folder / "odd" / "broken.jpg").write_bytes(b"nope")
    with pytest.warns(UserWarning, match="skipped 1 of 4"):
        first = load(folder, tmp_path / "cache")
    with pytest.warns(UserWarning, match="skipped 1 of 4"):
        second = load(folder, tmp_path / "cache")
    assert second.skipped == ["odd/broken.jpg"] and same(first, second)


def test_default_cache_dir_from_env(
    folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ARTGAN_CACHE", str(tmp_path / "env-cache"))
    data = load_folder(folder, 8, progress=False)
    assert (tmp_path / "env-cache" / f"{data.fingerprint}.npz").is_file()

    monkeypatch.delenv("ARTGAN_CACHE")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert default_cache_dir() == tmp_path / "home" / ".cache" / "artgan" / "datasets"


def test_subset_follows_a_split(folder: Path, tmp_path: Path) -> None:
    data = load(folder, tmp_path / "cache")
    _train, test = split_indices(data.files, 0.6, seed=0)
    part = data.subset(test)
    assert len(part) == len(test) == 1
    assert part.files == [data.files[i] for i in test]
    assert np.array_equal(part.images, data.images[test])
    assert part.labels.tolist() == data.labels[test].tolist()


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs POSIX FIFOs and symlinks")
def test_fifos_and_broken_symlinks_are_skipped_with_a_warning_not_opened(tmp_path):
    folder = tmp_path / "paintings"
    folder.mkdir()
    for i in range(3):
        Image.fromarray(np.full((20, 20, 3), 40 * i, np.uint8)).save(folder / f"p{i}.png")
    os.mkfifo(folder / "pipe.jpg")  # opening this would block forever
    (folder / "dangling.png").symlink_to("missing.png")
    (folder / "loop.jpg").symlink_to("loop.jpg")
    (folder / "good-link.png").symlink_to("p0.png")  # a working link is an image
    with pytest.warns(UserWarning, match=r"skipped 3 entries that are not regular files") as w:
        data = load_folder(folder, 16, cache_dir=tmp_path / "cache", progress=False)
    text = str(w[0].message)
    assert "'pipe.jpg' (a FIFO)" in text and "(a dangling symlink)" in text
    assert "'loop.jpg' (a symlink loop)" in text
    assert sorted(data.files) == ["good-link.png", "p0.png", "p1.png", "p2.png"]
