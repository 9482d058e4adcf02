"""Golden equality: does the code in this tree train exactly as an older commit did?

For each of dcgan, sagan and migan (32 px, the artworks, fixed seed) it trains 20 steps
with the code of ``--before`` (extracted with ``git archive`` into a temp folder and put
first on ``PYTHONPATH``) and with the code of this tree, then compares

- every tensor of the step-10 and step-20 checkpoints (models, optimisers, RNG), bit for bit;
- every sample PNG (decoded pixels);
- every logged loss value;
- resume across the change: the *old* code's step-10 checkpoint, resumed by the *new* code
  to step 20, must equal the new code's uninterrupted run.

Both sides run on this machine with the same thread count, so the comparison is exact
whatever the CPU. Usage (about 6 minutes on 2 cores once the 32 px decode cache exists)::

    python scripts/golden_check.py                   # against the pre-refactor commit
    python scripts/golden_check.py --before HEAD~3 --models dcgan --out /tmp/golden

Exit status 0 when everything matches, 1 otherwise (each difference is printed).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
ARTWORKS = ROOT.parent / "shared" / "data" / "artworks"
# The last commit before the architecture refactor (issue 14).
BEFORE = "34dac6c"
MODELS = ("dcgan", "sagan", "migan")
VOLATILE = {"time", "img_per_s", "s_per_step", "train_seconds"}  # wall-clock, not results


def export_tree(rev: str, dest: Path) -> Path:
    """``src/`` of commit ``rev`` into ``dest``; returns the folder to put on PYTHONPATH."""
    dest.mkdir(parents=True, exist_ok=True)
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", rev, "src"], check=True, capture_output=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)
    return dest / "src"


def train(src: Path, args: list[str], log: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(src), "OMP_WAIT_POLICY": "PASSIVE"}
    cmd = [sys.executable, "-m", "artgan", "train", *args]
    with open(log, "a") as f:
        f.write(f"$ PYTHONPATH={src} {' '.join(cmd)}\n")
        f.flush()
        done = subprocess.run(cmd, env=env, stdout=f, stderr=subprocess.STDOUT, check=False)
    if done.returncode:
        raise SystemExit(f"training failed ({done.returncode}); see {log}")


def flat(obj: Any, prefix: str = "") -> dict[str, Any]:
    """Nested containers → {dotted key: leaf}."""
    if isinstance(obj, dict):
        out: dict[str, Any] = {}
        for k, v in obj.items():
            out.update(flat(v, f"{prefix}{k}."))
        return out
    if isinstance(obj, (list, tuple)):
        out = {}
        for i, v in enumerate(obj):
            out.update(flat(v, f"{prefix}{i}."))
        return out
    return {prefix: obj}


def compare_checkpoints(a: Path, b: Path) -> list[str]:
    """Differences between the tensors (and step) of two checkpoints."""
    ca = torch.load(a, map_location="cpu", weights_only=True)
    cb = torch.load(b, map_location="cpu", weights_only=True)
    problems = []
    if ca["step"] != cb["step"]:
        problems.append(f"step {ca['step']} vs {cb['step']}")
    for part in ("models", "optim", "rng"):
        fa, fb = flat(ca[part]), flat(cb[part])
        if fa.keys() != fb.keys():
            problems.append(f"{part}: keys differ ({sorted(set(fa) ^ set(fb))[:5]})")
            continue
        for key, va in fa.items():
            vb = fb[key]
            if isinstance(va, torch.Tensor):
                if not (va.dtype == vb.dtype and va.shape == vb.shape and torch.equal(va, vb)):
                    problems.append(f"{part}.{key} differs")
            elif va != vb:
                problems.append(f"{part}.{key}: {va!r} vs {vb!r}")
    parts = ("models", "optim", "rng")
    n = sum(isinstance(v, torch.Tensor) for p in parts for v in flat(ca[p]).values())
    print(f"    {a.name}: {n} tensors compared, {len(problems)} differences")
    return problems


def compare_samples(a: Path, b: Path) -> list[str]:
    fa = sorted(p.name for p in (a / "samples").glob("step_*.png"))
    fb = sorted(p.name for p in (b / "samples").glob("step_*.png"))
    if fa != fb or not fa:
        return [f"sample files differ: {fa} vs {fb}"]
    problems = []
    for name in fa:
        pa = np.asarray(Image.open(a / "samples" / name))
        pb = np.asarray(Image.open(b / "samples" / name))
        if pa.shape != pb.shape or not np.array_equal(pa, pb):
            problems.append(f"samples/{name} differs")
    print(f"    {len(fa)} sample grids compared, {len(problems)} differences")
    return problems


def loss_rows(run: Path) -> list[dict[str, Any]]:
    rows = [json.loads(x) for x in (run / "metrics.jsonl").read_text().splitlines() if x]
    return [{k: v for k, v in r.items() if k not in VOLATILE} for r in rows if "loss_d" in r]


def compare_losses(a: Path, b: Path) -> list[str]:
    ra, rb = loss_rows(a), loss_rows(b)
    print(f"    {len(ra)} loss rows compared")
    return [] if ra == rb else ["logged losses differ"]


def check_model(model: str, old_src: Path, new_src: Path, out: Path, threads: int) -> list[str]:
    common = [
        "--data", str(ARTWORKS), "--model", model, "--resolution", "32", "--seed", "0",
        "--precision", "fp32", "--threads", str(threads), "--no-progress",
        "--sample-every", "10", "--ckpt-every", "10", "--set", "train.log_every=1",
    ]  # fmt: skip
    log = out / f"{model}.log"
    runs = {name: out / f"{model}-{name}" for name in ("old", "new", "old10-new20")}
    for run in runs.values():
        shutil.rmtree(run, ignore_errors=True)
    print(f"[{model}] old code, 20 steps", flush=True)
    train(old_src, [*common, "--steps", "20", "--out", str(runs["old"])], log)
    print(f"[{model}] new code, 20 steps", flush=True)
    train(new_src, [*common, "--steps", "20", "--out", str(runs["new"])], log)
    print(f"[{model}] old code to step 10, resumed by the new code to 20", flush=True)
    train(old_src, [*common, "--steps", "10", "--out", str(runs["old10-new20"])], log)
    resume = ["--resume", str(runs["old10-new20"]), "--steps", "20", "--no-progress"]
    train(new_src, resume, log)

    problems = []
    ck = "checkpoints/ckpt_{:07d}.pt"
    for step in (10, 20):
        p = compare_checkpoints(runs["old"] / ck.format(step), runs["new"] / ck.format(step))
        problems += [f"old vs new, step {step}: {x}" for x in p]
    problems += [f"old vs new: {x}" for x in compare_samples(runs["old"], runs["new"])]
    problems += [f"old vs new: {x}" for x in compare_losses(runs["old"], runs["new"])]
    p = compare_checkpoints(runs["new"] / ck.format(20), runs["old10-new20"] / ck.format(20))
    problems += [f"resumed across the change: {x}" for x in p]
    problems += [f"resumed: {x}" for x in compare_losses(runs["new"], runs["old10-new20"])]
    return problems


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--before", default=BEFORE, help=f"old commit (default {BEFORE})")
    p.add_argument("--models", default=",".join(MODELS))
    p.add_argument("--out", help="work folder (default: a temp folder, removed on success)")
    p.add_argument("--threads", type=int, default=2)
    a = p.parse_args()
    if not ARTWORKS.is_dir():
        print(f"golden_check needs the artworks at {ARTWORKS}", file=sys.stderr)
        return 2
    out = Path(a.out) if a.out else Path(tempfile.mkdtemp(prefix="artgan-golden-"))
    out.mkdir(parents=True, exist_ok=True)
    old_src = export_tree(a.before, out / "before")
    problems: dict[str, list[str]] = {}
    for model in a.models.split(","):
        problems[model] = check_model(model, old_src, ROOT / "src", out, a.threads)
    bad = {m: p for m, p in problems.items() if p}
    for model, items in problems.items():
        print(f"{model}: {'IDENTICAL' if not items else f'{len(items)} differences'}")
        for item in items[:20]:
            print(f"  - {item}")
    if not bad and not a.out:
        shutil.rmtree(out, ignore_errors=True)
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
