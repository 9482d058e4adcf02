"""Generation from a run folder, a checkpoint or an exported generator file.

Image ``i`` of a request with seed ``S`` is drawn from seed ``S + i`` alone, and
generators run in eval mode, so an image does not depend on how many others were made
with it or on the batch size: ``--seed 7 --n 1`` reproduces image 7 of ``--seed 0 --n 64``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from artgan import __version__
from artgan.config import ModelConfig, merge
from artgan.errors import ArtganError
from artgan.imageio import from_uint8
from artgan.models import LatentSpec, get_model, latent_spec
from artgan.runtime import Runtime
from artgan.train.checkpoint import FORMAT as CKPT_FORMAT
from artgan.train.checkpoint import atomic_torch_save, load_file
from artgan.train.ema import standing_stats
from artgan.train.resume import find_checkpoint

EXPORT_FORMAT = "artgan-generator"
EXPORT_VERSION = 1


@dataclass
class LoadedGenerator:
    G: nn.Module  # eval mode, ready to sample
    latent: LatentSpec
    model_cfg: dict[str, Any]
    resolution: int
    class_names: list[str]
    source: str
    E: nn.Module | None = None  # the encoder, for models that have one (projection)
    step: int | None = None  # training step of the weights (checkpoints and exports)


def _build(
    model_cfg: dict[str, Any], resolution: int
) -> tuple[nn.Module, nn.Module | None, LatentSpec]:
    mc = ModelConfig()
    merge(mc, model_cfg, "model.")
    latent = latent_spec(mc)
    spec = get_model(mc.name)
    E = spec.encoder(mc, latent, resolution) if spec.encoder else None
    return spec.generator(mc, latent, resolution), E, latent


def load_generator(source: str | Path) -> LoadedGenerator:
    """Run folder, training checkpoint or exported file → a generator on the CPU."""
    p = Path(source)
    if p.is_dir():
        p, _ = find_checkpoint(p)
    obj = load_file(p, kind="generator file")
    if obj["format"] == CKPT_FORMAT:
        cfg = obj["config"]
        res = cfg["data"]["resolution"]
        G, E, latent = _build(cfg["model"], res)
        G.load_state_dict(obj["models"]["G_ema"])
        if E is not None:
            E.load_state_dict(obj["models"]["E"])
        # Standing BatchNorm statistics for the EMA weights (see train/ema.py).
        G = standing_stats(G, latent)
        model_cfg, classes = cfg["model"], obj.get("data", {}).get("class_names", [])
        step = int(obj["step"])
    elif obj["format"] == EXPORT_FORMAT:
        res, model_cfg, classes = obj["resolution"], obj["model"], obj.get("class_names", [])
        step = obj.get("step")
        G, E, latent = _build(model_cfg, res)
        G.load_state_dict(obj["state_dict"])
        if E is not None:
            E.load_state_dict(obj["encoder"])
    else:
        raise ArtganError(f"'{p}' is neither an artgan checkpoint nor an exported generator")
    G.eval().requires_grad_(False)
    if E is not None:
        E.eval().requires_grad_(False)
    return LoadedGenerator(G, latent, dict(model_cfg), int(res), list(classes), str(p), E, step)


def export_generator(source: str | Path, out: str | Path) -> Path:
    """Write only what generation needs: model config, resolution, class names, the
    sampling-ready EMA generator weights and, for models that have one, the encoder
    (``artgan project``)."""
    lg = load_generator(source)
    payload = {
        "format": EXPORT_FORMAT,
        "version": EXPORT_VERSION,
        "artgan_version": __version__,
        "model": lg.model_cfg,
        "resolution": lg.resolution,
        "class_names": lg.class_names,
        "step": lg.step,
        "state_dict": lg.G.state_dict(),
        "encoder": lg.E.state_dict() if lg.E is not None else {},
    }
    atomic_torch_save(payload, out)
    return Path(out)


def latents_for_seeds(latent: LatentSpec, seeds: list[int], truncation: float | None) -> Tensor:
    """One latent per seed: ``[len(seeds), latent.dim]``."""
    rows = [
        latent.join(latent.sample(1, torch.Generator().manual_seed(s), truncation)) for s in seeds
    ]
    return torch.cat(rows)


# no_grad, not inference_mode: ``.to(memory_format=...)`` inside inference mode would
# turn G's parameters into inference tensors, and a later autograd use of the same G
# (latent refinement, fine-tuning) would fail.
@torch.no_grad()
def generate(
    lg: LoadedGenerator,
    latents: Tensor,
    rt: Runtime,
    batch_size: int = 64,
) -> Tensor:
    """``[N, latent.dim]`` → images ``[N, 3, H, W]`` in [-1, 1] (fp32, on the CPU)."""
    G = lg.G.to(rt.device, memory_format=rt.memory_format)
    out = []
    for chunk in latents.split(batch_size):
        with rt.autocast():
            out.append(G(chunk.to(rt.device)).float().cpu())
    return torch.cat(out)


@torch.no_grad()
def project(lg: LoadedGenerator, images: np.ndarray, rt: Runtime) -> tuple[Tensor, Tensor]:
    """Encode real images and regenerate them: ``[N, R, R, 3] uint8`` →
    (latents ``[N, dim]``, reconstructions ``[N, 3, R, R]`` in [-1, 1], fp32, CPU)."""
    if lg.E is None:
        raise ArtganError(
            f"model '{lg.model_cfg.get('name')}' has no encoder, so it cannot project "
            f"paintings; train a migan model for that"
        )
    x = from_uint8(images)
    E = lg.E.to(rt.device, memory_format=rt.memory_format)
    with rt.autocast():
        latents = E.to_latent(E(x.to(rt.device).contiguous(memory_format=rt.memory_format)))
    latents = latents.float().cpu()
    return latents, generate(lg, latents, rt)
