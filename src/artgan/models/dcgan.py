"""DCGAN ("CNN-GAN" in the MIGAN paper §5; dcgan-art-portraits §2.2).

Generator: transposed 4×4 convs, BatchNorm, ReLU, tanh output. Discriminator: strided
4×4 convs, BatchNorm (not on the first layer), LeakyReLU(0.2), one logit. Widths follow
Radford et al.: the generator halves its channels at every doubling of resolution and
ends at ``channels`` before the RGB layer; the discriminator mirrors it.
"""

from __future__ import annotations

import itertools
import math

from torch import Tensor, nn

from artgan.config import DCGANConfig
from artgan.models.latent import LatentSpec
from artgan.models.registry import ModelSpec, register


def stage_channels(resolution: int, channels: int, max_channels: int) -> list[int]:
    """Widths of the 4×4 … resolution/2 feature maps, coarse to fine (generator order)."""
    n = int(math.log2(resolution)) - 2
    return [min(channels * 2 ** (n - 1 - i), max_channels) for i in range(n)]


def dcgan_init(module: nn.Module) -> None:
    """N(0, 0.02) conv weights and N(1, 0.02) BatchNorm scales (Radford et al. 2015)."""
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
            nn.init.normal_(m.weight, 0.0, 0.02)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.normal_(m.weight, 1.0, 0.02)
            nn.init.zeros_(m.bias)


class DCGANGenerator(nn.Module):
    """``[B, latent_dim]`` → ``[B, 3, resolution, resolution]`` in [-1, 1]."""

    def __init__(
        self, latent_dim: int, resolution: int, channels: int = 64, max_channels: int = 512
    ) -> None:
        super().__init__()
        chs = stage_channels(resolution, channels, max_channels)
        layers: list[nn.Module] = [
            nn.ConvTranspose2d(latent_dim, chs[0], 4, 1, 0, bias=False),
            nn.BatchNorm2d(chs[0]),
            nn.ReLU(True),
        ]
        for c_in, c_out in itertools.pairwise(chs):
            layers += [
                nn.ConvTranspose2d(c_in, c_out, 4, 2, 1, bias=False),
                nn.BatchNorm2d(c_out),
                nn.ReLU(True),
            ]
        layers += [nn.ConvTranspose2d(chs[-1], 3, 4, 2, 1), nn.Tanh()]
        self.net = nn.Sequential(*layers)
        self.latent_dim = latent_dim
        dcgan_init(self)

    def forward(self, latent: Tensor) -> Tensor:
        return self.net(latent[:, :, None, None])


class DCGANDiscriminator(nn.Module):
    """``[B, 3, resolution, resolution]`` → logits ``[B]``."""

    def __init__(self, resolution: int, channels: int = 64, max_channels: int = 512) -> None:
        super().__init__()
        chs = stage_channels(resolution, channels, max_channels)[::-1]
        layers: list[nn.Module] = [nn.Conv2d(3, chs[0], 4, 2, 1), nn.LeakyReLU(0.2, True)]
        for c_in, c_out in itertools.pairwise(chs):
            layers += [
                nn.Conv2d(c_in, c_out, 4, 2, 1, bias=False),
                nn.BatchNorm2d(c_out),
                nn.LeakyReLU(0.2, True),
            ]
        layers.append(nn.Conv2d(chs[-1], 1, 4, 1, 0))
        self.net = nn.Sequential(*layers)
        dcgan_init(self)

    def forward(self, image: Tensor) -> Tensor:
        return self.net(image).flatten()


def _generator(cfg: DCGANConfig, latent: LatentSpec, resolution: int) -> nn.Module:
    return DCGANGenerator(latent.dim, resolution, cfg.g_channels, cfg.max_channels)


def _discriminator(cfg: DCGANConfig, latent: LatentSpec, resolution: int) -> nn.Module:
    return DCGANDiscriminator(resolution, cfg.d_channels, cfg.max_channels)


SPEC = register(
    ModelSpec(
        name="dcgan",
        description="DCGAN baseline (CNN-GAN): transposed convs, BatchNorm, BCE loss",
        generator=_generator,
        discriminator=_discriminator,
    )
)
