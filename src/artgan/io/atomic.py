"""Atomic file writes: every file artgan writes that a crash must not leave half-written
(checkpoints, caches, images, logs) goes through :func:`atomic_write`."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO


@contextlib.contextmanager
def atomic_write(path: str | Path, fsync: bool = True) -> Iterator[BinaryIO]:
    """Yield a binary file in ``path``'s folder; on success it is flushed, fsynced and
    renamed over ``path`` (atomic on POSIX and Windows), so readers see the old file or
    the new one, never part of one. On any error the temp file is removed and the error
    propagates; ``path`` is untouched."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name[:40]}.", suffix=".tmp")
    try:
        # mkstemp creates 0600 files; give the result the mode a plain open() would.
        os.chmod(tmp, 0o666 & ~_umask())
        with os.fdopen(fd, "wb") as f:
            yield f
            f.flush()
            if fsync:
                os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
