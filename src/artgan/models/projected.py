"""A projected discriminator (Sauer et al. 2021, "Projected GANs Converge Faster") for any
model: ``model.d_backbone = efficientnet-lite0`` replaces the model's own critic.

    image [B, 3, R, R] → bilinear to S×S (model.d_backbone_resolution, 128 by default)
      → frozen EfficientNet-Lite0 stages: 24 ch at S/4, 40 at S/8, 112 at S/16, 320 at S/32
      → CCM: a fixed random 1×1 conv per stage (to 64, 128, 256, 512 channels)
      → CSM: coarse-to-fine, each stage plus a fixed random 1×1 conv of the upsampled
        coarser one (information flows from deep to shallow features)
      → per stage a trained head: spectral-norm 4×4 stride-2 convs + LeakyReLU down to 4×4,
        then a 4×4 conv → one logit per image
    → scores: a list of 4 logits ``[B]`` (each averaged, summed by the losses)

Only the heads train. The random projections are persistent buffers (drawn from the
run's seeded init, saved in checkpoints, never optimised): they mix channels and scales
so the heads cannot latch onto a few ImageNet features. Why 128 px: EfficientNet-Lite0
costs about 0.13 GFLOP per image there against 0.4 at its native 224, and 64 px
paintings gain nothing from more upsampling.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.nn.utils.parametrizations import spectral_norm

from artgan.models.registry import D_BACKBONES, DBackbone
from artgan.nn.efficientnet import FEATURE_CHANNELS, EfficientNetLite0Features

PROJECTION_WIDTHS = (64, 128, 256, 512)
HEAD_MAX_CHANNELS = 256


class _Head(nn.Module):
    """``[B, C, r, r]`` → logits ``[B]``: stride-2 convs down to 4×4, then a 4×4 conv."""

    def __init__(self, channels: int, resolution: int) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        c, r = channels, resolution
        while r > 4:
            c_out = min(2 * c, HEAD_MAX_CHANNELS)
            layers += [spectral_norm(nn.Conv2d(c, c_out, 4, 2, 1)), nn.LeakyReLU(0.2)]
            c, r = c_out, r // 2
        layers.append(spectral_norm(nn.Conv2d(c, 1, r)))  # r × r → 1 × 1 (r ≤ 4)
        self.net = nn.Sequential(*layers)

    def forward(self, x: Tensor) -> Tensor:
        return self.net(x).flatten()


class ProjectedDiscriminator(nn.Module):
    """``[B, 3, R, R]`` in [-1, 1] → ``[logits_0 [B], …, logits_3 [B]]`` (one per stage)."""

    def __init__(self, backbone_resolution: int = 128) -> None:
        super().__init__()
        self.size = backbone_resolution
        self.backbone = EfficientNetLite0Features()
        sizes = [backbone_resolution // s for s in (4, 8, 16, 32)]
        for i, (c, w) in enumerate(zip(FEATURE_CHANNELS, PROJECTION_WIDTHS, strict=True)):
            self.register_buffer(f"ccm{i}", _random_1x1(c, w))
            if i < len(FEATURE_CHANNELS) - 1:  # the coarser stage's width → this one's
                self.register_buffer(f"csm{i}", _random_1x1(PROJECTION_WIDTHS[i + 1], w))
        self.heads = nn.ModuleList(
            _Head(w, max(r, 1)) for w, r in zip(PROJECTION_WIDTHS, sizes, strict=True)
        )

    def project(self, x: Tensor) -> list[Tensor]:
        """The mixed features the heads read, fine to coarse."""
        if x.shape[-1] != self.size:
            x = F.interpolate(x, size=(self.size, self.size), mode="bilinear",
                              align_corners=False, antialias=x.shape[-1] > self.size)  # fmt: skip
        feats = [F.conv2d(f, getattr(self, f"ccm{i}").to(f.dtype))
                 for i, f in enumerate(self.backbone(x))]  # fmt: skip
        mixed = [feats[-1]]
        for i in range(len(feats) - 2, -1, -1):
            up = F.interpolate(mixed[0], size=feats[i].shape[-2:], mode="bilinear",
                               align_corners=False)  # fmt: skip
            mixed.insert(0, feats[i] + F.conv2d(up, getattr(self, f"csm{i}").to(up.dtype)))
        return mixed

    def forward(self, x: Tensor) -> list[Tensor]:
        return [head(f) for head, f in zip(self.heads, self.project(x), strict=True)]


def _random_1x1(c_in: int, c_out: int) -> Tensor:
    """A fixed random channel mixing ``[c_out, c_in, 1, 1]`` (Kaiming-uniform, as a fresh
    conv would be initialised), drawn from torch's seeded global generator."""
    w = torch.empty(c_out, c_in, 1, 1)
    nn.init.kaiming_uniform_(w, a=5**0.5)
    return w


D_BACKBONES.register(
    DBackbone(
        "efficientnet-lite0",
        "projected discriminator on frozen ImageNet EfficientNet-Lite0 features",
        lambda cfg, resolution: ProjectedDiscriminator(cfg.d_backbone_resolution),
    )
)
