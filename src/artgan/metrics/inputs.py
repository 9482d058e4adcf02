"""What metrics read, computed once: image sets, pairs, and the feature passes over them.

``MetricInputs`` holds up to three image sets (``[N, R, R, 3]`` uint8): ``real`` (the
reference, e.g. the test split), ``fake`` (generated) and ``train`` (the training split,
for the memorisation check), and for paired metrics (estimate, reference) pairs or the
reason there are none. Feature passes are lazy and memoised per (set, extractor): FID,
KID, precision/recall and the memorisation check share one Inception pass per set;
FD-VGG19 one VGG19 pass. A set whose ``*_key`` describes its images goes through the
on-disk cache (:mod:`artgan.metrics.cache`), so a test split's features are computed once
per machine. The training-time monitor, which never holds its generated images, gives
their features directly (``fake_features``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import torch
from torch import nn

from artgan.metrics.cache import ReferenceStats, cached_stats
from artgan.metrics.fid import feature_stats
from artgan.metrics.inception import InceptionFeatures, extract_features
from artgan.metrics.perceptual import load_perceptual
from artgan.metrics.vgg_features import VGG19PoolFeatures

ImageSetName = Literal["real", "fake", "train"]
Extractor = Literal["inception", "vgg19"]


def not_available(reason: str) -> dict[str, Any]:
    """How a metric that cannot be computed is reported: never a made-up number."""
    return {"available": False, "reason": reason}


@dataclass
class MetricInputs:
    real: np.ndarray | None = None  # [N, R, R, 3] uint8: the reference
    fake: np.ndarray | None = None  # [M, R, R, 3] uint8: generated
    pairs: tuple[np.ndarray, np.ndarray] | str | None = None  # (estimates, references)
    real_key: dict[str, Any] | None = None  # key parts describing `real`: the disk cache
    batch_size: int = 50
    precision: str = "fp32"  # Inception precision: fp32 | bf16 (VGG19 always runs fp32)
    device: str | torch.device = "cpu"
    progress: bool = True
    # Loaded feature networks by extractor name; share the dict to share the networks.
    networks: dict[str, nn.Module] = field(default_factory=dict)
    reference: ReferenceStats | None = None  # real-side Inception statistics known already
    fake_features: np.ndarray | None = None  # [M, 2048] Inception features known already
    cache_dir: str | None = None
    train: np.ndarray | None = None  # [T, R, R, 3] uint8: the training images, if known
    train_key: dict[str, Any] | None = None
    fake_key: dict[str, Any] | None = None  # when `fake` are fixed images (the floor)
    _memo: dict[Any, Any] = field(default_factory=dict, repr=False)

    def _net(self, extractor: Extractor) -> nn.Module:
        if extractor not in self.networks:
            make = InceptionFeatures if extractor == "inception" else VGG19PoolFeatures
            self.networks[extractor] = make().to(self.device)
        return self.networks[extractor]

    def _precision(self, extractor: Extractor) -> str:
        return self.precision if extractor == "inception" else "fp32"

    def extractor_id(self, extractor: Extractor = "inception") -> str:
        """The feature extractor and its precision, as cache keys and reports name it."""
        bf16 = self._precision(extractor) == "bf16"
        return self._net(extractor).extractor_id + (":bf16" if bf16 else "")

    def stats(self, which: ImageSetName, extractor: Extractor = "inception") -> ReferenceStats:
        """Features ``[N, D]`` of one set with their mean and covariance (memoised)."""
        if (which, extractor) not in self._memo:
            self._memo[which, extractor] = self._compute(which, extractor)
        return self._memo[which, extractor]

    def _compute(self, which: ImageSetName, extractor: Extractor) -> ReferenceStats:
        if extractor == "inception" and which == "real" and self.reference is not None:
            return self.reference
        if extractor == "inception" and which == "fake" and self.fake_features is not None:
            return ReferenceStats(*feature_stats(self.fake_features), self.fake_features, "")
        images, key = getattr(self, which), getattr(self, f"{which}_key")
        assert images is not None, f"no {which} images to extract features of"

        def extract() -> np.ndarray:
            return extract_features(
                images, self.batch_size, self.device, self._precision(extractor),
                progress=self.progress, model=self._net(extractor),
            )  # fmt: skip

        if key is None:
            feats = extract()
            return ReferenceStats(*feature_stats(feats), feats, "")
        key = {**key, "extractor": self.extractor_id(extractor)}
        return cached_stats(key, extract, self.cache_dir)

    def known(
        self, which: ImageSetName, extractor: Extractor = "inception"
    ) -> ReferenceStats | None:
        """The statistics of a set if a metric already computed them, else None."""
        return self._memo.get((which, extractor))

    def real_stats(self) -> ReferenceStats:
        """Inception statistics of the real images (from the cache where possible)."""
        self.reference = self.stats("real")
        return self.reference

    def fake_inception(self) -> np.ndarray:
        """Inception features of the generated images ``[M, 2048]``."""
        return self.stats("fake").features

    def perceptual(self) -> tuple[nn.Module, str | None]:
        """(real LPIPS or the VGG19 substitute, why LPIPS is unavailable or None)."""
        if "perceptual" not in self._memo:
            self._memo["perceptual"] = load_perceptual(self.device)
        return self._memo["perceptual"]
