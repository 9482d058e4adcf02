"""``artgan evaluate``: FID, KID, IS, SSIM, MS-SSIM, perceptual distances and SD for a run
(generated images vs its test split) or for two image folders.

Results are one flat dict: a metric's value is a number, or ``{"available": False,
"reason": ...}`` when it cannot be computed (IS without logits weights, image-cycle metrics
for a model without an encoder), never a made-up number. Conventions:

- generated images are quantised to 8 bits first (as if saved as PNG), so evaluating a run
  and evaluating the same images written to a folder give the same numbers;
- paired metrics compare an estimate x̂ (a reconstruction G(E(x)), or the ``--fake``
  folder) with its reference x (the real image, or ``--real``), pairs matched by position
  in the sorted file lists, on [0, 1] images. SSIM/MS-SSIM/SD are means over pairs; SD is
  +inf when a pair's gradients agree exactly (identical images), as PSNR would be;
- MS-SSIM uses as many of the 5 standard scales as the resolution allows (3 at 64 px),
  with renormalised weights, reported as ``msssim_scales``;
- reconstruction metrics use the first ``min(n, len(real))`` real images;
  diversity is the mean pairwise perceptual distance among the first generated images
  (at most 200, fewer where their features would exceed 1 GiB), reported as ``diversity_n``.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from tqdm import tqdm

from artgan.data import ImageSet, load_dataset, load_folder, scan_folder
from artgan.errors import ArtganError
from artgan.evaluate_lpips import (
    load_perceptual,
    mean_pairwise_distance,
    paired_distance,
    vector_bytes,
)
from artgan.evaluate_report import append_eval_row, format_table
from artgan.metrics import (
    InceptionFeatures,
    InceptionLogits,
    cached_stats,
    extract_features,
    feature_stats,
    frechet_distance,
    imageset_key_parts,
    inception_score,
    inception_score_unavailable_reason,
    kid_from_features,
    max_ms_ssim_scales,
    ms_ssim,
    ms_ssim_weights,
    sharpness_difference,
    ssim,
)

__all__ = ["METRICS", "append_eval_row", "evaluate_folders", "evaluate_run", "format_table"]

METRICS = ("fid", "kid", "is", "ssim", "msssim", "lpips", "sd")
_ALIASES = {"ms-ssim": "msssim", "ms_ssim": "msssim", "perceptual": "lpips"}
PAIRED = ("ssim", "msssim", "sd", "lpips")  # lpips: its reconstruction half
MIN_RESOLUTION = 16  # SSIM's 11-px window and VGG's 4 poolings need it
IS_SPLITS = 10
DIVERSITY_MAX = 200
DIVERSITY_BYTES = 1 << 30


def parse_metrics(spec: str | Sequence[str]) -> list[str]:
    """``"fid,kid"`` or ``["fid", "kid"]`` → validated, de-duplicated names in order."""
    items = spec.split(",") if isinstance(spec, str) else list(spec)
    out: list[str] = []
    for item in items:
        name = _ALIASES.get(item.strip().lower(), item.strip().lower())
        if name not in METRICS:
            raise ArtganError(f"unknown metric '{item.strip()}'; choose from {','.join(METRICS)}")
        if name not in out:
            out.append(name)
    if not out:
        raise ArtganError(f"no metrics asked for; choose from {','.join(METRICS)}")
    return out


def _na(reason: str) -> dict[str, Any]:
    return {"available": False, "reason": reason}


def _check_counts(
    metrics: list[str], n_real: int, n_fake: int, n_pairs: int | None, real: str, fake: str
) -> None:
    """Fail before any slow work when a set is too small for an asked metric."""
    need = []
    for m in ("fid", "kid"):
        if m in metrics:
            need += [(m.upper(), 2, n_real, real), (m.upper(), 2, n_fake, fake)]
    if "is" in metrics and inception_score_unavailable_reason() is None:
        need.append((f"IS ({IS_SPLITS} splits)", IS_SPLITS, n_fake, fake))
    if "lpips" in metrics:
        need.append(("sample diversity", 2, n_fake, fake))
    if n_pairs is not None and any(m in PAIRED for m in metrics):
        need.append(("paired metrics", 1, n_pairs, f"{real} / {fake}"))
    for what, k, have, name in need:
        if have < k:
            raise ArtganError(f"{what} needs at least {k} images, but {name} has {have}")


def _unit(images: np.ndarray) -> torch.Tensor:
    """``[B, H, W, 3]`` uint8 → ``[B, 3, H, W]`` float64 in [0, 1]."""
    return torch.from_numpy(np.ascontiguousarray(images)).permute(0, 3, 1, 2).double() / 255.0


def compute_metrics(
    metrics: list[str],
    real: np.ndarray,
    fake: np.ndarray,
    pairs: tuple[np.ndarray, np.ndarray] | str,
    real_key: dict[str, Any] | None = None,
    batch_size: int = 50,
    precision: str = "fp32",
    device: str | torch.device = "cpu",
    progress: bool = True,
) -> dict[str, Any]:
    """The asked metrics. ``real``/``fake`` ``[N, R, R, 3]`` uint8; ``pairs`` (estimates,
    references), both ``[P, R, R, 3]`` uint8, or the reason paired metrics do not apply.
    ``real_key`` (data-set key parts) enables the on-disk cache of the real statistics."""
    res: dict[str, Any] = {}
    kw = {"batch_size": batch_size, "device": device, "progress": progress}
    if "fid" in metrics or "kid" in metrics:
        net = InceptionFeatures()
        ext = net.extractor_id + (":bf16" if precision == "bf16" else "")
        res["extractor"] = ext

        def real_feats() -> np.ndarray:
            return extract_features(real, precision=precision, model=net, **kw)

        if real_key is not None:
            ref = cached_stats({**real_key, "extractor": ext}, real_feats)
            mu_r, sigma_r, f_r = ref.mu, ref.sigma, ref.features
        else:
            f_r = real_feats()
            mu_r, sigma_r = feature_stats(f_r)
        f_g = extract_features(fake, precision=precision, model=net, **kw)
        if "fid" in metrics:
            res["fid"] = frechet_distance(mu_r, sigma_r, *feature_stats(f_g))
        if "kid" in metrics:
            res["kid"], res["kid_std"] = kid_from_features(f_r, f_g)
    if "is" in metrics:
        reason = inception_score_unavailable_reason()
        if reason:
            res["is"] = _na(reason)
        else:
            logits = extract_features(fake, precision="fp32", model=InceptionLogits(), **kw)
            res["is"], res["is_std"] = inception_score(logits, IS_SPLITS)
    perceptual = None
    if "lpips" in metrics:
        perceptual, why_not = load_perceptual(device)
        res["perceptual_metric"] = perceptual.name
        if why_not:
            res["perceptual_note"] = why_not
        n_div = min(DIVERSITY_MAX, len(fake), DIVERSITY_BYTES // vector_bytes(fake.shape[1]))
        res["perceptual_diversity"] = mean_pairwise_distance(perceptual, fake[:n_div], batch_size)
        res["diversity_n"] = n_div
    if isinstance(pairs, str):
        for m in ("ssim", "msssim", "sd"):
            if m in metrics:
                res[m] = _na(pairs)
        if perceptual is not None:
            res["perceptual_recon"] = _na(pairs)
        return res
    est, ref_img = pairs
    res["n_pairs"] = len(est)
    r = est.shape[1]
    scales = min(5, max_ms_ssim_scales(r, r))
    if "msssim" in metrics:
        res["msssim_scales"] = scales
    vals: dict[str, list[torch.Tensor]] = {m: [] for m in ("ssim", "msssim", "sd")}
    for s in range(0, len(est), batch_size):
        x, y = _unit(est[s : s + batch_size]), _unit(ref_img[s : s + batch_size])
        if "ssim" in metrics:
            vals["ssim"].append(ssim(x, y, reduction="none"))
        if "msssim" in metrics:
            vals["msssim"].append(ms_ssim(x, y, weights=ms_ssim_weights(scales), reduction="none"))
        if "sd" in metrics:
            vals["sd"].append(sharpness_difference(x, y))
    for m, v in vals.items():
        if v:
            res[m] = float(torch.cat(v).mean())
    if perceptual is not None:
        res["perceptual_recon"] = float(
            paired_distance(perceptual, est, ref_img, batch_size).mean()
        )
    return res


def _guess_resolution(folder: str | Path) -> int:
    """The first image's shorter side, rounded down to a power of two in [16, 1024]."""
    from PIL import Image

    files, _ = scan_folder(folder)
    try:
        with Image.open(Path(folder) / files[0]) as im:
            side = min(im.size)
    except Exception as exc:  # unreadable first file: say which
        raise ArtganError(
            f"cannot read '{Path(folder) / files[0]}' ({exc}); pass a resolution"
        ) from None
    return int(min(max(2 ** int(math.log2(max(side, 1))), MIN_RESOLUTION), 1024))


