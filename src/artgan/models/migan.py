"""MIGAN networks (MIGAN paper §4; our reading in SPEC §1): generator, multi-scale
critic and encoder. Losses and the training step live elsewhere.

Generator layout for resolution R (n = log2(R) − 2 upsampling stages, widths halving
towards the image, no BatchNorm):

    latent [B, z_dim+K+L] ─ linear ─ LeakyReLU → [B, C0, 4, 4]
    codes [B, K+L] ─ SFTConditionNet → K [B, Cc, 8, 8]     (shared by every SFT layer)
    stage i (output 8·2^i px):  nearest ×2 → 3×3 conv → LeakyReLU → AMS → SFT(·, K)
    S-ECA (SA → ECA) once, after the stage at min(32, R/2) px
    3×3 conv → tanh → [B, 3, R, R]

A disabled module is not constructed at all, so each ablation flag removes exactly that
module's parameters.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from artgan.errors import ArtganError
from artgan.nn import SECA, AMSBlock, SelfAttention, SFTConditionNet, SFTLayer


def n_stages(resolution: int, minimum: int = 8) -> int:
    """log2(R) − 2 (the number of ×2 steps between 4×4 and R), validating R."""
    if resolution < minimum or resolution & (resolution - 1):
        raise ArtganError(f"resolution must be a power of two ≥ {minimum}, got {resolution}")
    return int(math.log2(resolution)) - 2


def attention_resolution(resolution: int) -> int:
    """Where self-attention sits: 32×32 (1024 positions) when R ≥ 64, else R/2, as in
    SAGAN, which attends at a mid resolution rather than on the full image."""
    return min(32, resolution // 2)


def _he_init(*modules: nn.Module) -> None:
    # He init for layers followed by LeakyReLU(0.2): without BatchNorm this keeps
    # activations at unit scale through the stack (PyTorch's default shrinks them).
    for m in modules:
        nn.init.kaiming_normal_(m.weight, a=0.2, nonlinearity="leaky_relu")
        nn.init.zeros_(m.bias)


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
        self, c_in: int, c_out: int, use_ams: bool, use_sft: bool, cond_channels: int
    ) -> None:
        super().__init__()
        self.conv = nn.Conv2d(c_in, c_out, 3, padding=1)
        _he_init(self.conv)
        self.act = nn.LeakyReLU(0.2)
        self.ams = AMSBlock(c_out) if use_ams else None
        self.sft = SFTLayer(c_out, cond_channels, hidden=cond_channels) if use_sft else None

    def forward(self, x: Tensor, cond: Tensor | None) -> Tensor:
        x = self.act(self.conv(F.interpolate(x, scale_factor=2.0, mode="nearest")))
        if self.ams is not None:
            x = self.ams(x)
        if self.sft is not None:
            x = self.sft(x, cond)
        return x


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
    ) -> None:
        super().__init__()
        n = n_stages(resolution)
        # widths[j] is the width at 4·2^j px: C0 at 4×4 down to `channels` at R.
        widths = [min(channels * 2 ** (n - j), max_channels) for j in range(n + 1)]
        self.z_dim = z_dim
        self.code_dim = n_categories + n_continuous
        self.latent_dim = z_dim + self.code_dim
        self.widths = widths
        has_sft = use_sft and self.code_dim > 0

        self.fc = nn.Linear(self.latent_dim, widths[0] * 16)
        _he_init(self.fc)
        if balance_codes:
            balance_code_columns(self.fc.weight, z_dim, n_categories, n_continuous)
        self.act = nn.LeakyReLU(0.2)
        self.cond_net = SFTConditionNet(self.code_dim, cond_channels) if has_sft else None
        self.stages = nn.ModuleList(
            _GenStage(widths[i], widths[i + 1], use_ams, has_sft, cond_channels) for i in range(n)
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


def patch_resolution(resolution: int) -> int:
    """Size of the critic feature map the patch head reads: 16×16 for inputs ≥ 64 px,
    8×8 for 16–32 px, 4×4 for 8 px (always at least one strided conv deep)."""
    return min(16, max(8, resolution // 4), resolution // 2)


def _down_stack(
    resolution: int, channels: int, max_channels: int, spectral: bool
) -> tuple[nn.ModuleList, list[int]]:
    """Strided 4×4 convs from R px down to 4×4, widths doubling from ``channels``.
    Conv i outputs ``[B, widths[i], R / 2^(i+1), R / 2^(i+1)]``."""
    n = n_stages(resolution)
    widths = [min(channels * 2**i, max_channels) for i in range(n)]
    convs = nn.ModuleList()
    for c_in, c_out in zip([3, *widths[:-1]], widths, strict=True):
        conv = nn.Conv2d(c_in, c_out, 4, 2, 1)
        _he_init(conv)
        convs.append(nn.utils.parametrizations.spectral_norm(conv) if spectral else conv)
    return convs, widths


class _Critic(nn.Module):
    """One scale of the critic: ``[B, 3, r, r]`` → (global ``[B]``, patch ``[B, 1, p, p]``)
    with p = ``patch_resolution(r)``. No BatchNorm (WGAN-GP penalises per-sample
    gradients, which batch statistics would couple)."""

    def __init__(
        self, resolution: int, channels: int, max_channels: int, use_sa: bool, spectral: bool
    ) -> None:
        super().__init__()
        self.convs, widths = _down_stack(resolution, channels, max_channels, spectral)
        log_r = int(math.log2(resolution))
        self.patch_at = log_r - int(math.log2(patch_resolution(resolution))) - 1
        self.att_at = log_r - int(math.log2(attention_resolution(resolution))) - 1
        self.sa = SelfAttention(widths[self.att_at], spectral=spectral) if use_sa else None
        self.act = nn.LeakyReLU(0.2)
        heads = [nn.Conv2d(widths[self.patch_at], 1, 3, padding=1), nn.Conv2d(widths[-1], 1, 4)]
        if spectral:
            heads = [nn.utils.parametrizations.spectral_norm(h) for h in heads]
        self.patch_head, self.global_head = heads

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        patch = x
        for i, conv in enumerate(self.convs):
            x = self.act(conv(x))
            if self.sa is not None and i == self.att_at:
                x = self.sa(x)
            if i == self.patch_at:
                patch = self.patch_head(x)
        return self.global_head(x).flatten(), patch


class MultiScaleDiscriminator(nn.Module):
    """``[B, 3, R, R]`` → ``[global_0 [B], patch_0 [B, 1, p0, p0], global_1, patch_1, …]``.

    MIGAN §4.3.2 / Fig. 4: the same critic design (separate weights) on the image and on
    2×-average-pooled copies (scale s sees R / 2^s px), each giving a global score and a
    patch score map (p_s = ``patch_resolution(R / 2^s)``). Scores are raw WGAN critic
    values; the loss averages each tensor and sums over the list.
    """

    def __init__(
        self,
        resolution: int,
        channels: int = 32,
        max_channels: int = 256,
        n_scales: int = 2,
        use_sa: bool = False,
        spectral: bool = False,
    ) -> None:
        super().__init__()
        if n_scales < 1:
            raise ArtganError(f"n_scales must be ≥ 1, got {n_scales}")
        smallest = resolution >> (n_scales - 1)
        if smallest < 8 or resolution & (resolution - 1):
            raise ArtganError(
                f"resolution {resolution} with {n_scales} scales gives a {smallest}px "
                "critic; need a power of two with every scale ≥ 8 px"
            )
        self.critics = nn.ModuleList(
            _Critic(resolution >> s, channels, max_channels, use_sa, spectral)
            for s in range(n_scales)
        )

    def forward(self, x: Tensor) -> list[Tensor]:
        out: list[Tensor] = []
        for s, critic in enumerate(self.critics):
            if s:
                x = F.avg_pool2d(x, 2)
            out.extend(critic(x))
        return out


class Encoder(nn.Module):
    """E, the InfoGAN Q network extended to recover z' too: ``[B, 3, R, R]`` →
    ``{"z": [B, z_dim], "cat_logits": [B, K] | None, "cont_mean": [B, L] | None,
    "cont_logvar": [B, L] | None}``.

    Trunk: strided 4×4 convs + LeakyReLU(0.2) down to 4×4, no normalisation (it would
    discard the per-image brightness/contrast that z' encodes), then linear heads.
    ``cont_logvar`` is raw (unclamped); the loss decides how to bound it.
    """

    def __init__(
        self,
        z_dim: int,
        n_categories: int,
        n_continuous: int,
        resolution: int,
        channels: int = 32,
        max_channels: int = 256,
    ) -> None:
        super().__init__()
        self.z_dim, self.n_categories, self.n_continuous = z_dim, n_categories, n_continuous
        self.convs, widths = _down_stack(resolution, channels, max_channels, spectral=False)
        self.act = nn.LeakyReLU(0.2)
        feat = widths[-1] * 16
        self.z_head = nn.Linear(feat, z_dim)
        self.cat_head = nn.Linear(feat, n_categories) if n_categories else None
        self.mean_head = nn.Linear(feat, n_continuous) if n_continuous else None
        self.logvar_head = nn.Linear(feat, n_continuous) if n_continuous else None

    def forward(self, x: Tensor) -> dict[str, Tensor | None]:
        for conv in self.convs:
            x = self.act(conv(x))
        h = x.flatten(1)
        return {
            "z": self.z_head(h),
            "cat_logits": self.cat_head(h) if self.cat_head is not None else None,
            "cont_mean": self.mean_head(h) if self.mean_head is not None else None,
            "cont_logvar": self.logvar_head(h) if self.logvar_head is not None else None,
        }

    def to_latent(self, out: dict[str, Tensor | None]) -> Tensor:
        """Encoder output → flat latent ``[B, z_dim + K + L]`` for G (projection and the
        image cycle x → E → G → x̂).

        Categorical: the one-hot of the argmax, so G sees exactly the kind of input it
        was trained on; the gradient is passed straight through the softmax, so the
        image cycle still trains E's categorical head. Continuous: clamp(mean, −1, 1),
        the range the codes are drawn from.
        """
        parts = [out["z"]]
        if self.n_categories:
            logits = out["cat_logits"]
            probs = logits.softmax(dim=1)
            hard = F.one_hot(logits.argmax(dim=1), self.n_categories).to(probs)
            parts.append(hard + (probs - probs.detach()))  # exactly `hard` forward
        if self.n_continuous:
            parts.append(out["cont_mean"].clamp(-1, 1))
        return torch.cat(parts, dim=1)
