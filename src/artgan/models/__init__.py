"""Models: the registry (:data:`MODELS`), the latent space, EMA; importing this package
registers the built-in models (dcgan, sagan, migan)."""

from __future__ import annotations

from artgan.models import dcgan, fastgan, migan, projected, sagan  # noqa: F401  (registrations)
from artgan.models.latent import Latent, LatentSpec, latents_for_seeds
from artgan.models.registry import (
    D_BACKBONES,
    MODELS,
    Ablation,
    DBackbone,
    GeneratorObjective,
    ModelSpec,
    all_ablations,
    build_discriminator,
    get_model,
    latent_spec,
    model_names,
    register,
)

__all__ = [
    "D_BACKBONES",
    "MODELS",
    "Ablation",
    "DBackbone",
    "GeneratorObjective",
    "Latent",
    "LatentSpec",
    "ModelSpec",
    "all_ablations",
    "build_discriminator",
    "get_model",
    "latent_spec",
    "latents_for_seeds",
    "model_names",
    "register",
]
