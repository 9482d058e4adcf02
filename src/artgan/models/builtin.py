"""Registration of the built-in models. Builders are the only code that reads the
config; the networks they assemble take plain arguments."""

from __future__ import annotations

from torch import nn

from artgan.config import ModelConfig
from artgan.models.dcgan import DCGANDiscriminator, DCGANGenerator
from artgan.models.latent import LatentSpec
from artgan.models.migan import Encoder, MIGANGenerator, MultiScaleDiscriminator
from artgan.models.registry import ModelSpec, register
from artgan.models.sagan import SAGANDiscriminator, SAGANGenerator


def _dcgan_g(cfg: ModelConfig, latent: LatentSpec, resolution: int) -> nn.Module:
    return DCGANGenerator(latent.dim, resolution, cfg.g_channels, cfg.max_channels)


def _dcgan_d(cfg: ModelConfig, latent: LatentSpec, resolution: int) -> nn.Module:
    return DCGANDiscriminator(resolution, cfg.d_channels, cfg.max_channels)


def _sagan_g(cfg: ModelConfig, latent: LatentSpec, resolution: int) -> nn.Module:
    return SAGANGenerator(latent.dim, resolution, cfg.g_channels, cfg.max_channels)


def _sagan_d(cfg: ModelConfig, latent: LatentSpec, resolution: int) -> nn.Module:
    return SAGANDiscriminator(resolution, cfg.d_channels, cfg.max_channels)


def _migan_g(cfg: ModelConfig, latent: LatentSpec, resolution: int) -> nn.Module:
    return MIGANGenerator(
        latent.z_dim,
        latent.n_categories,
        latent.n_continuous,
        resolution,
        channels=cfg.g_channels,
        max_channels=cfg.max_channels,
        use_ams=cfg.use_ams,
        use_sft=cfg.use_sft,
        use_sa=cfg.use_sa,
        use_eca=cfg.use_eca,
        cond_channels=cfg.cond_channels,
        balance_codes=cfg.balance_codes,
    )


def _migan_d(cfg: ModelConfig, latent: LatentSpec, resolution: int) -> nn.Module:
    return MultiScaleDiscriminator(
        resolution, cfg.d_channels, cfg.max_channels, n_scales=cfg.d_scales
    )


def _migan_e(cfg: ModelConfig, latent: LatentSpec, resolution: int) -> nn.Module:
    return Encoder(
        latent.z_dim,
        latent.n_categories,
        latent.n_continuous,
        resolution,
        cfg.d_channels,
        cfg.max_channels,
    )


register(
    ModelSpec(
        name="dcgan",
        description="DCGAN baseline (CNN-GAN): transposed convs, BatchNorm, BCE loss",
        generator=_dcgan_g,
        discriminator=_dcgan_d,
    )
)
register(
    ModelSpec(
        name="sagan",
        description="SAGAN baseline (SPA-GAN stand-in): self-attention in G and D, "
        "spectral norm, hinge loss",
        generator=_sagan_g,
        discriminator=_sagan_d,
    )
)
register(
    ModelSpec(
        name="migan",
        description="MIGAN (paper §3-4): AMS, SFT, S-ECA generator; multi-scale critic; "
        "encoder for the info and image cycles; WGAN-GP",
        generator=_migan_g,
        discriminator=_migan_d,
        encoder=_migan_e,
    )
)
