"""TensorBoard event files beside the JSON-lines log (``--logger tensorboard``).

``RUN/tensorboard/`` gets every logged scalar (losses and D scores under ``train/``,
throughput under ``speed/``, FID/KID under ``quality/``) and each sample grid under
``samples``, so ``tensorboard --logdir runs/`` shows artgan runs as it shows other
trainers'. A resumed run purges the events after its checkpoint's step, as the JSONL log
drops its rows. Needs the ``tensorboard`` package (``pip install artgan[tensorboard]``).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

from artgan.errors import ArtganError

INSTALL = "pip install tensorboard"
_GROUPS = {"img_per_s": "speed", "s_per_step": "speed", "train_seconds": "speed",
           "fid": "quality", "kid": "quality", "kid_std": "quality"}  # fmt: skip
_SKIP = {"step", "time", "n_fake"}


class TensorBoardSink:
    """Writes scalars and images for one run folder."""

    def __init__(self, run_dir: str | Path, purge_step: int | None = None) -> None:
        try:
            from torch.utils.tensorboard import SummaryWriter
        except ImportError:  # torch's module imports the tensorboard package
            raise ArtganError(f"--logger tensorboard needs the tensorboard package: "
                              f"`{INSTALL}`") from None  # fmt: skip
        self.folder = Path(run_dir) / "tensorboard"
        self.writer = SummaryWriter(str(self.folder), purge_step=purge_step)

    def scalars(self, row: dict[str, Any]) -> None:
        step = int(row["step"])
        for key, value in row.items():
            if key in _SKIP or isinstance(value, bool) or not isinstance(value, (int, float)):
                continue
            if not math.isfinite(value):
                continue
            self.writer.add_scalar(f"{_GROUPS.get(key, 'train')}/{key}", value, step)
        self.writer.flush()

    def image(self, tag: str, grid: np.ndarray, step: int) -> None:
        """``grid``: ``uint8 [H, W, 3]``."""
        self.writer.add_image(tag, grid, step, dataformats="HWC")
        self.writer.flush()

    def close(self) -> None:
        self.writer.close()
