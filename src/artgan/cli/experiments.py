"""``artgan compare`` and ``artgan ablate``: the paper's Figure 6–7 and Table 1 as one
command each (training, FID curves, final metrics, report)."""

from __future__ import annotations

import argparse
import shlex
import sys

from artgan.cli.common import PRECISIONS
from artgan.errors import ArtganError
from artgan.experiments import ExperimentPlan, ablate_variants, run_experiment
from artgan.experiments.runner import run_one
from artgan.metrics import metric_names


def _run(a: argparse.Namespace, variants: list[str]) -> int:
    plan = ExperimentPlan(
        data=a.data, variants=variants, budget=a.budget, resolution=a.resolution,
        seeds=a.seeds, precision=a.precision, threads=a.threads, fid_every=a.fid_every,
        fid_n=a.fid_n, eval_n=a.eval_n, labels_as_code=a.labels_as_code, extra=a.set or [],
        metrics=a.metrics,
    )  # fmt: skip
    command = "artgan " + " ".join(shlex.quote(x) for x in sys.argv[1:])
    if a.jobs < 1:
        raise ArtganError(f"--jobs must be at least 1, got {a.jobs}")
    report = run_experiment(plan, a.out, not a.no_progress, command, a.jobs)
    print(f"report: {report}")
    return 0


def cmd_compare(a: argparse.Namespace) -> int:
    return _run(a, [m.strip() for m in a.models.split(",") if m.strip()])


def cmd_compare_run(a: argparse.Namespace) -> int:
    run_one(a.out, a.name, progress=False, threads=a.threads)
    return 0


def cmd_ablate(a: argparse.Namespace) -> int:
    return _run(a, ablate_variants(a.model))


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data", help="image folder (default: built-in procedural landscapes)")
    p.add_argument("--budget", default="60m",
                   help="per run: training time (60m, 2h, 90s; evaluation not counted) or a "
                   "step count (3000); default 60m")  # fmt: skip
    p.add_argument("--resolution", type=int, default=64)
    p.add_argument("--seeds", type=int, default=1, help="repeat with seeds 0…N-1; mean ± std")
    p.add_argument("--out", required=True, help="experiment folder (rerun to continue it)")
    p.add_argument("--precision", choices=PRECISIONS, default="auto",
                   help="auto: bf16 where the hardware has it, else fp32")  # fmt: skip
    p.add_argument("--threads", type=int, default=0,
                   help="CPU threads of each run (default: cores ≤ 8 / --jobs)")  # fmt: skip
    p.add_argument(
        "--fid-every",
        default="500",
        help="FID vs the test split during training: every N steps (500), or every so "
        "much training time (10m: the same number of points for fast and slow models); "
        "0 = off",
    )
    p.add_argument("--fid-n", type=int, default=500, help="images per training-time FID")
    p.add_argument("--eval-n", type=int, default=2000,
                   help="generated images per model for the final metrics (the same for "
                   "every model; the floor row uses as many real training paintings)")  # fmt: skip
    p.add_argument("--metrics", metavar="LIST",
                   help=f"final metrics, comma-separated from {','.join(metric_names())} "
                   "(default: all)")  # fmt: skip
    p.add_argument(
        "--labels-as-code",
        action="store_true",
        help="tie class folders to the categorical code (models with an encoder)",
    )
    p.add_argument(
        "--set",
        action="append",
        metavar="KEY=VALUE",
        help="config override for every run, e.g. --set train.batch_size=32",
    )
    p.add_argument("--jobs", type=int, default=1,
                   help="runs trained at once in child processes (without --threads "
                   "the cores are split between them; keep jobs × threads ≤ cores); "
                   "default 1")  # fmt: skip
    p.add_argument("--no-progress", action="store_true", help="no progress bars")


def add_parsers(sub: argparse._SubParsersAction) -> None:
    c = sub.add_parser(
        "compare",
        help="train several models under one budget and report FID/KID/IS/SSIM/… side by side",
        description="Train each model with the same data, split, seeds and budget, track FID, "
        "evaluate every metric on the test split and write OUT/report.md, fid_curve.png, "
        "samples.png and results.json. Interrupted? Run the same command again.",
    )
    c.add_argument("--models", default="dcgan,sagan,migan",
                   help="comma-separated: dcgan, sagan, migan, migan-no-ams… (default "
                   "dcgan,sagan,migan)")  # fmt: skip
    _common(c)
    c.set_defaults(func=cmd_compare)
    a = sub.add_parser(
        "ablate",
        help="migan and its single ablations (the paper's Table 1) under one budget",
        description=f"`artgan compare` with {', '.join(ablate_variants('migan'))}.",
    )
    a.add_argument("--model", default="migan",
                   help="the model to ablate, optionally with +OPTIONs every run keeps, e.g. "
                   "migan+hinge-r1+lean+diffaug+proj (default migan)")  # fmt: skip
    _common(a)
    a.set_defaults(func=cmd_ablate)
    r = sub.add_parser("compare-run", help=argparse.SUPPRESS)  # a --jobs child process
    r.add_argument("out")
    r.add_argument("name")
    r.add_argument("--threads", type=int)
    r.set_defaults(func=cmd_compare_run)
