"""Losses: adversarial losses by name (:data:`LOSSES`), critic penalties, the InfoGAN bound."""

from __future__ import annotations

from artgan.losses.adversarial import LOSSES, AdversarialLoss, Scores, d_loss, each_score, g_loss
from artgan.losses.info import info_loss
from artgan.losses.penalties import (
    drift_penalty,
    gradient_penalty,
    per_sample_score,
    r1_penalty,
)

__all__ = [
    "LOSSES",
    "AdversarialLoss",
    "Scores",
    "d_loss",
    "drift_penalty",
    "each_score",
    "g_loss",
    "gradient_penalty",
    "info_loss",
    "per_sample_score",
    "r1_penalty",
]
