from __future__ import annotations

import pytest
import torch

from artgan.errors import ArtganError
from artgan.io import atomic
from artgan.io import checkpoint as ck
from helpers import FullDisk


def _payload(v: float) -> dict:
    return {"format": ck.FORMAT, "version": ck.VERSION, "step": int(v), "w": torch.full((64,), v)}


def test_round_trip_loads_with_weights_only(tmp_path):
    path = tmp_path / "a.pt"
    ck.atomic_torch_save(_payload(3), path)
    back = ck.load_checkpoint(path)
    assert back["step"] == 3 and torch.equal(back["w"], torch.full((64,), 3.0))


def test_full_disk_keeps_the_previous_checkpoint(tmp_path, monkeypatch):
    path = tmp_path / "ckpt.pt"
    ck.atomic_torch_save(_payload(1), path)
    before = path.read_bytes()
    fdopen = atomic.os.fdopen
    monkeypatch.setattr(atomic.os, "fdopen", lambda fd, mode: FullDisk(fdopen(fd, mode), room=100))
    with pytest.raises(ArtganError, match="out of disk space.*nothing was overwritten"):
        ck.atomic_torch_save(_payload(2), path)
    assert path.read_bytes() == before
    assert ck.load_checkpoint(path)["step"] == 1
    assert [p.name for p in tmp_path.iterdir()] == ["ckpt.pt"]  # no temp file left


def test_truncated_and_foreign_files_are_clear_errors(tmp_path):
    path = tmp_path / "c.pt"
    ck.atomic_torch_save(_payload(1), path)
    path.write_bytes(path.read_bytes()[:100])
    with pytest.raises(ArtganError, match="truncated or corrupt"):
        ck.load_checkpoint(path)
    other = tmp_path / "other.pt"
    torch.save({"hello": torch.zeros(1)}, other)
    with pytest.raises(ArtganError, match="not an artgan checkpoint"):
        ck.load_checkpoint(other)
    with pytest.raises(ArtganError, match="does not exist"):
        ck.load_checkpoint(tmp_path / "missing.pt")


def test_manager_keeps_last_n_and_latest(tmp_path):
    m = ck.CheckpointManager(tmp_path, keep=2)
    for step in (10, 20, 30):
        m.save(_payload(step), step)
    assert [s for s, _ in m.step_files()] == [20, 30]
    assert ck.load_checkpoint(m.latest)["step"] == 30
    assert m.find_resumable() == m.latest
