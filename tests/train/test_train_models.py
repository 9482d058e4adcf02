"""MIGAN and SAGAN through the trainer: ablations, the info loss, resume, labels."""

from __future__ import annotations

import itertools
import math

import pytest
import torch

from artgan.config import resolve
from artgan.losses import info_loss
from artgan.models import get_model, latent_spec
from artgan.models.migan import MIGANObjective
from artgan.runtime import setup_runtime
from artgan.train import Trainer
from artgan.train.state import build_state
from artgan.train.step import gan_step
from helpers import assert_same_state, migan_config, resumed_and_uninterrupted


def _batch_fn(data, batch):
    x = torch.from_numpy(data.images[:batch]).permute(0, 3, 1, 2).float() / 127.5 - 1
    labels = torch.from_numpy(data.labels[:batch])
    return lambda i: (x, labels)


@pytest.mark.parametrize("flags", list(itertools.product([True, False], repeat=4)))
def test_all_16_ablations_build_and_train_a_step(flags, tiny_data):
    ams, sft, sa, eca = flags
    cfg = migan_config({"model": {"use_ams": ams, "use_sft": sft, "use_sa": sa, "use_eca": eca}})
    rt = setup_runtime("cpu", "fp32", 2)
    state = build_state(cfg, rt)
    before = [p.clone() for p in state.G.parameters()]
    objective = MIGANObjective(cfg.model, rt, 8)
    for _ in range(2):  # zero-initialised gates (SA's μ, SFT's last convs) open on step one
        out = gan_step(state, _batch_fn(tiny_data, 8), rt, objective)
    assert all(torch.isfinite(v) for v in out.values())
    assert {"gp", "g_info", "g_ms", "g_per"} <= out.keys()
    for (name, p), b in zip(state.G.named_parameters(), before, strict=True):
        assert not torch.equal(p, b), f"{name} was not trained"
    names = [n for n, _ in state.G.named_parameters()]
    assert any("ams" in n for n in names) == ams
    assert any("sft" in n or "cond_net" in n for n in names) == sft
    assert any(".sa." in n for n in names) == sa
    assert any(".eca." in n for n in names) == eca


def test_info_loss_falls_when_E_learns_a_fixed_G():
    cfg = migan_config()
    spec, latent = get_model("migan"), latent_spec(cfg.model)
    torch.manual_seed(0)
    G = spec.generator(cfg.model, latent, 16).requires_grad_(False)
    E = spec.encoder(cfg.model, latent, 16)
    opt = torch.optim.Adam(E.parameters(), 1e-3)
    gen = torch.Generator().manual_seed(0)
    losses = []
    for _ in range(60):
        draw = latent.sample(32, gen)
        loss = info_loss(E(G(latent.join(draw))), draw.z, draw.cat, draw.cont)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    first, last = sum(losses[:5]) / 5, sum(losses[-5:]) / 5
    assert last < 0.6 * first, (first, last)


def test_migan_resume_is_bit_exact(tmp_path, tiny_data):
    full, resumed = resumed_and_uninterrupted(migan_config(), tmp_path, tiny_data)
    assert_same_state(full, resumed)
    assert full.state.E is not None  # the encoder is part of the compared state


def test_auto_categories_and_labels_as_code(tmp_path, tiny_data):
    cfg = migan_config({"model": {"n_categories": "auto", "labels_as_code": True}})
    t = Trainer(cfg, tmp_path / "r", dataset=tiny_data)
    assert t.cfg.model.n_categories == len(tiny_data.class_names) == 4
    t.fit(until_step=1)
    row = t.log.read()[-1]
    # the categorical head's cross-entropy on the class folders: positive, finite
    assert math.isfinite(row["g_label"]) and row["g_label"] > 0


