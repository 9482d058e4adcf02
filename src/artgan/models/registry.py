"""The one model registry. A model registers a :class:`ModelSpec`: builders that read its
config section (:mod:`artgan.config.models`) and assemble layers that take plain
arguments, the generator objective it trains with beyond the adversarial loss, and its
ablation switches, from which the CLI's ``--no-*`` flags and ``artgan ablate``'s variants
are derived. Ablations are switches in the model's config section, never copies of a model.

A GAN registers a ``discriminator``; a likelihood model (``vae``, ``ddpm``) registers a
``likelihood`` loss instead, and the trainer runs its one-network step
(``train/likelihood.py``) in place of the adversarial one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from torch import Tensor, nn

from artgan.config import ModelSection
from artgan.errors import ArtganError
from artgan.models.latent import Latent, LatentSpec
from artgan.registry import Registry
from artgan.runtime import Runtime

Builder = Callable[[Any, LatentSpec, int], nn.Module]  # (model section, latent, resolution)


class GeneratorObjective(Protocol):
    """Model-specific generator terms added to the adversarial loss.

    Called once per generator step with G and E (None without an encoder), the fake
    batch ``[B, 3, R, R]`` and its latent draw, the real batch and its labels ``[B]``,
    and the generator step (for weights that change over training); returns named
    scalar terms, ``"total"`` being what is added to ``L_adv``.
    """

    def __call__(
        self,
        G: nn.Module,
        E: nn.Module | None,
        fake: Tensor,
        draw: Latent,
        real: Tensor,
        labels: Tensor,
        rt: Runtime,
        step: int = 0,
    ) -> dict[str, Tensor]: ...


# (model section, runtime, this process's batch size) → objective; may refuse a bad setup.
ObjectiveFactory = Callable[[Any, Runtime, int], GeneratorObjective]
# (D, the real batch D saw, a CPU generator) → named scalar terms; "total" joins the critic
# loss (FastGAN's self-supervised reconstruction).
CriticObjective = Callable[[nn.Module, Tensor, Any], dict[str, Tensor]]
# (G, E or None, this rank's real batch [B, 3, R, R], a CPU generator for the step's draws
# of the global batch, runtime) → named scalar terms; "total" is minimised (a VAE's negative
# ELBO, a diffusion model's ε loss).
LikelihoodLoss = Callable[[nn.Module, nn.Module | None, Tensor, Any, Runtime], dict[str, Tensor]]


@dataclass(frozen=True)
class Ablation:
    """A switch that removes one module: ``--no-NAME`` sets ``model.FIELD = False``."""

    name: str
    field: str
    help: str


@dataclass(frozen=True)
class ModelSpec:
    name: str
    description: str
    generator: Builder
    discriminator: Builder | None = None  # None: a likelihood model (then `likelihood`)
    encoder: Builder | None = None  # image → latent (MIGAN's E); None when absent
    objective: ObjectiveFactory | None = None  # None: the adversarial loss alone
    # (model section, runtime) → critic objective; used with the model's own D only
    critic_objective: Callable[[Any, Runtime], CriticObjective] | None = None
    ablations: tuple[Ablation, ...] = ()
    min_resolution: int = 8  # the smallest image side its networks can be built for
    # (model section, runtime, this process's batch) → its loss; exactly when no discriminator
    likelihood: Callable[[Any, Runtime, int], LikelihoodLoss] | None = None
    # (model section, resolution) → latent layout; None: z_dim and the section's codes
    latent: Callable[[Any, int], LatentSpec] | None = None
    # the generator runs an iterative sampler whose step count `generate --steps` sets
    iterative: bool = False

    @property
    def adversarial(self) -> bool:
        """Trained against a discriminator (every GAN) rather than by likelihood."""
        return self.discriminator is not None

    def ablation(self, name: str) -> Ablation:
        for a in self.ablations:
            if a.name == name:
                return a
        have = ", ".join(f"-no-{a.name}" for a in self.ablations) or "none"
        raise ArtganError(f"model '{self.name}' has no ablation '{name}' (it has: {have})")


MODELS: Registry[ModelSpec] = Registry("model")


@dataclass(frozen=True)
class DBackbone:
    """A discriminator any model can use instead of its own (``model.d_backbone``)."""

    name: str
    description: str
    build: Callable[[Any, int], nn.Module]  # (model section, image resolution) → D


D_BACKBONES: Registry[DBackbone] = Registry("discriminator backbone")


def build_discriminator(
    spec: ModelSpec, cfg: Any, latent: LatentSpec, resolution: int
) -> nn.Module:
    """The model's own critic, or the registered backbone ``cfg.d_backbone`` names."""
    if cfg.d_backbone == "own":
        if spec.discriminator is None:
            raise ArtganError(f"model '{spec.name}' has no discriminator")
        return spec.discriminator(cfg, latent, resolution)
    return D_BACKBONES.get(cfg.d_backbone).build(cfg, resolution)


def register(spec: ModelSpec) -> ModelSpec:
    if (spec.discriminator is None) == (spec.likelihood is None):
        raise ValueError(
            f"model '{spec.name}' needs exactly one of a discriminator (a GAN) or a likelihood loss"
        )
    return MODELS.register(spec)


def get_model(name: str) -> ModelSpec:
    return MODELS.get(name)


def model_names() -> list[str]:
    return MODELS.names()


def latent_spec(cfg: ModelSection) -> LatentSpec:
    """The latent layout of a model section whose codes are resolved (no ``"auto"``)."""
    if cfg.n_categories == "auto":
        raise ValueError("model.n_categories is 'auto': resolve it for the data first")
    return LatentSpec(cfg.z_dim, cfg.n_categories, cfg.n_continuous)


def model_latent(cfg: ModelSection, resolution: int) -> LatentSpec:
    """The latent layout a model builds its generator for: its spec's rule (a diffusion
    model's x_T is 3·R·R wide) or :func:`latent_spec`."""
    spec = get_model(cfg.name)
    return spec.latent(cfg, resolution) if spec.latent else latent_spec(cfg)


def all_ablations() -> dict[str, Ablation]:
    """Every registered model's ablations by name (the CLI's ``--no-*`` flags)."""
    out: dict[str, Ablation] = {}
    for spec in MODELS:
        for a in spec.ablations:
            out.setdefault(a.name, a)
    return out