def evaluate_folders(
    real: str | Path,
    fake: str | Path,
    metrics: str | Sequence[str] = METRICS,
    resolution: int | None = None,
    batch_size: int = 50,
    precision: str = "fp32",
    progress: bool = True,
    device: str = "cpu",
    fit: str = "crop",
) -> dict[str, Any]:
    """Compare two image folders (``artgan evaluate --real A --fake B``).

    Both are loaded as ``resolution``² squares (``fit`` crop or pad); by default the fake
    folder's first image's shorter side rounded down to a power of two (16…1024). FID/KID,
    IS and diversity treat the sets as unpaired; SSIM, MS-SSIM, SD and the perceptual
    reconstruction distance pair ``fake[i]`` with ``real[i]`` by sorted file name and need
    equal counts.
    """
    t0 = time.time()
    metrics = parse_metrics(metrics)
    res = resolution if resolution is not None else _guess_resolution(fake)
    if res < MIN_RESOLUTION:
        raise ArtganError(f"evaluation needs a resolution of at least {MIN_RESOLUTION}, got {res}")
    rs = load_folder(real, res, fit=fit, progress=progress)
    fs = load_folder(fake, res, fit=fit, progress=progress)
    paired = [m for m in metrics if m in PAIRED]
    if paired and len(rs) != len(fs):
        raise ArtganError(
            f"paired metrics ({','.join(paired)}) match images by sorted file name, but "
            f"'{real}' has {len(rs)} images and '{fake}' has {len(fs)}"
        )
    _check_counts(metrics, len(rs), len(fs), len(fs), f"'{real}'", f"'{fake}'")
    out = compute_metrics(
        metrics, rs.images, fs.images, (fs.images, rs.images),
        imageset_key_parts(rs, ""), batch_size, precision, device, progress,
    )  # fmt: skip
    meta = {"real": str(real), "fake": str(fake), "n_real": len(rs), "n_fake": len(fs)}
    return {**out, **meta, "resolution": res, "precision": precision, "metrics": metrics,
            "seconds": time.time() - t0, "time": time.time()}  # fmt: skip


