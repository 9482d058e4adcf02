"""``artgan generate`` and ``artgan export``."""

from __future__ import annotations

import argparse

from artgan.api import Generator
from artgan.cli.common import DEVICES, PRECISIONS, at_least, default_out
from artgan.errors import ArtganError
from artgan.io.atomic import atomic_write, make_dir
from artgan.io.images import make_grid, save_png
from artgan.sampling import export_generator, parse_codes
from artgan.sampling.card import model_card
from artgan.sampling.onnx import export_onnx


def run_generate(a: argparse.Namespace) -> int:
    at_least(a.n, 1, "--n")
    seeds = list(range(a.seed, a.seed + a.n))
    # the Python API's call; a .onnx export runs on onnxruntime behind the same interface
    g = Generator.load(a.source, a.precision, a.device, a.threads)
    imgs = g.generate(seeds, parse_codes(a.code or [], g.lg.latent), a.truncation,
                      a.steps, a.eta)  # fmt: skip
    out = default_out(a, "generated")
    make_dir(out)
    if not a.grid_only:
        for s, img in zip(seeds, imgs, strict=True):
            meta = {"artgan:seed": str(s), "artgan:truncation": str(a.truncation),
                    "artgan:codes": ",".join(a.code or [])}  # fmt: skip
            if a.steps is not None or a.eta is not None:
                meta.update({"artgan:steps": str(a.steps), "artgan:eta": str(a.eta)})
            save_png(img, out / f"seed{s:06d}.png", meta)
    grid = out / f"grid_seed{a.seed}_n{a.n}.png"
    save_png(make_grid(imgs), grid)
    print(f"wrote {0 if a.grid_only else a.n} images and {grid}")
    return 0


def run_export(a: argparse.Namespace) -> int:
    name = "generator.onnx" if a.format == "onnx" else "generator.pt"
    target = default_out(a, name)
    if target.is_dir():
        raise ArtganError(f"--out '{target}' is a folder; give the file to write, e.g. "
                          f"{target / name}")  # fmt: skip
    if a.int8 and a.format != "onnx":
        raise ArtganError("--int8 quantises an ONNX export: add --format onnx")
    if target.suffix == ".onnx" and a.format != "onnx":  # a torch file named .onnx
        raise ArtganError(f"--out '{target}' names an ONNX file: add --format onnx")
    if a.format == "onnx":
        files = export_onnx(a.source, target, int8=a.int8)
        print("exported " + ", ".join(f"{p} ({p.stat().st_size / 1e6:.1f} MB)" for p in files))
        return 0
    path = export_generator(a.source, target)
    print(f"exported generator to {path} ({path.stat().st_size / 1e6:.1f} MB)")
    try:
        card = model_card(a.source, path)
    except ArtganError as exc:  # e.g. the source is itself an export: no training record
        print(f"no model card: {exc}")
        return 0
    with atomic_write(path.with_suffix(".md")) as f:
        f.write(card.encode())
    print(f"model card: {path.with_suffix('.md')}")
    return 0


def add_parsers(sub: argparse._SubParsersAction) -> None:
    g = sub.add_parser("generate", help="make images from a run or an exported generator")
    g.add_argument(
        "source",
        help="run folder, checkpoint, exported generator file or .onnx export (needs onnxruntime)",
    )
    g.add_argument("--n", type=int, default=64, help="number of images (default 64)")
    g.add_argument("--seed", type=int, default=0, help="image i uses seed SEED+i")
    g.add_argument("--out", help="output folder (default SOURCE/generated)")
    g.add_argument("--grid-only", action="store_true", help="write only the grid")
    g.add_argument("--truncation", type=float, help="truncate z' to [-T, T] (e.g. 1.0)")
    g.add_argument("--code", action="append", metavar="NAME=VALUE",
                   help="set a latent code for all images: cat=3, c1=0.5 (repeatable)")  # fmt: skip
    g.add_argument("--steps", type=int, help="diffusion models: DDIM steps, i.e. network "
                   "passes per image (default: the run's model.sample_steps)")  # fmt: skip
    g.add_argument("--eta", type=float, help="diffusion models: DDIM η, 0 deterministic … 1 "
                   "ancestral (default: the run's model.sample_eta)")  # fmt: skip
    g.add_argument("--precision", choices=PRECISIONS, default="fp32",
                   help="bf16 autocast (about 2x faster where the CPU/GPU has bf16; emulated "
                   "and far slower elsewhere); auto = bf16 where native")  # fmt: skip
    g.add_argument("--device", choices=DEVICES, default="auto")
    g.add_argument("--threads", type=int, default=0)
    g.set_defaults(func=run_generate)

    e = sub.add_parser("export", help="write a small generator-only file from a run")
    e.add_argument("source", help="run folder or checkpoint")
    e.add_argument("--out", help="output file (default SOURCE/generator.pt or .onnx)")
    e.add_argument("--format", choices=["torch", "onnx"], default="torch",
                   help="onnx: the generator (and encoder) as ONNX graphs plus "
                   "NAME.onnx.json (the latent layout) for artgan generate NAME.onnx")  # fmt: skip
    e.add_argument("--int8", action="store_true",
                   help="with --format onnx: the generator's convolutions quantised to "
                   "int8 (static; activation ranges calibrated on seeds 0-63; smaller and "
                   "faster, at a measured FID cost: benchmarks/bench_int8.py)")  # fmt: skip
    e.set_defaults(func=run_export)
