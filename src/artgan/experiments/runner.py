"""Run an experiment: train every (variant, seed) under one budget, evaluate each, report.

Layout of ``OUT``::

    plan.json               what was asked (a rerun must ask the same)
    runs/VARIANT-sS/        an ordinary artgan run folder (resume, evaluate, generate work)
    runs/VARIANT-sS/eval.json   final metrics; its presence marks the run finished
    report.md, results.json, fid_curve.png, samples.png

Interrupting (Ctrl-C) checkpoints the current run; the same command continues it and
skips runs that already have ``eval.json``.
"""

from __future__ import annotations

import json
import platform
import sys
import time
from pathlib import Path
from typing import Any

from artgan.atomic import atomic_write
from artgan.errors import ArtganError
from artgan.evaluate_report import jsonable
from artgan.experiments.plan import ExperimentPlan


def _say(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def load_or_create_plan(out: Path, plan: ExperimentPlan) -> ExperimentPlan:
    """Write ``plan.json`` on the first run; later runs must match it."""
    path = out / "plan.json"
    if path.is_file():
        old = json.loads(path.read_text())
        new = plan.to_dict()
        changed = sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k))
        if changed:
            details = "; ".join(f"{k}: {old.get(k)!r} → {new.get(k)!r}" for k in changed)
            raise ArtganError(
                f"'{out}' holds a different experiment ({details}); rerun it with the same "
                f"arguments to continue, or choose another --out"
            )
        _say(f"continuing the experiment in {out}")
        return plan
    out.mkdir(parents=True, exist_ok=True)
    with atomic_write(path) as f:
        f.write(json.dumps(plan.to_dict(), indent=2).encode())
    return plan


def _train(plan: ExperimentPlan, variant: str, seed: int, run_dir: Path, progress: bool) -> None:
    from artgan.train import Trainer, resume_config
    from artgan.train.checkpoint import CheckpointManager

    if CheckpointManager(run_dir).step_files():
        cfg, ckpt, _ = resume_config(run_dir, [{"train": {"progress": progress}}])
        _say(f"[{variant} seed {seed}] resuming from step {ckpt['step']}")
        trainer = Trainer(cfg, run_dir, resume_state=ckpt)
    else:
        cfg = plan.config_for(variant, seed)
        cfg.train.progress = progress
        _say(f"[{variant} seed {seed}] training ({plan.budget}) into {run_dir}")
        trainer = Trainer(cfg, run_dir)
    trainer.fit()


def _evaluate(plan: ExperimentPlan, run_dir: Path, progress: bool) -> dict[str, Any]:
    from artgan.evaluate import evaluate_run

    results = evaluate_run(run_dir, n=plan.eval_n, progress=progress, precision="fp32")
    rows = [json.loads(x) for x in (run_dir / "metrics.jsonl").read_text().splitlines() if x]
    losses = [r for r in rows if "loss_d" in r]
    last = losses[-1] if losses else {}
    results["train_seconds"] = last.get("train_seconds")
    results["train_steps"] = last.get("step")
    fid_curve = [
        {"step": r["step"], "train_seconds": r.get("train_seconds"), "fid": r["fid"]}
        for r in rows
        if r.get("kind") != "eval" and isinstance(r.get("fid"), (int, float))
    ]
    results["fid_curve"] = fid_curve
    with atomic_write(run_dir / "eval.json") as f:
        f.write(json.dumps(jsonable(results), indent=2).encode())
    return results


def run_experiment(
    plan: ExperimentPlan, out: str | Path, progress: bool = True, command: str = ""
) -> Path:
    """Train and evaluate every run of ``plan`` into ``out`` (continuing where a previous
    call stopped) and write the report; returns the path of ``report.md``."""
    from artgan.experiments.report import write_report

    out = Path(out)
    plan = load_or_create_plan(out, plan)
    t0 = time.time()
    for i, (variant, seed, name) in enumerate(plan.run_names(), 1):
        run_dir = out / "runs" / name
        if (run_dir / "eval.json").is_file():
            continue
        _say(f"== run {i}/{len(plan.run_names())}: {name}")
        _train(plan, variant, seed, run_dir, progress)
        _evaluate(plan, run_dir, progress)
        write_report(plan, out, command, _machine())  # a partial report after every run
    report = write_report(plan, out, command, _machine())
    _say(f"experiment done in {(time.time() - t0) / 60:.1f} min this call: {report}")
    return report


def _machine() -> dict[str, Any]:
    import os

    import torch

    return {
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpu_count": os.cpu_count(),
        "torch": torch.__version__,
        "cuda": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
    }
