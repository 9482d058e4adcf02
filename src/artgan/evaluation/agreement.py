"""How closely a student generator reproduces its teacher, and at what speed (#19,
``artgan distill``): everything measured in one call, on the same latents.

- cost: ms per image at batch 1 and images/s at batch 64 for both (fp32, as ``generate``
  runs by default), and the speed-ups;
- agreement on ``n_agree`` latents neither network was fitted on (seeds from
  :data:`AGREE_SEED`): mean absolute difference in 8-bit levels and the VGG19 perceptual
  distance between the two images of each latent;
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
from artgan.evaluation.suite import compute_metrics
from artgan.io.images import from_uint8, to_uint8
from artgan.metrics import MetricInputs
from artgan.models import latents_for_seeds
from artgan.nn.vgg import VGG19Features, perceptual_distance
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
) -> dict[str, float]:
    a = sample_uint8(teacher, AGREE_SEED, n, rt, 32, False)
    b = sample_uint8(student, AGREE_SEED, n, rt, 32, False)
    vgg = VGG19Features()
    with torch.no_grad():
        per = [perceptual_distance(vgg(from_uint8(a[s : s + 32])), vgg(from_uint8(b[s : s + 32])))
               for s in range(0, n, 32)]  # fmt: skip
    return {
        "n": n,
        "mean_abs_diff_8bit": float(np.abs(a.astype(np.float64) - b.astype(np.float64)).mean()),
        "perceptual_distance": float(torch.cat(per).mean()),
    }


def _spreads(lg: LoadedGenerator, rt: Runtime) -> dict[str, float] | None:
    if lg.latent.n_categories < 2:
        return None
    base = latents_for_seeds(lg.latent, list(range(SPREAD_ROWS)), None)
    imgs = generate(lg, traverse(base, "cat", 0, lg.latent), rt)
    across_code, across_seed = code_spread(to_uint8(imgs), SPREAD_ROWS)
    return {"across_code_std": across_code, "across_seed_std": across_seed}


def _fid(real: np.ndarray, fake: np.ndarray, real_key: dict[str, Any] | None,
         networks: dict, progress: bool) -> float:  # fmt: skip
    inputs = MetricInputs(real=real, fake=fake, real_key=real_key, networks=networks,
                          progress=progress)  # fmt: skip
    return float(compute_metrics(["fid"], inputs)["fid"])


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
        a = sample_uint8(teacher, 0, n, rt, 50, progress)
        b = sample_uint8(student, 0, n, rt, 50, progress)
        nets: dict = {}
        fids: dict[str, Any] = {"n": n, "student_vs_teacher": _fid(a, b, None, nets, progress)}
        if real is not None:
            fids["teacher_vs_real"] = _fid(real, a, real_key, nets, progress)
            fids["student_vs_real"] = _fid(real, b, real_key, nets, progress)
            fids["n_real"] = len(real)
        out["fid"] = fids
    return out
