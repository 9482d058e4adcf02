"""Everything that changes during training, in one object that round-trips through a
checkpoint: networks (G, D, optional E, EMA of G), optimisers, step counter, RNG."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from artgan import __version__
from artgan.augment import DAugment, build_d_augment
from artgan.config import Config
from artgan.errors import ArtganError
from artgan.io.checkpoint import FORMAT, VERSION, first_line
from artgan.losses import LOSSES
from artgan.models import LatentSpec, ModelSpec, build_discriminator, get_model, latent_spec
from artgan.models.ema import has_batchnorm, make_ema
from artgan.models.registry import CriticObjective
from artgan.runtime import Runtime
from artgan.train.rng import rng_state, seed_for, set_rng_state


@dataclass
class GANState:
    cfg: Config
    spec: ModelSpec
    latent: LatentSpec
    G: nn.Module
    D: nn.Module
    E: nn.Module | None
    G_ema: nn.Module
    opt_g: torch.optim.Optimizer
    opt_d: torch.optim.Optimizer
    d_aug: DAugment | None = None  # what D's inputs go through (d_augment); ADA's state
    critic_objective: CriticObjective | None = None  # extra critic terms (FastGAN's)
    step: int = 0
    train_seconds: float = 0.0  # time spent in training steps (budgets; not exact-resume)

    def state_dict(self, data_info: dict[str, Any]) -> dict[str, Any]:
        """The checkpoint payload (plain containers + tensors; ``weights_only``-safe)."""
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
                "D": self.D.state_dict(),
                "E": self.E.state_dict() if self.E is not None else {},
                "G_ema": self.G_ema.state_dict(),
            },
            "optim": {"G": self.opt_g.state_dict(), "D": self.opt_d.state_dict()},
            "scaler": None,  # bf16 needs no loss scaling; fp16 is not offered
            "rng": rng_state(),
            # Augmentation draws are counter-based (train/rng.py): the step is their state,
            # plus ADA's adaptive probability where it is used.
            "augment": {
                "kind": "counter",
                "step": self.step,
                "d_augment": self.d_aug.state_dict() if self.d_aug else None,
            },
        }

    def load_state_dict(self, ckpt: dict[str, Any]) -> None:
        models = ckpt["models"]
        try:
            self.G.load_state_dict(models["G"])
            self.D.load_state_dict(models["D"])
            self.G_ema.load_state_dict(models["G_ema"])
            if self.E is not None:
                self.E.load_state_dict(models["E"])
            self.opt_g.load_state_dict(ckpt["optim"]["G"])
            self.opt_d.load_state_dict(ckpt["optim"]["D"])
        except (RuntimeError, KeyError, ValueError) as exc:
            raise ArtganError(
                "checkpoint does not match the model built from its config "
                f"({first_line(exc, 160)})"
            ) from None
        if self.d_aug is not None:
            self.d_aug.load_state_dict(ckpt.get("augment", {}).get("d_augment") or {})
        self.step = int(ckpt["step"])
        self.train_seconds = float(ckpt.get("train_seconds", 0.0))
        set_rng_state(ckpt["rng"])


def build_state(cfg: Config, rt: Runtime) -> GANState:
    """Build networks and optimisers for ``cfg`` on ``rt.device``; init is seeded."""
    spec = get_model(cfg.model.name)
    latent = latent_spec(cfg.model)
    res = cfg.data.resolution
    torch.manual_seed(seed_for(cfg.train.seed, "init"))
    G = spec.generator(cfg.model, latent, res)
    D = build_discriminator(spec, cfg.model, latent, res)
    E = spec.encoder(cfg.model, latent, res) if spec.encoder else None
    if LOSSES.get(cfg.loss.name).gradient_penalty and has_batchnorm(D):
        # GP penalises each input's gradient; with BatchNorm D's score of one image depends
        # on the rest of the batch, so the penalty no longer pins D near 1-Lipschitz.
        warnings.warn(
            f"loss.name={cfg.loss.name} with model '{cfg.model.name}', whose critic has BatchNorm: "
            f"the gradient penalty assumes each image's score depends on that image alone "
            f"(WGAN-GP uses no BatchNorm in the critic); prefer a BatchNorm-free critic "
            f"(migan, sagan) or loss.name=bce/hinge",
            stacklevel=2,
        )
    mods = [m for m in (G, D, E) if m is not None]
    for m in mods:
        m.to(rt.device, memory_format=rt.memory_format)
    G_ema = make_ema(G)
    o = cfg.optim
    g_params = list(G.parameters()) + (list(E.parameters()) if E is not None else [])
    opt_g = torch.optim.Adam(g_params, lr=o.lr_g, betas=(o.beta1, o.beta2))
    opt_d = torch.optim.Adam(D.parameters(), lr=o.lr_d, betas=(o.beta1, o.beta2))
    d_aug = build_d_augment(cfg.d_augment)
    # A model's critic objective belongs to its own D (a projected D has no decoders).
    own_d = spec.critic_objective is not None and cfg.model.d_backbone == "own"
    critic = spec.critic_objective(cfg.model, rt) if own_d else None
    return GANState(cfg, spec, latent, G, D, E, G_ema, opt_g, opt_d, d_aug, critic)
