"""WGAN-GP (and its BatchNorm warning), R1, lazy regularisation and the InfoGAN bound."""

from __future__ import annotations

import warnings

import pytest
import torch
from torch import nn

from artgan.config import parse_override
from artgan.losses import (
    d_loss,
    g_loss,
    gradient_penalty,
    info_loss,
    per_sample_score,
    r1_penalty,
)
from artgan.runtime import setup_runtime
from artgan.train.state import build_state
from artgan.train.step import gan_step
from helpers import tiny_config


class LinearCritic(nn.Module):
    """D(x) = <w, x> with ‖w‖₂ = 1: exactly 1-Lipschitz, gradient norm 1 everywhere."""

    def __init__(self, shape: tuple[int, ...]) -> None:
        super().__init__()
        w = torch.randn(shape)
        self.w = nn.Parameter(w / w.norm())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (x * self.w).flatten(1).sum(1)


def test_gp_is_zero_for_a_1_lipschitz_linear_critic():
    critic = LinearCritic((3, 8, 8))
    real, fake = torch.randn(16, 3, 8, 8), torch.randn(16, 3, 8, 8)
    gp = gradient_penalty(critic, real, fake, torch.Generator().manual_seed(0))
    assert gp.item() < 1e-10


def test_gp_is_computed_on_interpolates():
    # D(x) = ½‖x‖²: ∇D(x̂) = x̂, so GP = E[(‖x̂‖ − 1)²] with x̂ = ε·real + (1 − ε)·fake.
    class Quadratic(nn.Module):
        def forward(self, x):
            return 0.5 * (x**2).flatten(1).sum(1)

    real, fake = torch.randn(6, 1, 2, 2), torch.randn(6, 1, 2, 2)
    gp = gradient_penalty(Quadratic(), real, fake, torch.Generator().manual_seed(7))
    eps = torch.rand(6, 1, 1, 1, generator=torch.Generator().manual_seed(7))
    x_hat = eps * real + (1 - eps) * fake
    expected = ((x_hat.flatten(1).norm(dim=1) - 1) ** 2).mean()
    assert torch.allclose(gp, expected, atol=1e-6)
    # ...which differs from the penalty at the real or the fake points themselves.
    at_real = ((real.flatten(1).norm(dim=1) - 1) ** 2).mean()
    assert not torch.allclose(gp, at_real)


def test_gp_gives_the_critic_a_gradient():
    critic = LinearCritic((3, 4, 4))
    with torch.no_grad():
        critic.w.mul_(3.0)  # ‖w‖ = 3 → GP = 4, pushes ‖w‖ back to 1
    gp = gradient_penalty(critic, torch.randn(4, 3, 4, 4), torch.randn(4, 3, 4, 4),
                          torch.Generator().manual_seed(0))  # fmt: skip
    assert abs(gp.item() - 4.0) < 1e-4
    gp.backward()
    assert (critic.w.grad * critic.w).sum() > 0  # gradient descent shrinks ‖w‖


def test_wgan_losses_and_multiscale_scores():
    r, f = torch.tensor([1.0, 3.0]), torch.tensor([0.0, -2.0])
    assert torch.isclose(d_loss("wgan-gp", r, f), torch.tensor(-1.0 - 2.0))
    assert torch.isclose(g_loss("wgan-gp", f), torch.tensor(1.0))
    patch = torch.arange(8.0).reshape(2, 1, 2, 2)
    assert torch.equal(per_sample_score([r, patch]), r + torch.tensor([1.5, 5.5]))


def test_info_loss_terms():
    z = torch.randn(4, 3)
    cat = torch.tensor([0, 1, 2, 1])
    cont = torch.zeros(4, 2)
    perfect = {
        "z": z.clone(),
        "cat_logits": torch.nn.functional.one_hot(cat, 3).float() * 50,
        "cont_mean": cont.clone(),
        "cont_logvar": torch.zeros(4, 2),
    }
    assert info_loss(perfect, z, cat, cont).item() < 1e-6
    wrong = dict(perfect, cat_logits=torch.nn.functional.one_hot((cat + 1) % 3, 3).float() * 50)
    assert info_loss(wrong, z, cat, cont).item() > 10
    # No codes: only the z' term remains.
    only_z = {"z": z + 1, "cat_logits": None, "cont_mean": None, "cont_logvar": None}
    assert torch.isclose(info_loss(only_z, z, None, None, z_weight=0.5), torch.tensor(0.5))


def test_drift_penalty_is_mean_square_of_real_scores():
    from artgan.losses import drift_penalty

    r = torch.tensor([1.0, -3.0])
    patch = torch.full((2, 1, 2, 2), 2.0)
    assert torch.isclose(drift_penalty([r, patch]), torch.tensor(5.0 + 4.0))


def test_gradient_penalty_with_a_batchnorm_critic_warns():
    rt = setup_runtime("cpu", "fp32", 1)
    with pytest.warns(UserWarning, match=r"wgan-gp with model 'dcgan'.*BatchNorm"):
        build_state(tiny_config(parse_override("loss.name=wgan-gp")), rt)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the presets' pairings stay silent
        build_state(tiny_config(), rt)  # dcgan + bce
        build_state(tiny_config(parse_override("model.name=sagan"),
                                parse_override("loss.name=wgan-gp")), rt)  # fmt: skip


def test_r1_is_the_squared_gradient_norm_on_real_images():
    # D(x) = <w, x>: ∇ₓD = w everywhere, so R1 = ‖w‖² whatever the images.
    critic = LinearCritic((3, 4, 4))
    with torch.no_grad():
        critic.w.mul_(3.0)
    r1 = r1_penalty(critic, torch.randn(5, 3, 4, 4))
    assert abs(r1.item() - 9.0) < 1e-4
    r1.backward()
    assert (critic.w.grad * critic.w).sum() > 0  # descent flattens D on the data

    # D(x) = ½‖x‖²: ∇ₓD = x, so R1 = E‖x‖², a per-image quantity (not of the batch).
    class Quadratic(nn.Module):
        def forward(self, x):
            return 0.5 * (x**2).flatten(1).sum(1)

    x = torch.randn(6, 1, 2, 2)
    expected = x.flatten(1).square().sum(1).mean()
    assert torch.allclose(r1_penalty(Quadratic(), x), expected, atol=1e-6)


@pytest.mark.parametrize(
    ("loss", "key"),
    [({"name": "hinge", "r1_gamma": 1.0, "reg_every": 2}, "r1"),
     ({"name": "wgan-gp", "reg_every": 3}, "gp")],
)  # fmt: skip
def test_lazy_regularisation_runs_the_penalty_every_k_critic_steps(loss, key, tiny_data):
    cfg = tiny_config({"model": {"name": "sagan"}, "loss": loss})
    rt = setup_runtime("cpu", "fp32", 1)
    state = build_state(cfg, rt)
    x = torch.from_numpy(tiny_data.images[:8]).permute(0, 3, 1, 2).float() / 127.5 - 1
    labels = torch.from_numpy(tiny_data.labels[:8])
    seen = [key in gan_step(state, lambda i: (x, labels), rt) for _ in range(6)]
    every = loss["reg_every"]
    assert seen == [t % every == 0 for t in range(6)]
