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

torch.set_num_threads(2)

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
            "threads": 2,
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
