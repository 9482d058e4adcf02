"""Decode an image folder once and keep the result as a cached ``uint8`` array.

Decoding thousands of JPEGs takes minutes on a laptop CPU, while loading the same pixels
from an uncompressed ``.npz`` takes a second, so every folder is preprocessed once per
(resolution, fit) and reused until a file changes.
"""

from __future__ import annotations

import hashlib
import os
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
from tqdm import tqdm

from artgan.config import check_resolution
from artgan.data.images import FITS, load_image, scan_folder
from artgan.data.imageset import ImageSet
from artgan.errors import ArtganError
from artgan.io.npz_cache import load_or_build

# Bump whenever decoding changes: the fingerprint (and so the cache key) changes with it.
DECODE_VERSION = 1
# Bump whenever the cache file layout changes (2: artgan.io.npz_cache, with a checksum).
CACHE_FORMAT_VERSION = 2


def check_fit(fit: str) -> None:
    """Raise :class:`ArtganError` unless ``fit`` is "crop" or "pad"."""
    if fit not in FITS:
        raise ArtganError(f"fit must be 'crop' or 'pad', got {fit!r}")


def default_cache_dir() -> Path:
    """``$ARTGAN_CACHE`` if set, else ``~/.cache/artgan/datasets``."""
    env = os.environ.get("ARTGAN_CACHE")
    if env:
        return Path(env).expanduser()
    return Path.home() / ".cache" / "artgan" / "datasets"


def fingerprint_folder(root: str | Path, files: list[str], resolution: int, fit: str) -> str:
    """sha256 hex digest of the preprocessing settings and every file's path, size and mtime.

    Adding, removing, renaming or touching a file changes the digest; the folder's own
    location does not, so a moved folder with intact timestamps keeps its cache.
    """
    h = hashlib.sha256()
    h.update(f"artgan-images v{DECODE_VERSION}\n{resolution}\n{fit}\n".encode())
    root = Path(root)
    for rel in files:
        st = (root / rel).stat()
        # NUL cannot occur in a path, so the fields cannot run into each other.
        h.update(f"{rel}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    return h.hexdigest()


def _label_of(rel: str, class_index: dict[str, int]) -> int:
    return class_index.get(rel.split("/", 1)[0], -1) if class_index else -1


def _to_arrays(data: ImageSet) -> dict[str, np.ndarray]:
    return {
        "images": data.images,
        "labels": data.labels.astype(np.int64),
        "class_names": np.array(data.class_names, dtype=str),
        "files": np.array(data.files, dtype=str),
        "skipped": np.array(data.skipped, dtype=str),
    }


def _from_arrays(arrays: dict[str, np.ndarray], fingerprint: str, source: str) -> ImageSet:
    return ImageSet(
        images=arrays["images"],
        labels=arrays["labels"].astype(np.int64),
        class_names=[str(s) for s in arrays["class_names"]],
        files=[str(s) for s in arrays["files"]],
        skipped=[str(s) for s in arrays["skipped"]],
        fingerprint=fingerprint,
        source=source,
    )


def _check_arrays(resolution: int) -> Callable[[dict[str, np.ndarray]], None]:
    def check(arrays: dict[str, np.ndarray]) -> None:
        images, labels, n = arrays["images"], arrays["labels"], len(arrays["files"])
        if images.dtype != np.uint8 or images.shape != (n, resolution, resolution, 3):
            raise ValueError(f"images have shape {images.shape} {images.dtype}")
        if labels.shape != (n,):
            raise ValueError(f"labels have shape {labels.shape}, expected ({n},)")

    return check


def _decode_all(
    root: Path, files: list[str], class_names: list[str], resolution: int, fit: str, progress: bool
) -> tuple[np.ndarray, np.ndarray, list[str], list[str], list[str]]:
    """Decode every file; returns (images [K,R,R,3] uint8, labels [K], ok, skipped, reasons)."""
    class_index = {c: i for i, c in enumerate(class_names)}
    # Preallocate and fill in place: stacking a list of arrays would need twice the memory.
    images = np.empty((len(files), resolution, resolution, 3), dtype=np.uint8)
    labels = np.empty(len(files), dtype=np.int64)
    ok: list[str] = []
    skipped: list[str] = []
    reasons: list[str] = []
    bar = tqdm(
        files,
        desc=f"preprocessing {len(files)} images → {resolution}x{resolution}",
        unit="img",
        disable=not progress,
    )
    for rel in bar:
        try:
            img = load_image(root / rel, resolution, fit)
        except Exception as exc:  # any decoder failure just skips the file
            skipped.append(rel)
            reasons.append(f"{type(exc).__name__}: {exc}".splitlines()[0])
            continue
        k = len(ok)
        images[k] = img
        labels[k] = _label_of(rel, class_index)
        ok.append(rel)
    k = len(ok)
    return images[:k], labels[:k], ok, skipped, reasons


def load_folder(
    root: str | Path,
    resolution: int,
    fit: str = "crop",
    cache_dir: str | Path | None = None,
    progress: bool = True,
) -> ImageSet:
    """Load every image under ``root`` as ``[N, resolution, resolution, 3] uint8``.

    Labels come from first-level subfolders (see :func:`scan_folder`). The decoded set is
    cached in ``cache_dir/<fingerprint>.npz`` (default :func:`default_cache_dir`;
    :mod:`artgan.io.npz_cache`) and reused
    while no file changes; a broken cache is rebuilt and an unwritable cache directory only
    costs a warning. Undecodable files are skipped with a warning; if none decode,
    :class:`ArtganError` is raised.
    """
    check_resolution(resolution)
    check_fit(fit)
    root = Path(root)
    files, class_names = scan_folder(root)
    fingerprint = fingerprint_folder(root, files, resolution, fit)
    folder = Path(cache_dir if cache_dir is not None else default_cache_dir()).expanduser()
    decoded: list[ImageSet] = []

    def decode() -> dict[str, np.ndarray]:
        images, labels, ok, skipped, reasons = _decode_all(
            root, files, class_names, resolution, fit, progress
        )
        if not ok:
            raise ArtganError(
                f"data folder '{root}': none of the {len(files)} image files could be "
                f"decoded (e.g. '{skipped[0]}': {reasons[0]})"
            )
        _warn_skipped(skipped, len(files), first_reason=reasons[0] if reasons else None)
        decoded.append(ImageSet(images, labels, class_names, ok, skipped, fingerprint, str(root)))
        return _to_arrays(decoded[0])

    arrays = load_or_build(folder, CACHE_FORMAT_VERSION, fingerprint, decode, "dataset cache",
                           _check_arrays(resolution))  # fmt: skip
    if decoded:
        return decoded[0]
    data = _from_arrays(arrays, fingerprint, str(root))
    _warn_skipped(data.skipped, len(files), first_reason=None)
    return data


def _warn_skipped(skipped: list[str], total: int, first_reason: str | None) -> None:
    if not skipped:
        return
    why = f": {first_reason}" if first_reason else ""
    warnings.warn(
        f"skipped {len(skipped)} of {total} files that could not be decoded "
        f"(first: {skipped[0]}{why})",
        stacklevel=3,
    )
