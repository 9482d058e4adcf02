"""The run config: five sections and a schema version.

``data`` (images, split, augmentation), ``model`` (one section per model, chosen by
``model.name``), ``optim`` (Adam), ``loss`` (the adversarial loss, chosen by ``loss.name``)
and ``train`` (length, precision, intervals). The resolved config is saved as
``RUN/config.yaml`` and inside every checkpoint as a plain dict, with ``schema_version``;
older versions are migrated on load (:mod:`artgan.config.migrate`).
"""

from __future__ import annotations

from typing import Any, Literal

import yaml
from pydantic import Field

from artgan.config.models import DCGANConfig, ModelConfig
from artgan.config.sections import (
    BCELoss,
    DataConfig,
    LossConfig,
    OptimConfig,
    Section,
    TrainConfig,
)

SCHEMA_VERSION = 2


class Config(Section):
    schema_version: Literal[2] = SCHEMA_VERSION
    data: DataConfig = Field(default_factory=DataConfig)
    model: ModelConfig = Field(default_factory=DCGANConfig)
    optim: OptimConfig = Field(default_factory=OptimConfig)
    loss: LossConfig = Field(default_factory=BCELoss)
    train: TrainConfig = Field(default_factory=TrainConfig)

    def to_dict(self) -> dict[str, Any]:
        """Plain nested dict (YAML/JSON/``weights_only``-safe)."""
        return self.model_dump(mode="python")

    def to_yaml(self) -> str:
        return yaml.safe_dump(self.to_dict(), sort_keys=False)
