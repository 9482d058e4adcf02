"""``artgan train``: train a model (or continue a run with ``--resume``).

The model-specific flags are derived from the model registry: every registered ablation
becomes ``--no-NAME`` (setting ``model.FIELD=false``), so a model that registers a new
ablation gets its flag without a change here.
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

from artgan.cli.common import DEVICES, PRECISIONS
from artgan.config import Config, flag_layer, parse_override, preset_names, resolve
from artgan.errors import ArtganError
from artgan.models import all_ablations, model_names
from artgan.train import Trainer, describe_run, resume_config

# flag attribute → config key; only flags the user gave become overrides (defaults are None)
FLAGS = {
    "data": "data.path", "model": "model.name", "resolution": "data.resolution",
    "steps": "train.steps", "batch_size": "train.batch_size", "precision": "train.precision",
    "device": "train.device", "threads": "train.threads", "seed": "train.seed",
    "sample_every": "train.sample_every", "ckpt_every": "train.ckpt_every",
    "augment": "d_augment.name", "d_backbone": "model.d_backbone", "logger": "train.logger",
}  # fmt: skip


def overrides(a: argparse.Namespace) -> list[dict[str, Any]]:
    """The flags the user gave, as config layers in a fixed order, then ``--set``s."""
    layers = [flag_layer(key, getattr(a, attr)) for attr, key in FLAGS.items()
              if getattr(a, attr) is not None]  # fmt: skip
    if a.no_progress:
        layers.append(flag_layer("train.progress", False))
    for ablation in all_ablations().values():
        if getattr(a, f"no_{ablation.name}"):
            layers.append(flag_layer(f"model.{ablation.field}", False))
    if a.labels_as_code:
        layers.append(flag_layer("model.labels_as_code", True))
    layers.extend(parse_override(s) for s in a.set or [])
    return layers


def _new_config(a: argparse.Namespace, layers: list[dict[str, Any]]) -> Config:
    model = a.model or "dcgan"
    preset = a.preset or (model if model in preset_names() else None)
    return resolve(preset, a.config, layers)


def run(a: argparse.Namespace) -> int:
    layers = overrides(a)
    if a.resume:
        if a.out or a.config or a.preset:
            raise ArtganError(
                "--resume continues a run as it was configured; drop --out/--config/--preset"
            )
        cfg, ckpt, run_dir = resume_config(a.resume, layers)
        if a.dry_run:
            print(describe_run(cfg))
            return 0
        print(f"resuming {run_dir} from step {ckpt['step']}", file=sys.stderr)
        trainer = Trainer(cfg, run_dir, resume_state=ckpt)
    else:
        cfg = _new_config(a, layers)
        if a.dry_run:
            print(describe_run(cfg))
            return 0
        out = a.out or f"runs/{cfg.model.name}-{time.strftime('%Y%m%d-%H%M%S')}"
        trainer = Trainer(cfg, out)
        print(f"training {cfg.model.name} at {cfg.data.resolution}px into {out}", file=sys.stderr)
    print(f"runtime: {trainer.rt.describe(cfg.train.precision)}", file=sys.stderr)
    ckpt_path = trainer.fit()
    print(f"done: step {trainer.state.step}, checkpoint {ckpt_path}")
    print(f"samples: {trainer.run_dir / 'samples' / 'latest.png'}")
    return 0


def add_parsers(sub: argparse._SubParsersAction) -> None:
    t = sub.add_parser("train", help="train a model on a folder of images (or the built-in set)")
    t.add_argument("--data", help="image folder; class subfolders become labels "
                   "(default: built-in procedural landscapes)")  # fmt: skip
    t.add_argument("--model", help=f"{' | '.join(model_names())} (default dcgan)")
    t.add_argument("--preset", help="named preset (default: the model's own)")
    t.add_argument("--config", help="YAML file with data/model/optim/loss/train sections")
    t.add_argument("--resolution", type=int, help="training resolution, power of two")
    t.add_argument("--steps", type=int, help="total generator steps")
    t.add_argument("--batch-size", type=int)
    t.add_argument("--precision", choices=PRECISIONS,
                   help="default auto: bf16 autocast where the hardware has bf16 (about "
                   "1.7x faster there), fp32 elsewhere (emulated bf16 is far slower)")  # fmt: skip
    t.add_argument("--device", choices=DEVICES)
    t.add_argument("--logger", choices=["jsonl", "tensorboard"],
                   help="tensorboard: also write RUN/tensorboard/ event files (scalars, "
                   "sample grids); needs `pip install tensorboard`")  # fmt: skip
    t.add_argument("--threads", type=int, help="CPU threads (default: cores, at most 8)")
    t.add_argument("--seed", type=int)
    t.add_argument("--d-backbone", choices=["own", "efficientnet-lite0"],
                   help="the model's own discriminator, or a projected one on frozen "
                   "ImageNet EfficientNet-Lite0 features (any model)")  # fmt: skip
    t.add_argument("--augment", choices=["none", "diffaug", "ada"],
                   help="what the discriminator's real and fake images go through: diffaug "
                   "(color,translation,cutout) or ada (adaptive probability); "
                   "d_augment.* keys tune them")  # fmt: skip
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
    t.add_argument(
        "--dry-run",
        action="store_true",
        help="print the resolved config and the parameter counts, then exit",
    )
    t.add_argument("--no-progress", action="store_true", help="no progress bar")
    for ablation in all_ablations().values():
        t.add_argument(
            f"--no-{ablation.name}",
            action="store_true",
            help=f"ablation: no {ablation.help} (sets model.{ablation.field}=false)",
        )
    t.add_argument("--labels-as-code", action="store_true",
                   help="tie class folders to MIGAN's categorical code")  # fmt: skip
    t.set_defaults(func=run)
