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

from artgan.config import Config
from artgan.models import LatentSpec, LikelihoodLoss, ModelSpec, get_model, model_latent
from artgan.models.ema import ema_decay_at, make_ema, update_ema
from artgan.runtime import Runtime
from artgan.train.rng import generator_for, seed_for
from artgan.train.state import checkpoint_payload, load_parts, restore_counters
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
        return checkpoint_payload(
            self.cfg, self.step, self.train_seconds, data_info,
            models={"G": self.G.state_dict(), "D": {},
                    "E": self.E.state_dict() if self.E is not None else {},
                    "G_ema": self.G_ema.state_dict()},
            optim={"G": self.opt.state_dict(), "D": {}},
            d_augment=None,
        )  # fmt: skip

    def load_state_dict(self, ckpt: dict[str, Any]) -> None:
        load_parts(ckpt, [(self.G, ("models", "G")), (self.G_ema, ("models", "G_ema")),
                          (self.E, ("models", "E")), (self.opt, ("optim", "G"))])  # fmt: skip
        self.step, self.train_seconds = restore_counters(ckpt)


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
