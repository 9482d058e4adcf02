"""Refine an encoder's projection of real paintings by optimising the latent.

E gives a one-shot guess ``(ẑ', ĉ) = E(x)``; early in training (or for paintings far
from the training set) ``G(E(x))`` keeps only colour and large masses. Optimising the
latent against the painting, starting from E's guess, is the standard GAN-inversion
refinement (the StyleGAN projector): it recovers what G can express and E missed.

What is optimised: z' and the continuous codes; the categorical one-hot stays E's choice
(it is discrete). Continuous codes are clamped to [-1, 1], the range G was trained on.
The loss is the image cycle's own MS-SSIM + L1 mix (MIGAN eq. 18).
"""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor, nn
from tqdm import tqdm

from artgan.errors import ArtganError
from artgan.io.images import from_uint8
from artgan.metrics.ssim import ms_ssim_l1_loss
from artgan.models import LatentSpec
from artgan.runtime import Runtime
from artgan.sampling.generate import generate
from artgan.sampling.loader import LoadedGenerator


def refine_projection(
    lg: LoadedGenerator,
    latents: Tensor,
    images: np.ndarray,
    rt: Runtime,
    steps: int,
    lr: float = 0.05,
    progress: bool = False,
) -> tuple[Tensor, Tensor, list[float]]:
    """:func:`artgan.sampling.project`'s latents ``[N, dim]`` and the paintings ``[N, R, R,
    3] uint8`` → (refined latents ``[N, dim]``, their images ``[N, 3, R, R]`` in [-1, 1],
    the loss history of :func:`refine_latents`)."""
    x = from_uint8(images)
    refined, hist = refine_latents(lg.G, lg.latent, latents, x, steps, lr, progress=progress)
    return refined, generate(lg, refined, rt), hist


def refine_latents(
    G: nn.Module,
    latent: LatentSpec,
    latents: Tensor,
    images: Tensor,
    steps: int,
    lr: float = 0.05,
    alpha: float = 0.84,
    progress: bool = False,
) -> tuple[Tensor, list[float]]:
    """Optimise ``latents [N, latent.dim]`` so that ``G(latents)`` matches ``images
    [N, 3, R, R]`` in [-1, 1]. Returns (refined latents ``[N, dim]`` fp32 on the CPU,
    the mean loss before each step and after the last, ``steps + 1`` values).

    G's weights are not changed (they are not even given gradients). Each image's loss
    is computed on its own and Adam is elementwise, so an image's latent follows its own
    gradient whatever batch it came in; only float rounding differs between batch sizes
    (Adam can turn it into a step of ±lr where a gradient is nearly 0).
    """
    if steps < 0:
        raise ArtganError(f"refinement steps must be >= 0, got {steps}")
    if lr <= 0:
        raise ArtganError(f"refinement learning rate must be > 0, got {lr}")
    if latents.shape[0] != images.shape[0]:
        raise ArtganError(
            f"{latents.shape[0]} latents for {images.shape[0]} images: they must pair up"
        )
    dev = next(G.parameters()).device
    x = images.to(dev).float()
    z, onehot, cont = (t.to(dev).float() for t in latent.split(latents.detach()))
    z = z.clone().requires_grad_(True)
    cont = cont.clone().requires_grad_(latent.n_continuous > 0)
    params = [z] + ([cont] if latent.n_continuous else [])
    opt = torch.optim.Adam(params, lr=lr)
    was_training = G.training
    G.eval()
    grads = [p.requires_grad for p in G.parameters()]
    G.requires_grad_(False)
    history: list[float] = []
    bar = tqdm(total=steps, desc="refine", unit="step", disable=not progress)
    try:
        for i in range(steps + 1):
            with torch.enable_grad():
                loss = _per_image_loss(G(torch.cat([z, onehot, cont], 1)), x, alpha)
            history.append(float(loss.detach().mean()))
            if i == steps:
                break
            opt.zero_grad(set_to_none=True)
            loss.sum().backward()
            opt.step()
            with torch.no_grad():
                cont.clamp_(-1.0, 1.0)
            bar.update(1)
            bar.set_postfix(loss=f"{history[-1]:.3f}")
    finally:
        bar.close()
        for p, g in zip(G.parameters(), grads, strict=True):
            p.requires_grad_(g)
        G.train(was_training)
    return torch.cat([z, onehot, cont], 1).detach().cpu(), history


def _per_image_loss(x_hat: Tensor, x: Tensor, alpha: float) -> Tensor:
    """``[N, 3, R, R]`` pair → ``[N]`` MS-SSIM + L1 loss of each image on its own."""
    return ms_ssim_l1_loss(x_hat.float(), x, alpha=alpha, reduction="none")
