"""The config sections every run has: data, optimiser, adversarial loss, training.

Sections are frozen pydantic models: unknown keys are errors, types are strict (an int is
accepted where a float is expected, and a numeric string such as YAML 1.1's ``1e-4``), and
value ranges are declared beside each field. A resolved config is never mutated; code that
needs a variant builds a new one (:func:`artgan.config.replace`).
"""

from __future__ import annotations

import numbers
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator

from artgan.errors import ArtganError


def _numeric_string(value: object) -> object:
    # YAML 1.1 reads "1e-4" (no dot) as a string; a float key still means the number.
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return value
    return value


# Every float option is finite: nan or inf in a config is a typo, never a setting.
Float = Annotated[float, BeforeValidator(_numeric_string), Field(allow_inf_nan=False)]
PositiveFloat = Annotated[Float, Field(gt=0.0)]
UnitFloat = Annotated[Float, Field(ge=0.0, lt=1.0)]  # Adam's betas
PositiveInt = Annotated[int, Field(ge=1)]
NonNegativeInt = Annotated[int, Field(ge=0)]
NonNegativeFloat = Annotated[Float, Field(ge=0.0)]
Precision = Literal["auto", "fp32", "bf16"]
Device = Literal["auto", "cpu", "cuda", "mps"]


class Section(BaseModel):
    """Base of every config section: frozen, strict, no unknown keys."""

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)


def check_resolution(resolution: int) -> int:
    """``resolution`` if it is a power of two in [8, 1024], else an :class:`ArtganError`."""
    ok = (
        isinstance(resolution, numbers.Integral)  # numpy integers too
        and not isinstance(resolution, bool)
        and 8 <= resolution <= 1024
        and resolution & (resolution - 1) == 0
    )
    if not ok:
        raise ArtganError(
            f"resolution must be a power of two between 8 and 1024, got {resolution!r}"
        )
    return resolution


class AugmentConfig(Section):
    """Real-image augmentation applied per training batch (dcgan-art-portraits §2.3)."""

    flip: bool = True
    rotate_deg: NonNegativeFloat = 5.0  # max absolute rotation, degrees
    scale: NonNegativeFloat = 0.05  # max relative zoom, e.g. 0.05 → scale in [0.95, 1.05]


class DataConfig(Section):
    path: str | None = None  # None → the built-in procedural landscapes (works offline)
    resolution: int = 64
    fit: Literal["crop", "pad"] = "crop"
    train_fraction: Float = 0.6  # paper §5: 6:4 split
    split_seed: int = 0
    use_labels: bool = True
    cache_dir: str | None = None  # None → $ARTGAN_CACHE or ~/.cache/artgan/datasets
    augment: AugmentConfig = Field(default_factory=AugmentConfig)

    @field_validator("resolution")
    @classmethod
    def _resolution(cls, v: int) -> int:
        return check_resolution(v)

    @field_validator("train_fraction")
    @classmethod
    def _fraction(cls, v: float) -> float:
        if not 0.0 < v < 1.0:
            raise ValueError(f"data.train_fraction must be between 0 and 1, got {v}")
        return v


class OptimConfig(Section):
    lr_g: PositiveFloat = 2e-4
    lr_d: PositiveFloat = 2e-4
    beta1: UnitFloat = 0.5
    beta2: UnitFloat = 0.999
    n_critic: PositiveInt = 1  # discriminator steps per generator step


class _R1Loss(Section):
    """A loss that can take the R1 penalty (Mescheder et al. 2018) on real images:
    ``r1_gamma/2 · E‖∇ₓD(x)‖²``, computed every ``reg_every``-th critic step and scaled by
    ``reg_every`` then (lazy regularisation, StyleGAN2) so its average weight is the same."""

    r1_gamma: NonNegativeFloat = 0.0  # 0: no penalty
    reg_every: PositiveInt = 1


class BCELoss(_R1Loss):
    """Non-saturating BCE (seed paper eq. 1-2)."""

    name: Literal["bce"] = "bce"


class HingeLoss(_R1Loss):
    """Hinge loss (SAGAN)."""

    name: Literal["hinge"] = "hinge"


