"""Saving matplotlib figures: headless backend, atomic PNG write, figure closed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from artgan.io.atomic import atomic_write


def pyplot() -> Any:
    """``matplotlib.pyplot`` on the Agg backend (no display needed). Imported on first
    use: the backend must be chosen before pyplot loads, and commands that never plot
    should not pay for matplotlib."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save_figure(fig: Any, path: str | Path) -> Path:
    """Write ``fig`` as a PNG at ``path`` (readers never see half a file) and close it."""
    plt = pyplot()
    try:
        with atomic_write(path, fsync=False) as f:
            fig.savefig(f, format="png")
    finally:
        plt.close(fig)
    return Path(path)