def run_test_split(run_dir: str | Path, progress: bool = True) -> ImageSet:
    """The run's test images, rebuilt from its ``config.yaml`` data section and ``split.json``
    (the built-in landscapes are regenerated at the run's resolution)."""
    from artgan.config import from_dict, read_yaml

    run_dir = Path(run_dir)
    for name in ("config.yaml", "split.json"):
        if not (run_dir / name).is_file():
            raise ArtganError(f"'{run_dir}' has no {name}; pass the real images with --data")
    d = from_dict(read_yaml(run_dir / "config.yaml")).data
    files = json.loads((run_dir / "split.json").read_text())["test"]
    data = load_dataset(d.path, d.resolution, d.fit, d.cache_dir, progress=progress)
    index = {f: i for i, f in enumerate(data.files)}
    missing = [f for f in files if f not in index]
    if missing:
        raise ArtganError(
            f"{len(missing)} test-split files of '{run_dir}' are no longer in the data "
            f"'{data.source}' (e.g. '{missing[0]}'); pass the real images with --data"
        )
    return data.subset(np.array([index[f] for f in files], dtype=np.int64))


def _sample(lg: Any, start: int, n: int, rt: Any, batch_size: int, progress: bool) -> np.ndarray:
    """``n`` images from seeds ``start…start+n-1`` → ``[n, R, R, 3]`` uint8, chunk by chunk."""
    from artgan.generate import generate, latents_for_seeds
    from artgan.imageio import to_uint8

    out = np.empty((n, lg.resolution, lg.resolution, 3), np.uint8)
    for s in tqdm(range(0, n, batch_size), desc="generate", unit="batch", disable=not progress):
        k = min(batch_size, n - s)
        lat = latents_for_seeds(lg.latent, list(range(start + s, start + s + k)), None)
        out[s : s + k] = to_uint8(generate(lg, lat, rt, batch_size))
    return out


