"""Generation speed: images/s of each model's generator at batch 1 and 64, in fp32 and
bf16, with and without channels_last, and on onnxruntime (fp32, the graph
``artgan export --format onnx`` writes) where it is installed, all in one run (ratios
against torch eager fp32 contiguous).

Generators are freshly initialised from each model's preset (speed does not depend on
the weights); inference runs under ``torch.inference_mode`` as ``artgan generate`` does.

    python benchmarks/bench_generation.py [--resolution 64] [--reps 20] [--out DIR]
    python benchmarks/bench_generation.py --models dcgan,vae,ddpm   # the likelihood models

A ddpm "generator" is its DDIM sampler at the preset's step count (one image costs that
many UNet passes); it has no ONNX export, so no onnxruntime rows.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import torch

from artgan.config import resolve
from artgan.models import get_model, model_latent
from bench_common import cli, precisions  # benchmarks/ is on sys.path

HERE = Path(__file__).resolve().parent
MODES = [("fp32", False), ("fp32", True), ("bf16", False), ("bf16", True)]


def build_generator(name: str, resolution: int) -> tuple[torch.nn.Module, int]:
    cfg = resolve(name, None, [{"data": {"resolution": resolution}}])
    model_cfg = cfg.model.for_classes(0)  # "auto" codes: what a folder without classes gets
    latent = model_latent(model_cfg, resolution)  # ddpm: x_T, 3·R·R values
    torch.manual_seed(0)
    g = get_model(name).generator(model_cfg, latent, resolution).eval()
    return g, latent.dim


def calls_per_s(call: Callable[[], object], reps: int) -> float:
    """Calls of ``call`` per second over ``reps`` calls, after two warm-up calls
    (allocator, oneDNN kernel selection, onnxruntime's first-run planning)."""
    for _ in range(2):
        call()
    t = time.perf_counter()
    for _ in range(reps):
        call()
    return reps / (time.perf_counter() - t)


def reps_for(batch: int, reps: int) -> int:
    """Timed calls at ``batch``: ``reps`` at batch 1, a fifth of them at batch 64."""
    return reps if batch == 1 else max(1, reps // 5)


def images_per_s(g: torch.nn.Module, dim: int, batch: int, precision: str, cl: bool,
                 reps: int) -> float:  # fmt: skip
    fmt = torch.channels_last if cl else torch.contiguous_format
    g = g.to(memory_format=fmt)
    z = torch.randn(batch, dim)
    ctx = (lambda: torch.autocast("cpu", dtype=torch.bfloat16)) if precision == "bf16" else (
        lambda: torch.autocast("cpu", enabled=False))  # fmt: skip
    with torch.inference_mode(), ctx():
        return batch * calls_per_s(lambda: g(z), reps)


def onnx_images_per_s(g: torch.nn.Module, dim: int, batches: tuple[int, ...],
                      reps: int) -> dict[int, float] | None:  # fmt: skip
    """images/s of ``g`` exported to ONNX and run by onnxruntime with torch's thread
    count, per batch size; None without the onnx packages."""
    try:
        import onnxruntime as ort

        from artgan.sampling.onnx import export_module
    except ImportError:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "g.onnx"
        export_module(g, torch.randn(2, dim), path, ("latent", "image"))
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = torch.get_num_threads()
        sess = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
    out = {}
    for batch in batches:
        z = torch.randn(batch, dim).numpy()
        call = lambda z=z: sess.run(["image"], {"latent": z})  # noqa: E731
        out[batch] = batch * calls_per_s(call, reps_for(batch, reps))
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--resolution", type=int, default=64)
    ap.add_argument(
        "--reps", type=int, default=20, help="timed calls at batch 1 (batch 64: reps/5)"
    )
    ap.add_argument("--models", default="dcgan,sagan,migan")
    ap.add_argument("--threads", type=int, default=0, help="default: all cores, at most 8")
    ap.add_argument("--precisions", default="auto", help="auto: fp32, and bf16 where native")
    ap.add_argument("--out", default=str(HERE / "results"))
    ap.add_argument("--no-onnx", dest="onnx", action="store_false",
                    help="skip the onnxruntime rows (they need the onnx extra)")  # fmt: skip
    a = ap.parse_args()
    if a.threads:
        torch.set_num_threads(a.threads)
    precs, skipped = precisions(a.precisions)
    modes = [m for m in MODES if m[0] in precs]
    rows = []
    for name in a.models.split(","):
        g, dim = build_generator(name, a.resolution)
        # an iterative model (ddpm) has no ONNX export (artgan export refuses it)
        ort = a.onnx and not get_model(name).iterative
        ort_ips = onnx_images_per_s(g, dim, (1, 64), a.reps) if ort else None
        for batch in (1, 64):
            reps = reps_for(batch, a.reps)
            base = None
            for precision, cl in modes:
                ips = images_per_s(g, dim, batch, precision, cl, reps)
                base = base or ips
                rows.append({"model": name, "batch": batch, "precision": precision,
                             "channels_last": cl, "runtime": "torch", "images_per_s": ips,
                             "ms_per_call": 1000 * batch / ips, "speedup": ips / base})  # fmt: skip
                print(f"{name:6s} b{batch:<3d} {precision} cl={cl!s:5s} {ips:8.1f} img/s "
                      f"({ips / base:.2f}x)", flush=True)  # fmt: skip
            if ort_ips is not None:
                ips = ort_ips[batch]
                rows.append({"model": name, "batch": batch, "precision": "fp32",
                             "channels_last": False, "runtime": "onnxruntime",
                             "images_per_s": ips, "ms_per_call": 1000 * batch / ips,
                             "speedup": ips / base})  # fmt: skip
                print(f"{name:6s} b{batch:<3d} onnxruntime fp32 {ips:8.1f} img/s "
                      f"({ips / base:.2f}x)", flush=True)  # fmt: skip
    result = {
        "benchmark": "generation_speed",
        "resolution": a.resolution,
        "threads": torch.get_num_threads(),
        "rows": rows,
        "torch": torch.__version__,
        "machine": f"{platform.machine()} {os.cpu_count()} cpus",
        "date": time.strftime("%Y-%m-%d %H:%M"),
    }
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "generation_speed.json").write_text(json.dumps(result, indent=2))
    lines = [
        f"# Generation speed at {a.resolution}×{a.resolution} ({result['threads']} threads)\n",
        "Speed-up is against torch eager fp32 contiguous for the same model and batch, "
        "same run; onnxruntime runs the fp32 ONNX export with as many threads.\n",
        skipped,
        "| model | batch | runtime | precision | channels_last | images/s | ms per call "
        "| speed-up |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['model']} | {r['batch']} | {r['runtime']} | {r['precision']} | "
            f"{r['channels_last']} | "
            f"{r['images_per_s']:.1f} | {r['ms_per_call']:.1f} | {r['speedup']:.2f} |"
        )
    (out / "generation_speed.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(cli(main))
