"""Augmentations, by name (:data:`AUGMENTATIONS`); importing this package registers the
built-in ones."""

from __future__ import annotations

from artgan.augment import affine  # noqa: F401  (registers "affine")
from artgan.augment.registry import AUGMENTATIONS, Augmentation

__all__ = ["AUGMENTATIONS", "Augmentation"]
