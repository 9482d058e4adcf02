"""``artgan train --dry-run``: the resolved config and what it builds, without training."""

from __future__ import annotations

import torch

from artgan.config import Config
from artgan.data import LANDSCAPE_CLASSES, is_builtin, scan_folder
from artgan.models import build_discriminator, get_model, model_latent
from artgan.train.rng import seed_for
from artgan.train.runfiles import resolved_config


def class_count(path: str | None) -> int:
    """Class folders of a data source, from its file listing alone (nothing is decoded)."""
    if is_builtin(path):
        return len(LANDSCAPE_CLASSES)
    return len(scan_folder(path)[1])


def parameter_counts(cfg: Config) -> dict[str, int]:
    """Trainable parameters of each network ``cfg`` builds (``"auto"`` codes resolved)."""
    spec = get_model(cfg.model.name)
    res = cfg.data.resolution
    latent = model_latent(cfg.model, res)
    # Seeded like a real run, so building here draws nothing from the caller's RNG state.
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed_for(cfg.train.seed, "init"))
        built = {"G": spec.generator(cfg.model, latent, res)}
        if spec.adversarial:
            built["D"] = build_discriminator(spec, cfg.model, latent, res)
        if spec.encoder is not None:
            built["E"] = spec.encoder(cfg.model, latent, res)
    return {k: sum(p.numel() for p in m.parameters() if p.requires_grad) for k, m in built.items()}


def describe_run(cfg: Config) -> str:
    """The config a run would record (YAML) and its networks' parameter counts."""
    cfg = resolved_config(cfg, class_count(cfg.data.path))
    counts = parameter_counts(cfg)
    lines = [f"# {name}: {n:,} parameters" for name, n in counts.items()]
    lines.append(f"# total: {sum(counts.values()):,} trainable parameters")
    return cfg.to_yaml() + "\n".join(lines)
