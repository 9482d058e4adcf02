"""Make the MIGAN acceptance figures from a trained run (docs/migan.md):

1. categorical traversal: rows are seeds (z' and continuous codes fixed per row), columns
   are the K values of the categorical code;
2. projections: one held-out (test-split) painting per genre, top row the painting at the
   training resolution, bottom row G(E(x)).

    python docs/make_migan_figures.py RUN --out docs/images --prefix migan-2h
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from artgan.config import from_dict, read_yaml
from artgan.data import load_image
from artgan.generate import generate, latents_for_seeds, load_generator, project
from artgan.imageio import make_grid, save_png, to_uint8
from artgan.runtime import setup_runtime
from artgan.steer import traverse


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("run")
    ap.add_argument("--out", default="docs/images")
    ap.add_argument("--prefix", default="migan")
    ap.add_argument("--rows", type=int, default=6)
    ap.add_argument("--threads", type=int, default=0)
    a = ap.parse_args()
    rt = setup_runtime("cpu", "fp32", a.threads)
    lg = load_generator(a.run)
    out = Path(a.out)

    base = latents_for_seeds(lg.latent, list(range(a.rows)), None)
    lat = traverse(base, "cat", 0, lg.latent)
    imgs = to_uint8(generate(lg, lat, rt))
    path = out / f"{a.prefix}-traverse-cat.png"
    save_png(make_grid(imgs, ncol=lg.latent.n_categories), path)
    # How much the category moves the image, against how much z' does (same rows).
    per_row = imgs.reshape(a.rows, lg.latent.n_categories, -1).astype(np.float64)
    cat_spread = per_row.std(axis=1).mean()
    seed_spread = per_row.std(axis=0).mean()
    print(f"wrote {path}; mean pixel std across categories {cat_spread:.1f}, "
          f"across seeds {seed_spread:.1f} (0-255 scale)")  # fmt: skip

    split = json.loads((Path(a.run) / "split.json").read_text())
    root = Path(from_dict(read_yaml(Path(a.run) / "config.yaml")).data.path)
    picked: dict[str, str] = {}
    for f in split["test"]:
        genre = Path(f).parent.name
        picked.setdefault(genre, f)
    files = [picked[g] for g in sorted(picked)]
    x = np.stack([load_image(root / f, lg.resolution, "crop") for f in files])
    _, recon = project(lg, x, rt)
    rec = to_uint8(recon)
    grid = np.concatenate([x, rec])
    path = out / f"{a.prefix}-project-test.png"
    save_png(make_grid(grid, ncol=len(files)), path)
    err = np.abs(x.astype(np.float64) - rec.astype(np.float64)).mean()
    shuffled = np.abs(x.astype(np.float64) - np.roll(rec, 1, axis=0).astype(np.float64)).mean()
    print(
        f"wrote {path}: {len(files)} test paintings ({', '.join(sorted(picked))}); mean "
        f"abs error {err:.1f} vs {shuffled:.1f} against another painting's reconstruction"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
