"""Steering generation: set MIGAN's interpretable codes, traverse one code, interpolate
between seeds.

Flat latents follow ``LatentSpec``: ``[z' | one-hot categorical (K) | continuous (L)]``.
Codes are named ``cat`` (the categorical value, 0 … K−1) and ``c1`` … ``cL``.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import torch
from torch import Tensor

from artgan.errors import ArtganError
from artgan.models import LatentSpec


def _check_name(name: str, latent: LatentSpec) -> None:
    names = code_names(latent)
    if not names:
        raise ArtganError("this model has no latent codes to steer (train migan for codes)")
    if name not in names:
        raise ArtganError(f"unknown code '{name}' (this model has: {', '.join(names)})")


def code_names(latent: LatentSpec) -> list[str]:
    names = ["cat"] if latent.n_categories else []
    return names + [f"c{i + 1}" for i in range(latent.n_continuous)]


CODE_LIMIT = 10.0  # continuous codes are trained on [-1, 1]; beyond ±10 is only noise


def check_code(name: str, value: float, latent: LatentSpec) -> float:
    """``value`` for code ``name`` if it is valid: finite, ``cat`` an integer 0…K−1, a
    continuous code within ±CODE_LIMIT; otherwise a one-line error."""
    _check_name(name, latent)
    if not math.isfinite(value):
        raise ArtganError(f"code {name} must be a finite number, got {value}")
    if name == "cat" and (value != int(value) or not 0 <= value < latent.n_categories):
        raise ArtganError(
            f"cat must be an integer from 0 to {latent.n_categories - 1}, got {value}"
        )
    if name != "cat" and abs(value) > CODE_LIMIT:
        raise ArtganError(
            f"{name} must lie within ±{CODE_LIMIT:g} (trained on [-1, 1]), got {value}"
        )
    return value


def parse_codes(items: list[str], latent: LatentSpec) -> dict[str, float]:
    """``["cat=3", "c1=0.5"]`` → ``{"cat": 3.0, "c1": 0.5}``, checked against the model."""
    codes: dict[str, float] = {}
    for item in items:
        if "=" not in item:
            raise ArtganError(f"--code '{item}' must look like NAME=VALUE, e.g. cat=3 or c1=0.5")
        name, raw = (x.strip() for x in item.split("=", 1))
        _check_name(name, latent)
        try:
            value = float(raw)
        except ValueError:
            raise ArtganError(f"--code {name}: '{raw}' is not a number") from None
        try:
            check_code(name, value, latent)
        except ArtganError as exc:
            raise ArtganError(f"--code {exc}") from None
        if name != "cat" and abs(value) > 1:
            warnings.warn(
                f"{name}={value} is outside [-1, 1], the range the codes were trained on; "
                f"expect extrapolated images",
                stacklevel=2,
            )
        codes[name] = value
    return codes


def apply_codes(latents: Tensor, codes: dict[str, float], latent: LatentSpec) -> Tensor:
    """Overwrite code slots of ``latents`` ``[N, dim]`` (a new tensor is returned)."""
    out = latents.clone()
    for name, value in codes.items():
        check_code(name, value, latent)
        if name == "cat":
            sl = slice(latent.z_dim, latent.z_dim + latent.n_categories)
            out[:, sl] = 0.0
            out[:, latent.z_dim + int(value)] = 1.0
        else:
            out[:, latent.z_dim + latent.n_categories + int(name[1:]) - 1] = value
    return out


def traverse(base: Tensor, code: str, steps: int, latent: LatentSpec) -> Tensor:
    """Vary one code with everything else fixed. ``base``: ``[R, dim]`` (one row per seed)
    → ``[R * S, dim]``, row-major: S = K values for ``cat``, else ``steps`` values in [-1, 1]."""
    _check_name(code, latent)
    if code == "cat":
        values = list(range(latent.n_categories))
    else:
        if steps < 2:
            raise ArtganError(f"--steps must be at least 2, got {steps}")
        values = np.linspace(-1.0, 1.0, steps).tolist()
    rows = [
        apply_codes(base[r : r + 1], {code: v}, latent) for r in range(len(base)) for v in values
    ]
    return torch.cat(rows)


def slerp(a: Tensor, b: Tensor, t: float) -> Tensor:
    """Spherical interpolation of Gaussian vectors (keeps their norm typical)."""
    an, bn = a / a.norm(dim=-1, keepdim=True), b / b.norm(dim=-1, keepdim=True)
    omega = torch.acos((an * bn).sum(-1, keepdim=True).clamp(-1 + 1e-7, 1 - 1e-7))
    so = torch.sin(omega)
    if float(so.abs().min()) < 1e-6:
        return (1 - t) * a + t * b
    return (torch.sin((1 - t) * omega) / so) * a + (torch.sin(t * omega) / so) * b


def interpolate(a: Tensor, b: Tensor, steps: int, latent: LatentSpec) -> Tensor:
    """``[dim]`` and ``[dim]`` → ``[steps, dim]``: slerp on z', linear on the codes
    (a blended one-hot is a valid soft input for the generator)."""
    if steps < 2:
        raise ArtganError(f"--steps must be at least 2, got {steps}")
    out = []
    for t in np.linspace(0.0, 1.0, steps):
        z = slerp(a[: latent.z_dim], b[: latent.z_dim], float(t))
        codes = (1 - t) * a[latent.z_dim :] + t * b[latent.z_dim :]
        out.append(torch.cat([z, codes.to(z)]))
    return torch.stack(out)


def interpolate_path(ends: Tensor, steps: int, latent: LatentSpec) -> Tensor:
    """Through ``ends`` ``[M, dim]`` in order, ``steps`` images per segment, shared
    endpoints once: ``[(M − 1)·(steps − 1) + 1, dim]``."""
    segments = [interpolate(ends[i], ends[i + 1], steps, latent) for i in range(len(ends) - 1)]
    return torch.cat([seg[:-1] for seg in segments[:-1]] + [segments[-1]])


def code_spread(images: np.ndarray, rows: int) -> tuple[float, float]:
    """How much the categorical code moves an image against how much z' does.

    ``images``: a categorical traversal ``[rows * K, R, R, 3]`` uint8 (row r: one seed,
    the K code values in order, as :func:`traverse` lays them out) → (mean per-pixel std
    across the K codes with the seed fixed, mean per-pixel std across the seeds with the
    code fixed), both on the 0–255 scale."""
    per_row = images.reshape(rows, len(images) // rows, -1).astype(np.float64)
    return float(per_row.std(axis=1).mean()), float(per_row.std(axis=0).mean())
