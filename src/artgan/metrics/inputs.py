"""What metrics read, computed once: image sets, pairs, and the feature passes over them.

``MetricInputs`` holds the real and generated images (``[N, R, R, 3]`` uint8) and, for
paired metrics, (estimate, reference) pairs or the reason there are none. Feature passes
are lazy and memoised: FID and KID share one Inception pass per set; the real side's
statistics go through the on-disk cache (:mod:`artgan.metrics.cache`) when ``real_key``
describes the real images. The training-time monitor, which never holds its generated
images, gives their features directly (``fake_features``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch import nn

from artgan.metrics.cache import ReferenceStats, cached_stats
from artgan.metrics.fid import feature_stats
from artgan.metrics.inception import InceptionFeatures, extract_features
from artgan.metrics.perceptual import load_perceptual


def not_available(reason: str) -> dict[str, Any]:
    """How a metric that cannot be computed is reported: never a made-up number."""
    return {"available": False, "reason": reason}


@dataclass
class MetricInputs:
    real: np.ndarray | None = None  # [N, R, R, 3] uint8
    fake: np.ndarray | None = None  # [M, R, R, 3] uint8
    pairs: tuple[np.ndarray, np.ndarray] | str | None = None  # (estimates, references)
    real_key: dict[str, Any] | None = None  # data-set key parts: enables the stats cache
    batch_size: int = 50
    precision: str = "fp32"  # Inception precision: fp32 | bf16
    device: str | torch.device = "cpu"
    progress: bool = True
    inception: nn.Module | None = None  # reuse a loaded network (the monitor does)
    reference: ReferenceStats | None = None  # real-side statistics known already
    fake_features: np.ndarray | None = None  # [M, 2048] known already
    cache_dir: str | None = None
    _memo: dict[str, Any] = field(default_factory=dict, repr=False)

    def _kw(self) -> dict[str, Any]:
        return {"batch_size": self.batch_size, "device": self.device, "progress": self.progress}

    def inception_net(self) -> nn.Module:
        if self.inception is None:
            self.inception = InceptionFeatures().to(self.device)
        return self.inception

    @property
    def extractor_id(self) -> str:
        """The feature extractor and its precision, as cache keys and reports name it."""
        net = self.inception_net()
        return net.extractor_id + (":bf16" if self.precision == "bf16" else "")

    def real_stats(self) -> ReferenceStats:
        """Inception statistics of the real images (from the cache where possible)."""
        if self.reference is None:
            assert self.real is not None, "no real images to compute statistics of"
            real = self.real

            def extract() -> np.ndarray:
                return extract_features(real, precision=self.precision,
                                        model=self.inception_net(), **self._kw())  # fmt: skip

            if self.real_key is not None:
                key = {**self.real_key, "extractor": self.extractor_id}
                self.reference = cached_stats(key, extract, self.cache_dir)
            else:
                feats = extract()
                mu, sigma = feature_stats(feats)
                self.reference = ReferenceStats(mu, sigma, feats, "")
        return self.reference

    def fake_inception(self) -> np.ndarray:
        """Inception features of the generated images ``[M, 2048]``."""
        if self.fake_features is None:
            assert self.fake is not None, "no generated images to extract features of"
            net = self.inception_net()
            self.fake_features = extract_features(
                self.fake, precision=self.precision, model=net, **self._kw()
            )
        return self.fake_features

    def perceptual(self) -> tuple[nn.Module, str | None]:
        """(real LPIPS or the VGG19 substitute, why LPIPS is unavailable or None)."""
        if "perceptual" not in self._memo:
            self._memo["perceptual"] = load_perceptual(self.device)
        return self._memo["perceptual"]
