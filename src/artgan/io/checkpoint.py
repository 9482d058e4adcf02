"""Atomic checkpoints that a crash or a full disk can never corrupt.

A checkpoint is a plain dict of state dicts, tensors and builtins, so it loads with
``torch.load(weights_only=True)``: nothing in it can execute code. Writes go to a temp
file in the same folder, are fsynced, then renamed over the target; the rename is atomic
on POSIX and Windows, so readers see the old file or the new one, never half of one.
"""

from __future__ import annotations

import io
import os
import re
import shutil
from pathlib import Path
from typing import Any

import torch

from artgan.errors import ArtganError
from artgan.io.atomic import atomic_write

FORMAT = "artgan-checkpoint"
VERSION = 1
_STEP_RE = re.compile(r"^ckpt_(\d+)\.pt$")


def atomic_torch_save(obj: Any, path: str | Path) -> None:
    """``torch.save`` to ``path`` atomically. On failure the old file is untouched and
    the temp file is removed; a full disk becomes an ``ArtganError`` that says so
    (:func:`artgan.io.atomic.atomic_write`)."""
    path = Path(path)
    # Serialised in memory first: torch's zip writer turns a failed write (a full disk)
    # into a RuntimeError ("unexpected pos") that hides ENOSPC; a plain write keeps it,
    # and atomic_write reports it in one line.
    buf = io.BytesIO()
    torch.save(obj, buf)
    with atomic_write(path) as f:
        f.write(buf.getbuffer())
    _fsync_dir(path.parent)


def _fsync_dir(folder: Path) -> None:
    # Makes the rename itself durable; not possible on every platform.
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def safe_torch_load(path: str | Path, what: str, hint: str = "") -> Any:
    """``torch.load(weights_only=True)`` on the CPU; any failure to read (truncated,
    corrupt, not a torch file) becomes an ArtganError naming ``what`` and the file."""
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises RuntimeError/UnpicklingError/EOFError/...
        if "weights only load failed" in str(exc).lower():
            # torch's message goes on to suggest weights_only=False, which would run
            # whatever code the file carries: never the advice for a file one cannot trust.
            raise ArtganError(
                f"{what} '{path}' is truncated or corrupt, or holds more than tensors and "
                f"plain values, and cannot be read safely (artgan never unpickles code){hint}"
            ) from None
        raise ArtganError(
            f"{what} '{path}' is truncated or corrupt and cannot be read "
            f"({type(exc).__name__}: {first_line(exc)}){hint}"
        ) from None


def first_line(exc: BaseException, limit: int = 120) -> str:
    """The first line of an exception's message, at most ``limit`` characters ("" if empty)."""
    return (str(exc).splitlines() or [""])[0][:limit]


def load_file(path: str | Path, kind: str = "checkpoint") -> dict[str, Any]:
    """Load a torch file safely; a missing, truncated or foreign file is an ArtganError."""
    path = Path(path)
    if not path.is_file():
        raise ArtganError(f"{kind} '{path}' does not exist")
    obj = safe_torch_load(path, kind)
    if not isinstance(obj, dict) or "format" not in obj:
        raise ArtganError(f"'{path}' is not an artgan {kind}")
    return obj


def load_checkpoint(path: str | Path) -> dict[str, Any]:
    ckpt = load_file(path)
    if ckpt.get("format") != FORMAT:
        raise ArtganError(f"'{path}' is not an artgan training checkpoint")
    if ckpt.get("version", 0) > VERSION:
        raise ArtganError(f"'{path}' was written by a newer artgan (format {ckpt['version']})")
    return ckpt


class CheckpointManager:
    """``checkpoints/ckpt_<step>.pt`` (the last ``keep``) plus ``checkpoints/latest.pt``."""

    def __init__(self, run_dir: str | Path, keep: int = 3) -> None:
        self.folder = Path(run_dir) / "checkpoints"
        self.keep = keep

    @property
    def latest(self) -> Path:
        return self.folder / "latest.pt"

    def step_files(self) -> list[tuple[int, Path]]:
        if not self.folder.is_dir():
            return []
        found = []
        for p in self.folder.iterdir():
            m = _STEP_RE.match(p.name)
            if m:
                found.append((int(m.group(1)), p))
        return sorted(found)

    def path_for(self, step: int) -> Path:
        return self.folder / f"ckpt_{step:07d}.pt"

    def save(self, state: dict[str, Any], step: int) -> Path:
        target = self.path_for(step)
        atomic_torch_save(state, target)
        self._update_latest(target)
        for _, old in self.step_files()[: -self.keep]:
            old.unlink(missing_ok=True)
        return target

    def _update_latest(self, target: Path) -> None:
        # A hard link costs no disk; the rename keeps latest.pt valid at every instant.
        tmp = self.folder / ".latest.pt.tmp"
        tmp.unlink(missing_ok=True)
        try:
            os.link(target, tmp)
        except OSError:
            try:
                shutil.copyfile(target, tmp)
            except BaseException:
                tmp.unlink(missing_ok=True)
                raise
        os.replace(tmp, self.latest)

    def find_resumable(self) -> Path | None:
        if self.latest.is_file():
            return self.latest
        files = self.step_files()
        return files[-1][1] if files else None


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
