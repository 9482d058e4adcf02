"""The likelihood models (vae, ddpm; #21) through the same trainer as the GANs: exact
resume, the config refusing what has no meaning without a discriminator, DDIM steps at
generation time, and the GAN-only paths refusing them with one-line errors."""

from __future__ import annotations

import pytest
import torch

from artgan.api import Generator
from artgan.config import resolve
from artgan.errors import ArtganError
from artgan.models import get_model
from artgan.models.ddpm import ddpm_schedule
from artgan.models.diffusion import linear_betas
from artgan.runtime import Runtime
from artgan.sampling import load_generator
from artgan.sampling.onnx import export_onnx
from artgan.train import Trainer
from helpers import TINY_TRAIN, assert_same_state, resumed_and_uninterrupted

TINY = {
    "vae": {"z_dim": 16, "g_channels": 8, "e_channels": 8, "max_channels": 32},
    "ddpm": {"g_channels": 8, "channel_mult": "1,2", "attn_resolutions": "8",
             "num_res_blocks": 1, "timesteps": 20, "sample_steps": 3},
}  # fmt: skip


def _cfg(name: str, **train):
    return resolve(name, None, [{"data": {"resolution": 16}, "model": TINY[name],
                                 "train": {**TINY_TRAIN, **train}}])  # fmt: skip


@pytest.mark.parametrize("name", ["vae", "ddpm"])
def test_resume_is_bit_exact(name, tmp_path, tiny_data):
    full, resumed = resumed_and_uninterrupted(_cfg(name), tmp_path, tiny_data)
    assert_same_state(full, resumed)
    ckpt_models = full.state.state_dict({})["models"]
    assert ckpt_models["D"] == {} and bool(ckpt_models["E"]) == (name == "vae")
    row = full.log.read()
    losses = [r for r in row if "loss_g" in r]
    assert losses and all("loss_d" not in r for r in losses)
    key = {"vae": "kl", "ddpm": "eps_mse"}[name]
    assert all(key in r and r[key] >= 0 for r in losses)


def test_the_vae_learns_to_reconstruct(tmp_path, tiny_data):
    # 40 steps on 8 fixed paintings: the negative ELBO and the L1 both fall
    t = Trainer(_cfg("vae", batch_size=8, sample_every=1000, ckpt_every=1000), tmp_path / "v",
                dataset=tiny_data)  # fmt: skip
    t.fit(until_step=40)
    rows = [r for r in t.log.read() if "loss_g" in r]
    first, last = rows[:5], rows[-5:]
    mean = lambda rs, k: sum(r[k] for r in rs) / len(rs)  # noqa: E731
    assert mean(last, "loss_g") < 0.8 * mean(first, "loss_g")
    assert mean(last, "l1") < mean(first, "l1")


def test_config_refuses_what_a_likelihood_model_does_not_have():
    for layer, key in [
        ({"loss": {"name": "hinge"}}, "loss"),
        ({"d_augment": {"name": "diffaug"}}, "d_augment"),
        ({"optim": {"n_critic": 2}}, "optim.n_critic"),
        ({"optim": {"lr_d": 1e-3}}, "optim.lr_d"),
        ({"model": {"d_backbone": "efficientnet-lite0"}}, "model.d_backbone"),
        ({"model": {"n_categories": 4}}, "model.n_categories"),
    ]:
        with pytest.raises(ArtganError, match=f"{key} does not apply to 'vae'"):
            resolve("vae", None, [layer])
    with pytest.raises(ArtganError, match="model.z_dim does not apply to 'ddpm'"):
        resolve("ddpm", None, [{"model": {"z_dim": 64}}])
    with pytest.raises(ArtganError, match="sample_steps"):
        resolve("ddpm", None, [{"model": {"sample_steps": 2000}}])
    with pytest.raises(ArtganError, match="channel_mult"):
        resolve("ddpm", None, [{"model": {"channel_mult": "1,two"}}])


def test_linear_schedule_is_hos_at_1000_steps_and_scaled_otherwise():
    assert torch.equal(ddpm_schedule("linear", 1000).betas, linear_betas(1000))
    short = ddpm_schedule("linear", 250).betas
    assert short[0].item() == pytest.approx(4e-4) and short[-1].item() == pytest.approx(0.08)
    # the same end-point noise level, roughly: ᾱ_T is tiny either way
    assert ddpm_schedule("linear", 250).alphas_cumprod[-1] < 1e-4


def test_generate_steps_for_diffusion_and_refusals(tmp_path, tiny_data):
    t = Trainer(_cfg("ddpm"), tmp_path / "d", dataset=tiny_data)
    t.fit(until_step=2)
    g = Generator(load_generator(tmp_path / "d"), Runtime(torch.device("cpu"), "fp32", False))
    gen = torch.Generator().manual_seed(0)
    with torch.no_grad():  # two steps leave ε ≈ 0 (zero-init output): every image saturates
        for p in g.lg.G.parameters():
            p.add_(torch.randn(p.shape, generator=gen) * 0.05)
    a, b = g.generate([0, 1]), g.generate([0, 1])
    assert a.shape == (2, 16, 16, 3) and (a == b).all()  # DDIM η = 0: deterministic
    assert (g.generate([1]) == a[1:]).all()  # image i of seed S depends on S + i only
    more = g.generate([0, 1], steps=10)
    assert not (more == a).all()
    assert g.lg.G.steps == 3  # restored after the call
    noisy = g.generate([0, 1], eta=1.0)
    assert (noisy == g.generate([0, 1], eta=1.0)).all()  # η > 0 noise is seeded by x_T
    assert not (noisy == a).all()
    with pytest.raises(ArtganError, match="--steps must be from 1 to 20"):
        g.generate([0], steps=21)
    with pytest.raises(ArtganError, match="truncation does not apply to 'ddpm'"):
        g.generate([0], truncation=0.5)
    with pytest.raises(ArtganError, match="ONNX export of 'ddpm' is not supported"):
        export_onnx(tmp_path / "d", tmp_path / "d.onnx")


def test_steps_are_refused_for_one_pass_generators(tmp_path, tiny_data):
    t = Trainer(_cfg("vae"), tmp_path / "v", dataset=tiny_data)
    t.fit(until_step=1)
    g = Generator(load_generator(tmp_path / "v"), Runtime(torch.device("cpu"), "fp32", False))
    assert not get_model("vae").iterative and g.lg.E is not None
    with pytest.raises(ArtganError, match="'vae' makes an image in one pass"):
        g.generate([0], steps=10)
    latents, recon = g.project(tiny_data.images[:2])  # the encoder's posterior mean
    assert latents.shape == (2, 16) and recon.shape == (2, 16, 16, 3)
