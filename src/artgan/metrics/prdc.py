"""Precision, recall, density and coverage (Naeem et al. 2020, "Reliable Fidelity and
Diversity Metrics for Generative Models"), on feature vectors.

Each real sample's neighbourhood is the ball reaching its k-th nearest real neighbour
(k = 5 by default, as the paper recommends). Precision: the share of generated samples
inside some real ball (fidelity); recall: the share of real samples inside some generated
sample's ball (diversity); density: how many real balls contain a generated sample, on
average, divided by k (≈ 1 when the distributions match, > 1 where samples crowd the
dense real regions); coverage: the share of real balls that contain at least one
generated sample (robust to outliers). Distances are Euclidean, computed in float64 in
chunks, so memory stays at a few rows of the distance matrix per chunk.
"""

from __future__ import annotations

import numpy as np
import torch

from artgan.errors import ArtganError

DEFAULT_K = 5
_CHUNK = 1024


def pairwise_distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Euclidean distances ``[N, M]`` float64 between rows of ``a`` ``[N, D]`` and ``b``."""
    ta, tb = (
        torch.from_numpy(np.asarray(a, np.float64)),
        torch.from_numpy(np.asarray(b, np.float64)),
    )
    rows = [torch.cdist(ta[s : s + _CHUNK], tb) for s in range(0, len(ta), _CHUNK)]
    return torch.cat(rows).numpy()


def kth_neighbour_radii(x: np.ndarray, k: int) -> np.ndarray:
    """Distance from each row of ``x`` ``[N, D]`` to its k-th nearest other row ``[N]``
    (the row itself, at distance 0, is not counted)."""
    d = pairwise_distances(x, x)
    return np.partition(d, k, axis=1)[:, k]


def prdc(real: np.ndarray, fake: np.ndarray, k: int = DEFAULT_K) -> dict[str, float]:
    """``{"precision", "recall", "density", "coverage"}`` of ``fake`` ``[M, D]`` against
    ``real`` ``[N, D]``; needs N, M > k."""
    if len(real) <= k or len(fake) <= k:
        raise ArtganError(
            f"precision/recall with k = {k} need more than {k} real and generated images, "
            f"got {len(real)} and {len(fake)}"
        )
    real_r, fake_r = kth_neighbour_radii(real, k), kth_neighbour_radii(fake, k)
    d = pairwise_distances(real, fake)  # [N, M]
    inside_real = d < real_r[:, None]  # fake j inside real i's ball
    return {
        "precision": float(inside_real.any(axis=0).mean()),
        "recall": float((d < fake_r[None, :]).any(axis=1).mean()),
        "density": float(inside_real.sum(axis=0).mean() / k),
        "coverage": float((d.min(axis=1) < real_r).mean()),
    }
