"""The projected discriminator: frozen backbone, fixed random projections, trained heads;
usable by every model, resumable."""

from __future__ import annotations

import pytest
import torch

from artgan.config import resolve
from artgan.errors import ArtganError
from artgan.models.projected import ProjectedDiscriminator


def test_scores_heads_and_gradients():
    torch.manual_seed(0)
    D = ProjectedDiscriminator(backbone_resolution=64)
    x = (torch.rand(3, 3, 32, 32) * 2 - 1).requires_grad_(True)
    out = D(x)
    assert len(out) == 4 and all(o.shape == (3,) for o in out)
    trained = {n.split(".")[0] for n, _ in D.named_parameters()}
    assert trained == {"heads"}  # the backbone and the projections never train
    assert {k for k in D.state_dict() if not k.startswith("heads")} == {
        "ccm0", "ccm1", "ccm2", "ccm3", "csm0", "csm1", "csm2"}  # fmt: skip
    sum(o.sum() for o in out).backward()
    assert x.grad.abs().sum() > 0 and all(p.grad is not None for p in D.parameters())
    torch.manual_seed(0)
    again = ProjectedDiscriminator(backbone_resolution=64)
    assert torch.equal(again.ccm2, D.ccm2)  # the random projections come from the seed


# Every adversarial model trains with it and resumes exactly:
# tests/models/test_every_model.py::test_trains_with_the_projected_critic_and_resumes_exactly


def test_unknown_backbone_is_refused_by_the_config():
    with pytest.raises(ArtganError, match="model.d_backbone' must be one of 'own' or"):
        resolve("dcgan", None, [{"model": {"d_backbone": "resnet"}}])
