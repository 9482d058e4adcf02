"""Gaussian diffusion as tensor math (#21, not yet a registered model): beta schedules, the
forward process, one reverse step of DDPM (Ho et al. 2020) or DDIM (Song et al. 2021), the
sampling loop and the ε-prediction loss. No network here: ``eps_fn(x_t, t)`` is any
callable from ``[B, C, H, W]`` and ``t [B]`` (long) to ε ``[B, C, H, W]``, e.g.
:class:`artgan.nn.unet.UNet`.

Timesteps are 0-based, as in Ho et al.'s code: ``t = 0 … T − 1`` indexes ``betas``, so
step ``t`` here is step ``t + 1`` of the papers, and ``ᾱ_t = Π_{s ≤ t} (1 − β_s)``.
``t = −1`` is the clean image (ᾱ = 1), where the last reverse step lands.

The schedule is float64: ᾱ is a product of up to a thousand factors near 1, and
``1 − ᾱ_t`` near t = 0 loses most of its digits in float32. A step gathers its
coefficients on the CPU in float64 and casts them to the dtype of ``x_t`` (so MPS, which
has no float64, works too).

**DDIM with η = 1 over all T steps is DDPM with the "fixed small" variance β̃_t.**
DDIM (eq. 12) goes from t to t_prev with σ_t(η)² = η² · (1 − ᾱ_prev)/(1 − ᾱ_t) ·
(1 − ᾱ_t/ᾱ_prev). With η = 1 and t_prev = t − 1, 1 − ᾱ_t/ᾱ_{t−1} = β_t, so
σ_t(1)² = β_t (1 − ᾱ_{t−1})/(1 − ᾱ_t) = β̃_t, DDPM's posterior variance. The means agree
too: 1 − ᾱ_{t−1} − β̃_t = α_t (1 − ᾱ_{t−1})²/(1 − ᾱ_t), so DDIM's
√ᾱ_{t−1}·x̂₀ + √(1 − ᾱ_{t−1} − σ²)·ε is c₁·x̂₀ + c₂·x_t with DDPM's posterior
coefficients c₁ = β_t √ᾱ_{t−1}/(1 − ᾱ_t), c₂ = √α_t (1 − ᾱ_{t−1})/(1 − ᾱ_t), once ε is
written as (x_t − √ᾱ_t·x̂₀)/√(1 − ᾱ_t). Both steps are therefore the same Gaussian, and
given the same noise the same x_{t−1}, up to rounding (they are computed by different
formulas: float64 agrees to ~1e-12). With ``clip_x0`` DDIM re-derives ε from the clipped
x̂₀ (as guided-diffusion does), which keeps both means the same function of (x̂₀, x_t),
so the identity holds with clipping too. :func:`sample` draws one noise tensor per step
whichever the method, so DDPM and DDIM(η=1, all steps) from one seed make the same images.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

import torch
import torch.nn.functional as F
from torch import Tensor

from artgan.errors import ArtganError

EpsFn = Callable[[Tensor, Tensor], Tensor]  # (x_t [B, C, H, W], t [B] long) → ε [B, C, H, W]
Generators = torch.Generator | Sequence[torch.Generator] | None


def linear_betas(T: int, beta_start: float = 1e-4, beta_end: float = 2e-2) -> Tensor:
    """``[T]`` float64, evenly spaced from ``beta_start`` to ``beta_end`` (Ho et al.'s
    schedule; their values are for T = 1000, and are not rescaled for other T here)."""
    return torch.linspace(beta_start, beta_end, T, dtype=torch.float64)


def cosine_betas(T: int, s: float = 0.008, max_beta: float = 0.999) -> Tensor:
    """``[T]`` float64 from Nichol & Dhariwal's (2021) cosine schedule: ᾱ_t = f(t)/f(0) with
    f(t) = cos²(((t/T) + s)/(1 + s) · π/2), i.e. β_t = 1 − f(t + 1)/f(t) for index t,
    clipped to ``max_beta`` (the last betas tend to 1, where x_t would carry no signal and
    the reverse step would divide by ~0). ``s`` keeps β at t = 0 from being ~0."""
    steps = torch.arange(T + 1, dtype=torch.float64)
    f = torch.cos((steps / T + s) / (1 + s) * (math.pi / 2)) ** 2
    return (1 - f[1:] / f[:-1]).clamp(max=max_beta)


@dataclass(frozen=True, eq=False)
class Schedule:
    """The float64 constants of a T-step diffusion, each ``[T]``, indexed by t = 0 … T − 1."""

    betas: Tensor  # β_t
    alphas_cumprod: Tensor  # ᾱ_t
    alphas_cumprod_prev: Tensor  # ᾱ_{t−1}; 1 at t = 0
    posterior_variance: Tensor  # β̃_t = β_t (1 − ᾱ_{t−1})/(1 − ᾱ_t); 0 at t = 0
    posterior_mean_coef1: Tensor  # c₁ of x̂₀ in the posterior mean μ̃_t = c₁·x̂₀ + c₂·x_t
    posterior_mean_coef2: Tensor  # c₂ of x_t

    @classmethod
    def from_betas(cls, betas: Tensor) -> Schedule:
        b = betas.detach().to(device="cpu", dtype=torch.float64)
        if b.dim() != 1 or len(b) == 0 or not bool(((b > 0) & (b < 1)).all()):
            raise ValueError("betas must be a non-empty 1-d tensor of values in (0, 1)")
        ac = torch.cumprod(1 - b, dim=0)
        prev = torch.cat([ac.new_ones(1), ac[:-1]])
        return cls(
            betas=b,
            alphas_cumprod=ac,
            alphas_cumprod_prev=prev,
            posterior_variance=b * (1 - prev) / (1 - ac),
            posterior_mean_coef1=b * prev.sqrt() / (1 - ac),
            posterior_mean_coef2=(1 - b).sqrt() * (1 - prev) / (1 - ac),
        )

    @property
    def T(self) -> int:
        return len(self.betas)

    @property
    def alphas(self) -> Tensor:
        return 1 - self.betas


def make_schedule(kind: Literal["linear", "cosine"], T: int) -> Schedule:
    """The schedule a model config would name, with each schedule's default constants."""
    if kind == "linear":
        return Schedule.from_betas(linear_betas(T))
    if kind == "cosine":
        return Schedule.from_betas(cosine_betas(T))
    raise ValueError(f"unknown beta schedule '{kind}' (have: linear, cosine)")


