"""Training: the loop, one GAN step, the training state and its checkpoints, resume."""

from __future__ import annotations

from artgan.train.describe import describe_run
from artgan.train.resume import resume_config
from artgan.train.trainer import Trainer

__all__ = ["Trainer", "describe_run", "resume_config"]
