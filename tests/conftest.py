"""Shared fixtures: tiny configs and data so trainer tests take seconds on 2 cores."""

from __future__ import annotations

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from pathlib import Path
from typing import Any

import pytest
import torch

from artgan.config import Config, resolve
from artgan.data import ImageSet, make_landscapes
from artgan.train import Trainer

# ARTGAN_TEST_THREADS=1 leaves a core free (e.g. for a training run beside the tests).
THREADS = int(os.environ.get("ARTGAN_TEST_THREADS", "2"))
torch.set_num_threads(THREADS)

ARTWORKS = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "artworks"


def tiny_config(*layers: dict[str, Any]) -> Config:
    """DCGAN at 16 px with 8-channel stages: a training step takes milliseconds."""
    base = {
        "data": {"resolution": 16},
        "model": {"z_dim": 16, "g_channels": 8, "d_channels": 8},
        "train": {
            "batch_size": 8,
            "steps": 4,
            "progress": False,
            "log_every": 1,
            "sample_every": 2,
            "ckpt_every": 2,
            "n_samples": 8,
            "threads": THREADS,
        },
    }
    return resolve("dcgan", None, [base, *layers])


@pytest.fixture(scope="session")
def tiny_data() -> ImageSet:
    """64 built-in landscapes at 16 px (38 train / 26 test)."""
    return make_landscapes(n=64, resolution=16, seed=0)


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch):
    # Never write to the user's ~/.cache from tests.
    monkeypatch.setenv("ARTGAN_CACHE", str(tmp_path_factory.mktemp("cache")))


def _flat(sd, prefix=""):
    """Nested state dict → {dotted key: tensor or value}."""
    out = {}
    if isinstance(sd, dict):
        for k, v in sd.items():
            out.update(_flat(v, f"{prefix}{k}."))
    elif isinstance(sd, (list, tuple)):
        for i, v in enumerate(sd):
            out.update(_flat(v, f"{prefix}{i}."))
    else:
        out[prefix] = sd
    return out


def assert_same_state(a: Trainer, b: Trainer) -> None:
    """Every tensor and value of two trainers' checkpoints is identical."""
    sa, sb = a.state.state_dict({}), b.state.state_dict({})
    for part in ("models", "optim", "rng", "step"):
        fa, fb = _flat(sa[part]), _flat(sb[part])
        assert fa.keys() == fb.keys()
        for key in fa:
            va, vb = fa[key], fb[key]
            if isinstance(va, torch.Tensor):
                assert torch.equal(va, vb), f"{part}.{key} differs"
            else:
                assert va == vb, f"{part}.{key} differs"


def write_class_folders(root: Path, data: ImageSet, n: int = 40) -> Path:
    """``n`` images of ``data`` as PNGs in two class folders ``a``/``b`` under ``root``."""
    from PIL import Image

    for i, img in enumerate(data.images[:n]):
        d = root / ("a" if i % 2 else "b")
        d.mkdir(parents=True, exist_ok=True)
        Image.fromarray(img).save(d / f"{i:03d}.png")
    return root


@pytest.fixture(scope="session")
def trained_run(tmp_path_factory, tiny_data) -> Path:
    """A tiny migan run (16 px, 2 class folders → 2 categories, 2 continuous codes)."""
    from test_migan_train import migan_config

    root = tmp_path_factory.mktemp("trained")
    data = write_class_folders(root / "paintings", tiny_data)
    cfg = migan_config({"data": {"path": str(data), "cache_dir": str(root / "cache")},
                        "model": {"n_categories": -1}, "loss": {"labels_as_code": True},
                        "train": {"steps": 2}})  # fmt: skip
    Trainer(cfg, root / "run").fit()
    return root / "run"
