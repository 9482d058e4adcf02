"""Every registered model, by the same tests: a model added to the registry is tested by
being registered. Builds at several resolutions, gradients reach every parameter, state
dicts round-trip, two training steps through the trainer, and export → generate
reproduces the run's images bit for bit."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from artgan.config import preset_names, resolve
from artgan.data import make_landscapes
from artgan.models import MODELS, get_model, latent_spec, latents_for_seeds
from artgan.runtime import Runtime
from artgan.sampling import export_generator, generate, load_generator
from artgan.train import Trainer
from helpers import TINY_TRAIN

NAMES = MODELS.names()
# Optional: settings that make a model cheaper still in tests (a new model needs none).
FASTER = {"migan": {"cond_channels": 8, "cycle_batch": 4, "perceptual_layers": "relu1_2"}}


def tiny(name: str, resolution: int = 16, **model):
    layers = [
        {"data": {"resolution": resolution}},
        {"model": {"name": name, "z_dim": 16, "n_categories": 3, "n_continuous": 2,
                   "g_channels": 8, "d_channels": 8, "max_channels": 32,
                   **FASTER.get(name, {}), **model}},
        {"train": {**TINY_TRAIN, "steps": 2, "n_samples": 4}},
    ]  # fmt: skip
    return resolve(name if name in preset_names() else None, None, layers)


def _nets(cfg, seed: int = 0):
    spec, latent = get_model(cfg.model.name), latent_spec(cfg.model)
    torch.manual_seed(seed)
    res = cfg.data.resolution
    E = spec.encoder(cfg.model, latent, res) if spec.encoder else None
    return spec.generator(cfg.model, latent, res), spec.discriminator(cfg.model, latent, res), E


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
    latent = latent_spec(cfg.model)
    z = latent.join(latent.sample(3, torch.Generator().manual_seed(0)))
    x = G(z)
    assert x.shape == (3, 3, resolution, resolution) and x.abs().max() <= 1.0
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
    z = torch.randn(4, latent_spec(cfg.model).dim)
    x = G(z)
    loss = _scores(D(x)).sum()
    spec = get_model(name)
    if spec.critic_objective is not None:  # e.g. FastGAN's decoders train through it
        critic = spec.critic_objective(cfg.model, Runtime(torch.device("cpu"), "fp32", False))
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
    z = torch.randn(2, latent_spec(cfg.model).dim)
    for net_a, net_b in zip(a, b, strict=True):
        if net_a is None:
            continue
        net_b.load_state_dict(net_a.state_dict())
        net_a.eval(), net_b.eval()
    with torch.no_grad():
        assert torch.equal(a[0](z), b[0](z))
        x = a[0](z)
        assert torch.equal(_scores(a[1](x)), _scores(b[1](x)))


@pytest.mark.parametrize("name", NAMES)
def test_two_steps_then_export_generates_the_same_images(name, tmp_path: Path):
    res = _res(name)
    data = make_landscapes(n=48, resolution=res, seed=0)
    trainer = Trainer(tiny(name, res), tmp_path / "run", dataset=data)
    before = [p.clone() for p in trainer.state.G.parameters()]
    trainer.fit()
    rows = [r for r in trainer.log.read() if "loss_d" in r]
    assert [r["step"] for r in rows] == [1, 2]
    assert all(torch.isfinite(torch.tensor([r["loss_d"], r["loss_g"]])).all() for r in rows)
    assert any(not torch.equal(p, b) for p, b in zip(trainer.state.G.parameters(), before,
                                                     strict=True))  # fmt: skip
    exported = export_generator(tmp_path / "run", tmp_path / "g.pt")
    run_g, file_g = load_generator(tmp_path / "run"), load_generator(exported)
    rt = Runtime(torch.device("cpu"), "fp32", channels_last=True)
    z = latents_for_seeds(run_g.latent, [0, 1, 2], None)
    assert torch.equal(generate(run_g, z, rt), generate(file_g, z, rt))
    assert (run_g.E is None) == (get_model(name).encoder is None) == (file_g.E is None)
