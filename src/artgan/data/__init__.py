"""Data sets: image folders (decoded once and cached) and the built-in landscapes.

All sets come back as an :class:`ImageSet` holding ``[N, H, W, 3] uint8`` images.
"""

from __future__ import annotations

from pathlib import Path

from artgan.config import check_resolution
from artgan.data.folder import check_fit, default_cache_dir, load_folder
from artgan.data.images import IMAGE_EXTENSIONS, load_image, scan_folder
from artgan.data.imageset import ImageSet
from artgan.data.split import split_indices
from artgan.data.synthetic import LANDSCAPE_CLASSES, make_landscapes

BUILTIN_LANDSCAPES = "builtin:landscapes"

__all__ = [
    "BUILTIN_LANDSCAPES",
    "IMAGE_EXTENSIONS",
    "LANDSCAPE_CLASSES",
    "ImageSet",
    "absolute_data_path",
    "check_fit",
    "check_resolution",
    "default_cache_dir",
    "is_builtin",
    "load_dataset",
    "load_folder",
    "load_image",
    "make_landscapes",
    "scan_folder",
    "split_indices",
]


def is_builtin(path: str | Path | None) -> bool:
    """Whether ``path`` names the built-in landscapes (None does too)."""
    return path is None or str(path) == BUILTIN_LANDSCAPES


def absolute_data_path(path: str | None) -> str | None:
    """A data folder as an absolute path (how runs record it, so that evaluate and resume
    work from any working directory, and the data's cache keys do not depend on it);
    None and the built-in data set are returned as they are."""
    if path is None or path.startswith("builtin:"):
        return path
    return str(Path(path).expanduser().resolve())


def load_dataset(
    path: str | Path | None,
    resolution: int,
    fit: str = "crop",
    cache_dir: str | Path | None = None,
    progress: bool = True,
) -> ImageSet:
    """The built-in landscapes when ``path`` is None or "builtin:landscapes", else a folder.

    Images are ``[N, resolution, resolution, 3] uint8``; see :func:`load_folder` for the
    folder rules (class subfolders, caching, skipped files).
    """
    if is_builtin(path):
        check_fit(fit)
        return make_landscapes(resolution=resolution)
    return load_folder(path, resolution, fit=fit, cache_dir=cache_dir, progress=progress)
