"""Generation and projection with a loaded generator.

Image ``i`` of a request with seed ``S`` is drawn from seed ``S + i`` alone
(:func:`artgan.models.latents_for_seeds`), and generators run in eval mode, so an image
does not depend on how many others were made with it or on the batch size: ``--seed 7
--n 1`` reproduces image 7 of ``--seed 0 --n 64``.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor

from artgan.errors import ArtganError
from artgan.io.images import from_uint8
from artgan.runtime import Runtime
from artgan.sampling.loader import LoadedGenerator


# no_grad, not inference_mode: ``.to(memory_format=...)`` inside inference mode would
# turn G's parameters into inference tensors, and a later autograd use of the same G
# (latent refinement, fine-tuning) would fail.
@torch.no_grad()
def generate(
    lg: LoadedGenerator,
    latents: Tensor,
    rt: Runtime,
    batch_size: int = 64,
) -> Tensor:
    """``[N, latent.dim]`` → images ``[N, 3, H, W]`` in [-1, 1] (fp32, on the CPU)."""
    G = lg.G.to(rt.device, memory_format=rt.memory_format)
    out = []
    for chunk in latents.split(batch_size):
        with rt.autocast():
            out.append(G(chunk.to(rt.device)).float().cpu())
    return torch.cat(out)


@torch.no_grad()
def project(lg: LoadedGenerator, images: np.ndarray, rt: Runtime) -> tuple[Tensor, Tensor]:
    """Encode real images and regenerate them: ``[N, R, R, 3] uint8`` →
    (latents ``[N, dim]``, reconstructions ``[N, 3, R, R]`` in [-1, 1], fp32, CPU)."""
    if lg.E is None:
        raise ArtganError(
            f"model '{lg.model_cfg.get('name')}' has no encoder, so it cannot project "
            f"paintings; train a migan model for that"
        )
    x = from_uint8(images)
    E = lg.E.to(rt.device, memory_format=rt.memory_format)
    with rt.autocast():
        latents = E.to_latent(E(x.to(rt.device).contiguous(memory_format=rt.memory_format)))
    latents = latents.float().cpu()
    return latents, generate(lg, latents, rt)
