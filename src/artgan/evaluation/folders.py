"""``artgan evaluate --real A --fake B``: metrics between two image folders."""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from PIL import Image

from artgan.data import load_folder, scan_folder
from artgan.errors import ArtganError
from artgan.evaluation.floor import floor_metrics
from artgan.evaluation.suite import MIN_RESOLUTION, compute_metrics
from artgan.metrics import (
    METRICS,
    MetricInputs,
    check_counts,
    imageset_key_parts,
    metric_names,
    parse_metrics,
)


def guess_resolution(folder: str | Path) -> int:
    """The first image's shorter side, rounded down to a power of two in [16, 1024]."""
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
    metrics: str | Sequence[str] | None = None,
    resolution: int | None = None,
    batch_size: int = 50,
    precision: str = "fp32",
    progress: bool = True,
    device: str = "cpu",
    fit: str = "crop",
) -> dict[str, Any]:
    """Compare two image folders.

    Both are loaded as ``resolution``² squares (``fit`` crop or pad); by default the fake
    folder's first image's shorter side rounded down to a power of two (16…1024). FID/KID,
    IS and diversity treat the sets as unpaired; SSIM, MS-SSIM, SD and the perceptual
    reconstruction distance pair ``fake[i]`` with ``real[i]`` by sorted file name and need
    equal counts.
    """
    t0 = time.time()
    metrics = parse_metrics(metrics if metrics is not None else metric_names())
    res = resolution if resolution is not None else guess_resolution(fake)
    if res < MIN_RESOLUTION:
        raise ArtganError(f"evaluation needs a resolution of at least {MIN_RESOLUTION}, got {res}")
    rs = load_folder(real, res, fit=fit, progress=progress)
    fs = load_folder(fake, res, fit=fit, progress=progress)
    paired = [m for m in metrics if METRICS.get(m).paired]
    if paired and len(rs) != len(fs):
        raise ArtganError(
            f"paired metrics ({','.join(paired)}) match images by sorted file name, but "
            f"'{real}' has {len(rs)} images and '{fake}' has {len(fs)}"
        )
    check_counts(metrics, len(rs), len(fs), len(fs), f"'{real}'", f"'{fake}'")
    inputs = MetricInputs(
        real=rs.images, fake=fs.images, pairs=(fs.images, rs.images),
        real_key=imageset_key_parts(rs, ""), batch_size=batch_size, precision=precision,
        device=device, progress=progress,
    )  # fmt: skip
    out = compute_metrics(metrics, inputs)
    floor = floor_metrics(metrics, inputs, None, len(fs), "two folders have no training split")
    if floor is not None:
        out["floor"] = floor
    meta = {"real": str(real), "fake": str(fake), "n_real": len(rs), "n_fake": len(fs)}
    return {**out, **meta, "resolution": res, "precision": precision, "metrics": metrics,
            "seconds": time.time() - t0, "time": time.time()}  # fmt: skip
