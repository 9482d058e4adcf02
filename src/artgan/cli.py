"""``artgan`` command line: a thin layer over the library.

Every command turns user mistakes (``ArtganError``) into one ``artgan: error: …`` line
and exit status 2; Ctrl-C exits with 130.
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

from artgan.runtime import set_env_defaults

set_env_defaults()  # before torch is imported anywhere below


def _train_overrides(a: argparse.Namespace) -> list[dict[str, Any]]:
    """Only flags the user actually gave become overrides (argparse defaults are None)."""
    from artgan.config import parse_override

    flat = {
        "data.path": a.data,
        "model.name": a.model,
        "data.resolution": a.resolution,
        "train.steps": a.steps,
        "train.batch_size": a.batch_size,
        "train.precision": a.precision,
        "train.device": a.device,
        "train.threads": a.threads,
        "train.seed": a.seed,
        "train.sample_every": a.sample_every,
        "train.ckpt_every": a.ckpt_every,
        "train.progress": False if a.no_progress else None,
        "model.use_ams": False if a.no_ams else None,
        "model.use_sft": False if a.no_sft else None,
        "model.use_sa": False if a.no_sa else None,
        "model.use_eca": False if a.no_eca else None,
        "loss.labels_as_code": True if a.labels_as_code else None,
    }
    layers = []
    for key, value in flat.items():
        if value is not None:
            section, name = key.split(".")
            layers.append({section: {name: value}})
    layers.extend(parse_override(s) for s in a.set or [])
    return layers


def cmd_train(a: argparse.Namespace) -> int:
    from artgan.config import preset_names, resolve
    from artgan.train import Trainer, resume_config

    overrides = _train_overrides(a)
    if a.resume:
        if a.out or a.config or a.preset:
            raise_error(
                "--resume continues a run as it was configured; drop --out/--config/--preset"
            )
        cfg, ckpt, run_dir = resume_config(a.resume, overrides)
        print(f"resuming {run_dir} from step {ckpt['step']}", file=sys.stderr)
        trainer = Trainer(cfg, run_dir, resume_state=ckpt)
    else:
        model = a.model or "dcgan"
        preset = a.preset or (model if model in preset_names() else None)
        cfg = resolve(preset, a.config, overrides)
        out = a.out or f"runs/{cfg.model.name}-{time.strftime('%Y%m%d-%H%M%S')}"
        trainer = Trainer(cfg, out)
        print(f"training {cfg.model.name} at {cfg.data.resolution}px into {out}", file=sys.stderr)
    ckpt_path = trainer.fit()
    print(f"done: step {trainer.state.step}, checkpoint {ckpt_path}")
    print(f"samples: {trainer.run_dir / 'samples' / 'latest.png'}")
    return 0


def cmd_generate(a: argparse.Namespace) -> int:
    from artgan.cli_steer import default_out
    from artgan.generate import generate, latents_for_seeds, load_generator
    from artgan.imageio import make_grid, save_png, to_uint8
    from artgan.runtime import setup_runtime
    from artgan.steer import apply_codes, parse_codes

    if a.n < 1:
        raise_error(f"--n must be at least 1, got {a.n}")
    rt = setup_runtime(a.device, a.precision, a.threads, channels_last=True)
    lg = load_generator(a.source)
    seeds = list(range(a.seed, a.seed + a.n))
    codes = parse_codes(a.code or [], lg.latent)
    latents = apply_codes(latents_for_seeds(lg.latent, seeds, a.truncation), codes, lg.latent)
    imgs = to_uint8(generate(lg, latents, rt))
    out = default_out(a, "generated")
    out.mkdir(parents=True, exist_ok=True)
    if not a.grid_only:
        for s, img in zip(seeds, imgs, strict=True):
            meta = {"artgan:seed": str(s), "artgan:truncation": str(a.truncation),
                    "artgan:codes": ",".join(a.code or [])}  # fmt: skip
            save_png(img, out / f"seed{s:06d}.png", meta)
    grid = out / f"grid_seed{a.seed}_n{a.n}.png"
    save_png(make_grid(imgs), grid)
    print(f"wrote {0 if a.grid_only else a.n} images and {grid}")
    return 0


def cmd_export(a: argparse.Namespace) -> int:
    from artgan.cli_steer import default_out
    from artgan.generate import export_generator

    path = export_generator(a.source, default_out(a, "generator.pt"))
    print(f"exported generator to {path} ({path.stat().st_size / 1e6:.1f} MB)")
    return 0


def raise_error(msg: str) -> None:
    from artgan.errors import ArtganError

    raise ArtganError(msg)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="artgan", description="AI art creation with GANs (CPU first, offline)."
    )
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    t = sub.add_parser("train", help="train a model on a folder of images (or the built-in set)")
    t.add_argument(
        "--data",
        help="image folder; class subfolders become labels "
        "(default: built-in procedural landscapes)",
    )
    t.add_argument("--model", help="dcgan | sagan | migan (default dcgan)")
    t.add_argument("--preset", help="named preset (default: the model's own)")
    t.add_argument("--config", help="YAML file with data/model/optim/train sections")
    t.add_argument("--resolution", type=int, help="training resolution, power of two")
    t.add_argument("--steps", type=int, help="total generator steps")
    t.add_argument("--batch-size", type=int)
    t.add_argument("--precision", choices=["auto", "fp32", "bf16"],
                   help="bf16 autocast: about 2x faster where the hardware has bf16, "
                   "emulated and far slower elsewhere; auto = bf16 where native")  # fmt: skip
    t.add_argument("--device", choices=["auto", "cpu", "cuda", "mps"])
    t.add_argument("--threads", type=int, help="CPU threads (default: cores, at most 8)")
    t.add_argument("--seed", type=int)
    t.add_argument("--sample-every", type=int)
    t.add_argument("--ckpt-every", type=int)
    t.add_argument("--out", help="run folder (default runs/MODEL-TIME)")
    t.add_argument("--resume", metavar="RUN", help="continue a run folder or checkpoint file")
    t.add_argument(
        "--set",
        action="append",
        metavar="KEY=VALUE",
        help="override any config key, e.g. --set optim.lr_g=1e-4 (repeatable)",
    )
    t.add_argument("--no-progress", action="store_true", help="no progress bar")
    for part, what in [
        ("ams", "multi-scale atrous block"),
        ("sft", "SFT layers"),
        ("sa", "self-attention"),
        ("eca", "ECA channel attention"),
    ]:
        t.add_argument(f"--no-{part}", action="store_true", help=f"MIGAN ablation: no {what}")
    t.add_argument("--labels-as-code", action="store_true",
                   help="tie class folders to MIGAN's categorical code")  # fmt: skip
    t.set_defaults(func=cmd_train)

    g = sub.add_parser("generate", help="make images from a run or an exported generator")
    g.add_argument("source", help="run folder, checkpoint or exported generator file")
    g.add_argument("--n", type=int, default=64, help="number of images (default 64)")
    g.add_argument("--seed", type=int, default=0, help="image i uses seed SEED+i")
    g.add_argument("--out", help="output folder (default SOURCE/generated)")
    g.add_argument("--grid-only", action="store_true", help="write only the grid")
    g.add_argument("--truncation", type=float, help="truncate z' to [-T, T] (e.g. 1.0)")
    g.add_argument("--code", action="append", metavar="NAME=VALUE",
                   help="set a latent code for all images: cat=3, c1=0.5 (repeatable)")  # fmt: skip
    g.add_argument(
        "--precision",
        choices=["auto", "fp32", "bf16"],
        default="fp32",
        help="bf16 autocast (about 2x faster where the CPU/GPU has bf16; emulated and far "
        "slower elsewhere); auto = bf16 where native",
    )
    g.add_argument("--device", choices=["auto", "cpu", "cuda", "mps"], default="auto")
    g.add_argument("--threads", type=int, default=0)
    g.set_defaults(func=cmd_generate)

    e = sub.add_parser("export", help="write a small generator-only file from a run")
    e.add_argument("source", help="run folder or checkpoint")
    e.add_argument("--out", help="output file (default SOURCE/generator.pt)")
    e.set_defaults(func=cmd_export)

    from artgan.cli_eval import add_parser as add_eval_parser
    from artgan.cli_experiments import add_parsers as add_experiment_parsers
    from artgan.cli_steer import add_parsers
    from artgan.cli_studio import add_parser as add_studio_parser

    add_parsers(sub)
    add_studio_parser(sub)
    add_eval_parser(sub)
    add_experiment_parsers(sub)
    return p


def _format_warning(message, category, filename, lineno, line=None) -> str:
    # Users see "artgan: warning: …", not a source file and line number.
    return f"artgan: warning: {message}\n"


def main(argv: list[str] | None = None) -> int:
    import warnings

    from artgan.errors import ArtganError

    warnings.formatwarning = _format_warning

    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except ArtganError as exc:
        print(f"artgan: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("artgan: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
