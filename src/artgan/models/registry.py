"""The one model registry. A model is a set of builders that read the config; the
layers they assemble take plain arguments. Ablations are booleans in ``ModelConfig``,
never copies of a model."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from torch import nn

from artgan.config import ModelConfig
from artgan.errors import ArtganError
from artgan.models.latent import LatentSpec

Builder = Callable[[ModelConfig, LatentSpec, int], nn.Module]


@dataclass(frozen=True)
class ModelSpec:
    name: str
    description: str
    generator: Builder
    discriminator: Builder
    encoder: Builder | None = None  # image → latent (MIGAN's E); None when absent


_REGISTRY: dict[str, ModelSpec] = {}


def register(spec: ModelSpec) -> ModelSpec:
    if spec.name in _REGISTRY:
        raise ValueError(f"model '{spec.name}' registered twice")
    _REGISTRY[spec.name] = spec
    return spec


def model_names() -> list[str]:
    _load_builtin()
    return sorted(_REGISTRY)


def get_model(name: str) -> ModelSpec:
    _load_builtin()
    if name not in _REGISTRY:
        raise ArtganError(f"unknown model '{name}' (available: {', '.join(sorted(_REGISTRY))})")
    return _REGISTRY[name]


def latent_spec(cfg: ModelConfig) -> LatentSpec:
    return LatentSpec(cfg.z_dim, cfg.n_categories, cfg.n_continuous)


def _load_builtin() -> None:
    # Importing the model modules registers them; done lazily so config.py can import
    # this module without a cycle.
    from artgan.models import builtin  # noqa: F401
