from __future__ import annotations

import pytest
import torch

from artgan.config import DCGANConfig
from artgan.errors import ArtganError
from artgan.models import LatentSpec, get_model, latent_spec
from artgan.models.dcgan import DCGANDiscriminator, DCGANGenerator, stage_channels


@pytest.mark.parametrize("res", [8, 16, 32, 64, 128])
def test_dcgan_shapes(res):
    latent = LatentSpec(12, 3, 2)
    G = DCGANGenerator(latent.dim, res, channels=4, max_channels=32)
    D = DCGANDiscriminator(res, channels=4, max_channels=32)
    z = latent.join(latent.sample(3, torch.Generator().manual_seed(0)))
    x = G(z)
    assert x.shape == (3, 3, res, res)
    assert x.abs().max() <= 1.0
    assert D(x).shape == (3,)


def test_stage_channels_halve_towards_the_image():
    assert stage_channels(64, 64, 512) == [512, 256, 128, 64]
    assert stage_channels(256, 64, 512) == [512, 512, 512, 256, 128, 64]


def test_gradient_reaches_every_parameter():
    G, D = DCGANGenerator(20, 32, 8), DCGANDiscriminator(32, 8)
    D(G(torch.randn(4, 20))).sum().backward()
    for name, p in [*G.named_parameters(), *D.named_parameters()]:
        assert p.grad is not None and p.grad.abs().sum() > 0, name


def test_registry_builds_from_config():
    spec = get_model("dcgan")
    cfg = DCGANConfig(z_dim=10, n_categories=4, n_continuous=2, g_channels=4, d_channels=4)
    latent = latent_spec(cfg)
    assert latent.dim == 16
    G = spec.generator(cfg, latent, 16)
    assert G(torch.zeros(2, 16)).shape == (2, 3, 16, 16)
    with pytest.raises(ArtganError, match="unknown model 'nope'.*dcgan"):
        get_model("nope")


def test_latent_layout_round_trips():
    spec = LatentSpec(5, 4, 3)
    lat = spec.sample(6, torch.Generator().manual_seed(1))
    flat = spec.join(lat)
    z, onehot, cont = spec.split(flat)
    assert torch.equal(z, lat.z)
    assert torch.equal(onehot.argmax(1), lat.cat)
    assert torch.equal(onehot.sum(1), torch.ones(6))
    assert torch.equal(cont, lat.cont)
    assert cont.min() >= -1 and cont.max() <= 1


def test_truncation_bounds_z_and_is_seeded():
    spec = LatentSpec(64)
    a = spec.sample(100, torch.Generator().manual_seed(3), truncation=0.5)
    b = spec.sample(100, torch.Generator().manual_seed(3), truncation=0.5)
    assert a.z.abs().max() <= 0.5
    assert torch.equal(a.z, b.z)
    # Not a clamp: values are resampled, so almost none sit exactly on the bound.
    assert (a.z.abs() == 0.5).float().mean() < 0.01
    with pytest.raises(ArtganError, match="truncation must be a number > 0"):
        spec.sample(1, truncation=0)
