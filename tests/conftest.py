"""Shared fixtures: tiny data and a tiny trained MIGAN run (helpers live in helpers.py)."""

from __future__ import annotations

import importlib.util
import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from pathlib import Path

import pytest
import torch

from artgan.data import ImageSet, make_landscapes
from artgan.train import Trainer
from helpers import THREADS, StubFeatures, StubVGGFeatures, migan_config, write_class_folders

torch.set_num_threads(THREADS)

# What the tests compare against or drive (the dev extras, requirements-test.txt and
# requirements-nodeps.txt). A test skips when one is missing, so that `pytest` runs
# anywhere; `make test` installs them all, and there (ARTGAN_REQUIRE_TEST_DEPS=1) a missing
# one is a broken install that would otherwise pass as skips: the run stops at once.
TEST_DEPS = ("pytorch_msssim", "piq", "torchmetrics", "cleanfid", "scipy", "prdc", "sklearn",
             "efficientnet_lite_pytorch", "lpips", "tensorboard", "onnx", "onnxscript",
             "onnxruntime", "fastapi", "httpx", "selenium", "hypothesis")  # fmt: skip


def missing_test_deps(names: tuple[str, ...] = TEST_DEPS) -> list[str]:
    return [m for m in names if importlib.util.find_spec(m) is None]


def pytest_configure(config: pytest.Config) -> None:
    if os.environ.get("ARTGAN_REQUIRE_TEST_DEPS") == "1" and (missing := missing_test_deps()):
        raise pytest.UsageError(
            f"test packages missing: {', '.join(missing)} (ARTGAN_REQUIRE_TEST_DEPS=1; "
            "`make install` installs them)"
        )


@pytest.fixture(scope="session")
def tiny_data() -> ImageSet:
    """64 built-in landscapes at 16 px (38 train / 26 test)."""
    return make_landscapes(n=64, resolution=16, seed=0)


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch):
    # Never write to the user's ~/.cache from tests.
    monkeypatch.setenv("ARTGAN_CACHE", str(tmp_path_factory.mktemp("cache")))


@pytest.fixture(scope="session")
def trained_run(tmp_path_factory, tiny_data) -> Path:
    """A tiny migan run (16 px, 2 class folders → 2 categories, 2 continuous codes)."""
    root = tmp_path_factory.mktemp("trained")
    data = write_class_folders(root / "paintings", tiny_data)
    cfg = migan_config({"data": {"path": str(data), "cache_dir": str(root / "cache")},
                        "model": {"n_categories": "auto", "labels_as_code": True},
                        "train": {"steps": 2}})  # fmt: skip
    Trainer(cfg, root / "run").fit()
    return root / "run"


@pytest.fixture
def stub(monkeypatch):
    """Inception and VGG19 features replaced by small functions of the pixels: Inception
    on CPU runs at a few images per second, and these tests check the plumbing."""
    import artgan.evaluation.monitor as monitor
    import artgan.metrics.inputs as inputs

    monkeypatch.setattr(inputs, "InceptionFeatures", StubFeatures)
    monkeypatch.setattr(inputs, "VGG19PoolFeatures", StubVGGFeatures)
    monkeypatch.setattr(monitor, "InceptionFeatures", StubFeatures)
