"""Computing the asked metrics on one :class:`~artgan.metrics.MetricInputs`, in the
registry's order; the shared step of ``evaluate_run``, ``evaluate_folders`` and ``compare``.

Results are one flat dict: a metric's value is a number, or ``{"available": False,
"reason": ...}`` when it cannot be computed (IS without logits weights, image-cycle metrics
for a model without an encoder), never a made-up number.
"""

from __future__ import annotations

from typing import Any

from artgan.metrics import METRICS, MetricInputs

MIN_RESOLUTION = 16  # SSIM's 11-px window and VGG's 4 poolings need it


def compute_metrics(metrics: list[str], inputs: MetricInputs) -> dict[str, Any]:
    """Every asked metric (registered names) on ``inputs``; feature passes run once."""
    res: dict[str, Any] = {}
    for spec in METRICS:
        if spec.name in metrics:
            res.update(spec.compute(inputs))
    return res
