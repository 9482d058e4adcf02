"""The ``artgan`` command line (one module per command family; see :mod:`artgan.cli.main`)."""

from __future__ import annotations

from artgan.cli.main import build_parser, main

__all__ = ["build_parser", "main"]
