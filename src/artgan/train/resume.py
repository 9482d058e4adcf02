"""Resuming a run: find its checkpoint, rebuild its config, refuse incompatible changes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from artgan.config import Config, diff, from_dict, merge, validate
from artgan.errors import ArtganError
from artgan.train.checkpoint import CheckpointManager, load_checkpoint

# Keys a resumed run may change: how long and how it runs, never what it trains.
RESUMABLE_CHANGES = {
    "train.steps",
    "train.time_budget",
    "train.log_every",
    "train.sample_every",
    "train.ckpt_every",
    "train.keep_checkpoints",
    "train.progress",
    "train.device",
    "train.threads",
    "train.precision",
    "train.channels_last",
    "train.fid_every",
    "train.fid_every_seconds",
    "train.fid_n",
    "train.fid_precision",
    "data.cache_dir",
    "data.path",  # the folder may move; its fingerprint must still match
}


def find_checkpoint(target: str | Path) -> tuple[Path, Path]:
    """``target`` is a run folder or a checkpoint file → (checkpoint path, run folder)."""
    p = Path(target)
    if p.is_file():
        run_dir = p.parent.parent if p.parent.name == "checkpoints" else p.parent
        return p, run_dir
    if not p.is_dir():
        raise ArtganError(f"cannot resume '{p}': no such run folder or checkpoint file")
    ckpt = CheckpointManager(p).find_resumable()
    if ckpt is None:
        raise ArtganError(f"cannot resume '{p}': it holds no checkpoints (checkpoints/*.pt)")
    return ckpt, p


def resume_config(
    target: str | Path, overrides: list[dict[str, Any]]
) -> tuple[Config, dict[str, Any], Path]:
    """Load the checkpoint at ``target`` and apply ``overrides`` to its saved config.

    Returns (config, checkpoint dict, run folder). An override that would change what is
    being trained (model, resolution, loss, optimiser, seed…) is an error naming the keys.
    """
    path, run_dir = find_checkpoint(target)
    try:
        ckpt = load_checkpoint(path)
    except ArtganError as exc:
        others = [str(f) for _, f in CheckpointManager(run_dir).step_files() if f != path]
        hint = (
            f"; older checkpoints you can pass to --resume: {', '.join(others)}" if others else ""
        )
        raise ArtganError(f"{exc}{hint}") from None
    # Rebuilt through the dataclasses, so keys added by newer artgan versions take their
    # defaults on both sides and do not count as changes.
    saved = from_dict(ckpt["config"]).to_dict()
    cfg = from_dict(saved)
    for layer in overrides:
        merge(cfg, layer)
    validate(cfg)
    changed = [k for k in diff(saved, cfg.to_dict()) if k not in RESUMABLE_CHANGES]
    if changed:
        new = cfg.to_dict()
        parts = [f"{k}={_get(saved, k)!r} (asked {_get(new, k)!r})" for k in changed]
        raise ArtganError(
            f"cannot resume '{run_dir}' with an incompatible config: it was trained with "
            f"{'; '.join(parts)}. Start a new run with --out instead"
        )
    return cfg, ckpt, run_dir


def _get(d: dict[str, Any], dotted: str) -> Any:
    for part in dotted.split("."):
        d = d.get(part) if isinstance(d, dict) else None  # type: ignore[assignment]
    return d
