"""On-disk cache of reference statistics (Inception features, mean, covariance).

Extracting features of a test split on CPU takes minutes, and the reference side of FID/KID
does not change between evaluations, so it is computed once per (images, extractor) and
kept as ``<cache_dir>/<key>.npz``. The key is the sha256 of a JSON description that
covers the decoded images (file names, labels and pixels, through
:meth:`artgan.data.cache.ImageSet.content_digest`) and the feature extractor, so changed
images or a changed extractor get a new entry, while a folder copied with new timestamps
keeps its statistics. Files are written atomically and carry their key and a
checksum of their arrays: a truncated, bit-flipped or foreign file is detected, warned
about and rebuilt.
"""

from __future__ import annotations

import hashlib
import json
import os
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from artgan.atomic import atomic_write
from artgan.data.cache import ImageSet
from artgan.metrics.fid import feature_stats

# Bump whenever the stored layout or what the key covers changes.
STATS_FORMAT_VERSION = 2  # 2: keyed by decoded content, not mtimes
_ARRAYS = ("mu", "sigma", "features")


@dataclass(eq=False)  # arrays make field-wise == ambiguous
class ReferenceStats:
    """Features ``[N, D]`` float64 with their mean ``[D]`` and covariance ``[D, D]``."""

    mu: np.ndarray
    sigma: np.ndarray
    features: np.ndarray
    key: str


def default_stats_dir() -> Path:
    """``$ARTGAN_CACHE/stats`` if ``ARTGAN_CACHE`` is set, else ``~/.cache/artgan/stats``."""
    env = os.environ.get("ARTGAN_CACHE")
    root = Path(env).expanduser() if env else Path.home() / ".cache" / "artgan"
    return root / "stats"


def stats_key(key_parts: Mapping[str, Any]) -> str:
    """sha256 hex digest of ``key_parts`` (JSON-serialisable; key order does not matter)."""
    text = json.dumps({"format": STATS_FORMAT_VERSION, **key_parts}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def imageset_key_parts(data: ImageSet, extractor_id: str) -> dict[str, Any]:
    """Key parts for the images of ``data`` (a whole set or a split of it).

    The content digest covers the exact file list in order and every pixel (hence the
    resolution and fit), not timestamps: the statistics depend on nothing else.
    """
    return {
        "content": data.content_digest(),
        "count": len(data),
        "resolution": data.resolution,
        "extractor": extractor_id,
    }


def _checksum(arrays: Mapping[str, np.ndarray]) -> str:
    h = hashlib.sha256()
    for name in _ARRAYS:
        a = np.ascontiguousarray(arrays[name])
        h.update(f"{name}{a.shape}{a.dtype}".encode())
        h.update(a.data)
    return h.hexdigest()


def _read(path: Path, key: str) -> ReferenceStats:
    """Load a cache file; raises on anything that is not exactly what was stored for ``key``."""
    with np.load(path, allow_pickle=False) as z:
        version = int(z["version"])
        if version != STATS_FORMAT_VERSION:
            raise ValueError(f"format version {version}, expected {STATS_FORMAT_VERSION}")
        if str(z["key"]) != key:
            raise ValueError("stored key does not match the file name")
        arrays = {name: z[name] for name in _ARRAYS}
        checksum = str(z["checksum"])
    if checksum != _checksum(arrays):
        raise ValueError("checksum mismatch")
    mu, sigma, feats = arrays["mu"], arrays["sigma"], arrays["features"]
    d = mu.shape[0]
    if feats.ndim != 2 or feats.shape[1] != d or sigma.shape != (d, d):
        raise ValueError(f"inconsistent shapes {mu.shape}, {sigma.shape}, {feats.shape}")
    return ReferenceStats(mu, sigma, feats, key)


def _write(path: Path, stats: ReferenceStats) -> None:
    """Write atomically (temp file in the same folder, fsync, rename)."""
    arrays = {"mu": stats.mu, "sigma": stats.sigma, "features": stats.features}
    with atomic_write(path) as f:
        np.savez(
            f,
            version=np.int64(STATS_FORMAT_VERSION),
            key=np.array(stats.key),
            checksum=np.array(_checksum(arrays)),
            **arrays,
        )


def cached_stats(
    key_parts: Mapping[str, Any],
    compute: Callable[[], np.ndarray],
    cache_dir: str | Path | None = None,
) -> ReferenceStats:
    """Reference statistics for ``key_parts``, from the cache or from ``compute()``.

    ``compute`` returns the features ``[N, D]``; mean and covariance are derived here so
    the three always agree. A broken cache file is rebuilt with a warning; an unwritable
    cache directory only costs a warning.
    """
    key = stats_key(key_parts)
    folder = Path(cache_dir).expanduser() if cache_dir is not None else default_stats_dir()
    path = folder / f"{key}.npz"
    if path.is_file():
        try:
            return _read(path, key)
        except Exception as exc:  # whatever is wrong with the file, recomputing fixes it
            warnings.warn(
                f"ignoring unreadable reference-statistics cache '{path}' ({exc}); rebuilding it",
                stacklevel=2,
            )
    feats = np.asarray(compute(), dtype=np.float64)
    mu, sigma = feature_stats(feats)
    stats = ReferenceStats(mu, sigma, feats, key)
    try:
        _write(path, stats)
    except OSError as exc:
        warnings.warn(
            f"could not write reference-statistics cache to '{folder}' ({exc}); "
            "continuing without a cache",
            stacklevel=2,
        )
    return stats
