"""Atomic file writes: every file artgan writes that a crash must not leave half-written
(checkpoints, caches, images, logs) goes through :func:`atomic_write`."""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import BinaryIO

from artgan.errors import ArtganError


@contextlib.contextmanager
def atomic_write(path: str | Path, fsync: bool = True) -> Iterator[BinaryIO]:
    """Yield a binary file in ``path``'s folder; on success it is flushed, fsynced and
    renamed over ``path`` (atomic on POSIX and Windows), so readers see the old file or
    the new one, never part of one. On any error the temp file is removed and the error
    propagates; ``path`` is untouched."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)  # OSError as such: caches only warn
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name[:40]}.", suffix=".tmp")
    except OSError as exc:
        raise _disk_error(exc, path) from None
    try:
        # mkstemp creates 0600 files; give the result the mode a plain open() would.
        os.chmod(tmp, 0o666 & ~_umask())
        with os.fdopen(fd, "wb") as f:
            yield f
            f.flush()
            if fsync:
                os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(exc, OSError):
            raise _disk_error(exc, path) from None
        raise


@contextlib.contextmanager
def staged_files(paths: Sequence[str | Path]) -> Iterator[list[Path]]:
    """For writers that need file names, not file objects (exporters): yield one
    temporary path per entry of ``paths`` (all in one folder), in a hidden folder beside
    them. On success they are moved into place in the given order (put the file that
    marks the set complete last), each fsynced first as :func:`atomic_write` does; on any
    error they are deleted and ``paths`` are untouched. Either way the hidden folder is
    removed."""
    paths = [Path(p) for p in paths]
    folder = paths[0].parent
    if any(p.parent != folder for p in paths):
        raise ValueError("staged_files writes into one folder")
    folder.mkdir(parents=True, exist_ok=True)
    try:
        tmp = Path(tempfile.mkdtemp(dir=folder, prefix=f".{paths[0].name[:40]}.", suffix=".tmp"))
    except OSError as exc:
        raise _disk_error(exc, paths[0]) from None
    try:
        staged = [tmp / p.name for p in paths]
        yield staged
        for src in staged:  # on disk before any rename, so a crash cannot leave an empty file
            fd = os.open(src, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        for src, dst in zip(staged, paths, strict=True):
            os.replace(src, dst)
    except OSError as exc:
        raise _disk_error(exc, paths[0]) from None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def remove_stale_temps(folder: str | Path) -> int:
    """Delete the temp files :func:`atomic_write` leaves when its process is killed
    mid-write (``.NAME.RANDOM.tmp``, possibly checkpoint-sized) in ``folder``; returns
    how many. Only for folders one process writes (a run folder: rank 0 of its trainer)."""
    folder = Path(folder)
    if not folder.is_dir():
        return 0
    n = 0
    for p in folder.glob(".*.tmp"):
        with contextlib.suppress(OSError):
            p.unlink()
            n += 1
    return n


class DiskFull(ArtganError, OSError):
    """Out of disk space (or quota) while writing: the CLI's one line; still an OSError,
    so code for which a write is optional (the caches) warns and goes on."""


def _disk_error(exc: OSError, path: Path) -> BaseException:
    """A full disk (or quota) as one clear line; other OS errors unchanged."""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return DiskFull(f"out of disk space while writing '{path}'; nothing was "
                        "overwritten (free some space, then resume or run again)")  # fmt: skip
    return exc


def make_dir(path: str | Path, what: str = "output folder") -> Path:
    """``path`` as an existing folder (created with its parents); a file in the way or
    a folder that cannot be made is a one-line error naming it."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise ArtganError(f"{what} '{path}' is a file, not a folder")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except FileExistsError:  # a parent is a file
        raise ArtganError(f"cannot make {what} '{path}': a part of the path is a file") from None
    except OSError as exc:
        raise ArtganError(f"cannot make {what} '{path}': {exc.strerror}") from None
    return path


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
