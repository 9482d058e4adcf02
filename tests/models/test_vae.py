"""The VAE's networks and ELBO (#21): shapes and range, the closed-form KL against torch
and a Monte-Carlo estimate, gradients through the reparameterisation, the ELBO terms."""

from __future__ import annotations

import pytest
import torch
from torch.distributions import Normal

from artgan.errors import ArtganError
from artgan.models.vae import (
    VAE,
    VAEDecoder,
    VAEEncoder,
    elbo_terms,
    kl_divergence,
    reparameterise,
)


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


@pytest.mark.parametrize("res", [8, 16, 32])
def test_shapes_and_range(res):
    torch.manual_seed(0)
    E, D = VAEEncoder(res, 6, channels=4, max_channels=16), VAEDecoder(res, 6, 4, 16)
    mu, logvar = E(torch.rand(2, 3, res, res) * 2 - 1)
    assert mu.shape == logvar.shape == (2, 6)
    assert torch.equal(E.to_latent((mu, logvar)), mu)  # projection reads the posterior mean
    x = D(torch.randn(2, 6, generator=_gen(1)) * 10)  # far out: tanh still bounds it
    assert x.shape == (2, 3, res, res)
    assert x.abs().max() <= 1.0
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in [*E.modules(), *D.modules()])


def test_bad_resolution_is_a_user_error():
    with pytest.raises(ArtganError, match="power of two"):
        VAEEncoder(24, 4)
    with pytest.raises(ArtganError, match="power of two"):
        VAEDecoder(4, 4)


def test_images_do_not_depend_on_their_batch():
    torch.manual_seed(0)
    vae = VAE(16, 5, channels=4, max_channels=16)
    x = torch.rand(3, 3, 16, 16, generator=_gen(0)) * 2 - 1
    noise = torch.randn(3, 5, generator=_gen(1))
    with torch.no_grad():
        x_hat, mu, logvar = vae(x, noise)
        one, mu1, _ = vae(x[2:], noise[2:])
    assert x_hat.shape == x.shape and mu.shape == logvar.shape == (3, 5)
    assert torch.allclose(one, x_hat[2:], atol=1e-6)  # GroupNorm: no batch statistics
    assert torch.allclose(mu1, mu[2:], atol=1e-6)


def test_kl_is_zero_at_the_prior():
    assert torch.equal(kl_divergence(torch.zeros(4, 3), torch.zeros(4, 3)), torch.zeros(4))


def test_kl_matches_torch_distributions():
    mu = torch.randn(5, 7, generator=_gen(0))
    logvar = torch.randn(5, 7, generator=_gen(1))
    ours = kl_divergence(mu, logvar)
    assert ours.shape == (5,)
    q = Normal(mu, (0.5 * logvar).exp())
    p = Normal(torch.zeros_like(mu), torch.ones_like(mu))
    theirs = torch.distributions.kl_divergence(q, p).sum(dim=1)
    assert torch.allclose(ours, theirs, rtol=1e-5, atol=1e-6)
    assert bool((ours >= 0).all())


def test_kl_matches_a_monte_carlo_estimate():
    """KL = E_q[log q(z) − log p(z)], estimated from 200,000 reparameterised draws (the
    estimator's standard error here is about 0.002)."""
    mu = torch.tensor([[0.5, -0.3, 0.1]], dtype=torch.float64)
    logvar = torch.tensor([[0.2, -0.4, 0.0]], dtype=torch.float64)
    noise = torch.randn(200_000, 3, generator=_gen(0), dtype=torch.float64)
    z = reparameterise(mu, logvar, noise)
    q = Normal(mu, (0.5 * logvar).exp())
    p = Normal(torch.zeros_like(mu), torch.ones_like(mu))
    estimate = (q.log_prob(z) - p.log_prob(z)).sum(dim=1).mean()
    exact = kl_divergence(mu, logvar)
    assert abs(float(estimate) - float(exact[0])) < 0.01
    # z has the moments of q: mean μ, standard deviation σ.
    assert torch.allclose(z.mean(0), mu[0], atol=0.01)
    assert torch.allclose(z.std(0), (0.5 * logvar[0]).exp(), atol=0.01)


def test_gradient_flows_through_reparameterise():
    mu = torch.randn(4, 3, generator=_gen(0)).requires_grad_(True)
    logvar = torch.randn(4, 3, generator=_gen(1)).requires_grad_(True)
    noise = torch.randn(4, 3, generator=_gen(2))
    reparameterise(mu, logvar, noise).sum().backward()
    assert torch.equal(mu.grad, torch.ones(4, 3))
    assert torch.allclose(logvar.grad, 0.5 * (0.5 * logvar.detach()).exp() * noise)


def test_elbo_terms():
    x = torch.rand(3, 3, 8, 8, generator=_gen(0)) * 2 - 1
    x_hat = torch.rand(3, 3, 8, 8, generator=_gen(1)) * 2 - 1
    mu, logvar = torch.randn(3, 4, generator=_gen(2)), torch.randn(3, 4, generator=_gen(3))
    kl = kl_divergence(mu, logvar).mean()
    l1 = elbo_terms(x, x_hat, mu, logvar, beta=0.5, recon="l1")
    assert set(l1) == {"recon", "kl", "total"} and all(v.dim() == 0 for v in l1.values())
    assert torch.allclose(l1["recon"], (x - x_hat).abs().flatten(1).sum(1).mean())
    assert torch.allclose(l1["kl"], kl)
    assert torch.allclose(l1["total"], l1["recon"] + 0.5 * kl)
    mse = elbo_terms(x, x_hat, mu, logvar, recon="mse")
    assert torch.allclose(mse["recon"], 0.5 * (x - x_hat).square().flatten(1).sum(1).mean())
    assert torch.allclose(mse["total"], mse["recon"] + kl)  # beta defaults to 1
    perfect = elbo_terms(x, x, torch.zeros(3, 4), torch.zeros(3, 4))
    assert float(perfect["total"]) == 0.0
    with pytest.raises(ValueError, match="unknown reconstruction loss"):
        elbo_terms(x, x_hat, mu, logvar, recon="ssim")  # type: ignore[arg-type]


def test_the_elbo_trains_every_parameter():
    torch.manual_seed(0)
    vae = VAE(8, 3, channels=4, max_channels=8)
    x = torch.rand(2, 3, 8, 8, generator=_gen(0)) * 2 - 1
    x_hat, mu, logvar = vae(x, torch.randn(2, 3, generator=_gen(1)))
    elbo_terms(x, x_hat, mu, logvar)["total"].backward()
    for name, p in vae.named_parameters():
        assert p.grad is not None and p.grad.abs().sum() > 0, name
