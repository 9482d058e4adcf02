"""One config section per model, told apart by ``model.name``.

Each model's section holds only the options that apply to it, so ``--model dcgan
--no-ams`` is an error instead of a silently ignored flag. Every section shares the latent
layout and the network widths (:class:`ModelSection`); MIGAN's also holds its ablation
switches (paper Table 1) and the weights of its generator objective (eq. 7, 17-20),
which only a model with an encoder can use.

The networks, builders and objectives live in :mod:`artgan.models`; its registry has one
entry per section here (a test checks that they agree).
"""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from pydantic import Field, field_validator, model_validator

from artgan.config.sections import Float, NonNegativeFloat, NonNegativeInt, PositiveInt, Section
from artgan.errors import ArtganError

AUTO_CATEGORIES_WITHOUT_CLASSES = 10


class ModelSection(Section):
    """What every model has: the latent layout (MIGAN eq. 5) and the network widths."""

    # False: a likelihood model (VAE, diffusion) with no discriminator; the config refuses
    # the adversarial options for it (config/schema.py) and its GAN-only fields (below).
    adversarial: ClassVar[bool] = True
    name: str
    z_dim: PositiveInt = 100
    # categorical code values: a number (0 = none) or "auto": one per class folder (10
    # without class folders). A run records the number "auto" became.
    n_categories: NonNegativeInt | Literal["auto"] = 0
    n_continuous: NonNegativeInt = 0  # continuous latent codes ~ U(-1, 1)
    g_channels: PositiveInt = 64  # width of the last generator stage
    d_channels: PositiveInt = 64  # width of the first discriminator stage
    max_channels: PositiveInt = 512
    # The discriminator: the model's own, or a projected one on frozen ImageNet features
    # (artgan.models.projected) reading the images resized to d_backbone_resolution.
    d_backbone: Literal["own", "efficientnet-lite0"] = "own"
    d_backbone_resolution: Annotated[int, Field(ge=32, le=512)] = 128

    def for_classes(self, n_classes: int) -> ModelSection:
        """This section with ``"auto"`` codes resolved for a data set of ``n_classes``
        class folders (a new object; sections are frozen)."""
        if self.n_categories != "auto":
            return self
        n = n_classes if n_classes >= 2 else AUTO_CATEGORIES_WITHOUT_CLASSES
        return self.model_copy(update={"n_categories": n})


class DCGANConfig(ModelSection):
    """DCGAN baseline ("CNN-GAN")."""

    name: Literal["dcgan"] = "dcgan"


class SAGANConfig(ModelSection):
    """SAGAN baseline (the paper's SPA-GAN stand-in)."""

    name: Literal["sagan"] = "sagan"


