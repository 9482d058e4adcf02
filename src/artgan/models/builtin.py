"""Registration of the built-in models."""

from __future__ import annotations

from artgan.config import ModelConfig
from artgan.models.dcgan import DCGANDiscriminator, DCGANGenerator
from artgan.models.latent import LatentSpec
from artgan.models.registry import ModelSpec, register


def _dcgan_g(cfg: ModelConfig, latent: LatentSpec, resolution: int) -> DCGANGenerator:
    return DCGANGenerator(latent.dim, resolution, cfg.g_channels, cfg.max_channels)


def _dcgan_d(cfg: ModelConfig, latent: LatentSpec, resolution: int) -> DCGANDiscriminator:
    return DCGANDiscriminator(resolution, cfg.d_channels, cfg.max_channels)


register(
    ModelSpec(
        name="dcgan",
        description="DCGAN baseline (CNN-GAN): transposed convs, BatchNorm, BCE loss",
        generator=_dcgan_g,
        discriminator=_dcgan_d,
        default_loss="bce",
    )
)
