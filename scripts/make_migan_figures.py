"""Make the MIGAN acceptance figures from a trained run (docs/migan.md):

1. categorical traversal: rows are seeds (z' and continuous codes fixed per row), columns
   are the K values of the categorical code;
2. projections: one held-out (test-split) painting per genre, top row the painting at the
   training resolution, then G(E(x)), then (with ``--refine N``) the latent refined
   against the painting for N steps (``artgan project --refine``);
3. a table (printed, and as JSON with ``--json``) of those reconstructions' mean absolute
   error, MS-SSIM and perceptual distance beside thumbnail yardsticks: each painting
   replaced by its own flat mean colour or its own k×k block average (upsampled
   bilinearly), and by another test painting (no fixed target: what the numbers mean).

    python docs/make_migan_figures.py RUN --out docs/images --prefix migan-2h

RUN is a run folder (its latest checkpoint) or one checkpoint file inside RUN/checkpoints.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import torch

from artgan.config import from_saved, read_yaml
from artgan.data import load_image
from artgan.io.images import make_grid, save_png, to_uint8
from artgan.metrics.perceptual import load_perceptual, paired_distance
from artgan.metrics.ssim import max_ms_ssim_scales, ms_ssim, ms_ssim_weights
from artgan.models import latents_for_seeds
from artgan.runtime import setup_runtime
from artgan.sampling import (
    code_spread,
    generate,
    load_generator,
    project,
    refine_projection,
    traverse,
)
from migan_reconstruction_checks import block_average  # scripts/ is on sys.path


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("run", help="run folder, or a checkpoint file in RUN/checkpoints")
    ap.add_argument("--out", default="docs/images")
    ap.add_argument("--prefix", default="migan")
    ap.add_argument("--rows", type=int, default=6)
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--refine", type=int, default=0, help="add a row refined for N steps")
    ap.add_argument("--json", help="also write the traversal spread and the table here")
    a = ap.parse_args()
    rt = setup_runtime("cpu", "fp32", a.threads)
    lg = load_generator(a.run)
    run = Path(a.run) if Path(a.run).is_dir() else Path(a.run).parent.parent
    out = Path(a.out)

    base = latents_for_seeds(lg.latent, list(range(a.rows)), None)
    lat = traverse(base, "cat", 0, lg.latent)
    imgs = to_uint8(generate(lg, lat, rt))
    path = out / f"{a.prefix}-traverse-cat.png"
    save_png(make_grid(imgs, ncol=lg.latent.n_categories), path)
    # How much the category moves the image, against how much z' does (same rows).
    cat_spread, seed_spread = code_spread(imgs, a.rows)
    print(f"wrote {path}; mean pixel std across categories {cat_spread:.1f}, "
          f"across seeds {seed_spread:.1f} (0-255 scale)")  # fmt: skip

    split = json.loads((run / "split.json").read_text())
    root = Path(from_saved(read_yaml(run / "config.yaml")).data.path)
    picked: dict[str, str] = {}
    for f in split["test"]:
        genre = Path(f).parent.name
        picked.setdefault(genre, f)
    files = [picked[g] for g in sorted(picked)]
    x = np.stack([load_image(root / f, lg.resolution, "crop") for f in files])
    lat, recon = project(lg, x, rt)
    rows = [to_uint8(recon)]
    if a.refine:
        _, refined, _ = refine_projection(lg, lat, x, rt, a.refine, progress=sys.stderr.isatty())
        rows.append(to_uint8(refined))
    path = out / f"{a.prefix}-project-test.png"
    save_png(make_grid(np.concatenate([x, *rows]), ncol=len(files)), path)
    print(f"wrote {path}: {len(files)} test paintings ({', '.join(sorted(picked))})")
    names = ["G(E(x))", f"refined {a.refine} steps"][: len(rows)]
    table = yardstick_table(x, dict(zip(names, rows, strict=True)))
    print("| reconstruction | MAE (0-255) ↓ | MS-SSIM ↑ | perceptual ↓ |\n|---|---|---|---|")
    for r in table:
        print(f"| {r['name']} | {r['mae']:.1f} | {r['ms_ssim']:.3f} | {r['perceptual']:.3f} |")
    if a.json:
        spread = {"across_categories": cat_spread, "across_seeds": seed_spread}
        doc = {"run": a.run, "step": lg.step, "files": files,
               "traversal_pixel_std": spread, "reconstructions": table}  # fmt: skip
        Path(a.json).write_text(json.dumps(doc, indent=2) + "\n")
    return 0


def thumbnails(x: np.ndarray) -> dict[str, np.ndarray]:
    """``x [N, R, R, 3]`` uint8 → each painting's flat mean colour and k×k block averages
    (bilinearly upsampled back to R), the yardsticks a reconstruction is read against."""
    t = torch.from_numpy(x).permute(0, 3, 1, 2).double()
    out = {"own flat mean colour": t.mean((2, 3), keepdim=True).expand_as(t)}
    for k in (4, 8, 16):
        out[f"own {k}×{k} block average"] = block_average(t, k)
    return {k: v.round().clamp(0, 255).byte().permute(0, 2, 3, 1).numpy() for k, v in out.items()}


def yardstick_table(x: np.ndarray, recons: dict[str, np.ndarray]) -> list[dict]:
    """MAE, MS-SSIM (as many scales as the size allows) and perceptual distance of each
    candidate ``[N, R, R, 3]`` uint8 against ``x``, for ``recons``, the thumbnails and
    another painting (``x`` rolled by one)."""
    model, reason = load_perceptual()
    weights = ms_ssim_weights(max_ms_ssim_scales(*x.shape[1:3]))
    cands = {**recons, **thumbnails(x), "another test painting": np.roll(x, 1, axis=0)}
    xt = torch.from_numpy(x).permute(0, 3, 1, 2).double() / 255
    rows = []
    for name, c in cands.items():
        ct = torch.from_numpy(c).permute(0, 3, 1, 2).double() / 255
        rows.append({
            "name": name,
            "mae": float(np.abs(x.astype(np.float64) - c.astype(np.float64)).mean()),
            "ms_ssim": float(ms_ssim(ct, xt, weights=weights)),
            "perceptual": float(paired_distance(model, c, x).mean()),
            "perceptual_metric": "lpips-vgg" if reason is None else "vgg19-perceptual (not LPIPS)",
        })  # fmt: skip
    return rows


if __name__ == "__main__":
    raise SystemExit(main())
