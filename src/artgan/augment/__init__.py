"""Augmentations, by name (:data:`AUGMENTATIONS`): the real-image ``affine`` pipeline and
the differentiable operations the discriminator's inputs go through (``d_augment``:
DiffAugment or ADA, :mod:`artgan.augment.pipeline`). Importing this package registers the
built-in ones."""

from __future__ import annotations

from artgan.augment import affine, diffaug  # noqa: F401  (register the built-in operations)
from artgan.augment.pipeline import ADAController, DAugment, build_d_augment, policy_ops
from artgan.augment.registry import AUGMENTATIONS, Augmentation

__all__ = [
    "AUGMENTATIONS",
    "ADAController",
    "Augmentation",
    "DAugment",
    "build_d_augment",
    "policy_ops",
]