def test_labels_as_code_errors(tmp_path, tiny_data):
    from artgan.errors import ArtganError

    bad = migan_config({"model": {"labels_as_code": True}})  # 3 categories, 4 classes
    with pytest.raises(ArtganError, match="ties the categorical code to the 4 class folders"):
        Trainer(bad, tmp_path / "a", dataset=tiny_data)
    with pytest.raises(ArtganError, match="model.labels_as_code' does not apply to model 'dcgan'"):
        resolve("dcgan", None, [{"model": {"n_categories": 4, "labels_as_code": True}}])


def test_sagan_trains_with_hinge(tmp_path, tiny_data):
    cfg = resolve("sagan", None, [{"data": {"resolution": 16},
                                   "model": {"g_channels": 8, "d_channels": 8, "max_channels": 32},
                                   "train": {"batch_size": 8, "progress": False}}])  # fmt: skip
    assert cfg.loss.name == "hinge" and cfg.optim.lr_d == 4e-4
    t = Trainer(cfg, tmp_path / "s", dataset=tiny_data)
    t.fit(until_step=2)
    row = t.log.read()[-1]
    assert row["step"] == 2 and "gp" not in row


def _objective_terms(tiny_data, step: int = 0, **model):
    """MIGAN's generator terms on a fixed batch, with ``model`` overrides, and the state."""
    cfg = migan_config({"model": model})
    rt = setup_runtime("cpu", "fp32", 1)
    torch.manual_seed(0)
    state = build_state(cfg, rt)
    x, labels = _batch_fn(tiny_data, 8)(0)
    draw = state.latent.sample(8, torch.Generator().manual_seed(1))
    fake = state.G(state.latent.join(draw)).detach()  # only the cycles reach G below
    objective = MIGANObjective(cfg.model, rt, 8)
    return objective(state.G, state.E, fake, draw, x, labels, rt, step), state


def test_image_cycle_can_train_the_encoder_alone(tiny_data):
    for trains, g_learns in (("generator+encoder", True), ("encoder", False)):
        terms, state = _objective_terms(tiny_data, cycle_trains=trains)
        terms["total"].backward()
        g_grads = [p.grad for p in state.G.parameters() if p.grad is not None]
        assert bool(g_grads and any(g.abs().sum() > 0 for g in g_grads)) == g_learns, trains
        e_grad = sum(p.grad.abs().sum() for p in state.E.parameters() if p.grad is not None)
        assert e_grad > 0  # E learns from the cycle either way
    # ...and the loss values are the same: only where the gradient goes differs
    both, _ = _objective_terms(tiny_data)
    enc, _ = _objective_terms(tiny_data, cycle_trains="encoder")
    assert torch.allclose(both["ms"], enc["ms"]) and torch.allclose(both["per"], enc["per"])


def test_cycle_ramp_scales_the_image_cycle_weights_linearly(tiny_data):
    cfg = migan_config().model
    for step, share in ((0, 0.1), (4, 0.5), (9, 1.0), (50, 1.0)):
        t, _ = _objective_terms(tiny_data, step, cycle_ramp=10)
        expected = (cfg.lambda_info * t["info"] + share * cfg.lambda_ms * t["ms"]
                    + share * cfg.eta_per * t["per"])  # fmt: skip
        assert torch.allclose(t["total"], expected, rtol=1e-5), step


def test_lazy_image_cycle_runs_every_kth_step_at_k_times_its_weight(tiny_data):
    cfg = migan_config().model
    eager, _ = _objective_terms(tiny_data, 8)
    for step, runs in ((8, True), (9, False), (11, False), (12, True)):
        t, _ = _objective_terms(tiny_data, step, cycle_every=4)
        if not runs:  # the latent cycle alone: no E → G → x̂ pass, no VGG
            assert "ms" not in t and "per" not in t
            assert torch.equal(t["total"], cfg.lambda_info * t["info"])
            continue
        assert torch.equal(t["ms"], eager["ms"]) and torch.equal(t["per"], eager["per"])
        cycle = cfg.lambda_ms * t["ms"] + cfg.eta_per * t["per"]
        expected = cfg.lambda_info * t["info"] + 4 * cycle
        assert torch.allclose(t["total"], expected, rtol=1e-6), step
