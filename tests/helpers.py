"""Helpers shared by the tests (imported as ``helpers``; ``tests/`` is on the path).

Tiny configs so that a training step takes milliseconds on 2 cores, checkpoint
comparison, and small class-folder data sets written to disk.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from artgan.config import Config, resolve
from artgan.data import ImageSet

# ARTGAN_TEST_THREADS=1 leaves a core free (e.g. for a training run beside the tests).
THREADS = int(os.environ.get("ARTGAN_TEST_THREADS", "2"))
ROOT = Path(__file__).resolve().parents[1]
ARTWORKS = ROOT.parent / "shared" / "data" / "artworks"

TINY_TRAIN = {
    "batch_size": 8, "steps": 4, "progress": False, "log_every": 1, "sample_every": 2,
    "ckpt_every": 2, "n_samples": 8, "threads": THREADS,
    "precision": "fp32",  # the same arithmetic on every machine (the default is auto)
}  # fmt: skip
TINY_MIGAN = {
    "data": {"resolution": 16},
    "model": {"name": "migan", "z_dim": 16, "n_categories": 3, "n_continuous": 2,
              "g_channels": 8, "d_channels": 8, "max_channels": 32, "cond_channels": 8,
              "cycle_batch": 4, "perceptual_layers": "relu1_2"},
    "train": {**TINY_TRAIN, "n_samples": 4},
}  # fmt: skip


def tiny_config(*layers: dict[str, Any]) -> Config:
    """DCGAN at 16 px with 8-channel stages: a training step takes milliseconds."""
    base = {
        "data": {"resolution": 16},
        "model": {"z_dim": 16, "g_channels": 8, "d_channels": 8},
        "train": TINY_TRAIN,
    }
    return resolve("dcgan", None, [base, *layers])


def migan_config(*layers: dict[str, Any]) -> Config:
    """MIGAN at 16 px, 3 categories and 2 continuous codes, tiny widths."""
    return resolve("migan", None, [TINY_MIGAN, *layers])


def flat(sd: Any, prefix: str = "") -> dict[str, Any]:
    """Nested state dict → {dotted key: tensor or value}."""
    out: dict[str, Any] = {}
    if isinstance(sd, dict):
        for k, v in sd.items():
            out.update(flat(v, f"{prefix}{k}."))
    elif isinstance(sd, (list, tuple)):
        for i, v in enumerate(sd):
            out.update(flat(v, f"{prefix}{i}."))
    else:
        out[prefix] = sd
    return out


def assert_same_state(a: Any, b: Any) -> None:
    """Every tensor and value of two trainers' checkpoints is identical."""
    sa, sb = a.state.state_dict({}), b.state.state_dict({})
    for part in ("models", "optim", "rng", "step"):
        fa, fb = flat(sa[part]), flat(sb[part])
        assert fa.keys() == fb.keys()
        for key in fa:
            va, vb = fa[key], fb[key]
            if isinstance(va, torch.Tensor):
                assert torch.equal(va, vb), f"{part}.{key} differs"
            else:
                assert va == vb, f"{part}.{key} differs"


def resumed_and_uninterrupted(cfg: Config, root: Path, dataset: Any, total: int = 4,
                               split: int = 2) -> tuple[Any, Any]:  # fmt: skip
    """(uninterrupted trainer at ``total`` steps, trainer resumed from ``split`` to
    ``total``), both on ``dataset``: the pair every exact-resume test compares."""
    from artgan.train import Trainer, resume_config

    full = Trainer(cfg, root / "full", dataset=dataset)
    full.fit(until_step=total)
    Trainer(cfg, root / "part", dataset=dataset).fit(until_step=split)
    cfg2, ckpt, run = resume_config(root / "part", [])
    resumed = Trainer(cfg2, run, resume_state=ckpt, dataset=dataset)
    resumed.fit(until_step=total)
    return full, resumed


def write_class_folders(root: Path, data: ImageSet, n: int = 40) -> Path:
    """``n`` images of ``data`` as PNGs in two class folders ``a``/``b`` under ``root``."""
    from PIL import Image

    for i, img in enumerate(data.images[:n]):
        d = root / ("a" if i % 2 else "b")
        d.mkdir(parents=True, exist_ok=True)
        Image.fromarray(img).save(d / f"{i:03d}.png")
    return root


class StubFeatures(nn.Module):
    """[B, 3, H, W] uint8 or [-1, 1] float → [B, 12] float64 (2×2 mean colours): a cheap,
    deterministic stand-in for a feature network, for tests of the plumbing."""

    extractor_id = "stub-features-v1"

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        x = images.float() / 255.0 if images.dtype == torch.uint8 else (images.float() + 1) / 2
        return F.adaptive_avg_pool2d(x, 2).flatten(1).double()


class StubVGGFeatures(StubFeatures):
    """The same stand-in under another name, for the second feature space."""

    extractor_id = "stub-vgg-features-v1"


class FullDisk:
    """A file object whose writes fail as on a full disk (ENOSPC) once ``room`` bytes
    are written; wrap ``os.fdopen`` with it to inject a full disk into atomic writes."""

    def __init__(self, f: Any, room: int = 0) -> None:
        self.f, self.room = f, room

    def write(self, data: Any) -> int:
        n = len(memoryview(data))
        if n > self.room:
            self.f.write(bytes(memoryview(data)[: self.room]))
            raise OSError(errno.ENOSPC, "No space left on device")
        self.room -= n
        return self.f.write(data)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.f, name)

    def __enter__(self) -> FullDisk:
        return self

    def __exit__(self, *exc: Any) -> Any:
        return self.f.__exit__(*exc)