def _alpha_bar(schedule: Schedule, t: Tensor) -> Tensor:
    """ᾱ at ``t [B]`` as ``[B]`` float64 on the CPU, with ᾱ = 1 at t = −1 (the clean image)."""
    t = t.detach().cpu().long()
    if bool(((t < -1) | (t >= schedule.T)).any()):
        raise ValueError(f"timesteps must be in [-1, {schedule.T}), got {t.tolist()}")
    return torch.cat([torch.ones(1, dtype=torch.float64), schedule.alphas_cumprod])[t + 1]


def _col(v: Tensor, x: Tensor) -> Tensor:
    """Per-image values ``[B]`` (float64, CPU) → ``[B, 1, …, 1]`` in ``x``'s dtype and device."""
    return v.to(x.dtype).to(x.device).reshape(-1, *([1] * (x.dim() - 1)))


def _at(values: Tensor, t: Tensor, x: Tensor) -> Tensor:
    """``values[t]`` for ``t [B]`` in 0 … T − 1, as ``[B, 1, …, 1]`` like ``x``."""
    t = t.detach().cpu().long()
    if bool(((t < 0) | (t >= len(values))).any()):  # a −1 would silently read index T − 1
        raise ValueError(f"timesteps must be in [0, {len(values)}), got {t.tolist()}")
    return _col(values[t], x)


def q_sample(schedule: Schedule, x0: Tensor, t: Tensor, noise: Tensor) -> Tensor:
    """x_t ~ q(x_t | x₀) = N(√ᾱ_t·x₀, (1 − ᾱ_t)·I), drawn with the given ``noise``:
    ``x0, noise [B, C, H, W]``, ``t [B]`` → ``[B, C, H, W]``."""
    ac = schedule.alphas_cumprod
    return _at(ac.sqrt(), t, x0) * x0 + _at((1 - ac).sqrt(), t, x0) * noise


