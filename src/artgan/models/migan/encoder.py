"""MIGAN's encoder E: the InfoGAN Q network extended to recover z' too (SPEC §1). It
closes the latent cycle (z', c) → G → E and the image cycle x → E → G → x̂, and projects
real paintings into the latent space."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from artgan.nn.blocks import down_stack


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
        self.convs, widths = down_stack(resolution, channels, max_channels, spectral=False)
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
