"""EMA of the generator and standing BatchNorm statistics."""

from __future__ import annotations

import torch

from artgan.models import LatentSpec
from artgan.models.dcgan import DCGANGenerator
from artgan.models.ema import ema_decay_at, make_ema, standing_stats, update_ema


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
