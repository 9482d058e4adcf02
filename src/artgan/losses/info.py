"""The InfoGAN variational bound on the mutual information of codes and images
(MIGAN eq. 7), as a loss."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor


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
