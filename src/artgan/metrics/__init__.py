"""Quality metrics (paper §5), by name (:data:`METRICS`): FID, KID, IS, SSIM, MS-SSIM,
perceptual distances, SD; and the feature networks and caches behind them. Importing this
package registers the built-in metrics."""

from __future__ import annotations

from artgan.metrics import builtin  # noqa: F401  (registers the built-in metrics)
from artgan.metrics.cache import ReferenceStats, cached_stats, default_stats_dir, imageset_key_parts
from artgan.metrics.fid import feature_stats, fid_from_features, frechet_distance, kid_from_features
from artgan.metrics.inception import InceptionFeatures, extract_features, inception_weights_path
from artgan.metrics.inception_score import (
    InceptionLogits,
    inception_score,
    inception_score_unavailable_reason,
    is_weights_path,
)
from artgan.metrics.inputs import MetricInputs, not_available
from artgan.metrics.registry import (
    METRICS,
    Column,
    MetricSpec,
    check_counts,
    columns,
    metric_names,
    parse_metrics,
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
    "METRICS",
    "MS_SSIM_WEIGHTS",
    "Column",
    "InceptionFeatures",
    "InceptionLogits",
    "MetricInputs",
    "MetricSpec",
    "ReferenceStats",
    "cached_stats",
    "check_counts",
    "columns",
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
    "metric_names",
    "ms_ssim",
    "ms_ssim_l1_loss",
    "ms_ssim_weights",
    "not_available",
    "parse_metrics",
    "sharpness_difference",
    "ssim",
]
