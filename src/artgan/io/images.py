"""Tensor ↔ image files: uint8 conversion, grids, PNG writing (atomic, never half-written)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from PIL.PngImagePlugin import PngInfo
from torch import Tensor

from artgan.io.atomic import atomic_write


def to_uint8(images: Tensor) -> np.ndarray:
    """``[B, 3, H, W]`` float in [-1, 1] → ``[B, H, W, 3]`` uint8 (round to nearest)."""
    x = images.detach().float().cpu().clamp(-1, 1)
    x = ((x + 1) * 127.5).round().to(torch.uint8)
    return x.permute(0, 2, 3, 1).contiguous().numpy()


def from_uint8(images: np.ndarray) -> Tensor:
    """``[B, H, W, 3]`` uint8 → ``[B, 3, H, W]`` float in [-1, 1]: the inverse of
    :func:`to_uint8`, the models' input range."""
    return torch.from_numpy(np.ascontiguousarray(images)).permute(0, 3, 1, 2).float() / 127.5 - 1


def make_grid(images: np.ndarray, ncol: int | None = None, pad: int = 2) -> np.ndarray:
    """``[B, H, W, 3]`` uint8 → one ``[rows*(H+pad)+pad, cols*(W+pad)+pad, 3]`` image."""
    b, h, w, c = images.shape
    ncol = ncol or math.ceil(math.sqrt(b))
    nrow = math.ceil(b / ncol)
    grid = np.full((nrow * (h + pad) + pad, ncol * (w + pad) + pad, c), 255, np.uint8)
    for i in range(b):
        r, col = divmod(i, ncol)
        y, x = pad + r * (h + pad), pad + col * (w + pad)
        grid[y : y + h, x : x + w] = images[i]
    return grid


def save_png(array: np.ndarray, path: str | Path, meta: dict[str, str] | None = None) -> None:
    """Write ``[H, W, 3]`` uint8 as PNG via a temp file + rename (atomic)."""
    info = PngInfo()
    for k, v in (meta or {}).items():
        info.add_text(k, v)
    # No fsync: a lost image is regenerated; a torn one must never appear.
    with atomic_write(path, fsync=False) as f:
        Image.fromarray(array).save(f, format="PNG", pnginfo=info)


def save_grid(images: Tensor, path: str | Path, ncol: int | None = None) -> None:
    save_png(make_grid(to_uint8(images), ncol), path)