class WGANGPLoss(Section):
    """Wasserstein loss with gradient penalty (MIGAN eq. 19)."""

    name: Literal["wgan-gp"] = "wgan-gp"
    gp_weight: NonNegativeFloat = 10.0  # the penalty's weight on D (eq. 19 text)
    drift_weight: NonNegativeFloat = 0.0  # ε·E[D(x)²] keeps critic outputs near 0 (ProGAN)
    # Lazy penalty: on every reg_every-th critic step, weighted reg_every·gp_weight there
    # (the penalty's double backward is most of a MIGAN critic step's cost).
    reg_every: PositiveInt = 1


LOSS_SECTIONS: tuple[type[Section], ...] = (BCELoss, HingeLoss, WGANGPLoss)
LossConfig = Annotated[BCELoss | HingeLoss | WGANGPLoss, Field(discriminator="name")]


class NoDAugment(Section):
    """The discriminator sees the images as they are."""

    name: Literal["none"] = "none"


class DiffAugmentConfig(Section):
    """DiffAugment: every operation of ``policy`` on every real and fake image."""

    name: Literal["diffaug"] = "diffaug"
    policy: str = "color,translation,cutout"


class ADAConfig(Section):
    """ADA: each operation applied with an adaptive probability p (see augment/pipeline)."""

    name: Literal["ada"] = "ada"
    policy: str = "flip,translation,color,cutout"
    target: Float = 0.6  # the overfitting signal r_t = E[sign D(real)] ADA holds p at
    interval: PositiveInt = 4  # generator steps between adjustments of p
    speed_kimg: Annotated[Float, Field(gt=0.0)] = 100.0  # thousand images for p: 0 → 1
    p: Annotated[Float, Field(ge=0.0, le=1.0)] = 0.0  # the starting probability


D_AUGMENT_SECTIONS: tuple[type[Section], ...] = (NoDAugment, DiffAugmentConfig, ADAConfig)
DAugmentConfig = Annotated[NoDAugment | DiffAugmentConfig | ADAConfig, Field(discriminator="name")]


class TrainConfig(Section):
    steps: PositiveInt = 3000  # generator steps
    time_budget: NonNegativeFloat = 0.0  # stop after this many seconds of training steps (0 = off)
    batch_size: PositiveInt = 64
    seed: int = 0
    ema_decay: Float = 0.999
    ema_rampup: bool = True  # decay = min(decay, (1+t)/(10+t)): EMA tracks G early on
    # auto: bf16 autocast where the hardware has it (≈1.7× faster there), else fp32; the
    # obvious command should not train at half speed on a CPU that has bf16.
    precision: Precision = "auto"
    device: Device = "auto"
    threads: NonNegativeInt = 0  # 0 → min(cores, 8)
    channels_last: bool = True
    log_every: PositiveInt = 10
    sample_every: PositiveInt = 500
    ckpt_every: PositiveInt = 500
    keep_checkpoints: PositiveInt = 3
    n_samples: PositiveInt = 64  # images in the fixed-latent sample grid
    fid_every: NonNegativeInt = 0  # FID/KID vs the test split every N steps (0 = off; paper: 500)
    # …or every N seconds of training steps: with a wall-clock budget, models of very
    # different cost per step get FID curves with the same number of points.
    fid_every_seconds: NonNegativeFloat = 0.0
    fid_n: PositiveInt = 2000  # generated images per FID evaluation (paper: 2000)
    # Where bf16 is native it moved FID by 0.29% vs fp32 on 2,000 artworks and was 2.2x
    # faster (bench_metrics.py on an EPYC with native bf16); the evaluate command stays fp32.
    fid_precision: Precision = "auto"  # Inception precision for training-time FID
    progress: bool = True
    # tensorboard: RUN/tensorboard/ event files beside metrics.jsonl (which is always kept)
    logger: Literal["jsonl", "tensorboard"] = "jsonl"
    # Stop (keeping the last good checkpoint) when the sample grid's pixel spread across
    # images falls below this fraction of the training paintings' — the samples have
    # collapsed to nearly one image (0: never); checked from step `collapse_after` on.
    collapse_threshold: Annotated[Float, Field(ge=0.0, lt=1.0)] = 0.05
    collapse_after: NonNegativeInt = 1000

    @field_validator("ema_decay")
    @classmethod
    def _decay(cls, v: float) -> float:
        if not 0.0 <= v < 1.0:
            raise ValueError(f"train.ema_decay must be in [0, 1), got {v}")
        return v
