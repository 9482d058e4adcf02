"""``--logger tensorboard``: event files hold the logged scalars and the sample grids,
and a resumed run does not log a step twice."""

from __future__ import annotations

import numpy as np
import pytest

from artgan.cli import main

event_accumulator = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator")

TINY = [
    "--model", "dcgan", "--resolution", "16", "--batch-size", "8", "--no-progress",
    "--sample-every", "2", "--ckpt-every", "2", "--logger", "tensorboard",
    "--set", "model.g_channels=8", "--set", "model.d_channels=8", "--set", "model.z_dim=16",
    "--set", "train.n_samples=4", "--set", "train.log_every=1", "--precision", "fp32",
]  # fmt: skip


def _events(run):
    acc = event_accumulator.EventAccumulator(str(run / "tensorboard"),
                                             size_guidance={"images": 0, "scalars": 0})  # fmt: skip
    acc.Reload()
    return acc


def test_scalars_and_sample_grids_are_in_the_event_files(tmp_path):
    run = tmp_path / "run"
    assert main(["train", *TINY, "--steps", "4", "--out", str(run)]) == 0
    acc = _events(run)
    tags = acc.Tags()
    assert {"train/loss_d", "train/loss_g", "train/d_real", "speed/img_per_s"} <= set(
        tags["scalars"]
    )
    steps = [e.step for e in acc.Scalars("train/loss_d")]
    assert steps == [1, 2, 3, 4]
    logged = [r for r in (run / "metrics.jsonl").read_text().splitlines() if '"loss_d"' in r]
    first = float(logged[0].split('"loss_d": ')[1].split(",")[0])
    assert acc.Scalars("train/loss_d")[0].value == pytest.approx(first, rel=1e-6)
    images = acc.Images("samples")
    assert [e.step for e in images] == [2, 4]
    assert images[0].width == images[0].height > 16  # a grid of 4 samples

    # resume: events after the checkpoint's step are purged, so each step appears once
    assert main(["train", "--resume", str(run), "--steps", "6"]) == 0
    steps = [e.step for e in _events(run).Scalars("train/loss_d")]
    assert sorted(set(steps)) == steps == [1, 2, 3, 4, 5, 6]
    assert np.all(np.diff(steps) > 0)
