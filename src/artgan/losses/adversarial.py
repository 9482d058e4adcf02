"""Adversarial losses by name (``loss.name`` in the config): bce, hinge, wgan-gp.

Discriminator outputs are logits ``[B]`` or, for multi-scale critics, a list of score
tensors (``[B]`` global scores, ``[B, 1, p, p]`` patch maps): each tensor is averaged and
the list is summed, in order. Losses are computed in fp32 even under bf16 autocast: the
scores are cast first so the log-sigmoid of large logits keeps its precision.

A loss is two ordered terms per score tensor for D (``total + first + second``) and one
for G (``total + term``): keeping the sum one fixed expression keeps float results
identical across refactors (exact resume and the golden check depend on it).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor

from artgan.registry import Registry

Scores = Tensor | list[Tensor] | tuple[Tensor, ...]


def each_score(scores: Scores) -> list[Tensor]:
    """A critic's output as a list of fp32 score tensors."""
    return [s.float() for s in (scores if isinstance(scores, (list, tuple)) else [scores])]


@dataclass(frozen=True)
class AdversarialLoss:
    name: str
    description: str
    d_terms: Callable[[Tensor, Tensor], tuple[Tensor, Tensor]]  # (real, fake) scores → terms
    g_term: Callable[[Tensor], Tensor]  # fake scores → term
    gradient_penalty: bool = False  # the critic loss gets loss.gp_weight · GP (WGAN-GP)

    def d_loss(self, real: Scores, fake: Scores) -> Tensor:
        """Discriminator loss, a scalar: the sum over score tensors of both terms."""
        total = torch.zeros((), device=each_score(real)[0].device)
        for r, f in zip(each_score(real), each_score(fake), strict=True):
            first, second = self.d_terms(r, f)
            total = total + first + second
        return total

    def g_loss(self, fake: Scores) -> Tensor:
        """Generator loss, a scalar."""
        total = torch.zeros((), device=each_score(fake)[0].device)
        for f in each_score(fake):
            total = total + self.g_term(f)
        return total


LOSSES: Registry[AdversarialLoss] = Registry("loss")

LOSSES.register(
    AdversarialLoss(
        name="bce",
        description="non-saturating BCE with logits: D −log D(x) − log(1 − D(G(z))) "
        "(seed paper eq. 2), G −log D(G(z))",
        d_terms=lambda r, f: (F.softplus(-r).mean(), F.softplus(f).mean()),
        g_term=lambda f: F.softplus(-f).mean(),
    )
)
LOSSES.register(
    AdversarialLoss(
        name="hinge",
        description="hinge (SAGAN): D relu(1 − D(x)) + relu(1 + D(G(z))), G −D(G(z))",
        d_terms=lambda r, f: (F.relu(1 - r).mean(), F.relu(1 + f).mean()),
        g_term=lambda f: -f.mean(),
    )
)
LOSSES.register(
    AdversarialLoss(
        name="wgan-gp",
        description="Wasserstein (MIGAN eq. 19): D D(G(z)) − D(x) + gp_weight·GP, G −D(G(z))",
        # f − r written as f + (−r): the same float result, in the fixed two-term form.
        d_terms=lambda r, f: (f.mean(), -r.mean()),
        g_term=lambda f: -f.mean(),
        gradient_penalty=True,
    )
)


def d_loss(name: str, real: Scores, fake: Scores) -> Tensor:
    """``LOSSES.get(name).d_loss(real, fake)``."""
    return LOSSES.get(name).d_loss(real, fake)


def g_loss(name: str, fake: Scores) -> Tensor:
    """``LOSSES.get(name).g_loss(fake)``."""
    return LOSSES.get(name).g_loss(fake)
