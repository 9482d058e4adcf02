"""A disk that fills up during training: one error line, exit status 2, and every
checkpoint already written intact and resumable. On a real 4 MB tmpfs where the tests
run as root (and mounting is allowed), with an injected ENOSPC otherwise."""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import subprocess
import uuid
from pathlib import Path

from artgan.cli import main
from artgan.io import atomic
from artgan.io.checkpoint import load_checkpoint
from helpers import FullDisk

TINY = [
    "--model", "dcgan", "--resolution", "16", "--batch-size", "8", "--no-progress",
    "--sample-every", "2", "--ckpt-every", "2",
    "--set", "model.g_channels=8", "--set", "model.d_channels=8", "--set", "model.z_dim=16",
    "--set", "train.n_samples=4",
]  # fmt: skip


@contextlib.contextmanager
def small_tmpfs(parent: Path, size: str = "4m"):
    """A fresh tmpfs mounted under ``parent``, or None where that is not possible."""
    mnt = parent / f"tmpfs-{uuid.uuid4().hex[:8]}"
    mnt.mkdir()
    ok = hasattr(os, "geteuid") and os.geteuid() == 0 and shutil.which("mount") is not None
    if ok:
        r = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(mnt)],
                           capture_output=True)  # fmt: skip
        ok = r.returncode == 0
    try:
        yield mnt if ok else None
    finally:
        if ok:
            subprocess.run(["umount", "-l", str(mnt)], capture_output=True)


def _fill(folder: Path, leave: int) -> None:
    """Write a ballast file until fewer than ``leave`` bytes are free in ``folder``."""
    with open(folder / "ballast", "wb") as f, contextlib.suppress(OSError):
        while shutil.disk_usage(folder).free > leave:
            f.write(b"\0" * min(1 << 16, max(1, shutil.disk_usage(folder).free - leave)))
            f.flush()


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _full_disk_injected(monkeypatch) -> None:
    """Every atomic write from now on fails with ENOSPC after a few bytes."""
    real = atomic.os.fdopen

    monkeypatch.setattr(atomic.os, "fdopen", lambda fd, mode: FullDisk(real(fd, mode)))


def test_a_full_disk_is_one_line_and_keeps_every_checkpoint(tmp_path, capsys, monkeypatch):
    with small_tmpfs(tmp_path) as mnt:
        out = (mnt or tmp_path) / "run"
        assert main(["train", *TINY, "--steps", "2", "--out", str(out)]) == 0
        latest = out / "checkpoints" / "latest.pt"
        before = _digest(latest)
        capsys.readouterr()
        if mnt is not None:
            _fill(mnt, leave=2048)
        else:
            _full_disk_injected(monkeypatch)
        assert main(["train", "--resume", str(out), "--steps", "6"]) == 2
        err = capsys.readouterr().err
        errors = [line for line in err.splitlines() if line.startswith("artgan: error: ")]
        assert len(errors) == 1 and "Traceback" not in err, err
        assert "space" in errors[0], errors[0]  # "out of disk space" / "No space left"
        assert _digest(latest) == before
        assert load_checkpoint(latest)["step"] == 2
        leftovers = [p.name for p in out.rglob(".*.tmp")]
        assert leftovers == []  # no half-written temp files stay behind
        # once there is room again the run resumes from the intact checkpoint
        if mnt is not None:
            (mnt / "ballast").unlink()
        else:
            monkeypatch.undo()
        assert main(["train", "--resume", str(out), "--steps", "4"]) == 0
        assert load_checkpoint(latest)["step"] == 4
