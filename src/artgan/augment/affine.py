"""Batched real-image augmentation on tensors: random flip, small rotation and zoom
(dcgan-art-portraits §2.3). One ``affine_grid`` + ``grid_sample`` per batch costs far less
than per-image PIL work and keeps the training loop free of DataLoader workers."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor

from artgan.augment.registry import AUGMENTATIONS, Augmentation


def augment(
    images: Tensor,
    generator: torch.Generator,
    flip: bool = True,
    rotate_deg: float = 0.0,
    scale: float = 0.0,
) -> Tensor:
    """``[B, 3, H, W]`` float → same shape. Random numbers come from ``generator`` (CPU)
    so results do not depend on the device. Borders are filled by reflection."""
    b = images.shape[0]
    flips = torch.rand(b, generator=generator) < 0.5
    angles = (torch.rand(b, generator=generator) * 2 - 1) * math.radians(rotate_deg)
    zooms = 1 + (torch.rand(b, generator=generator) * 2 - 1) * scale
    if rotate_deg > 0 or scale > 0:
        cos, sin = torch.cos(angles) / zooms, torch.sin(angles) / zooms
        theta = torch.stack(
            [
                torch.stack([cos, -sin, torch.zeros(b)], 1),
                torch.stack([sin, cos, torch.zeros(b)], 1),
            ],
            1,
        ).to(images.device, images.dtype)
        grid = F.affine_grid(theta, list(images.shape), align_corners=False)
        images = F.grid_sample(
            images, grid, mode="bilinear", padding_mode="reflection", align_corners=False
        )
    if flip:
        mask = flips.to(images.device)[:, None, None, None]
        images = torch.where(mask, images.flip(3), images)
    return images


AFFINE = AUGMENTATIONS.register(
    Augmentation(
        name="affine",
        description="random horizontal flip, small rotation and zoom of real images "
        "(config: data.augment.flip, rotate_deg, scale)",
        apply=augment,
        differentiable=True,
    )
)
