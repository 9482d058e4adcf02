"""Diffusion math (#21): schedules against their closed forms, the forward process, DDPM
and DDIM steps, the η = 1 ≡ DDPM identity, the sampling loop and the ε loss."""

from __future__ import annotations

import math

import pytest
import torch

from artgan.errors import ArtganError
from artgan.models.diffusion import (
    Schedule,
    cosine_betas,
    ddim_mean_sigma,
    ddim_step,
    ddpm_mean_var,
    ddpm_step,
    linear_betas,
    loss_eps,
    make_schedule,
    predict_x0,
    q_sample,
    sample,
    sampling_timesteps,
)


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _toy_eps(x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """A fixed, per-element function of (x_t, t): a stand-in network with no batch mixing."""
    return 0.3 * x + 0.01 * t.to(x.dtype).reshape(-1, *([1] * (x.dim() - 1)))


def test_linear_betas_endpoints_and_spacing():
    b = linear_betas(10)
    assert b.dtype == torch.float64 and b.shape == (10,)
    assert math.isclose(float(b[0]), 1e-4, rel_tol=1e-12)
    assert math.isclose(float(b[-1]), 2e-2, rel_tol=1e-12)
    steps = b.diff()
    assert torch.allclose(steps, torch.full_like(steps, (2e-2 - 1e-4) / 9), rtol=1e-9)
    custom = linear_betas(5, beta_start=0.1, beta_end=0.5)
    assert torch.allclose(custom, torch.tensor([0.1, 0.2, 0.3, 0.4, 0.5], dtype=torch.float64))


def test_cosine_alphas_cumprod_is_f_t_over_f_0_up_to_the_clip():
    T, s, max_beta = 50, 0.008, 0.999
    betas = cosine_betas(T, s, max_beta)
    assert betas.dtype == torch.float64 and betas.shape == (T,)
    assert bool((betas > 0).all()) and bool((betas <= max_beta).all())
    assert float(betas[-1]) == max_beta  # f(T) = cos²(π/2) ≈ 0: the last beta is clipped

    def f(t: float) -> float:
        return math.cos((t / T + s) / (1 + s) * math.pi / 2) ** 2

    clipped = (betas == max_beta).nonzero()
    first_clip = int(clipped[0]) if len(clipped) else T
    assert first_clip > T // 2
    ac = Schedule.from_betas(betas).alphas_cumprod
    expected = torch.tensor([f(i + 1) / f(0) for i in range(T)], dtype=torch.float64)
    assert torch.allclose(ac[:first_clip], expected[:first_clip], rtol=1e-10, atol=0)
    # From the clip on, ᾱ follows the clipped betas instead.
    assert torch.allclose(ac[first_clip], ac[first_clip - 1] * (1 - max_beta), rtol=1e-12)


@pytest.mark.parametrize("kind", ["linear", "cosine"])
def test_schedule_constants(kind):
    sch = make_schedule(kind, 40)
    ac, prev, b = sch.alphas_cumprod, sch.alphas_cumprod_prev, sch.betas
    assert sch.T == 40
    for v in (b, ac, prev, sch.posterior_variance):
        assert v.dtype == torch.float64 and v.shape == (40,)
    assert bool((ac > 0).all()) and bool((ac < 1).all())
    assert bool((ac.diff() < 0).all())  # strictly decreasing: every step adds noise
    assert float(prev[0]) == 1.0 and torch.equal(prev[1:], ac[:-1])
    assert torch.allclose(sch.alphas, 1 - b)
    assert torch.allclose(sch.posterior_variance, b * (1 - prev) / (1 - ac))
    assert float(sch.posterior_variance[0]) == 0.0  # x_0 given x_1 and x̂₀ is x̂₀
    assert bool((sch.posterior_variance <= b).all())  # β̃_t ≤ β_t ("fixed small")


def test_bad_betas_and_unknown_schedule():
    with pytest.raises(ValueError, match="betas"):
        Schedule.from_betas(torch.tensor([0.1, 1.0]))
    with pytest.raises(ValueError, match="betas"):
        Schedule.from_betas(torch.tensor([]))
    with pytest.raises(ValueError, match="unknown beta schedule"):
        make_schedule("quadratic", 10)  # type: ignore[arg-type]


def test_q_sample_formula_and_statistics():
    sch = make_schedule("linear", 100)
    x0 = torch.full((2, 1, 100, 100), 0.5)
    t = torch.tensor([3, 80])
    noise = torch.randn(x0.shape, generator=_gen(0))
    x_t = q_sample(sch, x0, t, noise)
    assert x_t.shape == x0.shape and x_t.dtype == torch.float32
    ac = sch.alphas_cumprod[t].float()
    a = ac.sqrt().reshape(2, 1, 1, 1)
    assert torch.allclose(x_t, a * x0 + (1 - ac).sqrt().reshape(2, 1, 1, 1) * noise, atol=1e-6)
    for i in range(2):  # 10,000 pixels per image: the mean to ±0.01, the std to ±0.7%
        pixels = x_t[i].flatten()
        assert abs(float(pixels.mean()) - 0.5 * math.sqrt(float(ac[i]))) < 0.04
        assert abs(float(pixels.std()) - math.sqrt(1 - float(ac[i]))) < 0.03
    with pytest.raises(ValueError, match="timesteps"):
        q_sample(sch, x0, torch.tensor([0, 100]), noise)
    with pytest.raises(ValueError, match="timesteps"):  # −1 must not wrap around to T − 1
        q_sample(sch, x0, torch.tensor([0, -1]), noise)


def test_predict_x0_inverts_q_sample():
    sch = make_schedule("cosine", 30)
    x0 = torch.rand(3, 3, 4, 4, generator=_gen(1), dtype=torch.float64) * 2 - 1
    noise = torch.randn(x0.shape, generator=_gen(2), dtype=torch.float64)
    t = torch.tensor([0, 14, 28])
    x_t = q_sample(sch, x0, t, noise)
    assert torch.allclose(predict_x0(sch, noise, x_t, t, clip_x0=False), x0, atol=1e-9)
    far = predict_x0(sch, -10 * noise, x_t, t, clip_x0=True)
    assert far.abs().max() <= 1.0


def test_ddim_eta0_is_deterministic():
    sch = make_schedule("linear", 20)
    x_t = torch.randn(2, 3, 4, 4, generator=_gen(0))
    eps = torch.randn(2, 3, 4, 4, generator=_gen(1))
    t, t_prev = torch.tensor([10, 10]), torch.tensor([5, 5])
    a = ddim_step(sch, eps, x_t, t, t_prev, 0.0, torch.randn(x_t.shape, generator=_gen(2)))
    b = ddim_step(sch, eps, x_t, t, t_prev, 0.0, torch.randn(x_t.shape, generator=_gen(3)))
    assert torch.equal(a, b)
    assert torch.equal(a, ddim_step(sch, eps, x_t, t, t_prev, 0.0))  # no noise needed
    with pytest.raises(ValueError, match="needs noise"):
        ddim_step(sch, eps, x_t, t, t_prev, 0.5)
    x_T = torch.randn(2, 3, 4, 4, generator=_gen(4))
    outs = [sample(sch, _toy_eps, (2, 3, 4, 4), 5, 0.0, _gen(seed), x_T=x_T) for seed in (5, 6)]
    assert torch.equal(outs[0], outs[1])


@pytest.mark.parametrize("kind", ["linear", "cosine"])
@pytest.mark.parametrize("clip_x0", [False, True])
def test_ddim_eta1_step_is_the_ddpm_step(kind, clip_x0):
    """σ_t(1) = √β̃_t and the same mean (the identity in diffusion.py's docstring)."""
    sch = make_schedule(kind, 20)
    x_t = torch.randn(2, 3, 4, 4, generator=_gen(0), dtype=torch.float64)
    eps = torch.randn(2, 3, 4, 4, generator=_gen(1), dtype=torch.float64)
    noise = torch.randn(2, 3, 4, 4, generator=_gen(2), dtype=torch.float64)
    for step in range(sch.T):
        t = torch.full((2,), step)
        mean_p, var_p = ddpm_mean_var(sch, eps, x_t, t, clip_x0)
        mean_i, sigma_i = ddim_mean_sigma(sch, eps, x_t, t, t - 1, 1.0, clip_x0)
        assert torch.allclose(sigma_i, var_p.sqrt(), rtol=1e-10, atol=1e-14), step
        assert torch.allclose(mean_i, mean_p, rtol=1e-9, atol=1e-10), step
        assert torch.allclose(ddim_step(sch, eps, x_t, t, t - 1, 1.0, noise, clip_x0),
                              ddpm_step(sch, eps, x_t, t, noise, clip_x0),
                              rtol=1e-9, atol=1e-10)  # fmt: skip


@pytest.mark.parametrize("clip_x0", [False, True])
def test_ddim_eta1_all_steps_samples_what_ddpm_samples(clip_x0):
    sch = make_schedule("cosine", 20)
    shape = (3, 3, 4, 4)
    kw = {"dtype": torch.float64, "clip_x0": clip_x0}
    ddpm = sample(sch, _toy_eps, shape, None, 0.0, _gen(7), "ddpm", **kw)
    ddim = sample(sch, _toy_eps, shape, 20, 1.0, _gen(7), "ddim", **kw)
    assert ddpm.dtype == torch.float64 and torch.isfinite(ddpm).all()
    assert torch.allclose(ddim, ddpm, rtol=1e-8, atol=1e-9)
    other = sample(sch, _toy_eps, shape, 20, 1.0, _gen(8), "ddim", **kw)
    assert not torch.allclose(other, ddpm)  # the noise matters at η = 1


@pytest.mark.parametrize(("method", "steps", "eta"), [("ddpm", None, 0.0), ("ddim", 4, 0.0),
                                                      ("ddim", 4, 1.0)])  # fmt: skip
def test_the_ideal_denoiser_of_one_image_samples_that_image(method, steps, eta):
    """With ε(x_t, t) = (x_t − √ᾱ_t·c)/√(1 − ᾱ_t), the exact ε for data that is always c,
    x̂₀ = c at every step and every sampler must end on c."""
    sch = make_schedule("linear", 30)
    c = torch.linspace(-0.8, 0.8, 48, dtype=torch.float64).reshape(1, 3, 4, 4)
    ac = sch.alphas_cumprod

    def ideal(x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        a = ac[t].reshape(-1, 1, 1, 1)
        return (x - a.sqrt() * c) / (1 - a).sqrt()

    out = sample(sch, ideal, (2, 3, 4, 4), steps, eta, _gen(0), method, dtype=torch.float64)
    assert torch.allclose(out, c.expand(2, -1, -1, -1), atol=1e-8)


def test_sampling_timesteps():
    assert torch.equal(sampling_timesteps(10, 10), torch.arange(9, -1, -1))
    ts = sampling_timesteps(1000, 50)
    assert ts.dtype == torch.long and ts.shape == (50,)
    assert int(ts[0]) == 999 and int(ts[-1]) == 0
    assert bool((ts.diff() < 0).all())
    gaps = -ts.diff()
    assert int(gaps.min()) >= 20 and int(gaps.max()) <= 21  # 999 / 49 ≈ 20.4, rounded
    assert sampling_timesteps(1000, 1).tolist() == [999]
    assert sampling_timesteps(7, 2).tolist() == [6, 0]
    for bad in (0, 11):
        with pytest.raises(ArtganError, match="steps must be from 1 to 10"):
            sampling_timesteps(10, bad)


def test_sample_shapes_generators_and_refusals():
    sch = make_schedule("linear", 10)
    out = sample(sch, _toy_eps, (2, 3, 8, 8), 3, 0.0, _gen(0))
    assert out.shape == (2, 3, 8, 8) and out.dtype == torch.float32
    assert out.abs().max() <= 1.0 + 1e-6  # the last step lands on a clipped x̂₀
    with pytest.raises(ArtganError, match="DDPM samples all 10 steps"):
        sample(sch, _toy_eps, (2, 3, 8, 8), 5, 0.0, _gen(0), "ddpm")
    with pytest.raises(ValueError, match="unknown sampler"):
        sample(sch, _toy_eps, (2, 3, 8, 8), 5, 0.0, _gen(0), "euler")  # type: ignore[arg-type]
    # One generator per image: image i depends on its own generator alone (generate's rule).
    both = sample(sch, _toy_eps, (2, 3, 8, 8), 4, 1.0, [_gen(11), _gen(12)])
    alone = sample(sch, _toy_eps, (1, 3, 8, 8), 4, 1.0, [_gen(12)])
    assert torch.allclose(both[1:], alone, atol=1e-6)
    with pytest.raises(ValueError, match="generators for a batch"):
        sample(sch, _toy_eps, (2, 3, 8, 8), 4, 1.0, [_gen(1)])


def test_loss_eps_is_the_mse_to_the_noise():
    sch = make_schedule("cosine", 50)
    x0 = torch.rand(4, 3, 8, 8, generator=_gen(0)) * 2 - 1
    noise = torch.randn(x0.shape, generator=_gen(1))
    t = torch.tensor([0, 10, 25, 49])
    assert float(loss_eps(sch, lambda x_t, t: noise, x0, t, noise)) == 0.0
    zero = loss_eps(sch, lambda x_t, t: torch.zeros_like(x_t), x0, t, noise)
    assert zero.dim() == 0 and torch.allclose(zero, noise.square().mean())
    seen: list[torch.Tensor] = []

    def spy(x_t: torch.Tensor, tt: torch.Tensor) -> torch.Tensor:
        seen.append(x_t)
        return torch.zeros_like(x_t)

    loss_eps(sch, spy, x0, t, noise)
    assert torch.allclose(seen[0], q_sample(sch, x0, t, noise))
