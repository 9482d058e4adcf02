"""Inception feature extraction speed (fp32 and bf16 on the BatchNorm-folded graphs artgan
runs, and on the plain TorchScript graph, with and without channels_last), as images/s and
as a share of the machine's peak, and how far bf16 moves FID, in one run on the same
images.

Speed: the first ``--speed-images`` test-split paintings at ``--resolution`` px go through
:func:`artgan.metrics.extract_features` in every mode; modes alternate within each of
``--rounds`` rounds so machine noise hits them alike; images/s are medians over rounds.
Share of peak: the network's FLOPs per image (counted on the eager copy of the same
architecture, ``FIDInceptionV3``: its convolutions, a lower bound) × images/s,
over a large matmul's FLOP/s in the same precision, timed in the same run.

Drift: ``--n`` test-split paintings, split into halves A and B; FID(A, B) and KID(A, B)
with fp32 features and with bf16 features (each side in the same precision, as the
training monitor does); drift = |FID_bf16 - FID_fp32| / FID_fp32. Training-time FID may
default to bf16 only if the drift is under 1%.

    python benchmarks/bench_metrics.py [--data FOLDER] [--n 2000] [--speed-images 200]

Writes ``benchmarks/results/metrics_speed.json`` and ``.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np
import torch

from artgan.data import load_dataset, split_indices
from artgan.metrics import InceptionFeatures, extract_features, fid_from_features, kid_from_features
from artgan.metrics.inception import INPUT_SIZE
from artgan.metrics.inception_score import FIDInceptionV3
from artgan.runtime import cpu_name, setup_runtime
from bench_common import CountFlops, cli, peak_flops, precisions  # benchmarks/ is on sys.path

HERE = Path(__file__).resolve().parent
DEFAULT_DATA = HERE.parents[1] / "shared" / "data" / "artworks"
# (precision, channels_last, folded graph): the folded graphs are what artgan runs on the
# CPU; the plain TorchScript graph (bf16 through autocast) is what it ran before.
MODES = (("fp32", False, True), ("fp32", False, False), ("fp32", True, False),
         ("bf16", False, True), ("bf16", False, False), ("bf16", True, False))  # fmt: skip


def mode_name(precision: str, channels_last: bool, fused: bool) -> str:
    graph = " folded (default)" if fused else " plain graph"
    return precision + graph + (" + channels_last" if channels_last else "")


def gflop_per_image() -> float:
    """Convolution FLOPs of one 299×299 pass to pool3 (the eager copy of the architecture)."""
    net = FIDInceptionV3().eval()
    with torch.no_grad(), CountFlops() as count:  # inference_mode hides ops from the mode
        net.pool3(torch.zeros(1, 3, INPUT_SIZE, INPUT_SIZE))
    return count.total / 1e9


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=str(DEFAULT_DATA) if DEFAULT_DATA.is_dir() else None)
    ap.add_argument("--resolution", type=int, default=64)
    ap.add_argument("--n", type=int, default=2000, help="images for the FID drift (two halves)")
    ap.add_argument("--speed-images", type=int, default=200)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--batch-size", type=int, default=50)
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--precisions", default="auto", help="auto: fp32, and bf16 where native")
    ap.add_argument("--out", default=str(HERE / "results"), help="results folder")
    a = ap.parse_args()
    precs, skipped = precisions(a.precisions)
    modes = [m for m in MODES if m[0] in precs]
    if a.n < 4 or a.speed_images < 1:
        sys.exit("--n must be at least 4 and --speed-images at least 1")
    rt = setup_runtime("cpu", "fp32", a.threads)
    data = load_dataset(a.data, a.resolution, progress=True)
    _, test = split_indices(data.files, 0.6, 0)
    # Random order (fixed seed): the split is sorted by file name, i.e. grouped by genre,
    # and halves A/B must be random halves, not two different genres.
    images = data.images[np.random.default_rng(0).permutation(test)]
    if len(images) < a.n:
        sys.exit(f"the test split has {len(images)} images, fewer than --n {a.n}")
    print(f"{data.source}: {len(data)} images, test split {len(images)}; "
          f"{torch.get_num_threads()} threads", file=sys.stderr)  # fmt: skip

    # One network per memory format and graph: extract_features converts a model in place.
    nets = {(cl, f): InceptionFeatures(fused=f) for _, cl, f in modes}
    speed_imgs = images[: a.speed_images]
    times: dict[str, list[float]] = {mode_name(*m): [] for m in modes}
    for p, cl, f in modes:  # warm-up: first calls pay for folding, allocation, kernel choice
        extract_features(speed_imgs[:2], 2, precision=p, channels_last=cl, progress=False,
                         model=nets[cl, f])  # fmt: skip
    for r in range(a.rounds):
        for p, cl, f in modes:
            t0 = time.perf_counter()
            extract_features(speed_imgs, a.batch_size, precision=p, channels_last=cl,
                             progress=False, model=nets[cl, f])  # fmt: skip
            dt = time.perf_counter() - t0
            times[mode_name(p, cl, f)].append(dt)
            print(f"round {r + 1}: {mode_name(p, cl, f):30s} {len(speed_imgs) / dt:7.2f} img/s",
                  file=sys.stderr)  # fmt: skip
    speed = {k: len(speed_imgs) / statistics.median(v) for k, v in times.items()}
    gflop = gflop_per_image()
    peaks = {p: peak_flops(p) / 1e9 for p in precs}
    share = {mode_name(*m): speed[mode_name(*m)] * gflop / peaks[m[0]] for m in modes}

    drift_imgs = images[: a.n]
    half = a.n // 2
    feats = {}
    for p in precs:
        feats[p] = extract_features(drift_imgs, a.batch_size, precision=p, progress=True,
                                    model=nets[False, True])  # fmt: skip
    fid = {p: fid_from_features(f[:half], f[half : 2 * half]) for p, f in feats.items()}
    kid = {p: kid_from_features(f[:half], f[half : 2 * half])[0] for p, f in feats.items()}
    result = _result(a, data, rt, speed, len(speed_imgs), half, fid, kid, feats)
    result.update(gflop_per_image=gflop, peak_gflops=peaks, fraction_of_peak=share)
    out = Path(a.out) / "metrics_speed"  # .json and .md
    out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix(".json").write_text(json.dumps(result, indent=2) + "\n")
    md = _markdown(result, skipped)
    out.with_suffix(".md").write_text(md)
    print(md)
    return 0


def _result(a: argparse.Namespace, data, rt, speed: dict, n_speed: int, half: int,
            fid: dict, kid: dict, feats: dict) -> dict:  # fmt: skip
    drift = {}
    if "bf16" in feats:
        d = abs(fid["bf16"] - fid["fp32"]) / fid["fp32"] * 100
        drift = {
            "fid_bf16": fid["bf16"],
            "kid_bf16": kid["bf16"],
            "fid_drift_percent": d,
            "fid_fp32_real_vs_bf16_fake": fid_from_features(
                feats["fp32"][:half], feats["bf16"][half : 2 * half]
            ),
            "max_abs_feature_difference": float(np.abs(feats["bf16"] - feats["fp32"]).max()),
            "bf16_allowed_for_training_fid": d < 1.0,
        }
    return {
        "data": data.source,
        "resolution": a.resolution,
        "speed_images": n_speed,
        "rounds": a.rounds,
        "batch_size": a.batch_size,
        "threads": torch.get_num_threads(),
        "device": str(rt.device),
        "machine": platform.machine(),
        "processor": cpu_name(),
        "torch": torch.__version__,
        "date": time.strftime("%Y-%m-%d %H:%M"),
        "images_per_s": speed,
        "speedup_vs_fp32": {k: v / speed[mode_name(*MODES[0])] for k, v in speed.items()},
        "drift_n": 2 * half,
        "fid_fp32": fid["fp32"],
        "kid_fp32": kid["fp32"],
        **drift,
        "time": time.strftime("%Y-%m-%d %H:%M:%S"),
    }


def _markdown(r: dict, skipped: str) -> str:
    rows = "\n".join(
        f"| {k} | {v:.2f} | {v * r['gflop_per_image']:.0f} | "
        f"{100 * r['fraction_of_peak'][k]:.0f} % | {r['speedup_vs_fp32'][k]:.2f}× |"
        for k, v in r["images_per_s"].items()
    )
    peaks = ", ".join(f"{k} {v:.0f} GFLOP/s" for k, v in r["peak_gflops"].items())
    md = f"""# Inception feature extraction: speed and bf16 FID drift

