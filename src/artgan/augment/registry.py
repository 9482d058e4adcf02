"""Augmentations by name. The real-image pipeline (flip, rotation, zoom of each training
batch) is ``affine``; differentiable augmentations applied to real and fake images inside
the discriminator and generator steps register here too, with ``differentiable=True``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from torch import Tensor

from artgan.registry import Registry

# (images [B, 3, H, W], CPU generator, **options) → images [B, 3, H, W]
AugmentFn = Callable[..., Tensor]


@dataclass(frozen=True)
class Augmentation:
    name: str
    description: str
    apply: AugmentFn
    differentiable: bool = False  # gradients flow through it (safe to apply to G's output)


AUGMENTATIONS: Registry[Augmentation] = Registry("augmentation")
