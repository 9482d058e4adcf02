"""FastGAN (Liu et al. 2021, "Towards Faster and Stabilized GAN Training for High-fidelity
Few-shot Image Synthesis"), sized for a CPU: the model artgan recommends for quality per
CPU-hour.

Generator: latent → 4×4 (transposed conv, BatchNorm, GLU) → up-blocks (nearest ×2, 3×3
conv, BatchNorm, GLU) → 3×3 conv → tanh. Skip-layer excitation (SLE): the features at r
px gate the channels of those at 8r px (average-pool to 4×4, 4×4 conv, SiLU, 1×1 conv,
sigmoid), so coarse layout steers fine texture through a cheap shortcut.

Discriminator: strided 4×4 convs (BatchNorm, LeakyReLU 0.2) down to 8×8, a patch head of
5×5 logits, and two small decoders that make it a self-supervised auto-encoder on real
images: the 8×8 features must redraw the whole painting at R/2 px, and a random quarter
of the 16×16 features that quarter of the painting (FastGAN's "rec_all" and
"rec_part"). That regulariser is :class:`FastGANReconstruction`, added to the critic
loss. The paper measures reconstruction with LPIPS; here it is L1, which costs nothing on
a CPU (the paper's LPIPS needs weights no offline package ships). Hinge loss.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from artgan.config import FastGANConfig
from artgan.models.latent import LatentSpec
from artgan.models.registry import ModelSpec, register
from artgan.nn.blocks import n_stages, upsample_widths
from artgan.runtime import Runtime


def _up(c_in: int, c_out: int) -> nn.Sequential:
    """``[B, c_in, r, r]`` → ``[B, c_out, 2r, 2r]``."""
    return nn.Sequential(nn.Upsample(scale_factor=2.0, mode="nearest"),
                         nn.Conv2d(c_in, 2 * c_out, 3, 1, 1, bias=False),
                         nn.BatchNorm2d(2 * c_out), nn.GLU(dim=1))  # fmt: skip


class SLE(nn.Module):
    """Skip-layer excitation: ``low [B, c_low, r, r]`` gates ``high [B, c_high, 8r, 8r]``."""

    def __init__(self, c_low: int, c_high: int) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.AdaptiveAvgPool2d(4), nn.Conv2d(c_low, c_high, 4),
                                 nn.SiLU(), nn.Conv2d(c_high, c_high, 1), nn.Sigmoid())  # fmt: skip

    def forward(self, low: Tensor, high: Tensor) -> Tensor:
        return high * self.net(low)


class FastGANGenerator(nn.Module):
    """``[B, latent_dim]`` → ``[B, 3, R, R]`` in [-1, 1]."""

    def __init__(self, latent_dim: int, resolution: int, channels: int, max_channels: int):
        super().__init__()
        widths = upsample_widths(resolution, channels, max_channels)  # width at 4·2^j px
        self.init = nn.Sequential(nn.ConvTranspose2d(latent_dim, 2 * widths[0], 4, bias=False),
                                  nn.BatchNorm2d(2 * widths[0]), nn.GLU(dim=1))  # fmt: skip
        self.ups = nn.ModuleList(_up(widths[j], widths[j + 1]) for j in range(len(widths) - 1))
        # SLE from stage j (4·2^j px) to stage j + 3 (8× the side), where both exist.
        self.sle = nn.ModuleDict(
            {str(j + 3): SLE(widths[j], widths[j + 3]) for j in range(len(widths) - 3)}
        )
        self.to_rgb = nn.Conv2d(widths[-1], 3, 3, 1, 1)
        self.latent_dim = latent_dim

    def forward(self, latent: Tensor) -> Tensor:
        feats = [self.init(latent[:, :, None, None])]
        for j, up in enumerate(self.ups, start=1):
            h = up(feats[-1])
            if str(j) in self.sle:
                h = self.sle[str(j)](feats[j - 3], h)
            feats.append(h)
        return torch.tanh(self.to_rgb(feats[-1]))


def _down(c_in: int, c_out: int, bn: bool = True) -> nn.Sequential:
    layers: list[nn.Module] = [nn.Conv2d(c_in, c_out, 4, 2, 1, bias=not bn)]
    if bn:
        layers.append(nn.BatchNorm2d(c_out))
    return nn.Sequential(*layers, nn.LeakyReLU(0.2))


class FastGANDiscriminator(nn.Module):
    """``[B, 3, R, R]`` → patch logits ``[B, 1, 5, 5]``; :meth:`reconstruct` gives the
    self-supervised redraws of a real batch. R ≥ 32."""

    def __init__(self, resolution: int, channels: int, max_channels: int) -> None:
        super().__init__()
        n = n_stages(resolution, minimum=32) - 1  # stride-2 convs from R down to 8 px
        widths = [min(channels * 2**i, max_channels) for i in range(n)]
        self.downs = nn.ModuleList(
            _down(c_in, c_out, bn=i > 0)
            for i, (c_in, c_out) in enumerate(zip([3, *widths[:-1]], widths, strict=True))
        )
        c8, c16 = widths[-1], widths[-2]
        self.head = nn.Sequential(nn.Conv2d(c8, c8, 1), nn.LeakyReLU(0.2), nn.Conv2d(c8, 1, 4))
        self.decode_all = _decoder(c8, 8, resolution // 2)
        self.decode_part = _decoder(c16, 8, resolution // 2)

    def features(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """(16×16 features, 8×8 features)."""
        for down in self.downs[:-1]:
            x = down(x)
        return x, self.downs[-1](x)

    def forward(self, x: Tensor) -> Tensor:
        return self.head(self.features(x)[1])

    def reconstruct(self, x: Tensor, quarter: int) -> tuple[Tensor, Tensor]:
        """(whole painting at R/2 px, quarter ``quarter`` (0-3, row-major) at R/2 px)."""
        f16, f8 = self.features(x)
        half = f16.shape[-1] // 2
        top, left = (quarter // 2) * half, (quarter % 2) * half
        return self.decode_all(f8), self.decode_part(f16[..., top : top + half,
                                                         left : left + half])  # fmt: skip


def _decoder(c_in: int, r_in: int, r_out: int) -> nn.Sequential:
    """``[B, c_in, r_in, r_in]`` → ``[B, 3, r_out, r_out]`` in [-1, 1]."""
    layers: list[nn.Module] = []
    c, r = c_in, r_in
    while r < r_out:
        layers.append(_up(c, max(c // 2, 16)))
        c, r = max(c // 2, 16), 2 * r
    return nn.Sequential(*layers, nn.Conv2d(c, 3, 3, 1, 1), nn.Tanh())


class FastGANReconstruction:
    """The discriminator's self-supervision, a critic objective: ``(D, real, generator) →
    {"rec", "total"}`` with L1 between D's redraws and the (augmented) real batch, on the
    first ``model.rec_batch`` images."""

    def __init__(self, cfg: FastGANConfig, rt: Runtime) -> None:
        self.weight, self.n = cfg.rec_weight, cfg.rec_batch

    def __call__(self, D: nn.Module, real: Tensor, generator: torch.Generator) -> dict[str, Tensor]:
        x = real[: self.n]
        quarter = int(torch.randint(0, 4, (), generator=generator))
        rec_all, rec_part = D.reconstruct(x, quarter)
        r = x.shape[-1] // 2
        top, left = (quarter // 2) * r, (quarter % 2) * r
        target_all = F.interpolate(x, size=(r, r), mode="bilinear", align_corners=False,
                                   antialias=True)  # fmt: skip
        target_part = x[..., top : top + r, left : left + r]
        rec = F.l1_loss(rec_all.float(), target_all.float()) + F.l1_loss(
            rec_part.float(), target_part.float()
        )
        return {"rec": rec, "total": self.weight * rec}


def _generator(cfg: FastGANConfig, latent: LatentSpec, resolution: int) -> nn.Module:
    return FastGANGenerator(latent.dim, resolution, cfg.g_channels, cfg.max_channels)


def _discriminator(cfg: FastGANConfig, latent: LatentSpec, resolution: int) -> nn.Module:
    return FastGANDiscriminator(resolution, cfg.d_channels, cfg.max_channels)


SPEC = register(
    ModelSpec(
        name="fastgan",
        description="FastGAN: skip-layer excitation generator, self-supervised "
        "auto-encoding discriminator, hinge loss (quality per CPU-hour)",
        generator=_generator,
        discriminator=_discriminator,
        critic_objective=FastGANReconstruction,
        min_resolution=32,  # the discriminator's decoders read 16×16 and 8×8 features
    )
)
