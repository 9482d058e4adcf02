"""Models: the registry (:data:`MODELS`), the latent space, EMA; importing this package
registers the built-in models (dcgan, sagan, migan)."""

from __future__ import annotations

from artgan.models import dcgan, migan, sagan  # noqa: F401  (register the built-in models)
from artgan.models.latent import Latent, LatentSpec, latents_for_seeds
from artgan.models.registry import (
    MODELS,
    Ablation,
    GeneratorObjective,
    ModelSpec,
    all_ablations,
    get_model,
    latent_spec,
    model_names,
    register,
)

__all__ = [
    "MODELS",
    "Ablation",
    "GeneratorObjective",
    "Latent",
    "LatentSpec",
    "ModelSpec",
    "all_ablations",
    "get_model",
    "latent_spec",
    "latents_for_seeds",
    "model_names",
    "register",
]
