"""The run config: six sections and a schema version.

``data`` (images, split, real-image augmentation), ``model`` (one section per model,
chosen by ``model.name``), ``optim`` (Adam), ``loss`` (the adversarial loss, chosen by
``loss.name``), ``d_augment`` (what the discriminator's inputs go through: none,
diffaug or ada, chosen by ``d_augment.name``) and ``train`` (length, precision,
intervals). The resolved config is saved as
``RUN/config.yaml`` and inside every checkpoint as a plain dict, with ``schema_version``;
older versions are migrated on load (:mod:`artgan.config.migrate`).
"""

from __future__ import annotations

from typing import Any, Literal

import yaml
from pydantic import Field, model_validator

from artgan.config.models import MODEL_SECTIONS, DCGANConfig, ModelConfig, section_names
from artgan.config.sections import (
    D_AUGMENT_SECTIONS,
    LOSS_SECTIONS,
    BCELoss,
    DataConfig,
    DAugmentConfig,
    LossConfig,
    NoDAugment,
    OptimConfig,
    Section,
    TrainConfig,
)

SCHEMA_VERSION = 2
# Sections whose fields depend on their `name` (discriminated unions): name → class.
VARIANTS: dict[str, dict[str, type[Section]]] = {
    "model": section_names(MODEL_SECTIONS),
    "loss": section_names(LOSS_SECTIONS),
    "d_augment": section_names(D_AUGMENT_SECTIONS),
}


class Config(Section):
    schema_version: Literal[2] = SCHEMA_VERSION
    data: DataConfig = Field(default_factory=DataConfig)
    model: ModelConfig = Field(default_factory=DCGANConfig)
    optim: OptimConfig = Field(default_factory=OptimConfig)
    loss: LossConfig = Field(default_factory=BCELoss)
    d_augment: DAugmentConfig = Field(default_factory=NoDAugment)
    train: TrainConfig = Field(default_factory=TrainConfig)

    @model_validator(mode="after")
    def _likelihood_has_no_critic(self) -> Config:
        """A likelihood model (``vae``, ``ddpm``) has no discriminator: the options that
        only steer one are errors instead of silently unused settings."""
        if type(self.model).adversarial:
            return self
        name = self.model.name
        checks = {
            "loss": self.loss == BCELoss(),
            "d_augment": self.d_augment.name == "none",
            "optim.n_critic": self.optim.n_critic == OptimConfig().n_critic,
            "optim.lr_d": self.optim.lr_d == OptimConfig().lr_d,
        }
        for key, ok in checks.items():
            if not ok:
                raise ValueError(f"{key} does not apply to '{name}' (it has no discriminator)")
        return self

    def to_dict(self) -> dict[str, Any]:
        """Plain nested dict (YAML/JSON/``weights_only``-safe)."""
        return self.model_dump(mode="python")

    def to_yaml(self) -> str:
        return yaml.safe_dump(self.to_dict(), sort_keys=False)
