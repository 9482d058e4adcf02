"""One on-disk cache format for derived arrays (decoded data sets, feature statistics).

An entry is ``<folder>/<key>.npz`` holding the arrays plus the format version, the key and
a sha256 checksum of the arrays. It is written atomically (temp file, fsync, rename), so
a crash leaves the old entry or none; a truncated, bit-flipped, foreign or outdated file is
detected on read, warned about and rebuilt; an unwritable cache folder only costs a
warning. Strings are stored as unicode arrays, so nothing needs pickle.
"""

from __future__ import annotations

import hashlib
import warnings
from collections.abc import Callable, Mapping
from pathlib import Path

import numpy as np

from artgan.io.atomic import atomic_write

Arrays = dict[str, np.ndarray]
_META = ("version", "key", "checksum")


def checksum(arrays: Mapping[str, np.ndarray]) -> str:
    """sha256 over the arrays' names, shapes, dtypes and bytes, in sorted name order."""
    h = hashlib.sha256()
    for name in sorted(arrays):
        a = np.ascontiguousarray(arrays[name])
        h.update(f"{name}{a.shape}{a.dtype}".encode())
        h.update(a.data)
    return h.hexdigest()


def write_npz(path: Path, version: int, key: str, arrays: Mapping[str, np.ndarray]) -> None:
    """Write an entry atomically. Uncompressed: loading speed matters more than disk."""
    with atomic_write(path) as f:
        np.savez(f, version=np.int64(version), key=np.array(key),
                 checksum=np.array(checksum(arrays)), **arrays)  # fmt: skip


def read_npz(path: Path, version: int, key: str) -> Arrays:
    """The arrays of an entry; ``ValueError`` unless it is exactly what was stored for
    ``key`` in format ``version``."""
    with np.load(path, allow_pickle=False) as z:
        found = int(z["version"])
        if found != version:
            raise ValueError(f"format version {found}, expected {version}")
        if str(z["key"]) != key:
            raise ValueError("stored key does not match the file name")
        arrays = {name: z[name] for name in z.files if name not in _META}
        stored = str(z["checksum"])
    if stored != checksum(arrays):
        raise ValueError("checksum mismatch")
    return arrays


def load_or_build(
    folder: Path,
    version: int,
    key: str,
    build: Callable[[], Arrays],
    what: str,
    check: Callable[[Arrays], None] | None = None,
) -> Arrays:
    """The entry ``key`` from ``folder``, or ``build()`` (then stored). ``check`` may raise
    ``ValueError`` on arrays that read fine but are unusable (wrong shapes); ``what``
    names the cache in warnings."""
    path = folder / f"{key}.npz"
    if path.is_file():
        try:
            arrays = read_npz(path, version, key)
            if check is not None:
                check(arrays)
            return arrays
        except Exception as exc:  # whatever is wrong with the file, rebuilding fixes it
            warnings.warn(f"ignoring unreadable {what} '{path}' ({exc}); rebuilding it",
                          stacklevel=3)  # fmt: skip
    arrays = build()
    try:
        write_npz(path, version, key, arrays)
    except OSError as exc:
        warnings.warn(f"could not write {what} to '{folder}' ({exc}); continuing without "
                      "a cache", stacklevel=3)  # fmt: skip
    return arrays
