"""Every registered model, by the same tests: a model added to the registry is tested by
being registered. Builds at several resolutions, gradients reach every parameter, state
dicts round-trip, two training steps through the trainer, and export → generate
reproduces the run's images bit for bit. A GAN's critic is checked beside its generator;
a likelihood model (vae, ddpm) has none, and its own loss drives the gradient check."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from artgan.config import preset_names, resolve
from artgan.data import make_landscapes
from artgan.models import MODELS, get_model, latents_for_seeds, model_latent
from artgan.models.projected import ProjectedDiscriminator
from artgan.runtime import Runtime
from artgan.sampling import export_generator, generate, load_generator
from artgan.train import Trainer
from helpers import TINY_TRAIN, assert_same_state, resumed_and_uninterrupted

NAMES = MODELS.names()
# Optional: settings that make a model cheaper still in tests (a new model needs none).
FASTER = {"migan": {"cond_channels": 8, "cycle_batch": 4, "perceptual_layers": "relu1_2"}}
# A likelihood model's section has no codes or critic widths; these keep it tiny.
LIKELIHOOD = {
    "vae": {"z_dim": 16, "g_channels": 8, "e_channels": 8, "max_channels": 32},
    "ddpm": {"g_channels": 8, "channel_mult": "1,2", "num_res_blocks": 1, "timesteps": 20,
             "sample_steps": 3},
}  # fmt: skip


def tiny(name: str, resolution: int = 16, **model):
    if get_model(name).adversarial:
        section = {"name": name, "z_dim": 16, "n_categories": 3, "n_continuous": 2,
                   "g_channels": 8, "d_channels": 8, "max_channels": 32,
                   **FASTER.get(name, {}), **model}  # fmt: skip
    else:
        section = {"name": name, **LIKELIHOOD.get(name, {}), **model}
        if name == "ddpm":  # attention on the UNet's lower level, whatever the resolution
            section.setdefault("attn_resolutions", str(resolution // 2))
    layers = [
        {"data": {"resolution": resolution}},
        {"model": section},
        {"train": {**TINY_TRAIN, "steps": 2, "n_samples": 4}},
    ]  # fmt: skip
    return resolve(name if name in preset_names() else None, None, layers)


def _nets(cfg, seed: int = 0):
    """(G, D or None for a likelihood model, E or None)."""
    res = cfg.data.resolution
    spec, latent = get_model(cfg.model.name), model_latent(cfg.model, res)
    torch.manual_seed(seed)
    E = spec.encoder(cfg.model, latent, res) if spec.encoder else None
    D = spec.discriminator(cfg.model, latent, res) if spec.discriminator else None
    return spec.generator(cfg.model, latent, res), D, E


def _scores(out) -> torch.Tensor:
    """Any critic output (logits [B] or a list of score maps) → one score per image [B]."""
    outs = out if isinstance(out, (list, tuple)) else [out]
    return sum(o.flatten(1).mean(1) if o.dim() > 1 else o for o in outs)


def _res(name: str, resolution: int = 16) -> int:
    """``resolution``, or the model's smallest where that is larger."""
    return max(resolution, get_model(name).min_resolution)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("resolution", [16, 32, 64])
def test_builds_and_maps_shapes(name, resolution):
    if resolution < get_model(name).min_resolution:
        pytest.skip(f"{name} needs at least {get_model(name).min_resolution} px")
    cfg = tiny(name, resolution)
    G, D, E = _nets(cfg)
    latent = model_latent(cfg.model, resolution)
    z = latent.join(latent.sample(3, torch.Generator().manual_seed(0)))
    with torch.no_grad():
        x = G(z)
    assert x.shape == (3, 3, resolution, resolution) and x.abs().max() <= 1.0
    if D is not None:
        assert _scores(D(x)).shape == (3,)
    if E is not None:
        assert E.to_latent(E(x)).shape == (3, latent.dim)


