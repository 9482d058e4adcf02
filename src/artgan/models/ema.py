"""Exponential moving average of the generator, used for every sample we show.

BatchNorm generators need care: the EMA weights never saw the running statistics that
G collected with its own weights. ``standing_stats`` re-estimates them for the EMA
weights from a fixed set of latents (BigGAN's "standing statistics"), deterministically,
so a run and its exported generator produce identical images.
"""

from __future__ import annotations

import copy

import torch
from torch import nn

from artgan.models.latent import LatentSpec


def make_ema(generator: nn.Module) -> nn.Module:
    ema = copy.deepcopy(generator).eval()
    ema.requires_grad_(False)
    return ema


@torch.no_grad()
def update_ema(ema: nn.Module, model: nn.Module, decay: float) -> None:
    """``ema ← decay·ema + (1 − decay)·model`` for parameters; buffers are copied."""
    ema_p = [p for p in ema.parameters()]
    src_p = [p.detach() for p in model.parameters()]
    torch._foreach_lerp_(ema_p, src_p, 1.0 - decay)
    for b_ema, b in zip(ema.buffers(), model.buffers(), strict=True):
        b_ema.copy_(b)


def ema_decay_at(step: int, decay: float, rampup: bool) -> float:
    """Early in training the EMA follows G closely, later it averages over ~1/(1-decay)."""
    return min(decay, (1.0 + step) / (10.0 + step)) if rampup else decay


def has_batchnorm(module: nn.Module) -> bool:
    return any(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in module.modules())


@torch.no_grad()
def standing_stats(
    generator: nn.Module,
    latent: LatentSpec,
    n_batches: int = 8,
    batch_size: int = 64,
    seed: int = 1234,
) -> nn.Module:
    """A copy of ``generator`` (in eval mode) whose BatchNorm statistics are the exact
    average over ``n_batches`` batches of fixed latents. No-op copy without BatchNorm."""
    g = copy.deepcopy(generator)
    if not has_batchnorm(g):
        return g.eval()
    device = next(g.parameters()).device
    for m in g.modules():
        if isinstance(m, nn.modules.batchnorm._BatchNorm):
            m.reset_running_stats()
            m.momentum = None  # cumulative average over all batches seen
    g.train()
    rng = torch.Generator().manual_seed(seed)
    for _ in range(n_batches):
        g(latent.join(latent.sample(batch_size, rng)).to(device))
    for m in g.modules():
        if isinstance(m, nn.modules.batchnorm._BatchNorm):
            m.momentum = 0.1
    return g.eval()
