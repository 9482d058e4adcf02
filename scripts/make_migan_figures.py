"""Make the MIGAN acceptance figures from a trained run (docs/migan.md):

1. categorical traversal: rows are seeds (z' and continuous codes fixed per row), columns
   are the K values of the categorical code;
2. projections: one held-out (test-split) painting per genre, top row the painting at the
   training resolution, then G(E(x)), then (with ``--refine N``) the latent refined
   against the painting for N steps (``artgan project --refine``).

    python docs/make_migan_figures.py RUN --out docs/images --prefix migan-2h

RUN is a run folder (its latest checkpoint) or one checkpoint file inside RUN/checkpoints.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from artgan.config import from_saved, read_yaml
from artgan.data import load_image
from artgan.io.images import make_grid, save_png, to_uint8
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


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("run", help="run folder, or a checkpoint file in RUN/checkpoints")
    ap.add_argument("--out", default="docs/images")
    ap.add_argument("--prefix", default="migan")
    ap.add_argument("--rows", type=int, default=6)
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--refine", type=int, default=0, help="add a row refined for N steps")
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
    for name, rec in zip(["G(E(x))", f"refined {a.refine} steps"], rows, strict=False):
        err = np.abs(x.astype(np.float64) - rec.astype(np.float64)).mean()
        other = np.abs(x.astype(np.float64) - np.roll(rec, 1, axis=0).astype(np.float64)).mean()
        print(f"  {name}: mean abs error {err:.1f} vs {other:.1f} against another painting's")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
