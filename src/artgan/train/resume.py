"""Resuming a run: find its checkpoint, rebuild its config, refuse incompatible changes."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from artgan.config import Config, diff, from_saved, lookup, merge_layers
from artgan.errors import ArtganError
from artgan.io.checkpoint import CheckpointManager, find_checkpoint, load_checkpoint

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
    "train.logger",
    "train.collapse_threshold",  # the health check's settings, not what is trained
    "train.collapse_after",
    "data.cache_dir",
    "data.path",  # the folder may move; its fingerprint must still match
}


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
        others = _readable_others(CheckpointManager(run_dir), path)
        hint = (
            f"; older checkpoints you can pass to --resume: {', '.join(others)}" if others else ""
        )
        raise ArtganError(f"{exc}{hint}") from None
    if "config" not in ckpt:
        raise ArtganError(f"checkpoint '{path}' holds no config; it is damaged")
    # Migrated to the current schema and rebuilt through the config types, so keys added
    # since take their defaults on both sides and do not count as changes.
    saved = from_saved(ckpt["config"]).to_dict()
    cfg = from_saved(merge_layers(overrides, saved))
    new = cfg.to_dict()
    changed = [k for k in diff(saved, new) if k not in RESUMABLE_CHANGES]
    if changed:
        parts = [f"{k}={lookup(saved, k)!r} (asked {lookup(new, k)!r})" for k in changed]
        raise ArtganError(
            f"cannot resume '{run_dir}' with an incompatible config: it was trained with "
            f"{'; '.join(parts)}. Start a new run with --out instead"
        )
    return cfg, ckpt, run_dir


def _readable_others(ckpts: CheckpointManager, broken: Path) -> list[str]:
    """Checkpoints of the run other than ``broken`` that load, newest first. ``latest.pt``
    is a hard link to the newest ``ckpt_N.pt``, so that one is the same damaged file and
    is not offered."""
    out = []
    for _, f in reversed(ckpts.step_files()):
        try:
            if os.path.samefile(f, broken):
                continue
            load_checkpoint(f)
        except (OSError, ArtganError):
            continue
        out.append(str(f))
    return out
