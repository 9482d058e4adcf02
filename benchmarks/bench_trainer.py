"""Trainer throughput vs a bare training loop with the same networks, in one run.

The bare loop is what a plain script would do: the DCGAN generator and discriminator,
Adam, BCE, bf16 autocast and channels_last, on one fixed real batch (no data loading,
no augmentation, no EMA, no logging). The trainer runs as users run it: cached data,
augmentation, EMA, progress accounting, metric logs. Segments alternate (bare, trainer,
bare, trainer, …) so machine noise hits both alike; the reported ratio is
``trainer images/s ÷ bare images/s`` from medians.

    python benchmarks/bench_trainer.py [--data FOLDER] [--steps 40] [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import torch
import torch.nn.functional as F

from artgan.config import parse_override, resolve
from artgan.data import load_dataset
from artgan.models.dcgan import DCGANDiscriminator, DCGANGenerator
from artgan.runtime import cpu_name, setup_runtime
from artgan.train import Trainer
from bench_common import cli  # benchmarks/ is on sys.path

HERE = Path(__file__).resolve().parent
DEFAULT_DATA = HERE.parents[1] / "shared" / "data" / "artworks"


def bare_loop(steps: int, res: int, batch: int, precision: str, warmup: int = 3) -> float:
    """Seconds per step of a plain DCGAN loop (after ``warmup`` untimed steps)."""
    torch.manual_seed(0)
    cl = torch.channels_last
    G = DCGANGenerator(100, res).to(memory_format=cl)
    D = DCGANDiscriminator(res).to(memory_format=cl)
    opt_g = torch.optim.Adam(G.parameters(), 2e-4, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(D.parameters(), 2e-4, betas=(0.5, 0.999))
    real = (torch.rand(batch, 3, res, res) * 2 - 1).contiguous(memory_format=cl)
    ones, zeros = torch.ones(batch), torch.zeros(batch)
    ac = torch.autocast("cpu", dtype=torch.bfloat16, enabled=precision == "bf16")
    t0 = 0.0
    for i in range(warmup + steps):
        if i == warmup:
            t0 = time.perf_counter()
        with ac:
            fake = G(torch.randn(batch, 100))
            out_r, out_f = D(real), D(fake.detach())
        loss_d = F.binary_cross_entropy_with_logits(
            out_r.float(), ones
        ) + F.binary_cross_entropy_with_logits(out_f.float(), zeros)
        opt_d.zero_grad(set_to_none=True)
        loss_d.backward()
        opt_d.step()
        D.requires_grad_(False)
        with ac:
            out = D(fake)
        loss_g = F.binary_cross_entropy_with_logits(out.float(), ones)
        opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        opt_g.step()
        D.requires_grad_(True)
    return (time.perf_counter() - t0) / steps


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=str(DEFAULT_DATA) if DEFAULT_DATA.is_dir() else None)
    ap.add_argument("--resolution", type=int, default=64)
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--precision", default="auto", choices=["auto", "fp32", "bf16"],
                    help="auto: bf16 where the CPU has it natively, else fp32")  # fmt: skip
    ap.add_argument("--steps", type=int, default=40, help="timed steps per segment")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--out", default=str(HERE / "results"))
    a = ap.parse_args()

    a.precision = setup_runtime("cpu", a.precision, a.threads).precision  # auto → resolved
    ds = load_dataset(a.data, a.resolution)
    cfg = resolve(
        "dcgan",
        None,
        [
            parse_override(f"data.resolution={a.resolution}"),
            parse_override(f"train.batch_size={a.batch_size}"),
            parse_override(f"train.precision={a.precision}"),
            parse_override("train.device=cpu"),
            parse_override(f"train.threads={a.threads}"),
            parse_override("train.progress=false"),
            parse_override("train.sample_every=1000000"),
            parse_override("train.ckpt_every=1000000"),
        ],
    )
    bare, sustained, wall = [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        trainer = Trainer(cfg, Path(tmp) / "run", dataset=ds)
        trainer.fit(until_step=3)  # warm-up, like the bare loop's
        for r in range(a.rounds):
            bare.append(bare_loop(a.steps, a.resolution, a.batch_size, a.precision))
            start, t0 = trainer.state.step, time.perf_counter()
            trainer.fit(until_step=start + a.steps)
            wall.append((time.perf_counter() - t0) / a.steps)
            rows = [x for x in trainer.log.read() if x["step"] > start]
            # The trainer's own per-interval timings: the loop without the end-of-segment
            # sample + checkpoint, which a real run pays once per 500 steps.
            steps = [start] + [x["step"] for x in rows]
            spent = sum(x["s_per_step"] * (s1 - s0) for x, s0, s1 in zip(rows, steps, steps[1:]))
            sustained.append(spent / (steps[-1] - start))
            print(f"round {r}: bare {bare[-1]:.3f} s/step, trainer {sustained[-1]:.3f} "
                  f"s/step (with save {wall[-1]:.3f})", file=sys.stderr)  # fmt: skip

    b, s, w = statistics.median(bare), statistics.median(sustained), statistics.median(wall)
    result = {
        "benchmark": "trainer_vs_bare_loop",
        "data": str(a.data or "builtin:landscapes"),
        "resolution": a.resolution,
        "batch_size": a.batch_size,
        "precision": a.precision,
        "channels_last": True,
        "threads": torch.get_num_threads(),
        "steps_per_segment": a.steps,
        "rounds": a.rounds,
        "bare_s_per_step": bare,
        "trainer_s_per_step": sustained,
        "trainer_with_save_s_per_step": wall,
        "bare_img_per_s": a.batch_size / b,
        "trainer_img_per_s": a.batch_size / s,
        "ratio_trainer_over_bare": b / s,
        "ratio_including_save_every_segment": b / w,
        "torch": torch.__version__,
        "machine": f"{cpu_name()} ({platform.machine()}), {os.cpu_count()} cpus",
        "date": time.strftime("%Y-%m-%d %H:%M"),
    }
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "trainer_throughput.json").write_text(json.dumps(result, indent=2))
    md = (
        f"# Trainer vs bare loop ({a.resolution}px, batch {a.batch_size}, {a.precision}, "
        f"channels_last, {result['threads']} threads)\n\n"
        f"| loop | s/step (median of {a.rounds}) | images/s |\n|---|---|---|\n"
        f"| bare script | {b:.3f} | {a.batch_size / b:.1f} |\n"
        f"| artgan trainer | {s:.3f} | {a.batch_size / s:.1f} |\n"
        f"| artgan trainer, incl. sample+checkpoint every {a.steps} steps | {w:.3f} "
        f"| {a.batch_size / w:.1f} |\n\n"
        f"**Throughput ratio trainer / bare: {b / s:.3f}** "
        f"({b / w:.3f} with a save every segment).\n\n"
        f"Data: `{result['data']}`; torch {torch.__version__}; {result['date']}.\n"
    )
    (out / "trainer_throughput.md").write_text(md)
    print(md)
    return 0


if __name__ == "__main__":
    raise SystemExit(cli(main))
