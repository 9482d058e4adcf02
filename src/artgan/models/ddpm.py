"""``ddpm``: a denoising diffusion model (Ho et al. 2020) registered beside the GANs (#21).

G is a :class:`DiffusionGenerator`: the ε-UNet (:mod:`artgan.nn.unet`) wrapped with its
noise schedule and a DDIM sampler, so that ``G(z)`` maps a flat latent ``[B, 3·R·R]``
(x_T, reshaped) to images ``[B, 3, R, R]`` like any generator. With η = 0 DDIM is a
deterministic function of x_T; with η > 0 the per-step noise of row i comes from a
generator seeded by row i's x_T, so G stays a pure function of its latent either way, and
``artgan generate``'s rule (image i of seed S depends on S + i alone), the sample grids,
the FID monitor, EMA and export need no diffusion-specific code. Its state dict is the
UNet's; the schedule and the step count are rebuilt from the config section.

Training minimises Ho et al.'s L_simple (:func:`artgan.models.diffusion.loss_eps`) with
t ~ U{0 … T−1} and ε ~ N(0, I) drawn for the global batch from the step's counter-based
generator (bit-exact resume, N processes train as one).
"""

from __future__ import annotations

import hashlib

import torch
from torch import Tensor, nn

from artgan.config import DDPMConfig
from artgan.models.diffusion import Schedule, cosine_betas, linear_betas, loss_eps, sample
from artgan.models.latent import LatentSpec
from artgan.models.registry import LikelihoodLoss, ModelSpec, register
from artgan.nn.unet import UNet
from artgan.runtime import Runtime


def ddpm_schedule(kind: str, T: int) -> Schedule:
    """Ho et al.'s linear schedule (1e-4 … 0.02 at T = 1000, both scaled by 1000/T for
    other T, as Nichol & Dhariwal do, so that x_T is as noisy at any T) or the cosine one."""
    if kind == "linear":
        scale = 1000.0 / T
        return Schedule.from_betas(linear_betas(T, 1e-4 * scale, min(2e-2 * scale, 0.999)))
    return Schedule.from_betas(cosine_betas(T))


def _row_generators(z: Tensor) -> list[torch.Generator]:
    """One CPU generator per row of ``z`` ``[B, D]``, seeded by that row's values."""
    rows = z.detach().float().cpu().contiguous().numpy()
    return [
        torch.Generator().manual_seed(int.from_bytes(hashlib.sha256(r.tobytes()).digest()[:8]))
        for r in rows
    ]


class DiffusionGenerator(nn.Module):
    """``z [B, 3·R·R]`` (x_T, flattened) → images ``[B, 3, R, R]`` in [-1, 1], by DDIM with
    ``steps`` UNet passes and ``eta`` (attributes: ``generate --steps`` changes them)."""

    def __init__(self, unet: UNet, schedule: Schedule, steps: int, eta: float = 0.0) -> None:
        super().__init__()
        self.unet = unet
        self.schedule = schedule
        self.resolution = unet.resolution
        self.steps, self.eta = steps, eta

    def forward(self, z: Tensor) -> Tensor:
        r = self.resolution
        x_T = z.reshape(z.shape[0], 3, r, r)
        gens = _row_generators(z) if self.eta > 0 else None
        x = sample(self.schedule, self.unet, tuple(x_T.shape), self.steps, self.eta, gens,
                   "ddim", x_T=x_T, device=z.device, dtype=torch.float32)  # fmt: skip
        return x.clamp(-1.0, 1.0)


def _generator(cfg: DDPMConfig, latent: LatentSpec, resolution: int) -> nn.Module:
    unet = UNet(cfg.g_channels, cfg.channel_mult_tuple(), resolution, cfg.attn_tuple(),
                cfg.dropout, cfg.num_res_blocks)  # fmt: skip
    schedule = ddpm_schedule(cfg.beta_schedule, cfg.timesteps)
    return DiffusionGenerator(unet, schedule, cfg.sample_steps, cfg.sample_eta)


def _latent(cfg: DDPMConfig, resolution: int) -> LatentSpec:
    return LatentSpec(3 * resolution * resolution, 0, 0)


def ddpm_loss(cfg: DDPMConfig, rt: Runtime, local_batch: int) -> LikelihoodLoss:
    """L_simple on this rank's slice of the global batch's (t, ε) draws."""

    def loss(
        G: nn.Module, E: nn.Module | None, real: Tensor, gen: torch.Generator, rt: Runtime
    ) -> dict[str, Tensor]:
        b, world = real.shape[0], rt.shard.world
        t = rt.shard.take(torch.randint(0, cfg.timesteps, (b * world,), generator=gen))
        noise = rt.shard.take(torch.randn(b * world, *real.shape[1:], generator=gen))
        noise = noise.to(real.device, memory_format=torch.contiguous_format)
        with rt.autocast():
            eps_loss = loss_eps(G.schedule, G.unet, real.float(), t.to(real.device), noise)
        return {"eps_mse": eps_loss.detach(), "total": eps_loss}

    return loss


SPEC = register(
    ModelSpec(
        name="ddpm",
        description="denoising diffusion (#21): ε-prediction UNet, linear or cosine "
        "schedule, DDIM sampling (generate --steps)",
        generator=_generator,
        likelihood=ddpm_loss,
        latent=_latent,
        iterative=True,
        min_resolution=8,
    )
)
