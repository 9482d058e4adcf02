"""Training metrics on disk: ``metrics.jsonl`` (one JSON object per logged step),
``losses.csv`` (step, loss_d, loss_g; loss_d empty for a likelihood model, which has no D)
and ``losses.png`` (the G and D curves)."""

from __future__ import annotations

import csv
import json
import time
from pathlib import Path
from typing import Any

import numpy as np

from artgan.io.atomic import atomic_write
from artgan.io.jsonl import append_jsonl, read_jsonl
from artgan.io.plotting import pyplot, save_figure


class MetricLog:
    """``sink``: an extra destination for every row and sample grid (TensorBoard)."""

    def __init__(self, run_dir: str | Path, sink: Any = None) -> None:
        self.jsonl = Path(run_dir) / "metrics.jsonl"
        self.csv = Path(run_dir) / "losses.csv"
        self.png = Path(run_dir) / "losses.png"
        self.sink = sink

    def truncate_after(self, step: int) -> None:
        """Drop rows logged after ``step`` (by a run that crashed after its last
        checkpoint), so a resumed run's log has each step once."""
        rows = [r for r in self.read() if r.get("step", 0) <= step]
        with atomic_write(self.jsonl) as f:
            f.write("".join(json.dumps(r) + "\n" for r in rows).encode())
        self._rewrite_csv(rows)

    def begin(self, step: int) -> None:
        """A training session starts (fresh or resumed) at ``step``: drop rows logged
        after it, then mark the start (``{"kind": "start"}``), so that reports can leave
        the pauses between sessions out of a run's wall-clock."""
        self.truncate_after(step)
        append_jsonl(self.jsonl, {"kind": "start", "step": step, "time": time.time()})

    def append(self, row: dict[str, Any]) -> None:
        """A training row (``loss_g``, and ``loss_d`` for a GAN) goes to the JSONL log and
        the CSV; any other row (FID, evaluations) to the JSONL log only."""
        append_jsonl(self.jsonl, row)
        if "loss_g" in row:
            self._append_csv(row)
        if self.sink is not None and "step" in row:
            self.sink.scalars(row)

    def image(self, tag: str, grid: np.ndarray, step: int) -> None:
        """A sample grid ``uint8 [H, W, 3]`` for the sink (the PNGs are the trainer's)."""
        if self.sink is not None:
            self.sink.image(tag, grid, step)

    def _rewrite_csv(self, rows: list[dict[str, Any]]) -> None:
        self.csv.unlink(missing_ok=True)
        for r in rows:
            if "loss_g" in r:
                self._append_csv(r)

    def _append_csv(self, row: dict[str, Any]) -> None:
        new = not self.csv.exists()
        with open(self.csv, "a", newline="") as f:
            w = csv.writer(f)
            if new:
                w.writerow(["step", "loss_d", "loss_g"])
            # a likelihood model has no D: its loss_d cell stays empty
            loss_d = f"{row['loss_d']:.6g}" if "loss_d" in row else ""
            w.writerow([row["step"], loss_d, f"{row['loss_g']:.6g}"])

    def read(self) -> list[dict[str, Any]]:
        """Every row logged so far (a line cut short by a crash is skipped)."""
        return read_jsonl(self.jsonl)

    def plot(self) -> None:
        rows = [r for r in self.read() if "loss_g" in r]
        if not rows:
            return
        steps = [r["step"] for r in rows]
        fid = [r for r in self.read() if "fid" in r and r.get("kind") != "eval"]
        ncols = 2 if fid else 1
        fig, axes = pyplot().subplots(1, ncols, figsize=(7 * ncols, 3.5), dpi=110, squeeze=False)
        ax = axes[0, 0]
        gan = all("loss_d" in r for r in rows)
        if gan:
            ax.plot(steps, [r["loss_d"] for r in rows], label="D loss", lw=0.8)
        ax.plot(steps, [r["loss_g"] for r in rows], label="G loss" if gan else "loss", lw=0.8)
        ax.set_xlabel("step")
        ax.set_ylabel("loss")
        ax.legend()
        ax.grid(alpha=0.3)
        if fid:  # the FID curve beside the losses (paper Fig. 6)
            fx = axes[0, 1]
            fx.plot([r["step"] for r in fid], [r["fid"] for r in fid], "o-", color="C2", ms=3)
            fx.set_xlabel("step")
            fx.set_ylabel("FID (test split)")
            fx.grid(alpha=0.3)
        fig.tight_layout()
        save_figure(fig, self.png)
