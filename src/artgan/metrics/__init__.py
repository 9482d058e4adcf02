"""Quality metrics (paper §5): SSIM / MS-SSIM (also the eq. 18 training loss), FID, KID,
IS, SD."""

from __future__ import annotations

from artgan.metrics.cache import ReferenceStats, cached_stats, default_stats_dir, imageset_key_parts
from artgan.metrics.fid import feature_stats, fid_from_features, frechet_distance, kid_from_features
from artgan.metrics.inception import InceptionFeatures, extract_features, inception_weights_path
from artgan.metrics.inception_score import (
    InceptionLogits,
    inception_score,
    inception_score_unavailable_reason,
    is_weights_path,
)
from artgan.metrics.sharpness import sharpness_difference
from artgan.metrics.ssim import (
    MS_SSIM_WEIGHTS,
    gaussian_window,
    max_ms_ssim_scales,
    ms_ssim,
    ms_ssim_l1_loss,
    ms_ssim_weights,
    ssim,
)

__all__ = [
    "MS_SSIM_WEIGHTS",
    "InceptionFeatures",
    "InceptionLogits",
    "ReferenceStats",
    "cached_stats",
    "default_stats_dir",
    "extract_features",
    "feature_stats",
    "fid_from_features",
    "frechet_distance",
    "gaussian_window",
    "imageset_key_parts",
    "inception_score",
    "inception_score_unavailable_reason",
    "inception_weights_path",
    "is_weights_path",
    "kid_from_features",
    "max_ms_ssim_scales",
    "ms_ssim",
    "ms_ssim_l1_loss",
    "ms_ssim_weights",
    "sharpness_difference",
    "ssim",
]
