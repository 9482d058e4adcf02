"""``artgan evaluate``: metrics for a run (vs its test split or a folder) or two folders."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from artgan.cli.common import DEVICES
from artgan.errors import ArtganError
from artgan.evaluation import evaluate_folders, evaluate_run, format_table, jsonable
from artgan.io.atomic import atomic_write, make_dir
from artgan.metrics import metric_names, parse_metrics
from artgan.runtime import setup_runtime


def cmd_evaluate(a: argparse.Namespace) -> int:
    folders = a.real is not None or a.fake is not None
    if (a.run is None) == (not folders) or (folders and (a.real is None or a.fake is None)):
        raise ArtganError("give either a RUN folder or both --real A and --fake B, not both")
    if folders and a.data is not None:
        raise ArtganError("--data picks the real images of a RUN; with --real/--fake drop it")
    if a.run is not None and a.resolution is not None:
        raise ArtganError("--resolution is for --real/--fake; a run evaluates at its own")
    metrics = parse_metrics(a.metrics)
    if a.n < 1:
        raise ArtganError(f"--n must be at least 1, got {a.n}")
    if a.batch_size < 1:
        raise ArtganError(f"--batch-size must be at least 1, got {a.batch_size}")
    out = Path(a.json) if a.json else None
    if out is not None and out.is_dir():  # checked before minutes of feature extraction
        raise ArtganError(f"--json '{out}' is a folder; give a file path")
    rt = setup_runtime(a.device, "fp32", a.threads)  # caps threads, checks the device
    common = {"batch_size": a.batch_size, "precision": a.precision,
              "progress": not a.no_progress, "device": str(rt.device)}  # fmt: skip
    if folders:
        results = evaluate_folders(a.real, a.fake, metrics, a.resolution, **common)
    else:
        results = evaluate_run(a.run, metrics, a.n, a.data, a.seed, **common)
    print(format_table(results))
    if a.run is not None:
        print(f"appended to {Path(results['run']) / 'metrics.jsonl'}", file=sys.stderr)
    if out is not None:
        make_dir(out.parent, "--json folder")
        with atomic_write(out) as f:
            f.write((json.dumps(jsonable(results), indent=2, allow_nan=False) + "\n").encode())
        print(f"wrote {out}", file=sys.stderr)
    return 0


def add_parsers(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register ``evaluate`` on the ``artgan`` sub-command parsers; returns its parser."""
    names = ",".join(metric_names())
    e = sub.add_parser(
        "evaluate",
        help="FID/KID/IS/SSIM/MS-SSIM/perceptual/SD of a run or of two image folders",
        description="Evaluate a run (EMA generator vs its test split, or --data) or compare "
        "two folders (--real A --fake B; paired metrics match files by sorted name).",
    )
    e.add_argument("run", nargs="?", metavar="RUN", help="run folder or checkpoint file")
    e.add_argument("--data", metavar="FOLDER", help="real images for RUN (default: test split)")
    e.add_argument("--real", metavar="A", help="folder of real/reference images")
    e.add_argument("--fake", metavar="B", help="folder of generated/reconstructed images")
    e.add_argument(
        "--metrics",
        default=names,
        metavar="LIST",
        help=f"comma-separated, from {names} (default: all)",
    )
    e.add_argument("--n", type=int, default=2000, help="generated images for RUN (default 2000)")
    e.add_argument("--batch-size", type=int, default=50)
    e.add_argument("--precision", choices=["fp32", "bf16"], default="fp32",
                   help="Inception precision (bf16: faster, FID drifts slightly)")  # fmt: skip
    e.add_argument("--seed", type=int, default=0, help="first seed of the generated images")
    e.add_argument("--resolution", type=int, help="--real/--fake: side in px (default: B's)")
    e.add_argument("--device", choices=DEVICES, default="auto")
    e.add_argument("--threads", type=int, default=0, help="CPU threads (default: cores, ≤ 8)")
    e.add_argument("--json", metavar="OUT", help="also write the results to this JSON file")
    e.add_argument("--no-progress", action="store_true", help="no progress bars")
    e.set_defaults(func=cmd_evaluate)
    return e
