"""Run an experiment: train every (variant, seed) under one budget, evaluate each, report.

Layout of ``OUT``::

    plan.json               what was asked (a rerun must ask the same)
    runs/VARIANT-sS/        an ordinary artgan run folder (resume, evaluate, generate work)
    runs/VARIANT-sS/eval.json   final metrics; its presence marks the run finished
    report.md, results.json, fid_curve.png, samples.png

Interrupting (Ctrl-C) checkpoints the current run; the same command continues it and
skips runs that already have ``eval.json``. With ``jobs`` > 1, runs train in parallel
child processes (``artgan compare-run OUT NAME``), each with ``cores // jobs`` threads
unless the plan fixes the thread count.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import time
import warnings
from pathlib import Path
from typing import Any

import torch

from artgan.config import from_saved, read_yaml, replace
from artgan.data import absolute_data_path, load_dataset, split_indices
from artgan.errors import ArtganError, Interrupted
from artgan.evaluation import FIDMonitor, evaluate_run, generation_cost, jsonable
from artgan.evaluation.floor import FLOOR_METRICS, warm_floor_stats
from artgan.experiments.plan import ExperimentPlan
from artgan.experiments.report import write_report
from artgan.io.atomic import atomic_write, make_dir
from artgan.io.checkpoint import CheckpointManager
from artgan.io.jsonl import read_jsonl
from artgan.metrics import metric_names, parse_metrics
from artgan.runtime import cpu_name, resolve_device, resolve_precision, setup_runtime
from artgan.train import Trainer, resume_config


def _say(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def load_or_create_plan(out: Path, plan: ExperimentPlan) -> ExperimentPlan:
    """Write ``plan.json`` on the first run; later runs must match it. Arguments that
    cannot run are refused before anything is written."""
    plan.check_runnable()
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
    make_dir(out, "experiment folder")
    with atomic_write(path) as f:
        f.write(json.dumps(plan.to_dict(), indent=2).encode())
    return plan


def _train(
    plan: ExperimentPlan,
    variant: str,
    seed: int,
    run_dir: Path,
    progress: bool,
    threads: int | None = None,
) -> None:
    run = {"progress": progress, **({"threads": threads} if threads else {})}
    if CheckpointManager(run_dir).step_files():
        cfg, ckpt, _ = resume_config(run_dir, [{"train": run}])
        _say(f"[{variant} seed {seed}] resuming from step {ckpt['step']}")
        trainer = Trainer(cfg, run_dir, resume_state=ckpt)
    else:
        cfg = plan.config_for(variant, seed)
        cfg = replace(cfg, {"train": {"progress": progress,
                                      "threads": threads or cfg.train.threads}})  # fmt: skip
        _say(f"[{variant} seed {seed}] training ({plan.budget}) into {run_dir}")
        trainer = Trainer(cfg, run_dir)
    trainer.fit()


def _evaluate(plan: ExperimentPlan, run_dir: Path, progress: bool) -> dict[str, Any]:
    results = evaluate_run(
        run_dir,
        plan.metrics,
        n=plan.eval_n,
        progress=progress,
        precision="fp32",
        device="auto",
    )
    rows = read_jsonl(run_dir / "metrics.jsonl")
    losses = [r for r in rows if "loss_g" in r]
    last = losses[-1] if losses else {}
    results["train_seconds"] = last.get("train_seconds")
    results["train_steps"] = last.get("step")
    cfg = from_saved(read_yaml(run_dir / "config.yaml"))
    # Real images the discriminator saw: how much data a model has learnt from.
    results["images_per_step"] = cfg.train.batch_size * cfg.optim.n_critic
    results["images_shown"] = (last.get("step") or 0) * results["images_per_step"]
    monitor_keys = ("n_fake", "precision")  # recorded by newer runs' monitor rows
    fid_curve = [
        {"step": r["step"], "train_seconds": r.get("train_seconds"), "fid": r["fid"]}
        | {k: r[k] for k in monitor_keys if k in r}
        for r in rows
        if r.get("kind") != "eval" and isinstance(r.get("fid"), (int, float))
    ]
    results["fid_curve"] = fid_curve
    # what an image costs to make (ms at batch 1, images/s at batch 64; a diffusion model
    # at several step counts): fp32, after the metrics, nothing else running
    results["generation"] = generation_cost(run_dir)
    with atomic_write(run_dir / "eval.json") as f:
        f.write(json.dumps(jsonable(results), indent=2).encode())
    return results


def run_one(out: str | Path, name: str, progress: bool = True, threads: int | None = None) -> None:
    """Train and evaluate one run of the experiment in ``out`` (a ``--jobs`` child)."""
    out = Path(out)
    plan = ExperimentPlan(**json.loads((out / "plan.json").read_text()))
    match = [(v, s) for v, s, n in plan.run_names() if n == name]
    if not match:
        raise ArtganError(f"'{out}' has no run named '{name}'")
    (variant, seed), run_dir = match[0], out / "runs" / name
    if not (run_dir / "eval.json").is_file():
        _train(plan, variant, seed, run_dir, progress, threads)
        _evaluate(plan, run_dir, progress)


def run_experiment(
    plan: ExperimentPlan,
    out: str | Path,
    progress: bool = True,
    command: str = "",
    jobs: int = 1,
) -> Path:
    """Train and evaluate every run of ``plan`` into ``out`` (continuing where a previous
    call stopped), ``jobs`` at a time, and write the report; returns ``report.md``."""
    out = Path(out)
    plan = load_or_create_plan(out, plan)
    t0 = time.time()
    todo = [r for r in plan.run_names() if not _finished(out, r[2])]
    if todo:
        warm_reference_stats(plan, progress)
    if jobs > 1:
        _run_parallel(plan, out, [name for *_, name in todo], jobs, command)
    names = [name for *_, name in plan.run_names()]
    for variant, seed, name in todo if jobs <= 1 else []:
        if _finished(out, name):
            continue  # finished meanwhile by a `compare-run` started by hand
        # numbered in the whole plan, so a resumed call does not restart the count at 1
        _say(f"== run {names.index(name) + 1}/{len(names)}: {name}")
        try:
            _train(plan, variant, seed, out / "runs" / name, progress)
        except Interrupted as exc:
            # The trainer's hint (`train --resume`) would finish this run's training only;
            # the experiment also owes its evaluation and every other unfinished run.
            raise _owed(out, names, f"{name} {exc.where}", command) from None
        try:
            _evaluate(plan, out / "runs" / name, progress)
        except KeyboardInterrupt:  # eval.json is written last: the rerun evaluates again
            where = f"{name} trained; its final evaluation was stopped (nothing of it kept)"
            raise _owed(out, names, where, command) from None
        # a partial report after every run
        write_report(plan, out, command, _machine(plan))
    report = write_report(plan, out, command, _machine(plan))
    _say(f"experiment done in {(time.time() - t0) / 60:.1f} min this call: {report}")
    return report


def _owed(out: Path, names: list[str], where: str, command: str) -> Interrupted:
    """The interruption of an experiment: where it stopped, how many runs it still owes
    and how to continue."""
    owed = sum(not _finished(out, n) for n in names)
    return Interrupted(
        f"{where}; {owed} of {len(names)} runs owed. Continue with the same command"
        f"{': ' + command if command else ''}"
    )


def _finished(out: Path, name: str) -> bool:
    """A run is finished once its final evaluation is written."""
    return (out / "runs" / name / "eval.json").is_file()


def warm_reference_stats(plan: ExperimentPlan, progress: bool = True) -> None:
    """The test split's Inception statistics, and the floor's (the training paintings the
    final evaluation measures beside the samples), computed once with every core before
    any run starts (the on-disk cache then serves every run's FID monitor and final
    evaluation): on a CPU they cost more than a whole FID of generated images, and
    ``--jobs`` children would otherwise each compute them at the same time."""
    cfg = plan.config_for(plan.variants[0], 0)
    d = cfg.data
    data = load_dataset(
        absolute_data_path(d.path), d.resolution, d.fit, d.cache_dir, progress=progress
    )
    train, test = split_indices(data.files, d.train_fraction, d.split_seed)
    rt = setup_runtime(cfg.train.device, "fp32", 0)  # every core: nothing else runs yet
    precisions = {"fp32"}  # the final evaluation's
    if cfg.train.fid_every > 0 or cfg.train.fid_every_seconds > 0:
        precisions.add(resolve_precision(cfg.train.fid_precision, rt.device))
    for precision in sorted(precisions):
        _say(f"reference statistics of the test split ({len(test)} images, {precision})")
        FIDMonitor.from_imageset(
            data.subset(test), precision=precision, progress=progress, device=str(rt.device)
        ).reference()
    metrics = parse_metrics(plan.metrics if plan.metrics is not None else metric_names())
    if any(m in FLOOR_METRICS for m in metrics):
        _say(f"floor statistics ({min(plan.eval_n, len(train))} training paintings, fp32)")
        warm_floor_stats(metrics, data.subset(train), plan.eval_n, str(rt.device), progress)


def _run_parallel(plan: ExperimentPlan, out: Path, names: list[str], jobs: int,
                  command: str) -> None:  # fmt: skip
    """Up to ``jobs`` child processes at once; each writes ``runs/NAME/compare.log``."""
    cores = os.cpu_count() or 1
    fair = max(1, cores // jobs)
    threads = plan.threads or fair
    if threads * jobs > cores:  # oversubscribed threads slow every run, often many-fold
        fix = f"--threads {fair}" if threads > fair else f"--jobs {cores} or fewer"
        _say(f"warning: {jobs} jobs × {threads} threads > {cores} cores: the runs will slow "
             f"each other (each gets {cores / jobs:.2g} cores on average); use {fix}")  # fmt: skip
    pending, running, failed = list(names), {}, []
    while pending or running:
        while pending and len(running) < jobs:
            name = pending.pop(0)
            log_path = out / "runs" / name / "compare.log"
            log_path.parent.mkdir(parents=True, exist_ok=True)
            cmd = [sys.executable, "-m", "artgan", "compare-run", str(out), name,
                   "--threads", str(threads)]  # fmt: skip
            _say(f"== {name}: started ({threads} threads), log {log_path}")
            log = open(log_path, "a")  # noqa: SIM115  (closed when the child ends)
            proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
            running[name] = (proc, log)
        time.sleep(1.0)
        for name, (proc, log) in list(running.items()):
            if proc.poll() is None:
                continue
            del running[name]
            log.close()
            if proc.returncode:
                failed.append(name)
            _say(f"== {name}: {'failed' if proc.returncode else 'done'}")
            write_report(plan, out, command, _machine(plan))
    if failed:
        logs = ", ".join(str(out / "runs" / n / "compare.log") for n in failed)
        raise ArtganError(f"runs failed: {', '.join(failed)} (see {logs}); rerun to retry them")


def _machine(plan: ExperimentPlan) -> dict[str, Any]:
    """The machine, and what "auto" became on it for training and for the FID monitor."""
    monitor = plan.config_for(plan.variants[0], 0).train.fid_precision
    with warnings.catch_warnings():  # the runs already warned about emulated bf16
        warnings.simplefilter("ignore")
        device = resolve_device("auto")
        used = resolve_precision(plan.precision, device)
        monitor = resolve_precision(monitor, device)

    return {
        "platform": platform.platform(),
        "processor": f"{cpu_name()} ({platform.machine()})",
        "cpu_count": os.cpu_count(),
        "torch": torch.__version__,
        "cuda": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
        "precision": used,  # what "auto" became for the training runs
        "monitor_precision": monitor,  # the FID monitor's (train.fid_precision)
    }
