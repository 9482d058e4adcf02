"""Model-specific generator terms added to ``L_adv`` (MIGAN eq. 7, 17, 18, 20).

MIGAN's encoder E closes two cycles (SPEC §1):
- latent cycle ``(z', c) → G → E → (ẑ', ĉ)``: the InfoGAN bound ``L_I`` (eq. 7);
- image cycle ``x → E → G → x̂`` on real paintings: ``L_MS`` (MS-SSIM + L1, eq. 18) and
  the VGG19 perceptual loss ``L_per`` (eq. 20).
``L_G = L_adv + λ_I·L_I + λ·L_MS + η·L_per``. The image cycle runs on
``model.cycle_batch`` real images of the batch (every (B / cycle_batch)-th one): on a CPU
the VGG pass over a full batch would cost more than the rest of the step.

Readings the paper leaves open are switches (docs/migan.md measures them):
``model.cycle_ramp`` raises λ and η linearly over the first generator steps,
``model.cycle_trains = "encoder"`` lets the image cycle train E alone (x̂ is computed
with G's weights detached, so the gradient still reaches E through G), and
``model.cycle_every = k`` runs the image cycle on generator steps 0, k, 2k, … only, with
its terms weighted k× (lazy, like StyleGAN2's lazy regularisation: the same expected
gradient for about 1/k of the cycle's cost).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from artgan.config import MIGANConfig
from artgan.errors import ArtganError
from artgan.losses import info_loss
from artgan.metrics.ssim import ms_ssim_l1_loss
from artgan.models.latent import Latent
from artgan.nn.vgg import VGG19Features, perceptual_distance
from artgan.runtime import Runtime, Shard


class MIGANObjective:
    """A :class:`~artgan.models.registry.GeneratorObjective`: ``(G, E, fake, draw, real,
    labels, rt) → {"info", "ms", "per", "total"}`` (plus ``"label"`` with
    ``model.labels_as_code``: cross-entropy of E's categorical head on real paintings
    against their class folders, which ties code value k to class k).

    ``local_batch`` is this process's share of the batch; a cycle batch that does not
    split evenly over the processes is refused here, before the first step.
    """

    def __init__(self, cfg: MIGANConfig, rt: Runtime, local_batch: int) -> None:
        self.cfg = cfg
        cycle_rows(cfg.cycle_batch, local_batch, rt.shard)
        self.vgg: nn.Module | None = None
        if cfg.eta_per > 0:
            self.vgg = VGG19Features(layers=cfg.perceptual_layer_names())
            self.vgg = self.vgg.to(rt.device, memory_format=rt.memory_format)

    def __call__(
        self,
        G: nn.Module,
        E: nn.Module | None,
        fake: Tensor,
        draw: Latent,
        real: Tensor,
        labels: Tensor,
        rt: Runtime,
        step: int = 0,
    ) -> dict[str, Tensor]:
        c = self.cfg
        assert E is not None, "MIGANObjective needs a model with an encoder"
        dev = fake.device
        with rt.autocast():
            enc = E(fake)
        cat = draw.cat.to(dev) if draw.cat is not None else None
        cont = draw.cont.to(dev) if draw.cont is not None else None
        terms = {"info": info_loss(enc, draw.z.to(dev), cat, cont, c.info_z_weight)}
        total = c.lambda_info * terms["info"]
        if (c.lambda_ms > 0 or c.eta_per > 0 or c.labels_as_code) and step % c.cycle_every == 0:
            lazy = float(c.cycle_every)
            keep = cycle_rows(c.cycle_batch, real.shape[0], rt.shard).to(real.device)
            x = real[keep]
            with rt.autocast():
                enc_x = E(x)
                x_hat = self._decode(G, E.to_latent(enc_x))
            if c.labels_as_code:
                y = labels[keep]
                known = y >= 0
                if bool(known.any()):
                    logits = enc_x["cat_logits"].float()[known]
                    terms["label"] = F.cross_entropy(logits, y[known])
                    total = total + lazy * c.lambda_info * terms["label"]
            if c.lambda_ms > 0:
                terms["ms"] = ms_ssim_l1_loss(x_hat.float(), x.float(), alpha=c.ms_alpha)
                total = total + lazy * self._ramped(c.lambda_ms, step) * terms["ms"]
            if self.vgg is not None:
                with rt.autocast():
                    fa, fb = self.vgg(x_hat), self.vgg(x)
                terms["per"] = perceptual_distance(fa, fb).mean()
                total = total + lazy * self._ramped(c.eta_per, step) * terms["per"]
        terms["total"] = total
        return terms

    def _ramped(self, weight: float, step: int) -> float:
        """``weight`` at generator step ``step`` under ``model.cycle_ramp``."""
        ramp = self.cfg.cycle_ramp
        return weight if ramp == 0 else weight * min(1.0, (step + 1) / ramp)

    def _decode(self, G: nn.Module, latent: Tensor) -> Tensor:
        """``G(latent)`` ``[b, 3, R, R]``; with ``cycle_trains = "encoder"`` through
        detached copies of G's weights, so the image cycle's gradient reaches E only."""
        if self.cfg.cycle_trains == "generator+encoder":
            return G(latent)
        frozen = {n: p.detach() for n, p in G.named_parameters()}
        frozen.update(G.named_buffers())
        return torch.func.functional_call(G, frozen, (latent,))


def cycle_rows(cycle_batch: int, local_batch: int, shard: Shard) -> torch.Tensor:
    """Rows of this rank's batch that go through the image cycle: the global rows
    0, s, 2s, … (s = B // cycle_batch) that fall in this rank's slice. Strided rather
    than the first rows so that N processes pick exactly the images one process would."""
    b = local_batch * shard.world
    n = min(cycle_batch, b)
    rows = torch.arange(n) * (b // n)
    lo = shard.rank * local_batch
    mine = rows[(rows >= lo) & (rows < lo + local_batch)] - lo
    if shard.world > 1 and len(mine) * shard.world != n:
        raise ArtganError(
            f"model.cycle_batch ({cycle_batch}) must split evenly over {shard.world} "
            f"processes with batch {b}: choose a multiple of {shard.world} that divides {b}"
        )
    return mine