def predict_x0(
    schedule: Schedule, eps: Tensor, x_t: Tensor, t: Tensor, clip_x0: bool = True
) -> Tensor:
    """x̂₀ = (x_t − √(1 − ᾱ_t)·ε)/√ᾱ_t, ``[B, C, H, W]``; clipped to the image range
    [-1, 1] with ``clip_x0`` (early, noisy steps otherwise predict far outside it)."""
    ac = schedule.alphas_cumprod
    x0 = _at(ac.rsqrt(), t, x_t) * x_t - _at((1 / ac - 1).sqrt(), t, x_t) * eps
    return x0.clamp(-1.0, 1.0) if clip_x0 else x0


def ddpm_mean_var(
    schedule: Schedule, eps: Tensor, x_t: Tensor, t: Tensor, clip_x0: bool = True
) -> tuple[Tensor, Tensor]:
    """DDPM's p(x_{t−1} | x_t): the posterior mean μ̃_t(x_t, x̂₀) ``[B, C, H, W]`` and the
    "fixed small" variance β̃_t ``[B, 1, 1, 1]`` (Ho et al. §3.2: σ_t² = β̃_t)."""
    x0 = predict_x0(schedule, eps, x_t, t, clip_x0)
    mean = _at(schedule.posterior_mean_coef1, t, x_t) * x0
    mean = mean + _at(schedule.posterior_mean_coef2, t, x_t) * x_t
    return mean, _at(schedule.posterior_variance, t, x_t)


def ddpm_step(
    schedule: Schedule, eps: Tensor, x_t: Tensor, t: Tensor, noise: Tensor, clip_x0: bool = True
) -> Tensor:
    """One ancestral step x_t → x_{t−1} = μ̃_t + √β̃_t·noise, ``noise`` ~ N(0, I) like
    ``x_t`` (the caller draws it, from a counter-based generator). β̃ is 0 at t = 0, so the
    last step adds no noise."""
    mean, var = ddpm_mean_var(schedule, eps, x_t, t, clip_x0)
    return mean + var.sqrt() * noise


def ddim_mean_sigma(
    schedule: Schedule,
    eps: Tensor,
    x_t: Tensor,
    t: Tensor,
    t_prev: Tensor,
    eta: float,
    clip_x0: bool = True,
) -> tuple[Tensor, Tensor]:
    """DDIM's step from ``t`` to an earlier ``t_prev`` (−1: to the clean image), Song et
    al. eq. 12: mean √ᾱ_prev·x̂₀ + √(1 − ᾱ_prev − σ²)·ε ``[B, C, H, W]`` and
    σ_t(η) = η·√((1 − ᾱ_prev)/(1 − ᾱ_t))·√(1 − ᾱ_t/ᾱ_prev) ``[B, 1, 1, 1]``.
    η = 0 is deterministic; η = 1 with t_prev = t − 1 is DDPM (module docstring)."""
    if bool((t_prev.cpu() >= t.cpu()).any()):
        raise ValueError("DDIM steps backwards: t_prev must be smaller than t")
    a_t, a_prev = _alpha_bar(schedule, t), _alpha_bar(schedule, t_prev)
    sigma = eta * ((1 - a_prev) / (1 - a_t) * (1 - a_t / a_prev)).sqrt()
    x0 = predict_x0(schedule, eps, x_t, t, clip_x0)
    if clip_x0:  # the ε the clipped x̂₀ implies: keeps the η = 1 ≡ DDPM identity
        eps = (x_t - _col(a_t.sqrt(), x_t) * x0) / _col((1 - a_t).sqrt(), x_t)
    # clamp: at η = 1 the radicand is ~0 on the last step and can round below it
    direction = (1 - a_prev - sigma**2).clamp(min=0).sqrt()
    mean = _col(a_prev.sqrt(), x_t) * x0 + _col(direction, x_t) * eps
    return mean, _col(sigma, x_t)


def ddim_step(
    schedule: Schedule,
    eps: Tensor,
    x_t: Tensor,
    t: Tensor,
    t_prev: Tensor,
    eta: float,
    noise: Tensor | None = None,
    clip_x0: bool = True,
) -> Tensor:
    """One DDIM step x_t → x_{t_prev} = mean + σ_t(η)·noise; ``noise`` ~ N(0, I) like
    ``x_t``, needed only when η > 0 (with η = 0, σ = 0 and the noise has no effect)."""
    mean, sigma = ddim_mean_sigma(schedule, eps, x_t, t, t_prev, eta, clip_x0)
    if noise is None:
        if eta != 0:
            raise ValueError("a DDIM step with eta > 0 needs noise")
        return mean
    return mean + sigma * noise


