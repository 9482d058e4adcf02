"""MIGAN's generator (paper §4; our reading in SPEC §1).

Layout for resolution R (n = log2(R) − 2 upsampling stages, widths halving towards the
image, no BatchNorm):

    latent [B, z_dim+K+L] ─ linear ─ LeakyReLU → [B, C0, 4, 4]
    codes [B, K+L] ─ SFTConditionNet → K [B, Cc, 8, 8]     (shared by every SFT layer)
    stage i (output 8·2^i px):  up ×2 → LeakyReLU [→ PixelNorm] → AMS → SFT(·, K)
        up ×2 = nearest ×2 → 3×3 conv (default), bilinear ×2 → 3×3 conv, or a 4×4
        stride-2 transposed conv (``upsample``)
    S-ECA (SA → ECA) once, after the stage at min(32, R/2) px
    3×3 conv → tanh → [B, 3, R, R]

A disabled module is not constructed at all, so each ablation switch removes exactly that
module's parameters. ``pixel_norm`` (off by default, one of the readings in
docs/migan.md) normalises every pixel's features after the first layer and each stage's
activation, as ProGAN does in its BatchNorm-free generator. ``ams_branch_ratio`` (AMS
branch width / stage width) and ``sft_resolution`` (the largest size SFT's S and T are
computed at) make the generator cheaper without removing a module (docs/migan.md, "a
cheaper MIGAN"); their defaults, 1 and 0 (off), are the generator as first built.
``upsample`` is how each stage doubles its size (the paper does not say): ``nearest``
(as first built), ``bilinear`` (a smoother interpolation before the same 3×3 conv) or
``transposed`` (DCGAN's 4×4 stride-2 transposed conv: 4·C_in·C_out multiply-adds per
output pixel instead of 9·C_in·C_out): readings in docs/migan.md, whose checkerboard
section measures the samples' period-2 power (these two are built, not yet trained).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from artgan.nn import SECA, AMSBlock, SFTConditionNet, SFTLayer
from artgan.nn.blocks import PixelNorm, attention_resolution, he_init, upsample_widths

UPSAMPLE_MODES = ("nearest", "bilinear", "transposed")


@torch.no_grad()
def balance_code_columns(weight: Tensor, z_dim: int, n_categories: int, n_continuous: int) -> None:
    """Scale the code columns of G's first linear layer (``weight`` ``[out, z_dim+K+L]``)
    so that, at init, the codes together put as much variance into its output as z'
    does, shared equally by the categorical code and each continuous one.

    Why: with equal He-init columns a one-hot code (norm 1) against 128 N(0, 1) entries
    of z' carries under 1 % of the first layer's variance, and SFT starts as the
    identity, so G begins blind to the codes; the adversarial gradient then dwarfs the
    InfoGAN term and the code is never picked up (docs/migan.md, "categorical code").
    Per-column variance: z' entries 1 each (z_dim in all), one-hot 1 in all, U(-1, 1)
    entries 1/3 each; the gains below give each code z_dim / n_codes.
    """
    n_codes = int(n_categories > 0) + n_continuous
    if n_codes == 0:
        return
    share = z_dim / n_codes
    if n_categories:
        weight[:, z_dim : z_dim + n_categories] *= share**0.5
    if n_continuous:
        weight[:, z_dim + n_categories :] *= (3 * share) ** 0.5


class _GenStage(nn.Module):
    """``[B, c_in, r, r]`` (+ condition map) → ``[B, c_out, 2r, 2r]``."""

    def __init__(
        self,
        c_in: int,
        c_out: int,
        use_ams: bool,
        use_sft: bool,
        cond_channels: int,
        pixel_norm: bool = False,
        ams_branch_ratio: float = 1.0,
        sft_resolution: int = 0,
        upsample: str = "nearest",
    ) -> None:
        super().__init__()
        if upsample not in UPSAMPLE_MODES:
            raise ValueError(f"upsample must be one of {UPSAMPLE_MODES}, got '{upsample}'")
        self.upsample = upsample
        self.conv: nn.Module
        if upsample == "transposed":
            self.conv = nn.ConvTranspose2d(c_in, c_out, 4, stride=2, padding=1)
            # He init by the real fan-in: each output pixel of a 4×4 stride-2 transposed
            # conv sums 2×2 taps of every input channel (kaiming_normal_ would read the
            # weight's [c_in, c_out, 4, 4] layout as a fan-in of 16·c_out).
            gain = (2.0 / (1 + 0.2**2)) ** 0.5
            nn.init.normal_(self.conv.weight, std=gain / (4 * c_in) ** 0.5)
            nn.init.zeros_(self.conv.bias)
        else:
            self.conv = nn.Conv2d(c_in, c_out, 3, padding=1)
            he_init(self.conv)
        self.act = nn.LeakyReLU(0.2)
        self.norm = PixelNorm() if pixel_norm else None
        branch = max(1, round(c_out * ams_branch_ratio))
        self.ams = AMSBlock(c_out, branch_channels=branch) if use_ams else None
        self.sft = (
            SFTLayer(c_out, cond_channels, hidden=cond_channels, max_resolution=sft_resolution)
            if use_sft
            else None
        )

    def forward(self, x: Tensor, cond: Tensor | None) -> Tensor:
        x = self.act(self.conv(self._up(x)))
        if self.norm is not None:
            x = self.norm(x)
        if self.ams is not None:
            x = self.ams(x)
        if self.sft is not None:
            x = self.sft(x, cond)
        return x

    def _up(self, x: Tensor) -> Tensor:
        """``[B, C, r, r]`` → ``[B, C, 2r, 2r]``; identity where the conv upsamples."""
        if self.upsample == "transposed":
            return x
        if self.upsample == "bilinear":
            return F.interpolate(x, scale_factor=2.0, mode="bilinear", align_corners=False)
        return F.interpolate(x, scale_factor=2.0, mode="nearest")


class MIGANGenerator(nn.Module):
    """Flat latent ``[B, z_dim + K + L]`` (``LatentSpec`` layout) → ``[B, 3, R, R]`` in
    [-1, 1]. See the module docstring for where AMS, SFT and S-ECA sit.

    SFT needs codes: with K + L == 0 it is absent whatever ``use_sft`` says.
    """

    def __init__(
        self,
        z_dim: int,
        n_categories: int,
        n_continuous: int,
        resolution: int,
        channels: int = 32,
        max_channels: int = 256,
        use_ams: bool = True,
        use_sft: bool = True,
        use_sa: bool = True,
        use_eca: bool = True,
        cond_channels: int = 32,
        balance_codes: bool = True,
        pixel_norm: bool = False,
        ams_branch_ratio: float = 1.0,
        sft_resolution: int = 0,
        upsample: str = "nearest",
    ) -> None:
        super().__init__()
        # widths[j] is the width at 4·2^j px: C0 at 4×4 down to `channels` at R.
        widths = upsample_widths(resolution, channels, max_channels)
        n = len(widths) - 1
        self.z_dim = z_dim
        self.code_dim = n_categories + n_continuous
        self.latent_dim = z_dim + self.code_dim
        self.widths = widths
        has_sft = use_sft and self.code_dim > 0

        self.fc = nn.Linear(self.latent_dim, widths[0] * 16)
        he_init(self.fc)
        if balance_codes:
            balance_code_columns(self.fc.weight, z_dim, n_categories, n_continuous)
        self.act = nn.LeakyReLU(0.2)
        self.norm = PixelNorm() if pixel_norm else None
        self.cond_net = SFTConditionNet(self.code_dim, cond_channels) if has_sft else None
        self.stages = nn.ModuleList(
            _GenStage(
                widths[i],
                widths[i + 1],
                use_ams,
                has_sft,
                cond_channels,
                pixel_norm,
                ams_branch_ratio,
                sft_resolution,
                upsample,
            )
            for i in range(n)
        )
        # S-ECA goes after the stage whose output is at attention_resolution(R) px;
        # index −1 means the 4×4 base (only for R = 8).
        att = int(math.log2(attention_resolution(resolution))) - 2
        self.seca_after = att - 1
        self.seca = SECA(widths[att], use_sa, use_eca) if (use_sa or use_eca) else None
        # Default (small) init on the RGB conv keeps tanh out of saturation at init.
        self.to_rgb = nn.Conv2d(widths[-1], 3, 3, padding=1)

    def forward(self, latent: Tensor) -> Tensor:
        b = latent.shape[0]
        h = self.act(self.fc(latent)).view(b, self.widths[0], 4, 4)
        if self.norm is not None:
            h = self.norm(h)
        cond = None
        if self.cond_net is not None:
            # [one-hot | continuous] are the trailing K + L entries of the flat latent.
            cond = self.cond_net(latent[:, self.z_dim :])
        if self.seca is not None and self.seca_after == -1:
            h = self.seca(h)
        for i, stage in enumerate(self.stages):
            h = stage(h, cond)
            if self.seca is not None and i == self.seca_after:
                h = self.seca(h)
        return torch.tanh(self.to_rgb(h))
