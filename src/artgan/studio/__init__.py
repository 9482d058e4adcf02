"""artgan studio: a local web app for making art with a trained generator."""

from __future__ import annotations

from artgan.studio.engine import Recipe, StudioEngine

__all__ = ["Recipe", "StudioEngine"]
