from __future__ import annotations

import torch
import torch.nn.functional as F

from artgan.data.augment import augment
from artgan.models import LatentSpec
from artgan.models.dcgan import DCGANGenerator
from artgan.train.ema import ema_decay_at, make_ema, standing_stats, update_ema
from artgan.train.losses import d_loss, g_loss


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


def test_ema_update_formula_and_rampup():
    G = DCGANGenerator(8, 8, 4)
    ema = make_ema(G)
    before = [p.clone() for p in ema.parameters()]
    with torch.no_grad():
        for p in G.parameters():
            p.add_(1.0)
    update_ema(ema, G, 0.9)
    for b, e, g in zip(before, ema.parameters(), G.parameters(), strict=True):
        assert torch.allclose(e, 0.9 * b + 0.1 * g, atol=1e-6)
    assert ema_decay_at(0, 0.999, True) == 0.1
    assert ema_decay_at(10**6, 0.999, True) == 0.999
    assert ema_decay_at(0, 0.999, False) == 0.999


def test_standing_stats_are_deterministic_and_batch_independent():
    latent = LatentSpec(8)
    G = DCGANGenerator(8, 16, 4)
    G.train()
    G(torch.randn(16, 8))  # disturb running stats
    a, b = standing_stats(G, latent), standing_stats(G, latent)
    for (n, x), (_, y) in zip(a.state_dict().items(), b.state_dict().items(), strict=True):
        assert torch.equal(x, y), n
    assert G.training  # the original is untouched
    z = torch.randn(5, 8)
    with torch.no_grad():
        assert torch.allclose(a(z)[2:3], a(z[2:3]), atol=1e-6)


def test_augment_identity_flip_and_determinism():
    x = torch.rand(16, 3, 8, 8) * 2 - 1
    same = augment(x, torch.Generator().manual_seed(0), flip=False, rotate_deg=0, scale=0)
    assert torch.equal(same, x)
    flipped = augment(x, torch.Generator().manual_seed(0), flip=True)
    is_orig = (flipped == x).flatten(1).all(1)
    is_flip = (flipped == x.flip(3)).flatten(1).all(1)
    assert bool((is_orig | is_flip).all()) and 0 < int(is_flip.sum()) < 16
    a = augment(x, torch.Generator().manual_seed(5), True, 10.0, 0.1)
    b = augment(x, torch.Generator().manual_seed(5), True, 10.0, 0.1)
    c = augment(x, torch.Generator().manual_seed(6), True, 10.0, 0.1)
    assert torch.equal(a, b) and not torch.equal(a, c)
    assert a.shape == x.shape and a.min() >= -1 and a.max() <= 1
