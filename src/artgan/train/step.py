"""One adversarial training step: ``n_critic`` discriminator updates, one generator
update, one EMA update. Kept free of logging and I/O so the benchmark can time it
against a bare loop."""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor

from artgan.losses import LOSSES, AdversarialLoss, Scores, drift_penalty, gradient_penalty
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
    model's own generator terms (its spec's, e.g. MIGAN's cycles).
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
        real, labels = batch_fn(t * n_critic + k)
        draw = _take(state.latent.sample(B, generator_for(cfg.train.seed, t, k, "z")), shard)
        z = state.latent.join(draw).to(rt.device)
        last = k == n_critic - 1
        with torch.set_grad_enabled(last), rt.autocast():
            fake = G(z)
        with rt.autocast():
            real_out, fake_out = D(real), D(fake.detach())
        loss_d, gp = _critic_loss(state, loss, k, real, fake, real_out, fake_out, shard)
        _update(state.opt_d, loss_d, shard)

    # Generator update; D's weights are frozen so no gradient is computed for them.
    D.requires_grad_(False)
    with rt.autocast():
        fake_out_g = D(fake)
    loss_g = loss.g_loss(fake_out_g)
    terms = objective(G, state.E, fake, draw, real, labels, rt) if objective else {}
    _update(state.opt_g, loss_g + terms["total"] if terms else loss_g, shard)
    D.requires_grad_(True)

    update_ema(state.G_ema, G, ema_decay_at(t, cfg.train.ema_decay, cfg.train.ema_rampup))
    state.step += 1
    out = {
        "loss_d": loss_d.detach(),
        "loss_g": loss_g.detach(),
        "d_real": _mean_score(real_out),
        "d_fake": _mean_score(fake_out),
    }
    if gp is not None:
        out["gp"] = gp.detach()
    out.update({f"g_{k}": v.detach() for k, v in terms.items() if k != "total"})
    return out


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
    """Critic step ``k``'s loss and its gradient penalty (None without one)."""
    cfg = state.cfg
    loss_d = loss.d_loss(real_out, fake_out)
    if not loss.gradient_penalty:
        return loss_d, None
    gen = generator_for(cfg.train.seed, state.step, k, "gp")
    # In fp32: the penalty is a function of gradient norms, and bf16's 8-bit mantissa in
    # the double backward made the critic unstable.
    gp = gradient_penalty(state.D, real, fake, gen, None, shard.world, shard.rank)
    loss_d = loss_d + cfg.loss.gp_weight * gp
    if cfg.loss.drift_weight > 0:
        loss_d = loss_d + cfg.loss.drift_weight * drift_penalty(real_out)
    return loss_d, gp


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
