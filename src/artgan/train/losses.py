"""Adversarial losses. Discriminator outputs are logits ``[B]`` (or a list of score
tensors for multi-scale critics; each is averaged, then the list is summed).

Losses are computed in fp32 even under bf16 autocast: the logits are cast first so the
log-sigmoid of large logits keeps its precision.
"""

from __future__ import annotations

import contextlib

import torch
import torch.nn.functional as F
from torch import Tensor

from artgan.errors import ArtganError

Scores = Tensor | list[Tensor] | tuple[Tensor, ...]


def _each(scores: Scores) -> list[Tensor]:
    return [s.float() for s in (scores if isinstance(scores, (list, tuple)) else [scores])]


def d_loss(kind: str, real: Scores, fake: Scores) -> Tensor:
    """Discriminator loss on real and fake scores.

    bce: ``-log D(x) - log(1 - D(G(z)))`` (paper eq. 2), with logits.
    hinge: ``relu(1 - D(x)) + relu(1 + D(G(z)))`` (SAGAN).
    wgan-gp: ``D(G(z)) - D(x)`` (MIGAN eq. 19); the gradient penalty is added apart.
    """
    total = torch.zeros((), device=_each(real)[0].device)
    for r, f in zip(_each(real), _each(fake), strict=True):
        if kind == "bce":
            total = total + F.softplus(-r).mean() + F.softplus(f).mean()
        elif kind == "hinge":
            total = total + F.relu(1 - r).mean() + F.relu(1 + f).mean()
        elif kind == "wgan-gp":  # the penalty is added by the caller
            total = total + f.mean() - r.mean()
        else:
            raise ArtganError(f"unknown loss '{kind}'")
    return total


def g_loss(kind: str, fake: Scores) -> Tensor:
    """Generator loss. bce: non-saturating ``-log D(G(z))`` (paper eq. 1 as used in
    practice); hinge and wgan-gp: ``-D(G(z))``."""
    total = torch.zeros((), device=_each(fake)[0].device)
    for f in _each(fake):
        if kind == "bce":
            total = total + F.softplus(-f).mean()
        elif kind in ("hinge", "wgan-gp"):
            total = total - f.mean()
        else:
            raise ArtganError(f"unknown loss '{kind}'")
    return total


def per_sample_score(scores: Scores) -> Tensor:
    """Scalar critic output per image ``[B]``: each score map averaged, summed over maps."""
    return sum(s.flatten(1).mean(1) if s.dim() > 1 else s for s in _each(scores))  # type: ignore[return-value]


def drift_penalty(real: Scores) -> Tensor:
    """``E[D(x)²]`` on real scores (Karras et al. 2018): stops a WGAN critic's outputs
    from drifting to large magnitudes, which the Wasserstein loss alone allows."""
    return sum((r.square().mean() for r in _each(real)), torch.zeros(()))


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
    global batch's ε are drawn and this shard's are kept (artgan.distributed)."""
    b = real.shape[0]
    eps = torch.rand(b * world, 1, 1, 1, generator=generator)[rank * b : (rank + 1) * b]
    eps = eps.to(real)
    x_hat = (eps * real.detach() + (1 - eps) * fake.detach()).requires_grad_(True)
    with autocast or contextlib.nullcontext():
        score = per_sample_score(critic(x_hat))
    (grad,) = torch.autograd.grad(score.sum(), x_hat, create_graph=True)
    return ((grad.float().flatten(1).norm(2, dim=1) - 1) ** 2).mean()


def info_loss(
    enc: dict[str, Tensor | None],
    z: Tensor,
    cat: Tensor | None,
    cont: Tensor | None,
    z_weight: float = 0.1,
) -> Tensor:
    """InfoGAN variational bound on I(c; G(z', c)) (MIGAN eq. 7), as a loss to minimise:
    cross-entropy of the categorical code, Gaussian NLL of the continuous codes (learned
    variance) and ``z_weight``·MSE of z'. ``enc``: the encoder's outputs for G(z', c)."""
    total = torch.zeros((), device=z.device)
    if cat is not None and enc.get("cat_logits") is not None:
        total = total + F.cross_entropy(enc["cat_logits"].float(), cat.to(z.device))
    if cont is not None and enc.get("cont_mean") is not None:
        # Bounded log-variance: an unbounded head can drive the NLL to -inf on easy codes.
        mean, logvar = enc["cont_mean"].float(), enc["cont_logvar"].float().clamp(-6.0, 6.0)
        nll = 0.5 * (logvar + (cont.to(z.device) - mean) ** 2 * torch.exp(-logvar))
        total = total + nll.sum(1).mean()
    if z_weight > 0 and enc.get("z") is not None:
        total = total + z_weight * F.mse_loss(enc["z"].float(), z)
    return total
