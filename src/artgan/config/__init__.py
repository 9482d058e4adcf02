"""Typed run configuration: frozen, validated sections from YAML presets, files and
overrides (see :mod:`artgan.config.load`), with a schema version and migrations for
configs saved by older versions (:mod:`artgan.config.migrate`).

This package is a leaf: it imports nothing from artgan but :mod:`artgan.errors`.
"""

from __future__ import annotations

from artgan.config.load import (
    diff,
    flag_layer,
    from_dict,
    from_saved,
    lookup,
    merge_layers,
    parse_override,
    preset_names,
    read_preset,
    read_yaml,
    replace,
    resolve,
)
from artgan.config.models import (
    MODEL_SECTIONS,
    DCGANConfig,
    DDPMConfig,
    FastGANConfig,
    MIGANConfig,
    ModelConfig,
    ModelSection,
    SAGANConfig,
    VAEConfig,
)
from artgan.config.schema import SCHEMA_VERSION, VARIANTS, Config
from artgan.config.sections import (
    D_AUGMENT_SECTIONS,
    LOSS_SECTIONS,
    ADAConfig,
    AugmentConfig,
    BCELoss,
    DataConfig,
    DAugmentConfig,
    DiffAugmentConfig,
    HingeLoss,
    LossConfig,
    NoDAugment,
    OptimConfig,
    Section,
    TrainConfig,
    WGANGPLoss,
    check_resolution,
)

__all__ = [
    "D_AUGMENT_SECTIONS",
    "LOSS_SECTIONS",
    "MODEL_SECTIONS",
    "SCHEMA_VERSION",
    "VARIANTS",
    "ADAConfig",
    "AugmentConfig",
    "BCELoss",
    "Config",
    "DAugmentConfig",
    "DCGANConfig",
    "DDPMConfig",
    "DataConfig",
    "DiffAugmentConfig",
    "FastGANConfig",
    "HingeLoss",
    "LossConfig",
    "MIGANConfig",
    "ModelConfig",
    "ModelSection",
    "NoDAugment",
    "OptimConfig",
    "SAGANConfig",
    "Section",
    "TrainConfig",
    "VAEConfig",
    "WGANGPLoss",
    "check_resolution",
    "diff",
    "flag_layer",
    "from_dict",
    "from_saved",
    "lookup",
    "merge_layers",
    "parse_override",
    "preset_names",
    "read_preset",
    "read_yaml",
    "replace",
    "resolve",
]
