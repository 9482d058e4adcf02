"""FID and KID from feature matrices, in float64.

FID (Heusel et al. 2017): ``|mu1 - mu2|² + tr(S1) + tr(S2) - 2 tr((S1 S2)^½)``. The
references (pytorch-fid, clean-fid) take ``scipy.linalg.sqrtm`` of the non-symmetric
product ``S1 S2`` and retry with ``eps`` added to the diagonals when that fails on
near-singular covariances (always the case with fewer images than feature dimensions).
Only the trace is needed, and ``S1 S2`` is similar to the symmetric PSD matrix
``S1^½ S2 S1^½``, so here ``tr((S1 S2)^½) = Σ sqrt(eig(S1^½ S2 S1^½))`` with two
symmetric eigendecompositions: no scipy, no complex parts, no eps, and singular
covariances are exact (round-off negatives are clipped to zero).

KID (Bińkowski et al. 2018): unbiased MMD² with the cubic polynomial kernel
``k(x, y) = (x·y / D + 1)³``, averaged over random subsets of equal size, as in
torchmetrics and clean-fid. With fewer images than the subset size, the subset size
shrinks to the smaller set; if that equals both set sizes every subset is the full set
and the estimate is exact (std 0).
"""

from __future__ import annotations

import numpy as np
import torch

from artgan.errors import ArtganError

# Kernel matrices for up to this many images per set are computed once and indexed per
# subset (3 × 3000² float64 ≈ 220 MB); larger sets compute each subset's kernels.
_KID_PRECOMPUTE_MAX = 3000


def _as_features(feats: np.ndarray | torch.Tensor, what: str, min_n: int) -> np.ndarray:
    """``[N, D]`` array-like → float64 ndarray, checked: 2-D, finite, at least ``min_n`` rows."""
    if isinstance(feats, torch.Tensor):
        feats = feats.detach().cpu().numpy()
    f = np.asarray(feats, dtype=np.float64)
    if f.ndim != 2:
        raise ArtganError(f"{what} needs a [N, D] feature matrix, got shape {f.shape}")
    if f.shape[0] < min_n:
        raise ArtganError(f"{what} needs at least {min_n} images per set, got {f.shape[0]}")
    if not np.isfinite(f).all():
        raise ArtganError(f"{what}: features contain NaN or infinite values")
    return f


def feature_stats(feats: np.ndarray | torch.Tensor) -> tuple[np.ndarray, np.ndarray]:
    """Mean ``[D]`` and unbiased covariance ``[D, D]`` (float64) of ``feats`` ``[N, D]``, N ≥ 2."""
    f = _as_features(feats, "FID", 2)
    mu = f.mean(axis=0)
    centred = f - mu  # centring first avoids the cancellation of E[xxᵀ] - μμᵀ
    sigma = centred.T @ centred / (f.shape[0] - 1)
    return mu, sigma


def _psd_sqrt(s: np.ndarray) -> np.ndarray:
    """Symmetric square root of a symmetric PSD matrix ``[D, D]``."""
    w, v = np.linalg.eigh((s + s.T) / 2)
    return (v * np.sqrt(np.clip(w, 0.0, None))) @ v.T


def trace_sqrt_product(sigma1: np.ndarray, sigma2: np.ndarray) -> float:
    """``tr((sigma1 sigma2)^½)`` for symmetric PSD ``[D, D]`` matrices, via symmetric eigh."""
    r = _psd_sqrt(sigma1)
    m = r @ sigma2 @ r
    w = np.linalg.eigvalsh((m + m.T) / 2)
    return float(np.sqrt(np.clip(w, 0.0, None)).sum())


