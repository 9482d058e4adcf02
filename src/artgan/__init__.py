"""artgan: AI art creation with GANs, CPU first, offline, exactly resumable."""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
