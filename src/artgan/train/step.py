"""One adversarial training step: ``n_critic`` discriminator updates, one generator
update, one EMA update. Kept free of logging and I/O so the benchmark can time it
against a bare loop."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import Tensor

from artgan.config import WGANGPLoss
from artgan.losses import (
    LOSSES,
    AdversarialLoss,
    Scores,
    drift_penalty,
    gradient_penalty,
    per_sample_score,
    r1_penalty,
)
from artgan.models import GeneratorObjective, Latent
from artgan.models.ema import ema_decay_at, update_ema
from artgan.runtime import Runtime, Shard
from artgan.train.rng import generator_for
from artgan.train.state import GANState

BatchFn = Callable[[int], tuple[Tensor, Tensor]]


def gan_step(
    state: GANState,
    batch_fn: BatchFn,
    rt: Runtime,
    objective: GeneratorObjective | None = None,
) -> dict[str, Tensor]:
    """Advance ``state`` by one generator step. ``batch_fn(i)`` returns real batch ``i``
    (this rank's shard of it when ``rt.shard`` has several processes).

    The last critic step's fake batch is kept (with its graph) for the generator update,
    as in the reference DCGAN loop: it saves one generator forward per step.
    The adversarial loss is ``LOSSES[loss.name]``; one with a gradient penalty (wgan-gp)
    adds ``loss.gp_weight``·GP on interpolates to the critic loss. ``objective`` adds the
    model's own generator terms (its spec's, e.g. MIGAN's cycles). With ``d_augment``
    every batch D sees, real or fake, critic or generator step, goes through the same
    differentiable pipeline, each with its own counter-based draws.
    Returns detached scalar tensors (no host sync here; the caller decides when to read).
    """
    cfg = state.cfg
    t, loss = state.step, LOSSES.get(cfg.loss.name)
    G, D = state.G, state.D
    n_critic = cfg.optim.n_critic
    B = cfg.train.batch_size  # global batch; each rank computes its shard of it
    shard = rt.shard
    D.requires_grad_(True)
    for k in range(n_critic):
        c = _critic_step(state, loss, batch_fn, rt, t, k, last=k == n_critic - 1)

    # Generator update; D's weights are frozen so no gradient is computed for them.
    D.requires_grad_(False)
    with rt.autocast():
        fake_out_g = D(_augment(state, c.fake, t, 0, "g", shard))
    loss_g = loss.g_loss(fake_out_g)
    terms = objective(G, state.E, c.fake, c.draw, c.real, c.labels, rt, t) if objective else {}
    _update(state.opt_g, loss_g + terms["total"] if terms else loss_g, shard)
    D.requires_grad_(True)

    update_ema(state.G_ema, G, ema_decay_at(t, cfg.train.ema_decay, cfg.train.ema_rampup))
    if state.d_aug is not None:
        state.d_aug.end_step(B * n_critic, shard)
    state.step += 1
    out = {
        "loss_d": c.loss_d.detach(),
        "loss_g": loss_g.detach(),
        "d_real": _mean_score(c.real_out),
        "d_fake": _mean_score(c.fake_out),
    }
    if c.gp is not None:  # the last critic step's penalty, under its name
        out["gp" if loss.gradient_penalty else "r1"] = c.gp.detach()
    if state.d_aug is not None and state.d_aug.ada is not None:
        out["ada_p"] = torch.tensor(state.d_aug.p)
    out.update({f"g_{k}": v.detach() for k, v in terms.items() if k != "total"})
    out.update({f"d_{k}": v.detach() for k, v in c.d_terms.items() if k != "total"})
    return out


@dataclass
class _CriticPass:
    """What one critic step leaves for the generator update and the log."""

    fake: Tensor  # G(z) of this step (with its graph on the last critic step)
    draw: Latent
    real: Tensor
    labels: Tensor
    real_out: Scores
    fake_out: Scores
    loss_d: Tensor
    gp: Tensor | None
    d_terms: dict[str, Tensor]


def _critic_step(
    state: GANState,
    loss: AdversarialLoss,
    batch_fn: BatchFn,
    rt: Runtime,
    t: int,
    k: int,
    last: bool,
) -> _CriticPass:
    """Critic update ``k`` of generator step ``t``: real batch ``t·n_critic + k``, fresh
    latents, both augmented alike (``d_augment``), the loss with its penalties and the
    model's critic objective; G keeps its graph on the ``last`` one only."""
    cfg, G, D, shard = state.cfg, state.G, state.D, rt.shard
    real, labels = batch_fn(t * cfg.optim.n_critic + k)
    batch = cfg.train.batch_size  # global; each rank computes its shard of it
    draw = _take(state.latent.sample(batch, generator_for(cfg.train.seed, t, k, "z")), shard)
    with torch.set_grad_enabled(last), rt.autocast():
        fake = G(state.latent.join(draw).to(rt.device))
    real_d = _augment(state, real, t, k, "real", shard)
    fake_d = _augment(state, fake, t, k, "fake", shard)
    with rt.autocast():
        real_out, fake_out = D(real_d), D(fake_d.detach())
    loss_d, gp = _critic_loss(state, loss, k, real_d, fake_d, real_out, fake_out, shard)
    d_terms: dict[str, Tensor] = {}
    if state.critic_objective is not None:
        with rt.autocast():
            gen = generator_for(cfg.train.seed, t, k, "critic-objective")
            d_terms = state.critic_objective(D, real_d, gen)
        loss_d = loss_d + d_terms["total"]
    _update(state.opt_d, loss_d, shard)
    if state.d_aug is not None:
        state.d_aug.observe(per_sample_score(real_out))
    return _CriticPass(fake, draw, real, labels, real_out, fake_out, loss_d, gp, d_terms)


def _augment(state: GANState, x: Tensor, t: int, k: int, which: str, shard: Shard) -> Tensor:
    """``x`` through the discriminator's augmentation (``d_augment``), if any; the draws
    are counter-based: (seed, step, critic step, which batch)."""
    if state.d_aug is None:
        return x
    gen = generator_for(state.cfg.train.seed, t, k, "d-augment", which)
    return state.d_aug(x, gen, shard)


def _critic_loss(
    state: GANState,
    loss: AdversarialLoss,
    k: int,
    real: Tensor,
    fake: Tensor,
    real_out: Scores,
    fake_out: Scores,
    shard: Shard,
) -> tuple[Tensor, Tensor | None]:
    """Critic step ``k``'s loss and its penalty (the gradient penalty or R1; None
    without one, or on a critic step that a lazy ``loss.reg_every`` skips)."""
    lc = state.cfg.loss
    loss_d = loss.d_loss(real_out, fake_out)
    # Lazy regularisation counts critic steps, so with n_critic > 1 it spreads over them.
    due = (state.step * state.cfg.optim.n_critic + k) % lc.reg_every == 0
    if isinstance(lc, WGANGPLoss):
        gp = None
        if due:
            gen = generator_for(state.cfg.train.seed, state.step, k, "gp")
            # In fp32: the penalty is a function of gradient norms, and bf16's 8-bit
            # mantissa in the double backward made the critic unstable.
            gp = gradient_penalty(state.D, real, fake, gen, None, shard.world, shard.rank)
            loss_d = loss_d + (lc.gp_weight * lc.reg_every) * gp
        if lc.drift_weight > 0:
            loss_d = loss_d + lc.drift_weight * drift_penalty(real_out)
        return loss_d, gp
    if lc.r1_gamma > 0 and due:
        r1 = r1_penalty(state.D, real)
        return loss_d + (0.5 * lc.r1_gamma * lc.reg_every) * r1, r1
    return loss_d, None


def _update(opt: torch.optim.Optimizer, loss: Tensor, shard: Shard) -> None:
    """One optimiser step on ``loss``, gradients averaged over processes."""
    opt.zero_grad(set_to_none=True)
    loss.backward()
    shard.average_grads(_params(opt))
    opt.step()


def _take(draw: Latent, shard: Shard) -> Latent:
    """This rank's share of a global latent draw."""
    if shard.world == 1:
        return draw
    cat = shard.take(draw.cat) if draw.cat is not None else None
    cont = shard.take(draw.cont) if draw.cont is not None else None
    return Latent(shard.take(draw.z), cat, cont)


def _params(opt: torch.optim.Optimizer) -> list[torch.nn.Parameter]:
    return [p for group in opt.param_groups for p in group["params"]]


def _mean_score(out: Tensor | list[Tensor] | tuple[Tensor, ...]) -> Tensor:
    outs = out if isinstance(out, (list, tuple)) else [out]
    return torch.stack([o.detach().float().mean() for o in outs]).mean()
