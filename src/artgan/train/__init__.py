"""Training: the loop, one GAN step, checkpoints, EMA, losses."""

from __future__ import annotations

from artgan.train.resume import resume_config
from artgan.train.trainer import Trainer

__all__ = ["Trainer", "resume_config"]
