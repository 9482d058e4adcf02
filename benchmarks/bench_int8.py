"""What int8 costs and buys: a trained run's generator exported to ONNX in fp32 and in int8
(``artgan export --format onnx [--int8]``), in one run: images/s at batch 1 and 64 on
onnxruntime for both (interleaved rounds, each one's fastest), file sizes, the mean
pixel difference between the two exports' images for the same latents, and FID of each
against the run's test paintings (fp32 Inception features, the same seeds for both).

    python benchmarks/bench_int8.py RUN [--n 1000] [--ref-n 1000]

Both FIDs use the same ``--n`` generated and ``--ref-n`` real images, so their
difference is the price of int8. How sure that difference is: ``--bootstrap`` resamples of
the images (the same indices for both exports, and the real images resampled too), each
giving the difference again; their spread is reported. FID of the fp32 export on as many
other seeds shows how much one fresh draw moves FID at this sample size.
Writes ``benchmarks/results/int8.json`` and ``.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np
import torch

from artgan.evaluation.run import run_split
from artgan.io.images import to_uint8
from artgan.metrics import InceptionFeatures, extract_features, fid_from_features
from artgan.models import latents_for_seeds
from artgan.runtime import cpu_name, setup_runtime
from artgan.sampling import load_generator
from artgan.sampling.onnx import OnnxGenerator, export_onnx
from bench_common import cli  # benchmarks/ is on sys.path

HERE = Path(__file__).resolve().parent


def fastest_images_per_s(gens: dict[str, OnnxGenerator], dim: int, batch: int,
                         reps: int, rounds: int) -> dict[str, float]:  # fmt: skip
    """Each export's best images/s over ``rounds`` interleaved rounds of ``reps`` calls."""
    z = np.random.default_rng(0).standard_normal((batch, dim)).astype(np.float32)
    best = dict.fromkeys(gens, 0.0)
    for g in gens.values():  # warm-up: onnxruntime plans on the first calls
        g.run(z, batch)
    for _ in range(rounds):
        for name, g in gens.items():
            t = time.perf_counter()
            for _ in range(reps):
                g.run(z, batch)
            best[name] = max(best[name], batch * reps / (time.perf_counter() - t))
    return best


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("run", help="run folder of a one-pass model (its test split is the reference)")
    ap.add_argument("--n", type=int, default=1000, help="generated images per export")
    ap.add_argument("--ref-n", type=int, default=1000, help="test-split paintings")
    ap.add_argument("--reps", type=int, default=20, help="timed calls at batch 1 per round")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--bootstrap", type=int, default=10, help="resamples for the FID difference")
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--out", default=str(HERE / "results"))
    a = ap.parse_args()
    rt = setup_runtime("cpu", "fp32", a.threads)
    lg = load_generator(a.run)
    with tempfile.TemporaryDirectory() as tmp:
        files = {k: export_onnx(a.run, Path(tmp) / f"{k}.onnx", int8=k == "int8")[0]
                 for k in ("fp32", "int8")}  # fmt: skip
        sizes = {k: p.stat().st_size / 1e6 for k, p in files.items()}
        gens = {k: OnnxGenerator(p, torch.get_num_threads()) for k, p in files.items()}
        dim = lg.latent.dim
        speed = {b: fastest_images_per_s(gens, dim, b, a.reps if b == 1 else max(1, a.reps // 5),
                                         a.rounds) for b in (1, 64)}  # fmt: skip
        z = latents_for_seeds(lg.latent, list(range(a.n)), None).numpy()
        other = latents_for_seeds(lg.latent, list(range(a.n, 2 * a.n)), None).numpy()
        imgs = {k: to_uint8(torch.from_numpy(g.run(z))) for k, g in gens.items()}
        imgs["fp32, other seeds"] = to_uint8(torch.from_numpy(gens["fp32"].run(other)))
    diff = float(np.abs(imgs["int8"].astype(int) - imgs["fp32"].astype(int)).mean())
    _, test = run_split(a.run)
    real = test.images[np.random.default_rng(0).permutation(len(test))[: a.ref_n]]
    net = InceptionFeatures()
    feats = {k: extract_features(v, 50, model=net, progress=True) for k, v in imgs.items()}
    real_f = extract_features(real, 50, model=net, progress=True)
    fid = {k: fid_from_features(real_f, f) for k, f in feats.items()}
    boot = paired_bootstrap(real_f, feats["fp32"], feats["int8"], a.bootstrap)
    result = {
        "run": str(a.run), "model": lg.model_cfg.get("name"), "step": lg.step,
        "resolution": lg.resolution, "data": test.source, "n": a.n, "ref_n": len(real),
        "threads": torch.get_num_threads(), "device": str(rt.device),
        "processor": cpu_name(), "torch": torch.__version__,
        "date": time.strftime("%Y-%m-%d %H:%M"), "file_mb": sizes,
        "images_per_s": {str(b): v for b, v in speed.items()},
        "mean_abs_pixel_difference_0_255": diff, "fid_vs_test": fid,
        "fid_int8_vs_fp32": fid_from_features(feats["fp32"], feats["int8"]),
        "fid_cost_bootstrap": boot,
        "time": time.strftime("%Y-%m-%d %H:%M"),
    }  # fmt: skip
    out = Path(a.out) / "int8"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix(".json").write_text(json.dumps(result, indent=2) + "\n")
    md = _markdown(result)
    out.with_suffix(".md").write_text(md)
    print(md)
    return 0


def paired_bootstrap(real: np.ndarray, a: np.ndarray, b: np.ndarray, n: int) -> list[float]:
    """FID(real, b) − FID(real, a) on ``n`` resamples: rows of ``a`` and ``b`` drawn with
    the same indices (they are images of the same seeds), real rows drawn on their own."""
    rng = np.random.default_rng(0)
    out = []
    for _ in range(n):
        i, j = rng.integers(0, len(a), len(a)), rng.integers(0, len(real), len(real))
        out.append(fid_from_features(real[j], b[i]) - fid_from_features(real[j], a[i]))
    return out


def _markdown(r: dict) -> str:
    fid, ips, boot = r["fid_vs_test"], r["images_per_s"], r["fid_cost_bootstrap"]
    rows = "\n".join(
        f"| {k} | {r['file_mb'][k]:.1f} | {ips['1'][k]:.1f} | {ips['64'][k]:.1f} | {fid[k]:.2f} |"
        for k in ("fp32", "int8")
    )
    return f"""# int8 ONNX export: speed and FID cost

{r['model']} at step {r['step']} ({r['resolution']} px, `{r['run']}`), onnxruntime on the CPU
({r['processor']}), {r['threads']} threads, torch {r['torch']}; {r['n']} images per export
(seeds 0…{r['n'] - 1}) against {r['ref_n']} test-split paintings of {r['data']}; fp32
Inception features. images/s: each export's fastest of interleaved rounds.

| export | MB | img/s batch 1 | img/s batch 64 | FID vs test |
|---|---|---|---|---|
{rows}

- FID cost of int8: **{fid['int8'] - fid['fp32']:+.2f}** ({fid['int8']:.2f} vs {fid['fp32']:.2f});
  over {len(boot)} bootstrap resamples of the same images the difference is
  {np.mean(boot):+.2f} ± {np.std(boot):.2f} (mean ± std). One fresh draw of {r['n']} fp32
  images (other seeds) gives {fid['fp32, other seeds']:.2f}.
- FID between the int8 and fp32 images of the same seeds: {r['fid_int8_vs_fp32']:.2f};
  mean absolute pixel difference {r['mean_abs_pixel_difference_0_255']:.2f} (0–255).
- Speed-up of int8: {ips['1']['int8'] / ips['1']['fp32']:.2f}× at batch 1,
  {ips['64']['int8'] / ips['64']['fp32']:.2f}× at batch 64.
"""  # fmt: skip


if __name__ == "__main__":
    raise SystemExit(cli(main))