def frechet_distance(
    mu1: np.ndarray, sigma1: np.ndarray, mu2: np.ndarray, sigma2: np.ndarray
) -> float:
    """Fréchet distance between N(mu1, sigma1) and N(mu2, sigma2): ``[D]``, ``[D, D]`` each.

    Clamped at 0: a squared distance that comes out at -1e-12 is round-off.
    """
    mu1, mu2 = np.asarray(mu1, np.float64), np.asarray(mu2, np.float64)
    s1, s2 = np.asarray(sigma1, np.float64), np.asarray(sigma2, np.float64)
    d = mu1.shape[0] if mu1.ndim == 1 else -1
    if mu2.shape != (d,) or s1.shape != (d, d) or s2.shape != (d, d):
        raise ArtganError(
            f"FID statistics do not match: mu {mu1.shape} / {mu2.shape}, "
            f"sigma {s1.shape} / {s2.shape}"
        )
    diff = mu1 - mu2
    value = diff @ diff + np.trace(s1) + np.trace(s2) - 2.0 * trace_sqrt_product(s1, s2)
    return max(float(value), 0.0)


def fid_from_features(
    feats1: np.ndarray | torch.Tensor, feats2: np.ndarray | torch.Tensor
) -> float:
    """FID between two feature sets ``[N1, D]`` and ``[N2, D]`` (each N ≥ 2)."""
    mu1, s1 = feature_stats(feats1)
    mu2, s2 = feature_stats(feats2)
    return frechet_distance(mu1, s1, mu2, s2)


def _poly_kernel(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    return (x @ y.T / x.shape[1] + 1.0) ** 3


def _mmd2_unbiased(kxx: np.ndarray, kyy: np.ndarray, kxy: np.ndarray) -> float:
    """Unbiased MMD² from ``[m, m]`` kernel blocks (diagonals of kxx, kyy left out)."""
    m = kxx.shape[0]
    within = (kxx.sum() - np.trace(kxx) + kyy.sum() - np.trace(kyy)) / (m * (m - 1))
    return float(within - 2.0 * kxy.sum() / (m * m))


def kid_from_features(
    feats1: np.ndarray | torch.Tensor,
    feats2: np.ndarray | torch.Tensor,
    subsets: int = 100,
    subset_size: int = 1000,
    seed: int = 0,
) -> tuple[float, float]:
    """KID (mean, population std over ``subsets``) between ``[N1, D]`` and ``[N2, D]``.

    Each subset draws ``m = min(subset_size, N1, N2)`` rows without replacement from each
    set with ``numpy.random.default_rng(seed)``; needs m ≥ 2.
    """
    f1 = _as_features(feats1, "KID", 2)
    f2 = _as_features(feats2, "KID", 2)
    if f1.shape[1] != f2.shape[1]:
        raise ArtganError(f"KID feature sizes differ: {f1.shape[1]} vs {f2.shape[1]}")
    if subsets < 1 or subset_size < 2:
        raise ArtganError(
            f"KID needs subsets ≥ 1 and subset_size ≥ 2, got {subsets} and {subset_size}"
        )
    n1, n2 = f1.shape[0], f2.shape[0]
    m = min(subset_size, n1, n2)
    if m == n1 == n2:  # every subset is the whole of both sets: one exact value
        value = _mmd2_unbiased(_poly_kernel(f1, f1), _poly_kernel(f2, f2), _poly_kernel(f1, f2))
        return value, 0.0
    precompute = max(n1, n2) <= _KID_PRECOMPUTE_MAX
    if precompute:
        k11, k22, k12 = _poly_kernel(f1, f1), _poly_kernel(f2, f2), _poly_kernel(f1, f2)
    rng = np.random.default_rng(seed)
    values = np.empty(subsets)
    for s in range(subsets):
        i = rng.choice(n1, m, replace=False)
        j = rng.choice(n2, m, replace=False)
        if precompute:
            kxx, kyy, kxy = k11[np.ix_(i, i)], k22[np.ix_(j, j)], k12[np.ix_(i, j)]
        else:
            x, y = f1[i], f2[j]
            kxx, kyy, kxy = _poly_kernel(x, x), _poly_kernel(y, y), _poly_kernel(x, y)
        values[s] = _mmd2_unbiased(kxx, kyy, kxy)
    return float(values.mean()), float(values.std())
