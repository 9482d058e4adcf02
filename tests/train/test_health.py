"""A broken run stops with one line and keeps its last good checkpoint: non-finite losses
or weights, and samples collapsed to nearly one image (train/health.py)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from artgan.config import parse_override
from artgan.train import Trainer, resume_config
from artgan.train.health import TrainingBroke, non_finite, real_spread, spread, weights_finite
from helpers import tiny_config


def test_spread_is_zero_for_copies_and_grows_with_differences():
    img = np.random.default_rng(0).integers(0, 256, (1, 8, 8, 3), dtype=np.uint8)
    assert spread(np.repeat(img, 5, axis=0)) == 0.0
    two = np.concatenate([np.zeros((1, 8, 8, 3), np.uint8), np.full((1, 8, 8, 3), 200, np.uint8)])
    assert spread(two) == pytest.approx(np.std([0.0, 200.0], ddof=1))  # per pixel, unbiased
    # the float path reads [-1, 1] images on the same 0–255 scale
    t = torch.from_numpy(two).permute(0, 3, 1, 2).float() / 127.5 - 1
    assert spread(t) == pytest.approx(spread(two), rel=1e-5)
    assert real_spread(np.repeat(img, 300, axis=0)) == 0.0


def test_non_finite_and_weights_finite():
    assert non_finite({"loss_d": 1.0, "loss_g": float("nan"), "x": float("inf"), "s": "a"}) == [
        "loss_g", "x"]  # fmt: skip
    m = torch.nn.Linear(2, 2)
    assert weights_finite([m, None])
    with torch.no_grad():
        m.weight[0, 0] = float("nan")
    assert not weights_finite([m])


def test_nan_weights_stop_training_and_keep_the_last_good_checkpoint(tmp_path, tiny_data):
    t = Trainer(tiny_config(), tmp_path / "r", dataset=tiny_data)
    t.fit(until_step=2)  # checkpoint at step 2
    with torch.no_grad():
        next(t.state.G.parameters()).fill_(float("nan"))
    with pytest.raises(TrainingBroke, match=r"training stopped at step \d: .*non-finite.*"
                       r"ckpt_0000002\.pt.*artgan train --resume"):  # fmt: skip
        t.fit(until_step=4)
    assert not (tmp_path / "r" / "checkpoints" / "ckpt_0000004.pt").exists()
    _, ckpt, _ = resume_config(tmp_path / "r", [])
    assert ckpt["step"] == 2
    assert all(torch.isfinite(v).all() for v in ckpt["models"]["G"].values()
               if v.is_floating_point())  # fmt: skip


def test_collapsed_samples_stop_training(tmp_path, tiny_data):
    cfg = tiny_config(parse_override("train.collapse_after=0"))
    t = Trainer(cfg, tmp_path / "c", dataset=tiny_data)
    t.fit(until_step=2)
    with torch.no_grad():  # zero weights: every sample is the same image (z has no say)
        for p in (*t.state.G.parameters(), *t.state.G_ema.parameters()):
            p.zero_()
    with pytest.raises(TrainingBroke, match="collapsed: its 8 samples are nearly one image"):
        t.fit(until_step=4)
    # with the check off the same state trains on
    off = Trainer(tiny_config(parse_override("train.collapse_threshold=0")), tmp_path / "o",
                  dataset=tiny_data)  # fmt: skip
    off.fit(until_step=2)
    with torch.no_grad():
        for p in (*off.state.G.parameters(), *off.state.G_ema.parameters()):
            p.zero_()
    off.fit(until_step=4)
    assert off.state.step == 4


def test_the_collapse_check_can_be_turned_off_on_resume(tmp_path, tiny_data):
    Trainer(tiny_config(), tmp_path / "r", dataset=tiny_data).fit(until_step=2)
    cfg, ckpt, _ = resume_config(tmp_path / "r", [parse_override("train.collapse_threshold=0")])
    assert cfg.train.collapse_threshold == 0 and ckpt["step"] == 2