def sampling_timesteps(T: int, steps: int) -> Tensor:
    """The ``steps`` timesteps a sampler visits, ``[steps]`` long, from T − 1 down to 0,
    evenly spaced (rounded; all T when ``steps == T``). One step starts at T − 1."""
    if not 1 <= steps <= T:
        raise ArtganError(f"steps must be from 1 to {T} (the model's diffusion steps), got {steps}")
    if steps == 1:
        return torch.tensor([T - 1])
    return torch.linspace(T - 1, 0, steps, dtype=torch.float64).round().long()


def _randn(shape: tuple[int, ...], generator: Generators, dtype: torch.dtype) -> Tensor:
    """N(0, I) ``shape`` on the CPU: from one generator, or row i from ``generator[i]``, so
    that image i depends on its own generator alone (``artgan generate``'s seed rule)."""
    if generator is None or isinstance(generator, torch.Generator):
        return torch.randn(shape, generator=generator, dtype=dtype)
    gens = list(generator)
    if len(gens) != shape[0]:
        raise ValueError(f"{len(gens)} generators for a batch of {shape[0]}")
    return torch.cat([torch.randn((1, *shape[1:]), generator=g, dtype=dtype) for g in gens])


@torch.no_grad()
def sample(
    schedule: Schedule,
    eps_fn: EpsFn,
    shape: tuple[int, ...],
    steps: int | None = None,
    eta: float = 0.0,
    generator: Generators = None,
    method: Literal["ddim", "ddpm"] = "ddim",
    *,
    x_T: Tensor | None = None,
    device: torch.device | str = "cpu",
    dtype: torch.dtype = torch.float32,
    clip_x0: bool = True,
) -> Tensor:
    """Images ``shape = [B, C, H, W]`` from noise: x_T ~ N(0, I) (or ``x_T``), then
    ``steps`` reverse steps (default: all T) over :func:`sampling_timesteps`.

    ``method="ddim"``: DDIM with ``eta`` on that subsequence (η = 0: deterministic given
    x_T; η = 1: ancestral). ``method="ddpm"``: DDPM's ancestral steps with β̃_t, all T of
    them (fewer is DDIM with η = 1 on a subsequence, which is what a respaced DDPM is).
    Noise comes from ``generator`` on the CPU (one, or one per image); x_T is drawn first,
    then one noise tensor per step whichever the method, so DDPM and DDIM(η = 1, all steps)
    from the same generator see the same noise. ``eps_fn`` gets ``t`` on ``device``.
    """
    steps = schedule.T if steps is None else steps
    if method not in ("ddim", "ddpm"):
        raise ValueError(f"unknown sampler '{method}' (have: ddim, ddpm)")
    if method == "ddpm" and steps != schedule.T:
        raise ArtganError(
            f"DDPM samples all {schedule.T} steps; for {steps}, use DDIM with eta=1 "
            f"(the same ancestral sampler on a subsequence) or eta=0"
        )
    ts = sampling_timesteps(schedule.T, steps).tolist()
    x = _randn(shape, generator, dtype) if x_T is None else x_T.to(dtype)
    x = x.to(device)
    b = x.shape[0]
    for i, step in enumerate(ts):
        t = torch.full((b,), step, dtype=torch.long)
        eps = eps_fn(x, t.to(device)).to(dtype)
        noise = _randn(tuple(x.shape), generator, dtype).to(device)
        if method == "ddpm":
            x = ddpm_step(schedule, eps, x, t, noise, clip_x0)
        else:
            t_prev = torch.full((b,), ts[i + 1] if i + 1 < len(ts) else -1, dtype=torch.long)
            x = ddim_step(schedule, eps, x, t, t_prev, eta, noise, clip_x0)
    return x


def loss_eps(schedule: Schedule, eps_fn: EpsFn, x0: Tensor, t: Tensor, noise: Tensor) -> Tensor:
    """Ho et al.'s L_simple: the mean squared error between ``noise`` and the network's
    prediction from x_t = :func:`q_sample` (x0, t, noise); a scalar (float32, whatever the
    autocast dtype of the prediction)."""
    x_t = q_sample(schedule, x0, t, noise)
    return F.mse_loss(eps_fn(x_t, t).float(), noise.float())
