"""Latent refinement of projections (GAN inversion): it fits, leaves G alone, and a
painting's result does not depend on its batch."""

from __future__ import annotations

import pytest
import torch

from artgan.errors import ArtganError
from artgan.models import LatentSpec
from artgan.models.migan import MIGANGenerator
from artgan.sampling import refine_latents

SPEC = LatentSpec(12, 4, 2)


def _gen() -> MIGANGenerator:
    torch.manual_seed(0)
    return MIGANGenerator(SPEC.z_dim, 4, 2, 16, channels=8, max_channels=32).eval()


def _targets(G: MIGANGenerator, n: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Latents ``[n, dim]`` and the images ``[n, 3, 16, 16]`` G makes from them."""
    lat = SPEC.join(SPEC.sample(n, torch.Generator().manual_seed(1)))
    with torch.no_grad():
        return lat, G(lat)


def test_refinement_fits_g_images_and_keeps_g_and_the_category():
    G = _gen()
    true, x = _targets(G, 3)
    start = true.clone()
    start[:, : SPEC.z_dim] += torch.randn(3, SPEC.z_dim, generator=torch.Generator().manual_seed(2))
    start[:, -2:] = 0.0
    before = [p.detach().clone() for p in G.parameters()]
    flags = [p.requires_grad for p in G.parameters()]
    out, hist = refine_latents(G, SPEC, start, x, steps=60, lr=0.05)
    assert out.shape == start.shape and len(hist) == 61
    assert hist[-1] < 0.5 * hist[0]  # the image moved a long way towards the target
    z_err = lambda lat: (lat[:, : SPEC.z_dim] - true[:, : SPEC.z_dim]).norm()  # noqa: E731
    assert z_err(out) < z_err(start)  # and z' towards the latent that made it
    # The category is E's discrete choice and stays; continuous codes stay in range.
    assert torch.equal(out[:, SPEC.z_dim : SPEC.z_dim + 4], start[:, SPEC.z_dim : SPEC.z_dim + 4])
    assert out[:, -2:].abs().max() <= 1.0
    for p, b, f in zip(G.parameters(), before, flags, strict=True):
        assert torch.equal(p, b) and p.requires_grad == f and p.grad is None
    assert not G.training


def test_refinement_of_an_image_does_not_depend_on_its_batch():
    G = _gen()
    _, x = _targets(G, 3)
    start = SPEC.join(SPEC.sample(3, torch.Generator().manual_seed(5)))
    together, _ = refine_latents(G, SPEC, start, x, steps=20)
    alone, hist = refine_latents(G, SPEC, start[1:2], x[1:2], steps=20)
    # The same fit (float rounding, amplified by Adam where a gradient is ~0, keeps the
    # latents from being bit-equal): image 1's loss after refinement in the batch of 3
    # equals its loss refined alone, and both are well below where it started.
    _, in_batch = refine_latents(G, SPEC, together[1:2], x[1:2], steps=0)
    assert in_batch[0] == pytest.approx(hist[-1], rel=0.03)
    assert hist[-1] < 0.8 * hist[0]


def test_zero_steps_is_the_start_and_bad_arguments_are_clear_errors():
    G = _gen()
    lat, x = _targets(G, 2)
    out, hist = refine_latents(G, SPEC, lat, x, steps=0)
    assert torch.equal(out, lat) and len(hist) == 1 and hist[0] < 0.01  # its own image
    with pytest.raises(ArtganError, match="steps must be >= 0"):
        refine_latents(G, SPEC, lat, x, steps=-1)
    with pytest.raises(ArtganError, match="learning rate must be > 0"):
        refine_latents(G, SPEC, lat, x, steps=1, lr=0.0)
    with pytest.raises(ArtganError, match="2 latents for 1 images"):
        refine_latents(G, SPEC, lat, x[:1], steps=1)
