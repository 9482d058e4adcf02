"""One adversarial training step: ``n_critic`` discriminator updates, one generator
update, one EMA update. Kept free of logging and I/O so the benchmark can time it
against a bare loop."""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor

from artgan.distributed import Shard
from artgan.models.latent import Latent
from artgan.runtime import Runtime
from artgan.train.ema import ema_decay_at, update_ema
from artgan.train.losses import d_loss, drift_penalty, g_loss, gradient_penalty
from artgan.train.rng import generator_for
from artgan.train.state import GANState

BatchFn = Callable[[int], tuple[Tensor, Tensor]]
# (state, fake images, their latent draw, real batch, its labels, runtime) → named terms;
# "total" is added to the generator loss (MIGAN's info and cycle terms).
ExtraTerms = Callable[[GANState, Tensor, Latent, Tensor, Tensor, Runtime], dict[str, Tensor]]


def gan_step(
    state: GANState,
    batch_fn: BatchFn,
    rt: Runtime,
    extra_g_terms: ExtraTerms | None = None,
) -> dict[str, Tensor]:
    """Advance ``state`` by one generator step. ``batch_fn(i)`` returns real batch ``i``
    (this rank's shard of it when ``rt.shard`` has several processes).

    The last critic step's fake batch is kept (with its graph) for the generator update,
    as in the reference DCGAN loop: it saves one generator forward per step.
    With ``train.loss == "wgan-gp"`` the critic loss gets ``gp_weight``·GP on interpolates.
    ``extra_g_terms`` adds model-specific generator terms (see ``train/objectives.py``).
    Returns detached scalar tensors (no host sync here; the caller decides when to read).
    """
    cfg = state.cfg
    t, loss_kind = state.step, cfg.train.loss
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
        loss_d = d_loss(loss_kind, real_out, fake_out)
        if loss_kind == "wgan-gp":
            gen = generator_for(cfg.train.seed, t, k, "gp")
            # In fp32: the penalty is a function of gradient norms, and bf16's 8-bit
            # mantissa in the double backward made the critic unstable.
            gp = gradient_penalty(D, real, fake, gen, None, shard.world, shard.rank)
            loss_d = loss_d + cfg.loss.gp_weight * gp
            if cfg.loss.drift_weight > 0:
                loss_d = loss_d + cfg.loss.drift_weight * drift_penalty(real_out)
        state.opt_d.zero_grad(set_to_none=True)
        loss_d.backward()
        shard.average_grads(_params(state.opt_d))
        state.opt_d.step()

    # Generator update; D's weights are frozen so no gradient is computed for them.
    D.requires_grad_(False)
    with rt.autocast():
        fake_out_g = D(fake)
    loss_g = g_loss(loss_kind, fake_out_g)
    terms = extra_g_terms(state, fake, draw, real, labels, rt) if extra_g_terms else {}
    total_g = loss_g + terms["total"] if terms else loss_g
    state.opt_g.zero_grad(set_to_none=True)
    total_g.backward()
    shard.average_grads(_params(state.opt_g))
    state.opt_g.step()
    D.requires_grad_(True)

    update_ema(state.G_ema, G, ema_decay_at(t, cfg.train.ema_decay, cfg.train.ema_rampup))
    state.step += 1
    out = {
        "loss_d": loss_d.detach(),
        "loss_g": loss_g.detach(),
        "d_real": _mean_score(real_out),
        "d_fake": _mean_score(fake_out),
    }
    if loss_kind == "wgan-gp":
        out["gp"] = gp.detach()
    out.update({f"g_{k}": v.detach() for k, v in terms.items() if k != "total"})
    return out


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
