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
    MIGANConfig,
    ModelConfig,
    ModelSection,
    SAGANConfig,
)
from artgan.config.schema import SCHEMA_VERSION, Config
from artgan.config.sections import (
    LOSS_SECTIONS,
    AugmentConfig,
    BCELoss,
    DataConfig,
    HingeLoss,
    LossConfig,
    OptimConfig,
    Section,
    TrainConfig,
    WGANGPLoss,
    check_resolution,
)

__all__ = [
    "LOSS_SECTIONS",
    "MODEL_SECTIONS",
    "SCHEMA_VERSION",
    "AugmentConfig",
    "BCELoss",
    "Config",
    "DCGANConfig",
    "DataConfig",
    "HingeLoss",
    "LossConfig",
    "MIGANConfig",
    "ModelConfig",
    "ModelSection",
    "OptimConfig",
    "SAGANConfig",
    "Section",
    "TrainConfig",
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
