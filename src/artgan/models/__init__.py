"""Models: the registry (:data:`MODELS`), the latent space, EMA; importing this package
registers the built-in models (dcgan, sagan, migan, fastgan; vae and ddpm, the likelihood
models of #21)."""

from __future__ import annotations

from artgan.models import (  # noqa: F401  (registrations)
    dcgan,
    ddpm,
    fastgan,
    migan,
    projected,
    sagan,
    vae,
)
from artgan.models.latent import Latent, LatentSpec, latents_for_seeds
from artgan.models.registry import (
    D_BACKBONES,
    MODELS,
    Ablation,
    DBackbone,
    GeneratorObjective,
    LikelihoodLoss,
    ModelSpec,
    all_ablations,
    build_discriminator,
    get_model,
    latent_spec,
    model_latent,
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
    "LikelihoodLoss",
    "ModelSpec",
    "all_ablations",
    "build_discriminator",
    "get_model",
    "latent_spec",
    "latents_for_seeds",
    "model_latent",
    "model_names",
    "register",
]