class MIGANConfig(ModelSection):
    """MIGAN (paper §3-4): architecture, ablation switches and generator objective."""

    name: Literal["migan"] = "migan"
    # Ablations (paper Table 1): a False switch removes the module entirely.
    use_ams: bool = True
    use_sft: bool = True
    use_sa: bool = True
    use_eca: bool = True
    cond_channels: PositiveInt = 32  # SFT condition-map channels
    # Start the codes with as much say in G's first layer as z' (docs/migan.md).
    balance_codes: bool = True
    d_scales: PositiveInt = 2  # multi-scale critic: image + 2x downsampled copy
    # Readings the paper allows, each measured in docs/migan.md (defaults: as before).
    g_norm: Literal["none", "pixel"] = "none"  # pixel norm after G's activations (ProGAN)
    cycle_ramp: NonNegativeInt = 0  # generator steps over which λ and η rise from 0 to full
    # Which networks the image cycle x → E → G → x̂ trains: both, or E alone (G then learns
    # only from D and L_I, and is not pulled towards an autoencoder's decoder).
    cycle_trains: Literal["generator+encoder", "encoder"] = "generator+encoder"
    # Generator objective L_G = L_adv + λ_I·L_I + λ·L_MS + η·L_per (eq. 17).
    lambda_info: NonNegativeFloat = 1.0  # λ_I: InfoGAN bound on the latent cycle (eq. 7)
    info_z_weight: NonNegativeFloat = 0.1  # share of the z' reconstruction inside L_I
    lambda_ms: NonNegativeFloat = 1.0  # λ: MS-SSIM + L1 on the image cycle (eq. 18)
    ms_alpha: Float = 0.84  # α in L_MS = α(1 - MS-SSIM) + (1 - α)·L1
    eta_per: NonNegativeFloat = 0.1  # η: VGG19 perceptual loss on the image cycle (eq. 20)
    perceptual_layers: str = "relu1_2,relu2_2,relu3_4"
    cycle_batch: PositiveInt = 8  # real images per step through x → E → G → x̂ (CPU budget)
    # A cheaper MIGAN without removing a module (docs/migan.md; defaults: as first built):
    # the image cycle on every k-th generator step at k× its weights (lazy, as StyleGAN2's
    # regularisation); AMS branches at this fraction of the stage width; SFT's S and T
    # computed at most at this size and upsampled (0: at every stage's own size).
    cycle_every: PositiveInt = 1
    ams_branch_ratio: Annotated[Float, Field(gt=0.0, le=1.0)] = 1.0
    sft_resolution: NonNegativeInt = 0
    # How G's stages double their size (the paper does not say; docs/migan.md measures
    # the period-2 checkerboard of each): nearest or bilinear ×2 then a 3×3 conv, or
    # DCGAN's 4×4 stride-2 transposed conv.
    g_upsample: Literal["nearest", "bilinear", "transposed"] = "nearest"
    labels_as_code: bool = False  # supervise E's categorical head with class folders

    def for_classes(self, n_classes: int) -> MIGANConfig:
        resolved = super().for_classes(n_classes)
        if self.labels_as_code:
            if n_classes < 2:
                raise ArtganError("--labels-as-code needs class subfolders in the data folder")
            if resolved.n_categories != n_classes:
                raise ArtganError(
                    f"--labels-as-code ties the categorical code to the {n_classes} class "
                    f"folders, but model.n_categories is {resolved.n_categories}"
                )
        return resolved  # type: ignore[return-value]

    def perceptual_layer_names(self) -> tuple[str, ...]:
        """``perceptual_layers`` as a tuple of VGG19 layer names."""
        return tuple(x.strip() for x in self.perceptual_layers.split(",") if x.strip())


class FastGANConfig(ModelSection):
    """FastGAN: skip-layer excitation G, self-supervised auto-encoding D."""

    name: Literal["fastgan"] = "fastgan"
    rec_weight: NonNegativeFloat = 1.0  # the discriminator's reconstruction term
    rec_batch: PositiveInt = 16  # real images per critic step it redraws


# ModelSection's fields that only a GAN uses: codes (a likelihood model has no InfoGAN
# cycle to give them meaning) and the discriminator's.
GAN_ONLY_FIELDS = (
    "n_categories", "n_continuous", "d_channels", "d_backbone", "d_backbone_resolution",
)  # fmt: skip


_WHY_NOT = {
    "n_categories": "a likelihood model has no InfoGAN codes",
    "n_continuous": "a likelihood model has no InfoGAN codes",
    "z_dim": "its latent is x_T, 3·R·R values",
    "max_channels": "the UNet's widths are g_channels × channel_mult",
}


class _LikelihoodSection(ModelSection):
    """A model trained by maximum likelihood (a bound of it), not against a critic."""

    adversarial: ClassVar[bool] = False
    not_applicable: ClassVar[tuple[str, ...]] = GAN_ONLY_FIELDS

    @model_validator(mode="after")
    def _refuse_gan_options(self) -> _LikelihoodSection:
        for key in self.not_applicable:
            default = type(self).model_fields[key].default
            if getattr(self, key) != default:
                why = _WHY_NOT.get(key, "a likelihood model has no discriminator")
                raise ValueError(f"model.{key} does not apply to '{self.name}' ({why})")
        return self


