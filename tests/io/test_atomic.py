from __future__ import annotations

import os

import pytest

from artgan.io.atomic import atomic_write, staged_files


def test_atomic_write_replaces_whole_file_with_normal_permissions(tmp_path):
    path = tmp_path / "a.bin"
    with atomic_write(path) as f:
        f.write(b"first")
    with atomic_write(path) as f:
        f.write(b"second")
    assert path.read_bytes() == b"second"
    mask = os.umask(0)
    os.umask(mask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~mask  # not mkstemp's 0600
    assert [p.name for p in tmp_path.iterdir()] == ["a.bin"]


def test_failed_write_keeps_the_old_file(tmp_path):
    path = tmp_path / "a.bin"
    path.write_bytes(b"old")
    with pytest.raises(RuntimeError), atomic_write(path) as f:
        f.write(b"half")
        raise RuntimeError("crash mid-write")
    assert path.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["a.bin"]


def test_staged_files_appear_together_or_not_at_all(tmp_path):
    a, b = tmp_path / "g.onnx", tmp_path / "g.onnx.json"
    b.write_text("old")
    with pytest.raises(RuntimeError), staged_files([a, b]) as (sa, _):
        sa.write_text("new graph")
        raise RuntimeError("export failed")
    assert not a.exists() and b.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["g.onnx.json"]  # nothing hidden left
    with staged_files([a, b]) as (sa, sb):
        assert sa.parent == sb.parent != tmp_path  # written beside, not in place
        sa.write_text("new graph")
        sb.write_text("new")
        assert not a.exists()
    assert a.read_text() == "new graph" and b.read_text() == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["g.onnx", "g.onnx.json"]
    with pytest.raises(ValueError, match="one folder"), staged_files([a, tmp_path / "s" / "x"]):
        pass
