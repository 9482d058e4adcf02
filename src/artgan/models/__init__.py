"""Model registry and the latent space."""

from __future__ import annotations

from artgan.models.latent import Latent, LatentSpec
from artgan.models.registry import ModelSpec, get_model, latent_spec, model_names, register

__all__ = [
    "Latent",
    "LatentSpec",
    "ModelSpec",
    "get_model",
    "latent_spec",
    "model_names",
    "register",
]
