"""``artgan traverse``, ``interpolate`` and ``project``: steering a trained model.
(``generate --code`` lives with generate in ``cli/generate.py``.)"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from artgan.cli.common import DEVICES, at_least, out_dir
from artgan.data import load_image
from artgan.errors import ArtganError
from artgan.io.checkpoint import atomic_torch_save
from artgan.io.images import make_grid, save_png, to_uint8
from artgan.models import latents_for_seeds
from artgan.runtime import setup_runtime
from artgan.sampling import (
    apply_codes,
    generate,
    interpolate_path,
    load_generator,
    parse_codes,
    project,
    refine_projection,
    traverse,
)
from artgan.sampling.loader import refuse_onnx_source


def cmd_traverse(a: argparse.Namespace) -> int:
    at_least(a.rows, 1, "--rows")
    rt = setup_runtime(a.device, "fp32", a.threads)
    lg = load_generator(a.source)
    seeds = list(range(a.seed, a.seed + a.rows))
    base = apply_codes(latents_for_seeds(lg.latent, seeds, a.truncation),
                       parse_codes(a.fix or [], lg.latent), lg.latent)  # fmt: skip
    lat = traverse(base, a.code, a.steps, lg.latent)
    imgs = to_uint8(generate(lg, lat, rt))
    cols = len(lat) // len(seeds)
    path = out_dir(a, "traverse") / f"traverse_{a.code}_seed{a.seed}.png"
    save_png(make_grid(imgs, ncol=cols), path)
    what = "its K values" if a.code == "cat" else f"{cols} values in [-1, 1]"
    print(f"wrote {path}: {len(seeds)} rows (seeds {seeds[0]}..{seeds[-1]}), "
          f"{a.code} over {what}")  # fmt: skip
    return 0


def cmd_interpolate(a: argparse.Namespace) -> int:
    try:
        seeds = [int(s) for s in a.seeds.split(",")]
    except ValueError:
        raise ArtganError(f"--seeds must be comma-separated integers, got '{a.seeds}'") from None
    if len(seeds) < 2:
        raise ArtganError("--seeds needs at least two seeds, e.g. --seeds 1,2")
    rt = setup_runtime(a.device, "fp32", a.threads)
    lg = load_generator(a.source)
    ends = latents_for_seeds(lg.latent, seeds, a.truncation)
    path_lat = interpolate_path(ends, a.steps, lg.latent)
    imgs = to_uint8(generate(lg, path_lat, rt))
    out = out_dir(a, "interpolate")
    name = "interp_" + "-".join(map(str, seeds))
    save_png(make_grid(imgs, ncol=min(len(imgs), a.steps)), out / f"{name}.png")
    frames = out / name
    for i, img in enumerate(imgs):
        save_png(img, frames / f"frame{i:04d}.png")
    print(f"wrote {out / (name + '.png')} and {len(imgs)} frames in {frames}")
    return 0


def cmd_project(a: argparse.Namespace) -> int:
    if a.refine:  # refinement optimises through G's torch graph
        refuse_onnx_source(a.source, "refine a projection with")
    at_least(a.refine, 0, "--refine")
    if a.save_latents:  # checked before the work, so it is not lost at the end
        dest = Path(a.save_latents)
        if dest.is_dir() or not dest.parent.is_dir():
            raise ArtganError(f"--save-latents '{dest}': need a file path in an existing folder")
    rt = setup_runtime(a.device, "fp32", a.threads)
    lg = load_generator(a.source)
    images = []
    for p in a.images:
        if Path(p).is_dir():
            raise ArtganError(f"'{p}' is a folder; pass image files to project")
        if not Path(p).is_file():
            raise ArtganError(f"image '{p}' does not exist")
        try:
            images.append(load_image(p, lg.resolution, "crop"))
        except Exception as exc:
            raise ArtganError(f"cannot read '{p}' as an image ({exc})") from None
    batch = np.stack(images)  # [N, R, R, 3] uint8
    latents, recon = project(lg, batch, rt)
    panels = [to_uint8(recon)]
    what = "right: G(E(x))"
    if a.refine:
        latents, recon, hist = refine_projection(
            lg, latents, batch, rt, a.refine, a.refine_lr, not a.no_progress
        )
        print(f"refinement: MS-SSIM + L1 loss {hist[0]:.3f} (E alone) -> {hist[-1]:.3f}")
        panels.append(to_uint8(recon))
        what = f"middle: G(E(x)), right: after {a.refine} refinement steps"
    for i, (p, orig) in enumerate(zip(a.images, images, strict=True)):
        dest = Path(a.out) if a.out else Path(p).parent
        out = dest / f"{Path(p).stem}_reconstruction.png"
        save_png(make_grid(np.stack([orig] + [r[i] for r in panels]), ncol=1 + len(panels)), out)
        print(f"wrote {out} (left: input at {lg.resolution}px, {what})")
    if a.save_latents:
        atomic_torch_save(latents, a.save_latents)
    return 0


def add_parsers(sub: argparse._SubParsersAction) -> None:
    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("source", help="run folder, checkpoint or exported generator file")
        p.add_argument("--device", choices=DEVICES, default="auto")
        p.add_argument("--threads", type=int, default=0)

    t = sub.add_parser("traverse", help="grid that varies one latent code, others fixed")
    common(t)
    t.add_argument("--code", required=True, help="cat, or c1 … cL (continuous)")
    t.add_argument("--steps", type=int, default=8, help="values of a continuous code")
    t.add_argument("--seed", type=int, default=0, help="first row's seed")
    t.add_argument("--rows", type=int, default=4, help="rows, one seed each")
    t.add_argument("--fix", action="append", metavar="NAME=VALUE", help="hold another code")
    t.add_argument("--truncation", type=float)
    t.add_argument("--out", help="output folder (default SOURCE/traverse)")
    t.set_defaults(func=cmd_traverse)

    i = sub.add_parser("interpolate", help="smooth path between seeds (grid + frames)")
    common(i)
    i.add_argument("--seeds", required=True, help="comma-separated seeds, e.g. 1,2")
    i.add_argument("--steps", type=int, default=8, help="images per segment")
    i.add_argument("--truncation", type=float)
    i.add_argument("--out", help="output folder (default SOURCE/interpolate)")
    i.set_defaults(func=cmd_interpolate)

    p = sub.add_parser("project", help="encode real paintings with E and reconstruct them")
    common(p)
    p.add_argument("images", nargs="+", help="image files")
    p.add_argument("--out", help="folder for *_reconstruction.png (default: next to each)")
    p.add_argument("--save-latents", metavar="FILE", help="also save the latents [N, dim]")
    p.add_argument(
        "--refine",
        type=int,
        default=0,
        metavar="STEPS",
        help="then optimise z' and the continuous codes against each painting for STEPS "
        "Adam steps, starting from E's guess (GAN inversion; 100 is a good start)",
    )
    p.add_argument("--refine-lr", type=float, default=0.05, help="refinement learning rate")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_project)
