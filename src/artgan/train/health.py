"""Stop a run that has broken instead of training on: losses or weights that are no longer
finite (NaN/inf), or a generator whose samples have collapsed to (nearly) one image, the
mode collapse the surveys warn about. Either stops training with a one-line message that
names the last good checkpoint; a broken state is never written as a checkpoint, so
``artgan train --resume RUN`` continues from before the break."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from artgan.errors import ArtganError
from artgan.io.checkpoint import CheckpointManager
from artgan.runtime import Shard

# a resume may change the precision but not the learning rates (train/resume.py)
NAN_ADVICE = "resume with --precision fp32, or start again with lower optim.lr_g/lr_d"


class TrainingBroke(ArtganError):
    """Training stopped because its state broke (the message says how and what to do)."""


def non_finite(row: Mapping[str, object]) -> list[str]:
    """The names of a log row's numbers that are NaN or infinite."""
    return [k for k, v in row.items() if isinstance(v, float) and not math.isfinite(v)]


@torch.no_grad()
def weights_finite(modules: Iterable[nn.Module | None]) -> bool:
    """Every parameter and buffer of ``modules`` is finite."""
    for m in modules:
        if m is None:
            continue
        for t in (*m.parameters(), *m.buffers()):
            if t.is_floating_point() and not bool(torch.isfinite(t).all()):
                return False
    return True


def spread(images: np.ndarray | torch.Tensor) -> float:
    """How different a set of images are: the per-pixel standard deviation across the
    images, averaged over pixels and channels, in [0, 255] units. ``images`` is
    ``uint8 [N, H, W, 3]`` or a float tensor ``[N, 3, H, W]`` in [-1, 1]."""
    if isinstance(images, torch.Tensor):
        x = (images.detach().float().cpu().clamp(-1, 1) + 1) * 127.5
    else:
        x = torch.from_numpy(np.asarray(images, dtype=np.float32))
    if x.shape[0] < 2:
        return float("nan")
    return float(x.std(dim=0).mean())


def real_spread(images: np.ndarray, index: np.ndarray | None = None, n: int = 256) -> float:
    """:func:`spread` of up to ``n`` evenly spaced images of ``uint8 [N, H, W, 3]`` (of the
    rows ``index`` names, when given; only those ``n`` are copied)."""
    rows = np.arange(len(images)) if index is None else np.asarray(index)
    pick = np.linspace(0, len(rows) - 1, num=min(n, len(rows))).round().astype(int)
    return spread(images[rows[pick]])


def last_good(ckpt: Path | None) -> str:
    if ckpt is None:
        return "no checkpoint was written before it"
    return f"the last good checkpoint is {ckpt}"


def broke_message(step: int, what: str, ckpt: Path | None, run_dir: Path, advice: str) -> str:
    """One line: what broke at which step, where the last good state is, what to try."""
    resume = f"; artgan train --resume {run_dir} continues from it" if ckpt else ""
    return f"training stopped at step {step}: {what}; {last_good(ckpt)}{resume} ({advice})"


class RunHealth:
    """The three checks of one run, each raising :class:`TrainingBroke` with the last
    checkpoint on disk (every rank reaches the same verdict: rows are averaged over
    ranks, weights are equal, and the collapse verdict of rank 0 is shared)."""

    def __init__(self, run_dir: Path, ckpts: CheckpointManager, train: Any, real: float,
                 shard: Shard) -> None:  # fmt: skip
        self.run_dir, self.ckpts, self.train, self.real, self.shard = (
            run_dir, ckpts, train, real, shard)  # fmt: skip

    def _broke(self, step: int, what: str, advice: str) -> None:
        files = self.ckpts.step_files()  # (step, path), oldest first
        ckpt = files[-1][1] if files else None
        raise TrainingBroke(broke_message(step, what, ckpt, self.run_dir, advice))

    def check_row(self, step: int, row: Mapping[str, object]) -> None:
        if bad := non_finite(row):
            self._broke(step, f"{', '.join(bad)} became non-finite", NAN_ADVICE)

    def check_weights(self, step: int, modules: Iterable[nn.Module | None]) -> None:
        """Before a checkpoint: a state with non-finite weights is never written."""
        if not weights_finite(modules):
            self._broke(step, "the weights are no longer finite (NaN or inf)", NAN_ADVICE)

    def check_samples(self, step: int, fake_spread: float) -> None:
        """After a sample grid (``fake_spread``: rank 0's; ``inf`` on the others)."""
        t = self.train
        ratio = fake_spread / self.real if self.real > 0 else float("inf")
        due = t.collapse_threshold > 0 and step >= t.collapse_after
        collapsed = due and ratio < t.collapse_threshold
        (collapsed,) = self.shard.any_of(collapsed)
        if collapsed:
            self._broke(
                step,
                f"the generator has collapsed: its {t.n_samples} samples are nearly one image "
                f"(pixel spread {fake_spread:.1f} against the paintings' {self.real:.1f}, below "
                f"train.collapse_threshold {t.collapse_threshold:g} of it)",
                "start again with lower learning rates, DiffAugment (--augment diffaug) or "
                "another loss, or resume with --set train.collapse_threshold=0 to train on",
            )
