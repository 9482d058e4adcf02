"""Deterministic train/test split keyed on file names.

Each key is ranked by a hash of (seed, key) rather than by a shuffled position, so a key's
side of the split depends only on the seed and the set of keys, never on listing order
or platform.
"""

from __future__ import annotations

import hashlib
import math

import numpy as np

from artgan.errors import ArtganError


def split_indices(
    keys: list[str], train_fraction: float = 0.6, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Split ``len(keys)`` items into ``(train_idx, test_idx)``.

    Both are ``[M] int64`` index arrays into ``keys``, sorted ascending, disjoint, together
    covering every index. The train side holds ``round(train_fraction * N)`` items, clamped
    so that for ``N >= 2`` neither side is empty. The keys with the lowest
    ``sha256(f"{seed}:{key}")`` go to train.
    """
    try:
        fraction = float(train_fraction)
    except (TypeError, ValueError):
        raise ArtganError(f"train fraction must be a number, got {train_fraction!r}") from None
    if not (0.0 < fraction < 1.0) or math.isnan(fraction):
        raise ArtganError(f"train fraction must be between 0 and 1 (exclusive), got {fraction}")

    n = len(keys)
    n_train = round(fraction * n)
    if n >= 2:
        n_train = min(max(n_train, 1), n - 1)
    # Ties (duplicate keys) fall back to the key itself and then the position, so the
    # order is total and reproducible.
    ranked = sorted(
        range(n),
        key=lambda i: (hashlib.sha256(f"{seed}:{keys[i]}".encode()).digest(), keys[i], i),
    )
    train = np.sort(np.asarray(ranked[:n_train], dtype=np.int64))
    test = np.sort(np.asarray(ranked[n_train:], dtype=np.int64))
    return train, test
