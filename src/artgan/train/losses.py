"""Adversarial losses. Discriminator outputs are logits ``[B]`` (or a list of score
tensors for multi-scale critics; each is averaged, then the list is summed).

Losses are computed in fp32 even under bf16 autocast: the logits are cast first so the
log-sigmoid of large logits keeps its precision.
"""

from __future__ import annotations

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
    """
    total = torch.zeros((), device=_each(real)[0].device)
    for r, f in zip(_each(real), _each(fake), strict=True):
        if kind == "bce":
            total = total + F.softplus(-r).mean() + F.softplus(f).mean()
        elif kind == "hinge":
            total = total + F.relu(1 - r).mean() + F.relu(1 + f).mean()
        else:
            raise ArtganError(f"unknown loss '{kind}'")
    return total


def g_loss(kind: str, fake: Scores) -> Tensor:
    """Generator loss. bce: non-saturating ``-log D(G(z))`` (paper eq. 1 as used in
    practice); hinge: ``-D(G(z))``."""
    total = torch.zeros((), device=_each(fake)[0].device)
    for f in _each(fake):
        if kind == "bce":
            total = total + F.softplus(-f).mean()
        elif kind == "hinge":
            total = total - f.mean()
        else:
            raise ArtganError(f"unknown loss '{kind}'")
    return total
