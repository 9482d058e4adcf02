"""``artgan distill RUN --out student.pt``: a small, fast generator that reproduces a
trained one (the teacher) for the same latent and codes (#19).

The student is a DCGAN generator (transposed 4×4 convolutions: the cheapest upsampling per
output pixel measured in docs/migan.md) built for the teacher's latent layout
``[z' | one-hot | continuous]``, so its export has the teacher's codes and ``generate
--code``, ``traverse`` and the studio's sliders steer it as they steer the teacher. Each
step draws a fresh latent batch, runs the teacher without gradient and fits the student to
its images with L1 + ``perceptual_weight`` · the VGG19 perceptual distance (the paper's
L_per features). The result is an ordinary export (``sampling.loader``): it generates,
exports to ONNX and serves like any generator; its ``distilled_from`` entry says what it
was fitted to. Ctrl-C stops early and still writes the student trained so far.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from artgan.config import from_dict
from artgan.errors import ArtganError
from artgan.models import get_model
from artgan.models.ema import standing_stats
from artgan.nn.vgg import VGG19Features, perceptual_distance
from artgan.runtime import Runtime, setup_runtime
from artgan.sampling import LoadedGenerator, load_generator
from artgan.sampling.loader import refuse_onnx_source, write_export
from artgan.train.progress import TrainProgress

STUDENT_MODEL = "dcgan"


@dataclass(frozen=True)
class DistillOptions:
    """How the student is built and trained; saved in its export's ``distilled_from``."""

    steps: int = 2000
    time_budget: float = 0.0  # seconds of training; > 0 ends the run by time instead
    batch_size: int = 32
    channels: int = 32  # the student's last-stage width (DCGAN's g_channels)
    max_channels: int = 256
    lr: float = 2e-4
    perceptual_weight: float = 1.0
    perceptual_layers: tuple[str, ...] = ("relu1_2", "relu2_2", "relu3_4")
    seed: int = 0

    def check(self) -> None:
        for name in ("steps", "batch_size", "channels", "max_channels"):
            if getattr(self, name) < 1:
                raise ArtganError(f"distill: {name} must be at least 1, got {getattr(self, name)}")
        if not (math.isfinite(self.lr) and self.lr > 0):
            raise ArtganError(f"distill: the learning rate must be > 0, got {self.lr}")
        if not (math.isfinite(self.perceptual_weight) and self.perceptual_weight >= 0):
            raise ArtganError(f"distill: the perceptual weight must be ≥ 0, got "
                              f"{self.perceptual_weight}")  # fmt: skip


@dataclass
class DistillResult:
    student: LoadedGenerator  # loaded back from ``path``
    G: nn.Module  # the trained student in memory (eval mode) that was written
    teacher: LoadedGenerator
    path: Path
    steps: int
    seconds: float
    interrupted: bool
    losses: list[dict[str, float]]  # one row per logged step: step, l1, perceptual, total


def student_config(teacher: LoadedGenerator, opts: DistillOptions) -> dict[str, Any]:
    """The student's model section: DCGAN with the teacher's latent layout."""
    lat = teacher.latent
    cfg = {"name": STUDENT_MODEL, "z_dim": lat.z_dim, "n_categories": lat.n_categories,
           "n_continuous": lat.n_continuous, "g_channels": opts.channels,
           "max_channels": opts.max_channels}  # fmt: skip
    from_dict({"model": cfg})  # the usual one-line error for a section that does not validate
    return cfg


def build_student(teacher: LoadedGenerator, opts: DistillOptions) -> tuple[nn.Module, dict]:
    cfg = student_config(teacher, opts)
    mc = from_dict({"model": cfg}).model
    G = get_model(STUDENT_MODEL).generator(mc, teacher.latent, teacher.resolution)
    return G, cfg


def distill_loss(
    out: Tensor, target: Tensor, vgg: VGG19Features | None, weight: float
) -> dict[str, Tensor]:
    """L1 + weight·perceptual distance between the student's ``out`` and the teacher's
    ``target`` (both ``[B, 3, R, R]`` in [-1, 1]); the perceptual term is 0 without VGG."""
    l1 = F.l1_loss(out.float(), target.float())
    per = perceptual_distance(vgg(out), vgg(target)).mean() if vgg is not None else l1 * 0
    return {"l1": l1, "perceptual": per, "total": l1 + weight * per}


