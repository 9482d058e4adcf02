"""A convolutional VAE (Kingma & Welling 2014): the networks, the ELBO and its registration
as ``vae`` (#21): G is the decoder (z ~ N(0, I) → image, the GAN generator contract, so
export, ``generate``, ONNX and the studio work unchanged), E the encoder (``project``
reads its posterior mean).

Encoder: a 3×3 conv to ``channels``, then strided 4×4 convs halving the side down to
4×4 (the width doubling up to ``max_channels``), each followed by GroupNorm and SiLU; a
linear head gives μ and log σ² of q(z | x). Decoder, its mirror: a linear layer to 4×4,
then (nearest ×2, 3×3 conv, GroupNorm, SiLU) up to R px, a 3×3 conv and tanh, so images
are in the [-1, 1] range the data pipeline and the GANs use.

GroupNorm, not BatchNorm: with BatchNorm an image's code and its reconstruction would
depend on the rest of its batch, so the ELBO would be a property of the batch and a
decode of one z (sampling) would differ from training; it also leaves the EMA and export
path nothing to re-estimate (no standing statistics, :mod:`artgan.models.ema`).

Randomness is passed in (``noise``), never drawn here, so a trainer can draw it from its
counter-based generators and resume bit-exactly.
"""

from __future__ import annotations

import itertools
from typing import Literal

import torch
from torch import Tensor, nn

from artgan.config import VAEConfig
from artgan.models.latent import LatentSpec
from artgan.models.registry import LikelihoodLoss, ModelSpec, register
from artgan.nn.blocks import group_norm, n_stages, upsample_widths
from artgan.runtime import Runtime


class VAEEncoder(nn.Module):
    """``[B, 3, R, R]`` → (μ ``[B, z_dim]``, log σ² ``[B, z_dim]``); R a power of two ≥ 8."""

    def __init__(
        self, resolution: int, z_dim: int, channels: int = 32, max_channels: int = 256
    ) -> None:
        super().__init__()
        n = n_stages(resolution)  # stride-2 convs from R px down to 4 px
        widths = [min(channels * 2**i, max_channels) for i in range(n + 1)]  # at R / 2^i px
        layers: list[nn.Module] = [nn.Conv2d(3, widths[0], 3, 1, 1), group_norm(widths[0]),
                                   nn.SiLU()]  # fmt: skip
        for c_in, c_out in itertools.pairwise(widths):
            layers += [nn.Conv2d(c_in, c_out, 4, 2, 1), group_norm(c_out), nn.SiLU()]
        self.net = nn.Sequential(*layers)
        self.head = nn.Linear(widths[-1] * 4 * 4, 2 * z_dim)
        self.z_dim = z_dim

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        mu, logvar = self.head(self.net(x).flatten(1)).chunk(2, dim=1)
        return mu, logvar

    def to_latent(self, out: tuple[Tensor, Tensor]) -> Tensor:
        """Encoder output → the latent ``[B, z_dim]`` the decoder reads: the posterior
        mean μ, the most likely code (what ``sampling.project`` asks an encoder for)."""
        return out[0]


class VAEDecoder(nn.Module):
    """``[B, z_dim]`` → ``[B, 3, R, R]`` in [-1, 1]; R a power of two ≥ 8."""

    def __init__(
        self, resolution: int, z_dim: int, channels: int = 32, max_channels: int = 256
    ) -> None:
        super().__init__()
        widths = upsample_widths(resolution, channels, max_channels)  # at 4·2^j px
        self.fc = nn.Linear(z_dim, widths[0] * 4 * 4)
        layers: list[nn.Module] = [group_norm(widths[0]), nn.SiLU()]
        for c_in, c_out in itertools.pairwise(widths):
            layers += [nn.Upsample(scale_factor=2.0, mode="nearest"),
                       nn.Conv2d(c_in, c_out, 3, 1, 1), group_norm(c_out), nn.SiLU()]  # fmt: skip
        layers += [nn.Conv2d(widths[-1], 3, 3, 1, 1), nn.Tanh()]
        self.net = nn.Sequential(*layers)
        self.z_dim, self.width0 = z_dim, widths[0]

    def forward(self, z: Tensor) -> Tensor:
        return self.net(self.fc(z).reshape(-1, self.width0, 4, 4))


