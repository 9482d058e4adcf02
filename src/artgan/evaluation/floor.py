"""What real images score: the floor beside every distribution metric, and the grid of
the memorisation check's closest pairs.

FID, KID and friends are biased at finite sample counts (FID of two disjoint sets of real
64 px paintings: ≈ 87 at 500 vs 500, ≈ 40 at 1,393 vs 1,393), so a number means little
without what real images get in the same measurement. The floor measures ``n`` training
images — real paintings, disjoint from the test split — exactly as the ``n`` generated
images are measured: the same reference (the test split), the same count, the same
feature passes. A model cannot beat it by more than the noise; a model near it is as
close to the test split as the training paintings themselves.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from artgan.data import ImageSet
from artgan.evaluation.suite import compute_metrics
from artgan.io.images import make_grid, save_png
from artgan.metrics import MetricInputs, imageset_key_parts, not_available

FLOOR_METRICS = ("fid", "kid", "prdc", "fd_vgg19")
FLOOR_SEED = 0


def floor_indices(n_train: int, n: int, seed: int = FLOOR_SEED) -> np.ndarray:
    """``min(n, n_train)`` training-image indices, a fixed random draw, sorted."""
    picked = np.random.default_rng(seed).permutation(n_train)[: min(n, n_train)]
    return np.sort(picked)


def floor_metrics(
    metrics: list[str], inputs: MetricInputs, train: ImageSet | None, n: int, reason: str = ""
) -> dict[str, Any] | None:
    """The asked distribution metrics of ``n`` training images against ``inputs.real``
    (``{"n": …, "source": "train split", metric results…}``), reusing ``inputs``'
    networks and real-side statistics; None when no such metric is asked."""
    names = [m for m in metrics if m in FLOOR_METRICS]
    if not names:
        return None
    if train is None:
        return not_available(reason or "the floor needs the run's training split")
    idx = floor_indices(len(train), n)
    sub = train.subset(idx)
    known = inputs.known("train")  # the memorisation check's pass over every training image
    floor = MetricInputs(
        real=inputs.real, real_key=inputs.real_key, fake=sub.images,
        fake_key=imageset_key_parts(sub, ""), batch_size=inputs.batch_size,
        precision=inputs.precision, device=inputs.device, progress=inputs.progress,
        networks=inputs.networks, reference=inputs.stats("real"),
        fake_features=None if known is None else known.features[idx],
        cache_dir=inputs.cache_dir,
    )  # fmt: skip
    return {"n": len(idx), "source": "train split", **compute_metrics(names, floor)}


def warm_floor_stats(
    metrics: list[str], train: ImageSet, n: int, device: str, progress: bool = True
) -> None:
    """Compute the floor's fp32 feature statistics into the on-disk cache ahead of the
    runs (``compare --jobs``: every child would otherwise pass over the same training
    paintings at the same time); :func:`floor_metrics` then reads them back."""
    names = [m for m in metrics if m in FLOOR_METRICS]
    if not names:
        return
    sub = train.subset(floor_indices(len(train), n))
    inputs = MetricInputs(fake=sub.images, fake_key=imageset_key_parts(sub, ""),
                          precision="fp32", device=device, progress=progress)  # fmt: skip
    if set(names) - {"fd_vgg19"}:  # fid, kid, prdc: Inception features
        inputs.stats("fake")
    if "fd_vgg19" in names:
        inputs.stats("fake", "vgg19")


def write_closest_pairs(
    pairs: list[list[Any]], fake: np.ndarray, train: np.ndarray, path: Path
) -> Path:
    """Top row: the generated images nearest to a training image; below each, that
    training image (``pairs``: [sample index, train index, distance])."""
    tiles = [fake[i] for i, _, _ in pairs] + [train[j] for _, j, _ in pairs]
    save_png(make_grid(np.stack(tiles), ncol=len(pairs)), path)
    return path
