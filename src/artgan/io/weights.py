"""Finding a pretrained weights file: an explicit path, an environment variable, a file
shipped inside an installed package, or the torch hub cache — in that order.

Nothing is ever downloaded. Packages are located with ``importlib.util.find_spec``
without importing them: several weight-carrying packages import heavy or unavailable
dependencies (cv2, torchvision) at import time.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
from collections.abc import Sequence
from pathlib import Path

import torch

from artgan.errors import ArtganError


def package_file(package: str, relative: str) -> Path | None:
    """``relative`` inside the installed ``package`` (not imported), or None."""
    try:
        spec = importlib.util.find_spec(package)
    except (ImportError, ValueError):
        return None
    for folder in (spec.submodule_search_locations or []) if spec else []:
        if (Path(folder) / relative).is_file():
            return Path(folder) / relative
    return None


def hub_dir() -> Path:
    """``<torch hub dir>/checkpoints``, where torch.hub keeps downloaded weights."""
    return Path(torch.hub.get_dir()) / "checkpoints"


def find_weights(
    what: str,
    explicit: str | Path | None = None,
    env: str | None = None,
    packages: Sequence[tuple[str, str]] = (),
    hub_names: Sequence[str] = (),
    hint: str = "",
) -> Path | None:
    """The first of: ``explicit``; ``$env``; ``(package, relative path)`` files of installed
    packages; ``hub_names`` in the torch hub cache. None when none exists.

    A path the user named (``explicit`` or ``$env``) that does not exist is an
    :class:`ArtganError` ("``what`` '...' does not exist" plus ``hint``), never a fallback:
    a typo must not silently use other weights.
    """
    if explicit is not None:
        return _must_exist(Path(explicit).expanduser(), f"{what} '{explicit}'", hint)
    if env and os.environ.get(env):
        value = os.environ[env]
        return _must_exist(Path(value).expanduser(), f"{what} '{value}' (from ${env})", hint)
    for package, relative in packages:
        found = package_file(package, relative)
        if found is not None:
            return found
    for name in hub_names:
        if (hub_dir() / name).is_file():
            return hub_dir() / name
    return None


def _must_exist(path: Path, described: str, hint: str) -> Path:
    if not path.is_file():
        raise ArtganError(f"{described} does not exist{hint}")
    return path


def file_sha256(path: str | Path) -> str:
    """Hex sha256 of a file's bytes, read in 1 MB blocks (weights files, exports)."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()