class VAE(nn.Module):
    """Encoder and decoder together: ``forward(x [B, 3, R, R], noise [B, z_dim])`` →
    (x̂ ``[B, 3, R, R]``, μ ``[B, z_dim]``, log σ² ``[B, z_dim]``), x̂ decoded from the
    reparameterised z; ``decoder(z)`` with z ~ N(0, I) samples images."""

    def __init__(
        self, resolution: int, z_dim: int, channels: int = 32, max_channels: int = 256
    ) -> None:
        super().__init__()
        self.encoder = VAEEncoder(resolution, z_dim, channels, max_channels)
        self.decoder = VAEDecoder(resolution, z_dim, channels, max_channels)
        self.z_dim = z_dim

    def forward(self, x: Tensor, noise: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        mu, logvar = self.encoder(x)
        return self.decoder(reparameterise(mu, logvar, noise)), mu, logvar


def reparameterise(mu: Tensor, logvar: Tensor, noise: Tensor) -> Tensor:
    """z = μ + σ·ε with σ = exp(½·log σ²) and ``noise`` ε ~ N(0, I), all ``[B, Z]``: a
    draw from q(z | x) that is differentiable in μ and log σ² (the reparameterisation
    trick), the randomness being an input."""
    return mu + torch.exp(0.5 * logvar) * noise


def kl_divergence(mu: Tensor, logvar: Tensor) -> Tensor:
    """KL(N(μ, σ²) ‖ N(0, I)) per image, ``[B, Z]`` → ``[B]``, in closed form:
    ½·Σ_z (μ² + σ² − 1 − log σ²). In float32 (σ² = exp(log σ²) overflows bf16 early)."""
    mu, logvar = mu.float(), logvar.float()
    return 0.5 * (mu.square() + logvar.exp() - 1.0 - logvar).sum(dim=1)


def elbo_terms(
    x: Tensor,
    x_hat: Tensor,
    mu: Tensor,
    logvar: Tensor,
    beta: float = 1.0,
    recon: Literal["l1", "mse"] = "l1",
) -> dict[str, Tensor]:
    """The negative ELBO's terms, each a scalar averaged over the batch of images:

    - ``recon``: −log p(x | z) up to a constant, summed over the 3·R·R pixel values of
      an image: ``"l1"`` Σ|x − x̂| (a Laplace likelihood of scale 1), ``"mse"``
      ½·Σ(x − x̂)² (a Gaussian of σ = 1);
    - ``kl``: :func:`kl_divergence`, summed over the Z latent dims;
    - ``total``: ``recon + beta·kl``, what training minimises (β = 1: the negative ELBO,
      in nats up to a constant; β < 1 is the same as a sharper likelihood, which trades
      sample diversity for sharper reconstructions, β-VAE's β > 1 the reverse).

    Sums, not means, over pixels and latent dims: a mean over pixels would weigh the KL
    3·R² times more than the likelihood it bounds, and blur every reconstruction.
    ``x``, ``x_hat`` ``[B, 3, R, R]`` in [-1, 1]; ``mu``, ``logvar`` ``[B, Z]``.
    """
    diff = x.float() - x_hat.float()
    if recon == "l1":
        rec = diff.abs().flatten(1).sum(dim=1)
    elif recon == "mse":
        rec = 0.5 * diff.square().flatten(1).sum(dim=1)
    else:
        raise ValueError(f"unknown reconstruction loss '{recon}' (have: l1, mse)")
    kl = kl_divergence(mu, logvar)
    return {"recon": rec.mean(), "kl": kl.mean(), "total": (rec + beta * kl).mean()}


def _decoder(cfg: VAEConfig, latent: LatentSpec, resolution: int) -> nn.Module:
    return VAEDecoder(resolution, latent.z_dim, cfg.g_channels, cfg.max_channels)


def _encoder(cfg: VAEConfig, latent: LatentSpec, resolution: int) -> nn.Module:
    return VAEEncoder(resolution, latent.z_dim, cfg.e_channels, cfg.max_channels)


def vae_loss(cfg: VAEConfig, rt: Runtime, local_batch: int) -> LikelihoodLoss:
    """The negative ELBO of this rank's batch; ε for the reparameterisation is drawn for
    the global batch from the step's generator and sliced, so N processes train as one."""

    def loss(
        G: nn.Module, E: nn.Module | None, real: Tensor, gen: torch.Generator, rt: Runtime
    ) -> dict[str, Tensor]:
        assert E is not None, "the VAE's loss needs its encoder"
        b = real.shape[0]
        noise = torch.randn(b * rt.shard.world, cfg.z_dim, generator=gen)
        noise = rt.shard.take(noise).to(real.device)
        with rt.autocast():
            mu, logvar = E(real)
            x_hat = G(reparameterise(mu.float(), logvar.float(), noise))
        terms = elbo_terms(real, x_hat, mu, logvar, cfg.beta, cfg.recon)
        # per-pixel mean |x − x̂| on the [-1, 1] scale, for the log (not optimised)
        terms["l1"] = (real.float() - x_hat.float()).abs().mean().detach()
        return terms

    return loss


SPEC = register(
    ModelSpec(
        name="vae",
        description="convolutional VAE (#21): GroupNorm encoder/decoder, ELBO with L1 or "
        "squared-error likelihood, β-weighted KL",
        generator=_decoder,
        encoder=_encoder,
        likelihood=vae_loss,
    )
)
