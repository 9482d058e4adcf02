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
        return checkpoint_payload(
            self.cfg, self.step, self.train_seconds, data_info,
            models={"G": self.G.state_dict(), "D": self.D.state_dict(),
                    "E": self.E.state_dict() if self.E is not None else {},
                    "G_ema": self.G_ema.state_dict()},
            optim={"G": self.opt_g.state_dict(), "D": self.opt_d.state_dict()},
            d_augment=self.d_aug.state_dict() if self.d_aug else None,
        )  # fmt: skip

    def load_state_dict(self, ckpt: dict[str, Any]) -> None:
        parts = [(self.G, ("models", "G")), (self.D, ("models", "D")),
                 (self.G_ema, ("models", "G_ema")), (self.E, ("models", "E")),
                 (self.opt_g, ("optim", "G")), (self.opt_d, ("optim", "D"))]  # fmt: skip
        load_parts(ckpt, parts)
        if self.d_aug is not None:
            self.d_aug.load_state_dict(ckpt.get("augment", {}).get("d_augment") or {})
        self.step, self.train_seconds = restore_counters(ckpt)


def checkpoint_payload(
    cfg: Config,
    step: int,
    train_seconds: float,
    data_info: dict[str, Any],
    models: dict[str, Any],
    optim: dict[str, Any],
    d_augment: dict[str, Any] | None,
) -> dict[str, Any]:
    """The one checkpoint layout, for GANs and likelihood models alike (a likelihood
    model passes empty ``D`` entries)."""
    return {
        "format": FORMAT,
        "version": VERSION,
        "artgan_version": __version__,
        "step": step,
        "train_seconds": train_seconds,
        "config": cfg.to_dict(),
        "data": data_info,
        "models": models,
        "optim": optim,
        "scaler": None,  # bf16 needs no loss scaling; fp16 is not offered
        "rng": rng_state(),
        # Augmentation draws are counter-based (train/rng.py): the step is their state,
        # plus ADA's adaptive probability where it is used.
        "augment": {"kind": "counter", "step": step, "d_augment": d_augment},
    }


def load_parts(ckpt: dict[str, Any], parts: list[tuple[Any, tuple[str, str]]]) -> None:
    """``load_state_dict`` each (module or optimiser, its ``(section, key)`` in ``ckpt``);
    None entries are skipped; a missing entry or a mismatch is one :class:`ArtganError`."""
    try:
        for obj, (section, key) in parts:
            if obj is not None:
                obj.load_state_dict(ckpt[section][key])
    except (RuntimeError, KeyError, ValueError) as exc:
        raise ArtganError(
            f"checkpoint does not match the model built from its config ({first_line(exc, 160)})"
        ) from None


def restore_counters(ckpt: dict[str, Any]) -> tuple[int, float]:
    """(step, training seconds) of a checkpoint, and the global RNG state it saved."""
    set_rng_state(ckpt["rng"])
    return int(ckpt["step"]), float(ckpt.get("train_seconds", 0.0))


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
