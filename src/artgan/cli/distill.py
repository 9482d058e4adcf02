"""``artgan distill``: fit a small fast student generator to a trained one, then report
its speed-up and how closely it follows the teacher (#19)."""

from __future__ import annotations

import argparse
import json
from typing import Any

from artgan.cli.common import DEVICES, PRECISIONS, at_least, default_out
from artgan.data import load_folder, scan_folder
from artgan.errors import ArtganError
from artgan.evaluation import jsonable, run_test_split
from artgan.evaluation.agreement import compare_generators
from artgan.experiments.plan import parse_budget
from artgan.io.atomic import atomic_write
from artgan.io.checkpoint import find_checkpoint
from artgan.metrics import imageset_key_parts
from artgan.train.distill import DistillOptions, distill


def _options(a: argparse.Namespace) -> DistillOptions:
    kind, value = parse_budget(a.budget)
    layers = tuple(x.strip() for x in a.perceptual_layers.split(",") if x.strip())
    return DistillOptions(
        steps=int(value) if kind == "steps" else 1, time_budget=value if kind == "seconds" else 0.0,
        batch_size=a.batch_size, channels=a.channels, max_channels=a.max_channels, lr=a.lr,
        perceptual_weight=a.perceptual_weight, perceptual_layers=layers, seed=a.seed,
    )  # fmt: skip


def _real(a: argparse.Namespace, resolution: int) -> tuple[Any, str] | None:
    """The real images the FIDs are measured against: --data, else the run's test split
    (a run folder or checkpoint), else none (an export carries no data)."""
    if a.data:
        data = load_folder(a.data, resolution, progress=not a.no_progress)
        return data, f"'{a.data}'"
    _, run_dir = find_checkpoint(a.source)  # an export's folder, if it lies in its run's
    if not all((run_dir / f).is_file() for f in ("split.json", "config.yaml")):
        return None
    return run_test_split(run_dir, progress=not a.no_progress), f"the test split of '{run_dir}'"


def _print(report: dict[str, Any], real_name: str | None) -> None:
    c, t, s = report["cost"], report["cost"]["teacher"], report["cost"]["student"]
    print(f"generation (fp32, {c['threads']} threads): teacher "
          f"{t['ms_per_image_b1']:.1f} ms/image at batch 1, {t['images_per_s_b64']:.0f} img/s at "
          f"batch 64; student {s['ms_per_image_b1']:.1f} ms, {s['images_per_s_b64']:.0f} img/s "
          f"({report['speedup_b1']:.1f}x, {report['speedup_b64']:.1f}x)")  # fmt: skip
    ag = report["agreement"]
    print(f"agreement on {ag['n']} new latents: mean |student - teacher| "
          f"{ag['mean_abs_diff_8bit']:.1f} of 255, {ag['perceptual']} distance "
          f"{ag['perceptual_distance']:.3f}")  # fmt: skip
    for who, sp in report["code_spread"].items():
        if sp:
            print(f"{who}: pixel std across categorical codes {sp['across_code_std']:.1f}, "
                  f"across seeds {sp['across_seed_std']:.1f}")  # fmt: skip
    f = report.get("fid")
    if f:
        line = f"FID on {f['n']} samples: student vs teacher {f['student_vs_teacher']:.1f}"
        if "teacher_vs_real" in f:
            line += (f"; against {real_name}: teacher {f['teacher_vs_real']:.1f}, student "
                     f"{f['student_vs_real']:.1f}")  # fmt: skip
        print(line)


def cmd_distill(a: argparse.Namespace) -> int:
    at_least(a.eval_n, 0, "--eval-n")
    if a.eval_n == 1:
        raise ArtganError("--eval-n must be 0 (no FID) or at least 2 (FID needs two images)")
    at_least(a.agree_n, 1, "--agree-n")
    if a.data and a.eval_n > 0:
        scan_folder(a.data)  # a typo is found now, not after the training it would follow
    opts = _options(a)
    out = default_out(a, "student.pt")
    res = distill(a.source, out, opts, a.precision, a.device, a.threads, not a.no_progress)
    state = "stopped early (Ctrl-C) at" if res.interrupted else "after"
    print(f"wrote the student to {res.path} {state} {res.steps} steps "
          f"({res.seconds / 60:.1f} min of training)")  # fmt: skip
    if res.interrupted:
        return 130
    real = _real(a, res.teacher.resolution) if a.eval_n > 0 else None
    if real is not None and len(real[0]) < 2:
        raise ArtganError(f"{real[1]} has fewer than 2 images; FID needs more")
    report = compare_generators(
        res.teacher, res.student, a.eval_n, a.agree_n,
        None if real is None else real[0].images,
        None if real is None else imageset_key_parts(real[0], ""), not a.no_progress,
    )  # fmt: skip
    real_name = None if real is None else real[1]
    report.update({"source": str(a.source), "student": str(res.path), "steps": res.steps,
                   "train_seconds": res.seconds, "real": real_name})  # fmt: skip
    _print(report, real_name)
    path = res.path.with_suffix(".json")
    with atomic_write(path) as fh:
        fh.write((json.dumps(jsonable(report), indent=2) + "\n").encode())
    print(f"report: {path}")
    return 0


def add_parsers(sub: argparse._SubParsersAction) -> None:
    d = sub.add_parser(
        "distill",
        help="fit a small fast student generator to a trained one (same latent and codes)",
        description="Train a DCGAN-style student to reproduce SOURCE's images for the same "
        "latent and codes (L1 + VGG19 perceptual loss), write it as an exported generator, "
        "then report its speed-up, its agreement with the teacher and both FIDs.",
    )
    d.add_argument("source", help="the teacher: run folder, checkpoint or exported generator")
    d.add_argument("--out", help="student file to write (default SOURCE/student.pt); the "
                   "report goes beside it as .json")  # fmt: skip
    d.add_argument("--budget", default="2000", help="training steps (2000) or time (10m, 1h)")
    d.add_argument("--batch-size", type=int, default=32)
    d.add_argument("--channels", type=int, default=32,
                   help="the student's last-stage width, doubling per coarser stage")  # fmt: skip
    d.add_argument("--max-channels", type=int, default=256)
    d.add_argument("--lr", type=float, default=2e-4)
    d.add_argument("--perceptual-weight", type=float, default=1.0,
                   help="weight of the VGG19 perceptual term beside L1 (0: L1 only)")  # fmt: skip
    d.add_argument("--perceptual-layers", default="relu1_2,relu2_2,relu3_4")
    d.add_argument("--seed", type=int, default=0, help="seed of the training latents")
    d.add_argument("--eval-n", type=int, default=1000,
                   help="samples per model for the FIDs after training (0: skip)")  # fmt: skip
    d.add_argument("--agree-n", type=int, default=256,
                   help="new latents on which student and teacher are compared")  # fmt: skip
    d.add_argument("--data", metavar="FOLDER",
                   help="real images for the FIDs (default: the run's test split)")  # fmt: skip
    d.add_argument("--precision", choices=PRECISIONS, default="auto",
                   help="training precision; auto = bf16 where native")  # fmt: skip
    d.add_argument("--device", choices=DEVICES, default="auto")
    d.add_argument("--threads", type=int, default=0)
    d.add_argument("--no-progress", action="store_true", help="no progress bars")
    d.set_defaults(func=cmd_distill)