@pytest.mark.parametrize("name", NAMES)
def test_gradient_reaches_every_parameter(name):
    cfg = tiny(name, _res(name))
    G, D, E = _nets(cfg)
    nets = [m for m in (G, D, E) if m is not None]
    with torch.no_grad():  # zero-initialised gates (SFT, attention μ) would block gradients
        for m in nets:
            for p in m.parameters():
                p.add_(torch.randn_like(p) * 0.05)
    spec, rt = get_model(name), Runtime(torch.device("cpu"), "fp32", False)
    if not spec.adversarial:  # its own loss on real images reaches G (and E)
        real = torch.rand(4, 3, cfg.data.resolution, cfg.data.resolution) * 2 - 1
        loss_fn = spec.likelihood(cfg.model, rt, 4)
        loss_fn(G, E, real, torch.Generator().manual_seed(0), rt)["total"].backward()
        dead = [f"{type(m).__name__}.{n}" for m in nets for n, p in m.named_parameters()
                if p.grad is None or not p.grad.abs().sum() > 0]  # fmt: skip
        assert not dead, dead
        return
    z = torch.randn(4, model_latent(cfg.model, cfg.data.resolution).dim)
    x = G(z)
    loss = _scores(D(x)).sum()
    if spec.critic_objective is not None:  # e.g. FastGAN's decoders train through it
        critic = spec.critic_objective(cfg.model, rt)
        loss = loss + critic(D, x, torch.Generator().manual_seed(0))["total"]
    if E is not None:
        loss = loss + sum(v.sum() for v in E(x).values() if v is not None)
    loss.backward()
    dead = [f"{type(m).__name__}.{n}" for m in nets for n, p in m.named_parameters()
            if p.grad is None or not p.grad.abs().sum() > 0]  # fmt: skip
    assert not dead, dead


@pytest.mark.parametrize("name", NAMES)
def test_state_dict_round_trips(name):
    cfg = tiny(name, _res(name))
    a, b = _nets(cfg, seed=0), _nets(cfg, seed=1)
    z = torch.randn(2, model_latent(cfg.model, cfg.data.resolution).dim)
    for net_a, net_b in zip(a, b, strict=True):
        if net_a is None:
            continue
        net_b.load_state_dict(net_a.state_dict())
        net_a.eval(), net_b.eval()
    with torch.no_grad():
        assert torch.equal(a[0](z), b[0](z))
        x = a[0](z)
        if a[1] is not None:
            assert torch.equal(_scores(a[1](x)), _scores(b[1](x)))
        if a[2] is not None:  # the encoder, as projection reads it
            assert torch.equal(a[2].to_latent(a[2](x)), b[2].to_latent(b[2](x)))


@pytest.mark.parametrize("name", NAMES)
def test_two_steps_then_export_generates_the_same_images(name, tmp_path: Path):
    res = _res(name)
    data = make_landscapes(n=48, resolution=res, seed=0)
    trainer = Trainer(tiny(name, res), tmp_path / "run", dataset=data)
    before = [p.clone() for p in trainer.state.G.parameters()]
    trainer.fit()
    rows = [r for r in trainer.log.read() if "loss_g" in r]
    assert [r["step"] for r in rows] == [1, 2]
    assert all(("loss_d" in r) == get_model(name).adversarial for r in rows)
    assert all(torch.isfinite(torch.tensor([r.get("loss_d", 0.0), r["loss_g"]])).all()
               for r in rows)  # fmt: skip
    assert any(not torch.equal(p, b) for p, b in zip(trainer.state.G.parameters(), before,
                                                     strict=True))  # fmt: skip
    exported = export_generator(tmp_path / "run", tmp_path / "g.pt")
    run_g, file_g = load_generator(tmp_path / "run"), load_generator(exported)
    rt = Runtime(torch.device("cpu"), "fp32", channels_last=True)
    z = latents_for_seeds(run_g.latent, [0, 1, 2], None)
    assert torch.equal(generate(run_g, z, rt), generate(file_g, z, rt))
    assert (run_g.E is None) == (get_model(name).encoder is None) == (file_g.E is None)


@pytest.mark.parametrize("name", [n for n in NAMES if get_model(n).adversarial])
def test_trains_with_the_projected_critic_and_resumes_exactly(name, tmp_path):
    res = _res(name)
    cfg = tiny(name, res, d_backbone="efficientnet-lite0", d_backbone_resolution=64)
    data = make_landscapes(n=64, resolution=res, seed=0)
    full, resumed = resumed_and_uninterrupted(cfg, tmp_path, data, total=3)
    assert isinstance(full.state.D, ProjectedDiscriminator)
    assert_same_state(full, resumed)
