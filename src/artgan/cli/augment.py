"""``artgan augment-preview``: what the discriminator would see of your paintings."""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import torch

from artgan.augment import policy_ops
from artgan.cli.common import at_least
from artgan.config import resolve
from artgan.data import load_dataset
from artgan.io.images import from_uint8, make_grid, save_png, to_uint8


def run(a: argparse.Namespace) -> int:
    at_least(a.n, 1, "--n")
    at_least(a.rows, 1, "--rows")
    at_least(a.seed, 0, "--seed")
    cfg = resolve(None, None, [{"d_augment": {"name": a.augment}}])  # validates the choice
    policy = a.policy or cfg.d_augment.policy
    ops = policy_ops(policy)
    data = load_dataset(a.data, a.resolution, progress=not a.no_progress)
    pick = np.random.default_rng(a.seed).permutation(len(data))[: a.n]
    x = from_uint8(data.images[np.sort(pick)])
    rows = [x]
    for r in range(a.rows):
        g = torch.Generator().manual_seed(a.seed * 1000 + r)
        y = x
        for op in ops:
            y = op(y, g, a.p)
        rows.append(y)
    out = Path(a.out or "augment-preview.png")
    save_png(make_grid(to_uint8(torch.cat(rows)), ncol=len(pick)), out)
    print(f"wrote {out}: top row {len(pick)} paintings, then {a.rows} draws of '{policy}' "
          f"(p = {a.p})")  # fmt: skip
    return 0


def add_parsers(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "augment-preview",
        help="a grid of real paintings and the augmented versions D would see",
        description="Top row: paintings from DATA; below: independent draws of the "
        "discriminator augmentation (the same operations training applies).",
    )
    p.add_argument("data", nargs="?", help="image folder (default: built-in landscapes)")
    p.add_argument("--augment", choices=["diffaug", "ada"], default="diffaug",
                   help="whose default policy to show (default diffaug)")  # fmt: skip
    p.add_argument("--policy", help="operations, e.g. color,translation,cutout")
    p.add_argument("--p", type=float, default=1.0, help="probability per operation (ADA's p)")
    p.add_argument("--n", type=int, default=8, help="paintings (columns)")
    p.add_argument("--rows", type=int, default=3, help="augmented draws (rows)")
    p.add_argument("--resolution", type=int, default=64)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", help="PNG to write (default augment-preview.png)")
    p.add_argument("--no-progress", action="store_true")
    p.set_defaults(func=run)
