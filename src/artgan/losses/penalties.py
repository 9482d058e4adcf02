"""Critic regularisers: the WGAN-GP gradient penalty and the drift penalty."""

from __future__ import annotations

import contextlib

import torch
from torch import Tensor

from artgan.losses.adversarial import Scores, each_score
from artgan.nn.attention import second_order


def per_sample_score(scores: Scores) -> Tensor:
    """Scalar critic output per image ``[B]``: each score map averaged, summed over maps."""
    return sum(s.flatten(1).mean(1) if s.dim() > 1 else s for s in each_score(scores))  # type: ignore[return-value]


def drift_penalty(real: Scores) -> Tensor:
    """``E[D(x)²]`` on real scores (Karras et al. 2018): stops a WGAN critic's outputs
    from drifting to large magnitudes, which the Wasserstein loss alone allows."""
    return sum((r.square().mean() for r in each_score(real)), torch.zeros(()))


def gradient_penalty(
    critic: torch.nn.Module,
    real: Tensor,
    fake: Tensor,
    generator: torch.Generator,
    autocast: contextlib.AbstractContextManager | None = None,
    world: int = 1,
    rank: int = 0,
) -> Tensor:
    """WGAN-GP (Gulrajani et al. 2017): ``E[(‖∇_x̂ D(x̂)‖₂ − 1)²]`` on random interpolates
    ``x̂ = ε·x + (1 − ε)·G(z)``, ε ~ U(0, 1) per image. ``real``/``fake``: ``[B, C, H, W]``.
    With ``world`` > 1 the batch is shard ``rank`` of a global batch of ``world``·B: the
    global batch's ε are drawn and this shard's are kept (artgan.runtime.distributed)."""
    b = real.shape[0]
    eps = torch.rand(b * world, 1, 1, 1, generator=generator)[rank * b : (rank + 1) * b]
    eps = eps.to(real)
    x_hat = (eps * real.detach() + (1 - eps) * fake.detach()).requires_grad_(True)
    with autocast or contextlib.nullcontext(), second_order():
        score = per_sample_score(critic(x_hat))
    (grad,) = torch.autograd.grad(score.sum(), x_hat, create_graph=True)
    return ((grad.float().flatten(1).norm(2, dim=1) - 1) ** 2).mean()


def r1_penalty(critic: torch.nn.Module, real: Tensor) -> Tensor:
    """R1 (Mescheder et al. 2018): ``E‖∇ₓD(x)‖²`` on the real images ``[B, C, H, W]`` the
    critic saw, in fp32 (a function of gradient norms, like the gradient penalty). The
    caller weights it by ``γ/2``. Pulls D's gradient to zero on the data, which keeps a
    non-saturating or hinge GAN from oscillating around it."""
    x = real.detach().float().requires_grad_(True)
    with second_order():  # attention's fused kernel has no second derivative
        score = per_sample_score(critic(x))
    (grad,) = torch.autograd.grad(score.sum(), x, create_graph=True)
    return grad.float().flatten(1).square().sum(1).mean()