{r['data']} test split at {r['resolution']} px (resized to 299 inside), CPU,
{r['threads']} threads, torch {r['torch']}, batch {r['batch_size']}.
{skipped}
## Speed ({r['speed_images']} images, median of {r['rounds']} rounds)

{r['gflop_per_image']:.2f} GFLOP per image (convolutions at 299×299, a lower
bound); peak (a 2048² matmul, same run): {peaks}. Processor: {r['processor'] or r['machine']}.

| mode | images/s | GFLOP/s | share of peak | vs fp32 folded |
|---|---|---|---|---|
{rows}
"""  # fmt: skip
    if "fid_bf16" not in r:
        return (
            md + f"\nfp32 FID of half A vs half B ({r['drift_n']} images): {r['fid_fp32']:.3f}.\n"
        )
    drift = r["fid_drift_percent"]
    verdict = "under" if drift < 1.0 else "not under"
    return md + f"""
## bf16 drift ({r['drift_n']} images: FID of half A vs half B)

| features | FID | KID |
|---|---|---|
| fp32 | {r['fid_fp32']:.3f} | {r['kid_fp32']:.5f} |
| bf16 | {r['fid_bf16']:.3f} | {r['kid_bf16']:.5f} |

Relative FID drift: **{drift:.3f}%** ({verdict} 1%: bf16 is
{'allowed' if drift < 1.0 else 'not allowed'} as the training-time FID default where bf16
is native). Mixing precisions (fp32 real statistics, bf16 generated) gives FID
{r['fid_fp32_real_vs_bf16_fake']:.3f}; the monitor avoids that by keying cached statistics
on the precision. Largest absolute feature difference: {r['max_abs_feature_difference']:.4f}.
"""  # fmt: skip


if __name__ == "__main__":
    raise SystemExit(cli(main))
