"""Training-time FID/KID (paper §5: every 500 iterations on 2,000 generated images against
the test split) and the FID-vs-step plot.

The reference side (Inception features of the real images, their mean and covariance) is
computed once, on first use, through the same :class:`~artgan.metrics.MetricInputs` and
registered ``fid``/``kid`` metrics that ``artgan evaluate`` uses, so both share the on-disk
cache (keyed by the real images' content, the extractor and the precision). Generated
images are requested from the trainer chunk by chunk and only their 2048-d features are
kept, so memory stays bounded whatever ``n_fake`` is.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor
from tqdm import tqdm

from artgan.data import ImageSet
from artgan.errors import ArtganError
from artgan.io.plotting import pyplot, save_figure
from artgan.metrics import (
    METRICS,
    InceptionFeatures,
    MetricInputs,
    ReferenceStats,
    extract_features,
    imageset_key_parts,
)
from artgan.metrics.inception import PRECISIONS


class FIDMonitor:
    """FID (and KID) of a generator against fixed real images.

    ``real_images`` ``[N, H, W, 3]`` uint8 (N ≥ 2, e.g. the test split); ``real_key`` a
    JSON-serialisable description of them for the cache (e.g.
    ``imageset_key_parts(test_set, "")``; the extractor id and precision are added here).
    ``precision`` "fp32" or "bf16" (Inception under bf16 autocast). ``device`` runs Inception.
    """

    def __init__(
        self,
        real_images: np.ndarray,
        real_key: Mapping[str, Any],
        n_fake: int = 2000,
        batch_size: int = 50,
        precision: str = "fp32",
        kid: bool = True,
        cache_dir: str | Path | None = None,
        progress: bool = False,
        device: str | torch.device = "cpu",
    ) -> None:
        if precision not in PRECISIONS:
            raise ArtganError(f"FID precision must be one of {PRECISIONS}, got {precision!r}")
        if n_fake < 2 or batch_size < 1:
            raise ArtganError(
                f"FID needs n_fake ≥ 2 and batch_size ≥ 1, got {n_fake} and {batch_size}"
            )
        if real_images.ndim != 4 or real_images.shape[-1] != 3 or real_images.dtype != np.uint8:
            raise ArtganError(
                f"FIDMonitor expects [N, H, W, 3] uint8 real images, got "
                f"{real_images.shape} {real_images.dtype}"
            )
        if len(real_images) < 2:
            raise ArtganError(f"FID needs at least 2 real images, got {len(real_images)}")
        self._real: np.ndarray | None = real_images
        self.real_key = {**real_key, "count": len(real_images),
                         "resolution": int(real_images.shape[1])}  # fmt: skip
        self.n_fake, self.batch_size, self.precision = n_fake, batch_size, precision
        self.kid, self.cache_dir, self.progress = kid, cache_dir, progress
        self.device = torch.device(device)
        self._model: InceptionFeatures | None = None
        self._ref: ReferenceStats | None = None

    @classmethod
    def from_imageset(cls, data: ImageSet, **kwargs: Any) -> FIDMonitor:
        """Monitor against ``data``'s images, keyed by their decoded content."""
        key = imageset_key_parts(data, "")
        return cls(data.images, key, **kwargs)

    @property
    def model(self) -> InceptionFeatures:
        """The Inception network, loaded on first use (a ~100 MB TorchScript file)."""
        if self._model is None:
            self._model = InceptionFeatures().to(self.device)
        return self._model

    def _inputs(self, fake_features: np.ndarray | None = None) -> MetricInputs:
        return MetricInputs(
            real=self._real, real_key=self.real_key, batch_size=self.batch_size,
            precision=self.precision, device=self.device, progress=self.progress,
            networks={"inception": self.model}, reference=self._ref, fake_features=fake_features,
            cache_dir=None if self.cache_dir is None else str(self.cache_dir),
        )  # fmt: skip

    @property
    def extractor_id(self) -> str:
        return self._inputs().extractor_id()

    def reference(self) -> ReferenceStats:
        """Real-image statistics: cached on disk, computed on first use only."""
        if self._ref is None:
            self._ref = self._inputs().real_stats()
            self._real = None  # the statistics are all that is needed from now on
        return self._ref

    def __call__(self, sample_fn: Callable[[int, int], Tensor]) -> dict[str, float]:
        """``sample_fn(start, count)`` → ``[count, 3, R, R]`` images in [-1, 1] (seeds
        ``start…start+count-1``), called in chunks of ``batch_size``; returns
        ``{"fid", "kid", "kid_std"}`` (no KID keys when ``kid=False``)."""
        self.reference()
        feats = []
        bar = tqdm(total=self.n_fake, desc="FID", unit="img", disable=not self.progress)
        with bar:
            for start in range(0, self.n_fake, self.batch_size):
                count = min(self.batch_size, self.n_fake - start)
                with torch.no_grad():
                    imgs = sample_fn(start, count)
                if not isinstance(imgs, Tensor) or imgs.ndim != 4 or imgs.shape[:2] != (count, 3):
                    got = tuple(imgs.shape) if isinstance(imgs, Tensor) else type(imgs).__name__
                    raise ArtganError(f"sample_fn must return [{count}, 3, R, R] images, got {got}")
                feats.append(extract_features(imgs.detach().float(), self.batch_size,
                                              self.device, self.precision, progress=False,
                                              model=self.model))  # fmt: skip
                bar.update(count)
        inputs = self._inputs(np.concatenate(feats))
        out: dict[str, float] = {}
        for name in ("fid", "kid") if self.kid else ("fid",):
            result = METRICS.get(name).compute(inputs)
            out.update({k: v for k, v in result.items() if k in (name, f"{name}_std")})
        return out


def plot_fid_curve(rows: list[dict[str, Any]], path: str | Path) -> Path | None:
    """FID vs step as a PNG at ``path``, written atomically; None (nothing written) when no
    row has both "step" and "fid". Training rows draw the curve; rows with
    ``"kind": "eval"`` (``artgan evaluate``) are marked as separate points."""
    pts = [r for r in rows if "step" in r and isinstance(r.get("fid"), (int, float))]
    if not pts:
        return None
    train = sorted((r["step"], r["fid"]) for r in pts if r.get("kind") != "eval")
    evals = sorted((r["step"], r["fid"]) for r in pts if r.get("kind") == "eval")
    fig, ax = pyplot().subplots(figsize=(7, 3.5), dpi=110)
    if train:
        ax.plot(*zip(*train, strict=True), marker=".", lw=1.0, label="FID (training monitor)")
    if evals:
        ax.plot(*zip(*evals, strict=True), "s", color="C3", label="FID (artgan evaluate)")
    ax.set_xlabel("step")
    ax.set_ylabel("FID (lower is better)")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    return save_figure(fig, path)
