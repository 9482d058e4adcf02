"""Does a generator copy its training images? Nearest training image of every sample.

For each generated image the distance to its nearest training image in a feature space,
compared with the same distance for held-out real images (the test split), which no model
has seen: a generator that reproduces training images has sample distances far below
the test images'. ``copy_fraction`` is the share of samples closer to the training set
than all but 1 % of the test images; held-out paintings score 1 % by construction, a
copying generator close to 100 %. The report calls more than 5 × that a sign of copying.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from artgan.metrics.prdc import pairwise_distances

NEAR_QUANTILE = 0.01  # "closer than 99 % of held-out images are"
COPY_FACTOR = 5.0  # copying is flagged above 5 × the held-out rate
N_PAIRS = 8  # closest pairs kept for the grid


def nearest(x: np.ndarray, train: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(distance ``[N]``, index ``[N]``) of each row's nearest row of ``train``, in chunks."""
    dist, idx = [], []
    for s in range(0, len(x), 512):
        d = pairwise_distances(x[s : s + 512], train)
        j = d.argmin(axis=1)
        dist.append(d[np.arange(len(j)), j])
        idx.append(j)
    return np.concatenate(dist), np.concatenate(idx)


def memorisation(fake: np.ndarray, test: np.ndarray, train: np.ndarray) -> dict[str, Any]:
    """Sample-to-train against test-to-train nearest-neighbour distances (features
    ``[M, D]``, ``[N, D]``, ``[T, D]``); ``pairs``: the closest (sample, train image,
    distance) triples, nearest first."""
    d_fake, j_fake = nearest(fake, train)
    d_test, _ = nearest(test, train)
    threshold = float(np.quantile(d_test, NEAR_QUANTILE))
    copy_fraction = float((d_fake < threshold).mean())
    order = np.argsort(d_fake)[:N_PAIRS]
    return {
        "copy_fraction": copy_fraction,
        "copies": bool(copy_fraction > COPY_FACTOR * NEAR_QUANTILE),
        "sample_median": float(np.median(d_fake)),
        "test_median": float(np.median(d_test)),
        "median_ratio": float(np.median(d_fake) / max(np.median(d_test), 1e-12)),
        "sample_quantiles": [float(q) for q in np.quantile(d_fake, [0.01, 0.1, 0.5])],
        "test_quantiles": [float(q) for q in np.quantile(d_test, [0.01, 0.1, 0.5])],
        "pairs": [[int(i), int(j_fake[i]), float(d_fake[i])] for i in order],
    }
