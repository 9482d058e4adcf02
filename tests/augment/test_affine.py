"""The real-image augmentation (flip, rotation, zoom) and the augmentation registry."""

from __future__ import annotations

import pytest
import torch

from artgan.augment import AUGMENTATIONS
from artgan.augment.affine import augment
from artgan.errors import ArtganError


def test_augment_identity_flip_and_determinism():
    x = torch.rand(16, 3, 8, 8) * 2 - 1
    same = augment(x, torch.Generator().manual_seed(0), flip=False, rotate_deg=0, scale=0)
    assert torch.equal(same, x)
    flipped = augment(x, torch.Generator().manual_seed(0), flip=True)
    is_orig = (flipped == x).flatten(1).all(1)
    is_flip = (flipped == x.flip(3)).flatten(1).all(1)
    assert bool((is_orig | is_flip).all()) and 0 < int(is_flip.sum()) < 16
    a = augment(x, torch.Generator().manual_seed(5), True, 10.0, 0.1)
    b = augment(x, torch.Generator().manual_seed(5), True, 10.0, 0.1)
    c = augment(x, torch.Generator().manual_seed(6), True, 10.0, 0.1)
    assert torch.equal(a, b) and not torch.equal(a, c)
    assert a.shape == x.shape and a.min() >= -1 and a.max() <= 1


def test_registry_holds_affine_and_refuses_duplicates_and_unknowns():
    spec = AUGMENTATIONS.get("affine")
    assert spec.apply is augment and spec.differentiable
    with pytest.raises(ValueError, match="registered twice"):
        AUGMENTATIONS.register(spec)
    with pytest.raises(ArtganError, match="unknown augmentation 'diffaug'.*affine"):
        AUGMENTATIONS.get("diffaug")


def test_affine_is_differentiable():
    x = (torch.rand(4, 3, 8, 8) * 2 - 1).requires_grad_(True)
    augment(x, torch.Generator().manual_seed(1), True, 10.0, 0.1).sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0
