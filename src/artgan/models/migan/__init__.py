"""MIGAN (paper §3-4; our reading in SPEC §1): the generator with AMS, SFT and S-ECA, the
multi-scale critic, the encoder E and the objective of its info and image cycles.
Registered as ``migan``, with the ablation switches of the paper's Table 1."""

from __future__ import annotations

from torch import nn

from artgan.config import MIGANConfig
from artgan.models.latent import LatentSpec
from artgan.models.migan.critic import MultiScaleDiscriminator, patch_resolution
from artgan.models.migan.encoder import Encoder
from artgan.models.migan.generator import MIGANGenerator, balance_code_columns
from artgan.models.migan.objective import MIGANObjective, cycle_rows
from artgan.models.registry import Ablation, ModelSpec, register

__all__ = [
    "SPEC",
    "Encoder",
    "MIGANGenerator",
    "MIGANObjective",
    "MultiScaleDiscriminator",
    "balance_code_columns",
    "cycle_rows",
    "patch_resolution",
]


def _generator(cfg: MIGANConfig, latent: LatentSpec, resolution: int) -> nn.Module:
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
        pixel_norm=cfg.g_norm == "pixel",
        ams_branch_ratio=cfg.ams_branch_ratio,
        sft_resolution=cfg.sft_resolution,
        upsample=cfg.g_upsample,
    )


def _discriminator(cfg: MIGANConfig, latent: LatentSpec, resolution: int) -> nn.Module:
    return MultiScaleDiscriminator(
        resolution, cfg.d_channels, cfg.max_channels, n_scales=cfg.d_scales
    )


def _encoder(cfg: MIGANConfig, latent: LatentSpec, resolution: int) -> nn.Module:
    return Encoder(
        latent.z_dim,
        latent.n_categories,
        latent.n_continuous,
        resolution,
        cfg.d_channels,
        cfg.max_channels,
    )


SPEC = register(
    ModelSpec(
        name="migan",
        description="MIGAN (paper §3-4): AMS, SFT, S-ECA generator; multi-scale critic; "
        "encoder for the info and image cycles; WGAN-GP",
        generator=_generator,
        discriminator=_discriminator,
        encoder=_encoder,
        objective=MIGANObjective,
        ablations=(
            Ablation("ams", "use_ams", "multi-scale atrous block"),
            Ablation("sft", "use_sft", "SFT layers"),
            Ablation("sa", "use_sa", "self-attention"),
            Ablation("eca", "use_eca", "ECA channel attention"),
        ),
    )
)
