"""What an image costs to make with a trained generator: milliseconds per image at batch 1
(the studio's case) and images per second at batch 64 (a folder of samples), in fp32 on
the CPU, as ``artgan generate`` runs by default. A diffusion model is timed at several
DDIM step counts, since its cost is proportional to them (#21: the surveys' "slow to
sample")."""

from __future__ import annotations

import statistics
import time
from pathlib import Path
from typing import Any

import torch

from artgan.models import get_model, latents_for_seeds
from artgan.runtime import Runtime
from artgan.sampling import LoadedGenerator, generate, load_generator

DIFFUSION_STEPS = (10, 25, 50)


def _time(lg: LoadedGenerator, z: torch.Tensor, rt: Runtime, reps: int) -> float:
    """Median seconds of ``reps`` calls of ``generate`` on ``z`` (after one warm-up)."""
    generate(lg, z, rt, batch_size=len(z))
    times = []
    for _ in range(reps):
        t = time.perf_counter()
        generate(lg, z, rt, batch_size=len(z))
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def generation_cost(
    source: str | Path | LoadedGenerator,
    steps: tuple[int, ...] = DIFFUSION_STEPS,
    reps: int = 5,
    batch: int = 64,
    batch_reps: int = 1,
) -> dict[str, Any]:
    """``{"precision", "threads", "rows": [{"steps", "ms_per_image_b1",
    "images_per_s_b64"}]}``: one row for a one-pass generator (``steps`` None), one per
    step count for a diffusion model (those ≤ its ``timesteps``, plus its default)."""
    lg = source if isinstance(source, LoadedGenerator) else load_generator(source)
    rt = Runtime(torch.device("cpu"), "fp32", channels_last=True)
    G = lg.G
    counts: list[int | None] = [None]
    if get_model(str(lg.model_cfg.get("name"))).iterative:
        T = int(lg.model_cfg.get("timesteps", max(steps)))
        counts = sorted({s for s in (*steps, G.steps) if s <= T})
    one = latents_for_seeds(lg.latent, [0], None)
    many = latents_for_seeds(lg.latent, list(range(batch)), None)
    rows = []
    default = getattr(G, "steps", None)
    try:
        for n in counts:
            if n is not None:
                G.steps = n
            b1 = _time(lg, one, rt, reps)
            bn = _time(lg, many, rt, batch_reps)
            rows.append({"steps": n, "ms_per_image_b1": 1000 * b1,
                         f"images_per_s_b{batch}": batch / bn})  # fmt: skip
    finally:
        if default is not None:
            G.steps = default
    return {"precision": "fp32", "threads": torch.get_num_threads(), "rows": rows}