class VAEConfig(_LikelihoodSection):
    """Convolutional VAE (#21): ELBO with an L1 or squared-error likelihood, β-weighted KL."""

    name: Literal["vae"] = "vae"
    z_dim: PositiveInt = 128
    g_channels: PositiveInt = 32  # decoder width at the image
    e_channels: PositiveInt = 32  # encoder width at the image
    max_channels: PositiveInt = 256
    beta: NonNegativeFloat = 1.0  # weight of the KL term (1: the negative ELBO)
    recon: Literal["l1", "mse"] = "l1"


class DDPMConfig(_LikelihoodSection):
    """Denoising diffusion (#21): ε-prediction UNet; DDIM (η = 0) sampling by default."""

    name: Literal["ddpm"] = "ddpm"
    # the latent is x_T, 3·R·R values: z_dim does not apply
    not_applicable: ClassVar[tuple[str, ...]] = (*GAN_ONLY_FIELDS, "z_dim", "max_channels")
    g_channels: PositiveInt = 64  # the UNet's first-level width
    channel_mult: str = "1,2,2,2"  # width multiplier per level (one level per halving)
    attn_resolutions: str = "16"  # sides (px) with self-attention; "" for none
    dropout: Annotated[Float, Field(ge=0.0, lt=1.0)] = 0.1
    num_res_blocks: PositiveInt = 2
    timesteps: Annotated[int, Field(ge=2, le=10_000)] = 1000
    beta_schedule: Literal["linear", "cosine"] = "linear"
    sample_steps: PositiveInt = 50  # DDIM steps for samples, FID and generate (--steps)
    sample_eta: Annotated[Float, Field(ge=0.0, le=1.0)] = 0.0

    @field_validator("channel_mult", "attn_resolutions", mode="before")
    @classmethod
    def _one_number(cls, v: object) -> object:
        # `--set model.attn_resolutions=16` and an unquoted YAML 16 arrive as an int
        return str(v) if isinstance(v, int) and not isinstance(v, bool) else v

    @model_validator(mode="after")
    def _check_lists(self) -> DDPMConfig:
        self.channel_mult_tuple()
        self.attn_tuple()
        if self.sample_steps > self.timesteps:
            raise ValueError(
                f"model.sample_steps ({self.sample_steps}) cannot exceed model.timesteps "
                f"({self.timesteps})"
            )
        return self

    def channel_mult_tuple(self) -> tuple[int, ...]:
        """``channel_mult`` as integers, e.g. ``(1, 2, 2, 2)``."""
        return _int_list(self.channel_mult, "model.channel_mult", allow_empty=False)

    def attn_tuple(self) -> tuple[int, ...]:
        """``attn_resolutions`` as integers, e.g. ``(16,)``."""
        return _int_list(self.attn_resolutions, "model.attn_resolutions", allow_empty=True)


def _int_list(text: str, key: str, allow_empty: bool) -> tuple[int, ...]:
    parts = [p.strip() for p in text.split(",") if p.strip()]
    try:
        values = tuple(int(p) for p in parts)
    except ValueError:
        raise ValueError(f"{key} must be comma-separated whole numbers, got '{text}'") from None
    if (not values and not allow_empty) or any(v < 1 for v in values):
        raise ValueError(f"{key} must be comma-separated positive whole numbers, got '{text}'")
    return values


MODEL_SECTIONS: tuple[type[ModelSection], ...] = (
    DCGANConfig, SAGANConfig, MIGANConfig, FastGANConfig, VAEConfig, DDPMConfig,
)  # fmt: skip
ModelConfig = Annotated[
    DCGANConfig | SAGANConfig | MIGANConfig | FastGANConfig | VAEConfig | DDPMConfig,
    Field(discriminator="name"),
]


def section_names(sections: tuple[type[Section], ...]) -> dict[str, type[Section]]:
    """``{name: section class}`` for a union's variants (the ``name`` field's default)."""
    return {cls.model_fields["name"].default: cls for cls in sections}
