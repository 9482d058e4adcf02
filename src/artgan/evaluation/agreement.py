"""How closely a student generator reproduces its teacher, and at what speed (#19,
``artgan distill``): everything measured in one call, on the same latents.

- cost: ms per image at batch 1 and images/s at batch 64 for both (fp32, as ``generate``
  runs by default), and the speed-ups;
- agreement on ``n_agree`` latents neither network was fitted on (seeds from
  :data:`AGREE_SEED`): mean absolute difference in 8-bit levels and the perceptual
  distance (LPIPS where installed, else VGG19's; named in the report) of each pair;
- code control, for latents with a categorical code: the pixel std across the K codes
  with z' fixed against across seeds with the code fixed, for both;
- distribution: FID of the student's ``n`` samples against the teacher's (the same seeds),
  and, given ``real`` images, FID of each against them.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from artgan.evaluation.generation_cost import generation_cost
from artgan.evaluation.run import sample_uint8
from artgan.io.images import to_uint8
from artgan.metrics import MetricInputs
from artgan.metrics.cache import ReferenceStats
from artgan.metrics.fid import frechet_distance
from artgan.metrics.perceptual import load_perceptual, paired_distance
from artgan.models import latents_for_seeds
from artgan.runtime import Runtime
from artgan.sampling import LoadedGenerator, code_spread, generate, traverse

AGREE_SEED = 10**9  # far from the seeds samples and grids use
SPREAD_ROWS = 8


def _default_row(cost: dict[str, Any], lg: LoadedGenerator) -> dict[str, Any]:
    """The cost row of the generator as it samples by default (a diffusion model is timed
    at several step counts; its own ``steps`` is the one ``generate`` uses)."""
    steps = getattr(lg.G, "steps", None)
    return next(r for r in cost["rows"] if r["steps"] == steps)


def _agreement(
    teacher: LoadedGenerator, student: LoadedGenerator, n: int, rt: Runtime
) -> dict[str, Any]:
    a = sample_uint8(teacher, AGREE_SEED, n, rt, 32, False)
    b = sample_uint8(student, AGREE_SEED, n, rt, 32, False)
    model, _ = load_perceptual()  # LPIPS where its weights are installed, else VGG19's
    return {
        "n": n,
        "mean_abs_diff_8bit": float(np.abs(a.astype(np.float64) - b.astype(np.float64)).mean()),
        "perceptual_distance": float(paired_distance(model, a, b).mean()),
        "perceptual": model.name,
    }


def _spreads(lg: LoadedGenerator, rt: Runtime) -> dict[str, float] | None:
    if lg.latent.n_categories < 2:
        return None
    base = latents_for_seeds(lg.latent, list(range(SPREAD_ROWS)), None)
    imgs = generate(lg, traverse(base, "cat", 0, lg.latent), rt)
    across_code, across_seed = code_spread(to_uint8(imgs), SPREAD_ROWS)
    return {"across_code_std": across_code, "across_seed_std": across_seed}


def _fd(a: ReferenceStats, b: ReferenceStats) -> float:
    return float(frechet_distance(a.mu, a.sigma, b.mu, b.sigma))


def compare_generators(
    teacher: LoadedGenerator,
    student: LoadedGenerator,
    n: int = 1000,
    n_agree: int = 256,
    real: np.ndarray | None = None,
    real_key: dict[str, Any] | None = None,
    progress: bool = True,
) -> dict[str, Any]:
    """The report described in the module docstring. ``n`` = 0 skips the FIDs; ``real``
    ``[N, R, R, 3]`` uint8 (with ``real_key`` for the disk cache of its statistics)."""
    rt = Runtime(torch.device("cpu"), "fp32", channels_last=True)
    ct, cs = generation_cost(teacher), generation_cost(student)
    cost = {
        "teacher": _default_row(ct, teacher),
        "student": _default_row(cs, student),
        "threads": ct["threads"],
    }
    t, s = cost["teacher"], cost["student"]
    out: dict[str, Any] = {
        "cost": cost,
        "speedup_b1": t["ms_per_image_b1"] / s["ms_per_image_b1"],
        "speedup_b64": s["images_per_s_b64"] / t["images_per_s_b64"],
        "agreement": _agreement(teacher, student, n_agree, rt),
        "code_spread": {"teacher": _spreads(teacher, rt), "student": _spreads(student, rt)},
    }
    if n > 0:
        # One Inception pass per image set: the two sample sets, then the real one.
        nets: dict = {}
        pair = MetricInputs(real=sample_uint8(teacher, 0, n, rt, 50, progress),
                            fake=sample_uint8(student, 0, n, rt, 50, progress),
                            networks=nets, progress=progress)  # fmt: skip
        ta, st = pair.stats("real"), pair.stats("fake")
        fids: dict[str, Any] = {"n": n, "student_vs_teacher": _fd(ta, st)}
        if real is not None:
            ref = MetricInputs(real=real, real_key=real_key, networks=nets, progress=progress)
            r = ref.stats("real")
            fids.update(teacher_vs_real=_fd(r, ta), student_vs_real=_fd(r, st), n_real=len(real))
        out["fid"] = fids
    return out
