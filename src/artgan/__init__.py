"""artgan: AI art creation with GANs, CPU first, offline, exactly resumable."""

from __future__ import annotations

import os

# OpenMP reads its wait policy once, when torch loads it, so this must run before any
# artgan module imports torch. Busy-waiting OpenMP threads make a shared 2-core machine
# crawl; a user's own setting wins.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

__version__ = "0.1.0"

__all__ = ["__version__"]
