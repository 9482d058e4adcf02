"""Image quality per CPU-hour: training recipes side by side on the same paintings.

Every recipe (a model plus training options, e.g. ``dcgan+diffaug``, ``fastgan+proj``;
see ``artgan.experiments.OPTIONS``) trains with the same data, split, seed, precision and
wall-clock budget through ``artgan compare`` (interrupt it and run the same command again
to continue), is evaluated on ``--eval-n`` samples against the test split with the real
paintings' floor beside it, and lands in one table::

    python benchmarks/bench_quality.py --data ../shared/data/artworks --budget 60m \\
        --out results/quality-64px-60m

Writes OUT/quality.md and OUT/quality.json (FID, KID, precision, recall, density,
coverage, FD-VGG19, copy fraction, s/step, images shown), next to compare's report.md,
fid_curve.png (FID against minutes and against images shown) and samples.png.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from artgan.errors import ArtganError, Interrupted
from artgan.evaluation import is_number, jsonable
from artgan.experiments import ExperimentPlan, run_experiment
from artgan.experiments.report import collect
from artgan.io.atomic import atomic_write
from bench_common import cli  # benchmarks/ is on sys.path

DEFAULT_RECIPES = "dcgan,dcgan+diffaug,dcgan+proj,fastgan,fastgan+proj"
COLUMNS = (("fid", "FID", ".1f"), ("kid", "KID", ".4f"), ("prdc_precision", "precision", ".3f"),
           ("prdc_recall", "recall", ".3f"), ("prdc_density", "density", ".3f"),
           ("prdc_coverage", "coverage", ".3f"), ("fd_vgg19", "FD-VGG19", ".1f"),
           ("copy_fraction", "copy fraction", ".3f"))  # fmt: skip


def _cell(entry: dict, fmt: str) -> str:
    return format(entry["mean"], fmt) if "mean" in entry else "n/a"


def quality_table(plan: ExperimentPlan, out: Path) -> tuple[str, dict]:
    data = collect(plan, out)
    summary, floor = data["summary"], data["floor"] or {}
    head = ["recipe", "steps", "images shown", "s/step", *(c[1] for c in COLUMNS)]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for recipe in plan.variants:
        s = summary.get(recipe)
        if s is None:
            lines.append(f"| {recipe} | not run yet |" + " |" * (len(head) - 2))
            continue
        steps, secs = s["train_steps"].get("mean", 0), s["train_seconds"].get("mean", 0)
        shown = s["images_shown"].get("mean")
        metrics = [_cell(s[k], f) for k, _, f in COLUMNS]
        cells = [recipe, f"{steps:.0f}", f"{shown / 1000:.0f}k" if shown else "?",
                 f"{secs / max(steps, 1):.2f}", *metrics]  # fmt: skip
        lines.append("| " + " | ".join(cells) + " |")
    if floor:
        cells = [format(floor[k], f) if is_number(floor.get(k)) else "" for k, _, f in COLUMNS]
        lines.append(f"| real paintings (n={floor['n']}) | | | | " + " | ".join(cells) + " |")
    return "\n".join(lines), data


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", help="image folder (default: built-in landscapes)")
    ap.add_argument("--recipes", default=DEFAULT_RECIPES)
    ap.add_argument("--budget", default="60m", help="per recipe: 60m, 5h, or a step count")
    ap.add_argument("--resolution", type=int, default=64)
    ap.add_argument("--eval-n", type=int, default=2000)
    ap.add_argument("--fid-every", default="10m")
    ap.add_argument("--fid-n", type=int, default=500)
    ap.add_argument("--precision", default="auto")
    ap.add_argument("--out", required=True)
    ap.add_argument("--no-progress", action="store_true")
    a = ap.parse_args()
    plan = ExperimentPlan(data=a.data, variants=a.recipes.split(","), budget=a.budget,
                          resolution=a.resolution, precision=a.precision, fid_every=a.fid_every,
                          fid_n=a.fid_n, eval_n=a.eval_n)  # fmt: skip
    out = Path(a.out)
    command = "python " + " ".join(shlex.quote(x) for x in sys.argv)
    try:
        run_experiment(plan, out, progress=not a.no_progress, command=command)
    except Interrupted as exc:  # Ctrl-C: the run in progress saved a checkpoint
        print(f"interrupted: {exc}\nrun the same command again to continue", file=sys.stderr)
        return 130
    except ArtganError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    table, data = quality_table(plan, out)
    text = (f"# Image quality per CPU-hour\n\nCommand: `{command}`\n\n{table}\n\n"
            f"Full report (every metric, the machine, wall-clock): report.md.\n")  # fmt: skip
    with atomic_write(out / "quality.md") as f:
        f.write(text.encode())
    with atomic_write(out / "quality.json") as f:
        f.write(json.dumps(jsonable(data["summary"]), indent=2).encode())
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(cli(main))