def _teacher_images(teacher: LoadedGenerator, lat: Tensor, rt: Runtime) -> Tensor:
    with torch.no_grad(), rt.autocast():
        return teacher.G(lat.to(rt.device)).float()


def _fit(
    teacher: LoadedGenerator, G: nn.Module, opts: DistillOptions, rt: Runtime, progress: bool
) -> tuple[int, float, bool, list[dict[str, float]]]:
    """The training loop: (steps done, training seconds, interrupted, loss rows)."""
    vgg = None
    if opts.perceptual_weight > 0:
        vgg = VGG19Features(opts.perceptual_layers).to(rt.device)
    opt = torch.optim.Adam(G.parameters(), lr=opts.lr, betas=(0.5, 0.999))
    rng = torch.Generator().manual_seed(opts.seed)
    teacher.G.to(rt.device, memory_format=rt.memory_format)
    G.to(rt.device, memory_format=rt.memory_format).train()
    end = opts.steps if opts.time_budget <= 0 else 10**9
    rows: list[dict[str, float]] = []
    spent, step = 0.0, 0
    bar = TrainProgress("distill", 0, end, opts.time_budget, 0.0, not progress)
    try:
        with bar:
            while step < end and (opts.time_budget <= 0 or spent < opts.time_budget):
                t = time.perf_counter()
                lat = teacher.latent.join(teacher.latent.sample(opts.batch_size, rng))
                target = _teacher_images(teacher, lat, rt)
                with rt.autocast():
                    terms = distill_loss(G(lat.to(rt.device)), target, vgg,
                                         opts.perceptual_weight)  # fmt: skip
                if not torch.isfinite(terms["total"]):
                    raise ArtganError(f"distill: the loss became {terms['total'].item()} at "
                                      f"step {step + 1}; try a lower --lr")  # fmt: skip
                opt.zero_grad(set_to_none=True)
                terms["total"].backward()
                opt.step()
                step += 1
                took = time.perf_counter() - t
                spent += took
                bar.note(rt.step_took(took))  # fewer threads while the CPU is busy
                bar.update(step, spent)
                if step == 1 or step % 50 == 0 or step == end:
                    row = {"step": step, **{k: float(v.detach()) for k, v in terms.items()}}
                    rows.append(row)
                    bar.postfix(loss=f"{row['total']:.4f}")
    except KeyboardInterrupt:  # keep what was learnt: the caller writes the student
        return step, spent, True, rows
    return step, spent, False, rows


def distill(
    source: str | Path,
    out: str | Path,
    opts: DistillOptions = DistillOptions(),
    precision: str = "auto",
    device: str = "auto",
    threads: int = 0,
    progress: bool = True,
) -> DistillResult:
    """Fit a student generator to the teacher at ``source`` (run folder, checkpoint or
    export) and write it to ``out`` as an export."""
    opts.check()
    refuse_onnx_source(source, "distill")
    out = Path(out)
    if out.is_dir():
        raise ArtganError(f"--out '{out}' is a folder; give the file to write, e.g. "
                          f"{out / 'student.pt'}")  # fmt: skip
    rt = setup_runtime(device, precision, threads)
    teacher = load_generator(source)
    G, cfg = build_student(teacher, opts)
    print(f"distilling '{source}' ({teacher.model_cfg.get('name')}, {teacher.resolution} px) "
          f"into a {STUDENT_MODEL} student ({sum(p.numel() for p in G.parameters()) / 1e6:.2f} M "
          f"parameters) in {rt.precision} on {rt.device}")  # fmt: skip
    steps, seconds, interrupted, rows = _fit(teacher, G, opts, rt, progress)
    if steps == 0:
        raise ArtganError("distill was stopped before its first step; nothing written")
    G = standing_stats(G.cpu().float().to(memory_format=torch.contiguous_format),
                       teacher.latent)  # fmt: skip
    teacher.G.cpu()
    origin = {"source": str(source), "model": teacher.model_cfg.get("name"),
              "teacher_step": teacher.step, "steps": steps, "seconds": seconds,
              "interrupted": interrupted, "precision": rt.precision,
              "options": {**asdict(opts), "perceptual_layers": list(opts.perceptual_layers)},
              "last_loss": rows[-1] if rows else None}  # fmt: skip
    path = write_export(out, cfg, teacher.resolution, teacher.class_names, steps, G,
                        extra={"distilled_from": origin})  # fmt: skip
    student = load_generator(path)
    return DistillResult(student, G, teacher, path, steps, seconds, interrupted, rows)
