"""The built-in metrics (paper §5), registered in :data:`artgan.metrics.registry.METRICS`.

Conventions: paired metrics compare an estimate x̂ (a reconstruction G(E(x)), or the
``--fake`` folder) with its reference x on [0, 1] images, pairs matched by position;
SSIM/MS-SSIM/SD are means over pairs (SD is +inf for identical images, as PSNR would be);
MS-SSIM uses as many of the 5 standard scales as the resolution allows (3 at 64 px), with
renormalised weights; diversity is the mean pairwise perceptual distance among the first
generated images (at most 200, fewer where their features would exceed 1 GiB).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from artgan.metrics.fid import frechet_distance, kid_from_features
from artgan.metrics.inception import extract_features
from artgan.metrics.inception_score import (
    InceptionLogits,
    inception_score,
    inception_score_unavailable_reason,
)
from artgan.metrics.inputs import MetricInputs, not_available
from artgan.metrics.memorisation import memorisation
from artgan.metrics.perceptual import mean_pairwise_distance, paired_distance, vector_bytes
from artgan.metrics.prdc import prdc
from artgan.metrics.registry import METRICS, Column, MetricSpec
from artgan.metrics.sharpness import sharpness_difference
from artgan.metrics.ssim import max_ms_ssim_scales, ms_ssim, ms_ssim_weights, ssim

IS_SPLITS = 10
PRDC_K = 5
DIVERSITY_MAX = 200
DIVERSITY_BYTES = 1 << 30


def _fid(m: MetricInputs) -> dict[str, Any]:
    real, fake = m.stats("real"), m.stats("fake")
    return {
        "extractor": m.extractor_id(),
        "fid": frechet_distance(real.mu, real.sigma, fake.mu, fake.sigma),
    }


def _kid(m: MetricInputs) -> dict[str, Any]:
    kid, kid_std = kid_from_features(m.stats("real").features, m.stats("fake").features)
    return {"extractor": m.extractor_id(), "kid": kid, "kid_std": kid_std}


def _prdc(m: MetricInputs) -> dict[str, Any]:
    # Keys prefixed: "precision" alone already names the Inception precision of a result.
    out = prdc(m.stats("real").features, m.stats("fake").features, PRDC_K)
    return {**{f"prdc_{k}": v for k, v in out.items()}, "prdc_k": PRDC_K}


def _fd_vgg19(m: MetricInputs) -> dict[str, Any]:
    real, fake = m.stats("real", "vgg19"), m.stats("fake", "vgg19")
    fd = frechet_distance(real.mu, real.sigma, fake.mu, fake.sigma)
    return {"vgg19_extractor": m.extractor_id("vgg19"), "fd_vgg19": fd}


def _memorisation(m: MetricInputs) -> dict[str, Any]:
    if m.train is None:
        reason = "needs the training images: evaluate a run, not two folders"
        return {"copy_fraction": not_available(reason)}
    out = memorisation(m.stats("fake").features, m.stats("real").features,
                       m.stats("train").features)  # fmt: skip
    return {"copy_fraction": out.pop("copy_fraction"), "memorisation": out}


def _is(m: MetricInputs) -> dict[str, Any]:
    reason = inception_score_unavailable_reason()
    if reason:
        return {"is": not_available(reason)}
    logits = extract_features(m.fake, m.batch_size, m.device, "fp32", progress=m.progress,
                              model=InceptionLogits())  # fmt: skip
    score, std = inception_score(logits, IS_SPLITS)
    return {"is": score, "is_std": std}


def _unit(images: np.ndarray) -> torch.Tensor:
    """``[B, H, W, 3]`` uint8 → ``[B, 3, H, W]`` float64 in [0, 1]."""
    return torch.from_numpy(np.ascontiguousarray(images)).permute(0, 3, 1, 2).double() / 255.0


def _paired(key: str, per_image: Callable[[torch.Tensor, torch.Tensor, int], torch.Tensor]):
    """A paired metric: mean over pairs of ``per_image(x̂, x, side) → [B]``, batch by batch."""

    def compute(m: MetricInputs) -> dict[str, Any]:
        if isinstance(m.pairs, str) or m.pairs is None:
            return {key: not_available(m.pairs or "no image pairs")}
        est, ref = m.pairs
        side = est.shape[1]
        vals = [
            per_image(_unit(est[s : s + m.batch_size]), _unit(ref[s : s + m.batch_size]), side)
            for s in range(0, len(est), m.batch_size)
        ]
        out: dict[str, Any] = {"n_pairs": len(est), key: float(torch.cat(vals).mean())}
        if key == "msssim":
            out["msssim_scales"] = _scales(side)
        return out

    return compute


def _scales(side: int) -> int:
    return min(5, max_ms_ssim_scales(side, side))


def _perceptual(m: MetricInputs) -> dict[str, Any]:
    model, why_not = m.perceptual()
    fake = m.fake
    n_div = min(DIVERSITY_MAX, len(fake), DIVERSITY_BYTES // vector_bytes(fake.shape[1]))
    out: dict[str, Any] = {"perceptual_metric": model.name}
    if why_not:
        out["perceptual_note"] = why_not
    out["perceptual_diversity"] = mean_pairwise_distance(model, fake[:n_div], m.batch_size)
    out["diversity_n"] = n_div
    if isinstance(m.pairs, str) or m.pairs is None:
        out["perceptual_recon"] = not_available(m.pairs or "no image pairs")
    else:
        est, ref = m.pairs
        out["perceptual_recon"] = float(paired_distance(model, est, ref, m.batch_size).mean())
    return out


for spec in (
    MetricSpec("fid", "Fréchet Inception distance, generated vs real",
               (Column("fid", "FID", "lower", ".3f"),), _fid, what="FID", min_real=2, min_fake=2),
    MetricSpec("kid", "kernel Inception distance (unbiased MMD², cubic kernel)",
               (Column("kid", "KID", "lower", ".5f"),), _kid, what="KID", min_real=2, min_fake=2),
    MetricSpec("prdc", f"precision, recall, density, coverage (k = {PRDC_K}, Inception)",
               (Column("prdc_precision", "precision", "higher", ".3f"),
                Column("prdc_recall", "recall", "higher", ".3f"),
                Column("prdc_density", "density", "higher", ".3f"),
                Column("prdc_coverage", "coverage", "higher", ".3f")),
               _prdc, what=f"precision/recall (k = {PRDC_K})", min_real=PRDC_K + 1,
               min_fake=PRDC_K + 1),
    MetricSpec("fd_vgg19", "Fréchet distance in VGG19 space (relu4_4 + relu5_4, 64 px)",
               (Column("fd_vgg19", "FD-VGG19", "lower", ".3f"),), _fd_vgg19,
               what="FD-VGG19", aliases=("fd-vgg19", "fdvgg"), min_real=2, min_fake=2),
    MetricSpec("memorisation", "nearest training image of each sample vs held-out images",
               (Column("copy_fraction", "copy fraction", "lower", ".3f"),), _memorisation,
               what="the memorisation check", aliases=("memorization", "memo"),
               min_real=2, min_fake=1),
    MetricSpec("is", "Inception Score of the generated images",
               (Column("is", "IS", "higher", ".3f"),), _is, what=f"IS ({IS_SPLITS} splits)",
               min_fake=IS_SPLITS, unavailable=inception_score_unavailable_reason),
    MetricSpec("ssim", "SSIM of x̂ vs x", (Column("ssim", "SSIM", "higher", ".4f"),),
               _paired("ssim", lambda x, y, r: ssim(x, y, reduction="none")), paired=True),
    MetricSpec("msssim", "MS-SSIM of x̂ vs x", (Column("msssim", "MS-SSIM", "higher", ".4f"),),
               _paired("msssim", lambda x, y, r: ms_ssim(
                   x, y, weights=ms_ssim_weights(_scales(r)), reduction="none")),
               aliases=("ms-ssim", "ms_ssim"), paired=True),
    MetricSpec("sd", "sharpness difference of x̂ vs x (dB)",
               (Column("sd", "SD (dB)", "higher", ".2f"),),
               _paired("sd", lambda x, y, r: sharpness_difference(x, y)), paired=True),
    MetricSpec("lpips", "perceptual distance: x̂ vs x, and diversity among generated images",
               (Column("perceptual_recon", "recon distance", "lower", ".4f"),
                Column("perceptual_diversity", "diversity", "higher", ".4f")),
               _perceptual, what="sample diversity", aliases=("perceptual",), min_fake=2,
               paired=True),
):  # fmt: skip
    METRICS.register(spec)