def evaluate_run(
    run: str | Path,
    metrics: str | Sequence[str] = METRICS,
    n: int = 2000,
    data: str | None = None,
    seed: int = 0,
    batch_size: int = 50,
    precision: str = "fp32",
    progress: bool = True,
    device: str = "cpu",
    write: bool = True,
) -> dict[str, Any]:
    """Evaluate a run's EMA generator: ``n`` images from seeds ``seed…seed+n-1`` against
    ``data`` (a folder) or, by default, the run's test split. Models with an encoder also
    get the image-cycle metrics on x̂ = G(E(x)) for the first ``min(n, len(real))`` real
    images. With ``write``, the results go to ``RUN/metrics.jsonl`` with ``"kind": "eval"``.
    """
    from artgan.config import from_dict, read_yaml
    from artgan.generate import load_generator, project
    from artgan.imageio import to_uint8
    from artgan.runtime import Runtime, resolve_device
    from artgan.train.resume import find_checkpoint

    t0 = time.time()
    metrics = parse_metrics(metrics)
    if n < 1 or batch_size < 1:
        raise ArtganError(f"n and batch_size must be at least 1, got {n} and {batch_size}")
    ckpt, run_dir = find_checkpoint(run)
    lg = load_generator(ckpt)
    res = lg.resolution
    if res < MIN_RESOLUTION:
        raise ArtganError(f"evaluation needs a resolution of at least {MIN_RESOLUTION}, got {res}")
    if data is not None:
        cfg = run_dir / "config.yaml"
        fit = from_dict(read_yaml(cfg)).data.fit if cfg.is_file() else "crop"
        real = load_folder(data, res, fit=fit, progress=progress)
        real_name = f"'{data}'"
    else:
        real = run_test_split(run_dir, progress)
        real_name = f"the test split of '{run_dir}'"
        if real.resolution != res:
            raise ArtganError(f"'{run_dir}' config.yaml resolution differs from its checkpoint")
    n_pairs = min(n, len(real)) if lg.E is not None else None
    _check_counts(metrics, len(real), n, n_pairs, real_name, "the generated set")
    dev = resolve_device(device)
    rt = Runtime(dev, "fp32", channels_last=dev.type != "cpu")
    fake = _sample(lg, seed, n, rt, batch_size, progress)
    if n_pairs is None:
        pairs: tuple[np.ndarray, np.ndarray] | str = (
            f"model '{lg.model_cfg.get('name')}' has no encoder, so there is no image cycle "
            f"G(E(x)) to compare"
        )
    else:
        x = real.images[:n_pairs]
        recon = np.concatenate(
            [
                to_uint8(project(lg, x[s : s + batch_size], rt)[1])
                for s in range(0, n_pairs, batch_size)
            ]
        )
        pairs = (recon, x)
    out = compute_metrics(
        metrics, real.images, fake, pairs, imageset_key_parts(real, ""),
        batch_size, precision, dev, progress,
    )  # fmt: skip
    step = lg.step
    meta = {"run": str(run_dir), "checkpoint": str(ckpt), "real": real.source,
            "real_split": "test" if data is None else "folder", "n_real": len(real),
            "n_fake": n, "seed": seed, "resolution": res, "precision": precision,
            "metrics": metrics, "seconds": time.time() - t0, "time": time.time()}  # fmt: skip
    results = {**out, **meta, **({"step": step} if step is not None else {})}
    if write:
        append_eval_row(run_dir, results)
    return results
