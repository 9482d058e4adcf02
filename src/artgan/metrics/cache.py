"""On-disk cache of reference statistics (Inception features, mean, covariance).

Extracting features of a test split on CPU takes minutes, and the reference side of FID/KID
does not change between evaluations, so it is computed once per (images, extractor) and
kept as ``<cache_dir>/<key>.npz`` (:mod:`artgan.io.npz_cache`). The key is the sha256 of
a JSON description that covers the decoded images (file names, labels and pixels, through
:meth:`artgan.data.imageset.ImageSet.content_digest`) and the feature extractor, so changed
images or a changed extractor get a new entry, while a folder copied with new timestamps
keeps its statistics. A truncated, bit-flipped or foreign file is detected, warned about
and rebuilt.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from artgan.data.imageset import ImageSet
from artgan.io.npz_cache import load_or_build
from artgan.metrics.fid import feature_stats

# Bump whenever the stored layout or what the key covers changes.
# 2: keyed by decoded content, not mtimes; 3: the shared artgan.io.npz_cache layout.
STATS_FORMAT_VERSION = 3


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

    def build() -> dict[str, np.ndarray]:
        feats = np.asarray(compute(), dtype=np.float64)
        mu, sigma = feature_stats(feats)
        return {"mu": mu, "sigma": sigma, "features": feats}

    arrays = load_or_build(folder, STATS_FORMAT_VERSION, key, build,
                           "reference-statistics cache", _check_shapes)  # fmt: skip
    return ReferenceStats(arrays["mu"], arrays["sigma"], arrays["features"], key)


def _check_shapes(arrays: dict[str, np.ndarray]) -> None:
    mu, sigma, feats = arrays["mu"], arrays["sigma"], arrays["features"]
    d = mu.shape[0]
    if feats.ndim != 2 or feats.shape[1] != d or sigma.shape != (d, d):
        raise ValueError(f"inconsistent shapes {mu.shape}, {sigma.shape}, {feats.shape}")
