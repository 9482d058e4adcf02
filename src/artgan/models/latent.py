"""Latent space: noise z' ~ N(0, I) plus optional interpretable codes (MIGAN eq. 5).

The generator sees one flat vector ``[B, z_dim + n_categories + n_continuous]``:
``z'`` first, then the one-hot categorical code, then the continuous codes in [-1, 1].
Keeping the layout in one place lets models with codes (MIGAN's SFT condition network,
the encoder's heads) split it the same way.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import Tensor

from artgan.errors import ArtganError


@dataclass(frozen=True)
class Latent:
    """One batch of latent draws. ``z``: [B, z_dim]; ``cat``: [B] int64 or None;
    ``cont``: [B, n_continuous] or None."""

    z: Tensor
    cat: Tensor | None
    cont: Tensor | None


@dataclass(frozen=True)
class LatentSpec:
    z_dim: int
    n_categories: int = 0
    n_continuous: int = 0

    @property
    def dim(self) -> int:
        return self.z_dim + self.n_categories + self.n_continuous

    def sample(
        self,
        n: int,
        generator: torch.Generator | None = None,
        truncation: float | None = None,
    ) -> Latent:
        """Draw ``n`` latents on the CPU (device-independent, so seeds reproduce anywhere).

        ``truncation``: if given, z' is drawn from N(0, I) truncated to [-t, t] by
        resampling the out-of-range entries (the BigGAN truncation trick).
        """
        z = torch.randn(n, self.z_dim, generator=generator)
        if truncation is not None:
            if not (math.isfinite(truncation) and truncation > 0):
                raise ArtganError(f"truncation must be a number > 0, got {truncation}")
            z = _truncate(z, truncation, generator)
        cat = cont = None
        if self.n_categories:
            cat = torch.randint(0, self.n_categories, (n,), generator=generator)
        if self.n_continuous:
            cont = torch.rand(n, self.n_continuous, generator=generator) * 2 - 1
        return Latent(z, cat, cont)

    def join(self, latent: Latent) -> Tensor:
        """Latent → flat generator input ``[B, dim]``."""
        parts = [latent.z]
        if self.n_categories:
            assert latent.cat is not None
            parts.append(torch.nn.functional.one_hot(latent.cat, self.n_categories).to(latent.z))
        if self.n_continuous:
            assert latent.cont is not None
            parts.append(latent.cont.to(latent.z))
        return torch.cat(parts, dim=1)

    def split(self, flat: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """Flat ``[B, dim]`` → (z ``[B, z_dim]``, one-hot ``[B, K]``, continuous ``[B, L]``)."""
        return tuple(flat.split([self.z_dim, self.n_categories, self.n_continuous], dim=1))


def _truncate(z: Tensor, t: float, generator: torch.Generator | None) -> Tensor:
    z = z.clone()
    for _ in range(1000):
        bad = z.abs() > t
        if not bad.any():
            return z
        z[bad] = torch.randn(int(bad.sum()), generator=generator)
    return z.clamp(-t, t)  # only reachable for absurdly small t


def latents_for_seeds(latent: LatentSpec, seeds: list[int], truncation: float | None) -> Tensor:
    """One latent per seed, each drawn from its own generator seeded with it:
    ``[len(seeds), latent.dim]``. Image i of seed S is therefore the same whatever else is
    generated beside it (``artgan generate``, the studio and the FID monitor rely on it)."""
    for s in seeds:
        if not 0 <= s < 2**63:  # torch seeds are 64-bit; larger ones overflow
            raise ArtganError(f"a seed must be an integer from 0 to 2**63 - 1, got {s}")
    rows = [
        latent.join(latent.sample(1, torch.Generator().manual_seed(s), truncation)) for s in seeds
    ]
    return torch.cat(rows)
