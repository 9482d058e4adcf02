"""The training state and step of a likelihood model (``vae``, ``ddpm``; #21): one
optimiser over G (and E), the model's own loss, one EMA update — no discriminator.

The GAN path (``train/state.py``, ``train/step.py``) is untouched by this module. The
checkpoint keeps the GAN layout (``models: {G, D: {}, E, G_ema}``, ``optim: {G, D: {}}``),
so ``find_checkpoint``, ``load_generator``, exports and the model card work unchanged, and
resume is exact for the same reason as for GANs: every draw (batch, t, ε, the
reparameterisation noise) is a pure function of (seed, step).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor, nn

from artgan import __version__
from artgan.config import Config
from artgan.errors import ArtganError
from artgan.io.checkpoint import FORMAT, VERSION, first_line
from artgan.models import LatentSpec, LikelihoodLoss, ModelSpec, get_model, model_latent
from artgan.models.ema import ema_decay_at, make_ema, update_ema
from artgan.runtime import Runtime
from artgan.train.rng import generator_for, rng_state, seed_for, set_rng_state
from artgan.train.step import BatchFn, _update


@dataclass
class LikelihoodState:
    cfg: Config
    spec: ModelSpec
    latent: LatentSpec
    G: nn.Module
    E: nn.Module | None
    G_ema: nn.Module
    opt: torch.optim.Optimizer  # over G's and E's parameters
    loss: LikelihoodLoss
    step: int = 0
    train_seconds: float = 0.0

    def state_dict(self, data_info: dict[str, Any]) -> dict[str, Any]:
        """The checkpoint payload, in the GAN checkpoints' layout (empty D entries)."""
        return {
            "format": FORMAT,
            "version": VERSION,
            "artgan_version": __version__,
            "step": self.step,
            "train_seconds": self.train_seconds,
            "config": self.cfg.to_dict(),
            "data": data_info,
            "models": {
                "G": self.G.state_dict(),
                "D": {},
                "E": self.E.state_dict() if self.E is not None else {},
                "G_ema": self.G_ema.state_dict(),
            },
            "optim": {"G": self.opt.state_dict(), "D": {}},
            "scaler": None,
            "rng": rng_state(),
            "augment": {"kind": "counter", "step": self.step, "d_augment": None},
        }

    def load_state_dict(self, ckpt: dict[str, Any]) -> None:
        models = ckpt["models"]
        try:
            self.G.load_state_dict(models["G"])
            self.G_ema.load_state_dict(models["G_ema"])
            if self.E is not None:
                self.E.load_state_dict(models["E"])
            self.opt.load_state_dict(ckpt["optim"]["G"])
        except (RuntimeError, KeyError, ValueError) as exc:
            raise ArtganError(
                "checkpoint does not match the model built from its config "
                f"({first_line(exc, 160)})"
            ) from None
        self.step = int(ckpt["step"])
        self.train_seconds = float(ckpt.get("train_seconds", 0.0))
        set_rng_state(ckpt["rng"])


def build_likelihood_state(cfg: Config, rt: Runtime) -> LikelihoodState:
    """Networks, optimiser and loss for a likelihood model; init seeded like a GAN's."""
    spec = get_model(cfg.model.name)
    latent = model_latent(cfg.model, cfg.data.resolution)
    res = cfg.data.resolution
    torch.manual_seed(seed_for(cfg.train.seed, "init"))
    G = spec.generator(cfg.model, latent, res)
    E = spec.encoder(cfg.model, latent, res) if spec.encoder else None
    for m in (G, E):
        if m is not None:
            m.to(rt.device, memory_format=rt.memory_format)
    G_ema = make_ema(G)
    o = cfg.optim
    params = list(G.parameters()) + (list(E.parameters()) if E is not None else [])
    opt = torch.optim.Adam(params, lr=o.lr_g, betas=(o.beta1, o.beta2))
    assert spec.likelihood is not None, f"model '{spec.name}' is a GAN"
    loss = spec.likelihood(cfg.model, rt, cfg.train.batch_size // rt.shard.world)
    return LikelihoodState(cfg, spec, latent, G, E, G_ema, opt, loss)


def likelihood_step(
    state: LikelihoodState, batch_fn: BatchFn, rt: Runtime, objective: Any = None
) -> dict[str, Tensor]:
    """Advance ``state`` by one step on real batch ``state.step``; returns detached scalars:
    ``loss_g`` (what the model minimises) and the loss's other named terms."""
    t = state.step
    real, _ = batch_fn(t)
    gen = generator_for(state.cfg.train.seed, t, 0, "likelihood")
    terms = state.loss(state.G, state.E, real, gen, rt)
    _update(state.opt, terms["total"], rt.shard)
    tc = state.cfg.train
    update_ema(state.G_ema, state.G, ema_decay_at(t, tc.ema_decay, tc.ema_rampup))
    state.step += 1
    out = {"loss_g": terms["total"].detach()}
    out.update({k: v.detach() for k, v in terms.items() if k != "total"})
    return out
