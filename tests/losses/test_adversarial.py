"""The adversarial losses against torch references, single and multi-scale."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from artgan.losses import LOSSES, d_loss, g_loss


def test_bce_losses_match_torch_reference():
    r, f = torch.randn(32) * 3, torch.randn(32) * 3
    ref_d = F.binary_cross_entropy_with_logits(
        r, torch.ones(32)
    ) + F.binary_cross_entropy_with_logits(f, torch.zeros(32))
    assert torch.allclose(d_loss("bce", r, f), ref_d, atol=1e-6)
    ref_g = F.binary_cross_entropy_with_logits(f, torch.ones(32))
    assert torch.allclose(g_loss("bce", f), ref_g, atol=1e-6)


def test_hinge_and_multiscale_scores():
    r, f = torch.tensor([2.0, 0.5]), torch.tensor([-2.0, 0.0])
    assert torch.isclose(d_loss("hinge", r, f), torch.tensor((0 + 0.5) / 2 + (0 + 1) / 2))
    assert torch.isclose(g_loss("hinge", f), torch.tensor(1.0))
    # A multi-scale critic's scores are averaged per scale and summed over scales.
    two = d_loss("hinge", [r, r], [f, f])
    assert torch.isclose(two, 2 * d_loss("hinge", r, f))


def test_registry_names_match_the_config_and_unknown_is_an_error():
    from artgan.config import LOSS_SECTIONS
    from artgan.errors import ArtganError

    assert LOSSES.names() == sorted(c.model_fields["name"].default for c in LOSS_SECTIONS)
    assert [loss.name for loss in LOSSES if loss.gradient_penalty] == ["wgan-gp"]
    with pytest.raises(ArtganError, match="unknown loss 'nope' .*bce, hinge, wgan-gp"):
        d_loss("nope", torch.zeros(2), torch.zeros(2))


def test_wgan_loss_is_the_score_difference_per_scale():
    r, f = (
        [torch.tensor([1.0, 3.0]), torch.ones(2, 1, 2, 2)],
        [torch.zeros(2), -torch.ones(2, 1, 2, 2)],
    )
    # (mean f − mean r) summed over the two scales: (0 − 2) + (−1 − 1)
    assert torch.isclose(d_loss("wgan-gp", r, f), torch.tensor(-4.0))
    assert torch.isclose(g_loss("wgan-gp", f), torch.tensor(1.0))
