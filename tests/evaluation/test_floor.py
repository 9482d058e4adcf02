"""The floor (real paintings measured like the samples) and the memorisation check,
end to end through MetricInputs and evaluate_run (feature networks stubbed)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from artgan.cli import main
from artgan.data import make_landscapes
from artgan.evaluation import evaluate_run, format_table
from artgan.evaluation.floor import floor_indices, floor_metrics
from artgan.evaluation.suite import compute_metrics
from artgan.metrics import MetricInputs, frechet_distance
from artgan.metrics.fid import feature_stats
from helpers import StubFeatures

pytestmark = pytest.mark.usefixtures("stub")


def _split():
    data = make_landscapes(n=80, resolution=16, seed=3)
    return data.subset(np.arange(50)), data.subset(np.arange(50, 80))  # train, test


def _stub_stats(images: np.ndarray):
    import torch

    feats = StubFeatures()(torch.from_numpy(images).permute(0, 3, 1, 2)).numpy()
    return feature_stats(feats)


def test_floor_is_fid_between_disjoint_real_sets_at_the_same_count():
    train, test = _split()
    inputs = MetricInputs(real=test.images, fake=train.images[:5], progress=False)
    floor = floor_metrics(["fid", "kid", "ssim"], inputs, train, n=20)
    idx = floor_indices(len(train), 20)
    assert floor["n"] == 20 and len(set(idx)) == 20 and set(floor) >= {"fid", "kid"}
    assert "ssim" not in floor  # only distribution metrics have a floor
    expected = frechet_distance(*_stub_stats(test.images), *_stub_stats(train.images[idx]))
    assert floor["fid"] == pytest.approx(expected, rel=1e-9)
    assert floor_indices(len(train), 20).tolist() == idx.tolist()  # a fixed draw
    assert floor_indices(10, 20).tolist() == list(range(10))  # never more than there are
    assert floor_metrics(["fid"], inputs, None, 20, "no split")["reason"] == "no split"


def test_memorisation_flags_copies_and_passes_held_out_images():
    train, test = _split()
    unseen = make_landscapes(n=30, resolution=16, seed=9).images
    common = {"real": test.images, "train": train.images, "progress": False}
    copied = compute_metrics(["memorisation"], MetricInputs(fake=train.images[:30], **common))
    held_out = compute_metrics(["memorisation"], MetricInputs(fake=unseen, **common))
    assert copied["memorisation"]["copies"] and copied["copy_fraction"] == 1.0
    assert not held_out["memorisation"]["copies"] and held_out["copy_fraction"] < 0.05
    no_train = compute_metrics(["memorisation"], MetricInputs(fake=unseen, real=test.images))
    assert no_train["copy_fraction"]["available"] is False


def test_evaluate_run_reports_the_floor_prdc_fd_vgg19_and_closest_pairs(tmp_path):
    run = tmp_path / "run"
    args = ["train", "--resolution", "16", "--steps", "2", "--batch-size", "8",
            "--no-progress", "--set", "model.g_channels=8", "--set", "model.d_channels=8",
            "--out", str(run)]  # fmt: skip
    assert main(args) == 0
    r = evaluate_run(run, "fid,kid,prdc,fd_vgg19,memorisation", n=12, progress=False)
    split = json.loads((run / "split.json").read_text())
    assert r["floor"]["n"] == 12 and r["floor"]["source"] == "train split"
    prdc = ("prdc_precision", "prdc_recall", "prdc_density", "prdc_coverage")
    for key in ("fid", "kid", *prdc, "fd_vgg19"):
        assert np.isfinite(r[key]) and np.isfinite(r["floor"][key]), key
    assert 0.0 <= r["copy_fraction"] <= 1.0
    assert len(r["memorisation"]["pairs"]) == 8
    grid = run / "eval" / "closest_pairs.png"
    assert r["closest_pairs_png"] == str(grid) and grid.is_file()
    assert r["n_real"] == len(split["test"])
    table = format_table(r)
    assert "real (n=12)" in table.splitlines()[0] and "FD-VGG19" in table
    # a 2-step generator draws noise-like images, nothing like a training painting
    assert r["memorisation"]["copies"] is False
    assert "no sign of copying" in table and "COPIES" not in table
