"""Helpers every command shares."""

from __future__ import annotations

import argparse
from pathlib import Path

from artgan.errors import ArtganError
from artgan.io.atomic import make_dir

DEVICES = ["auto", "cpu", "cuda", "mps"]
PRECISIONS = ["auto", "fp32", "bf16"]


def default_out(a: argparse.Namespace, name: str) -> Path:
    """``--out`` if given, else ``name`` inside the run folder (or beside the file)."""
    src = Path(a.source)
    return Path(a.out) if a.out else (src if src.is_dir() else src.parent) / name


def out_dir(a: argparse.Namespace, name: str) -> Path:
    """:func:`default_out`, created."""
    out = default_out(a, name)
    return make_dir(out)


def at_least(value: int, minimum: int, flag: str) -> None:
    if value < minimum:
        raise ArtganError(f"{flag} must be at least {minimum}, got {value}")
