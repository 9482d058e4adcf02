"""The experiment report's figures: FID curves (the paper's Figure 6) and the final sample
grids side by side."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw

from artgan.evaluation import is_number
from artgan.experiments.plan import ExperimentPlan
from artgan.io.atomic import atomic_write
from artgan.io.plotting import pyplot, save_figure


def plot_fid_curves(runs: dict[str, dict[int, dict[str, Any]]], path: Path) -> Path | None:
    """FID against generator step, training minutes and real images shown (how much data
    a model has learnt from), one line per run (the paper's Figure 6)."""
    curves = [(f"{v} s{s}", r) for v, by in runs.items() for s, r in by.items()
              if r.get("fid_curve")]  # fmt: skip
    if not curves:
        return None
    fig, axes = pyplot().subplots(1, 3, figsize=(15, 3.8), dpi=110)
    for i, (label, run) in enumerate(curves):
        pts, kw = run["fid_curve"], {"c": f"C{i % 10}", "label": label}
        fids = [p["fid"] for p in pts]
        axes[0].plot([p["step"] for p in pts], fids, ".-", **kw)
        timed = [p for p in pts if is_number(p.get("train_seconds"))]
        axes[1].plot([p["train_seconds"] / 60 for p in timed], [p["fid"] for p in timed], ".-",
                     **kw)  # fmt: skip
        if is_number(run.get("images_per_step")):
            axes[2].plot([p["step"] * run["images_per_step"] / 1000 for p in pts], fids, ".-",
                         **kw)  # fmt: skip
    labels = ("generator step", "training minutes", "real images shown (thousands)")
    for ax, xlabel in zip(axes, labels, strict=True):
        ax.set_xlabel(xlabel)
        ax.set_ylabel("FID (lower is better)")
        ax.grid(alpha=0.3)
    axes[1].legend(fontsize=8)
    fig.tight_layout()
    return save_figure(fig, path)


def samples_side_by_side(plan: ExperimentPlan, out: Path, path: Path) -> Path | None:
    """The first seed's final sample grid of each variant, left to right, labelled."""
    tiles = []
    for variant in plan.variants:
        grid = out / "runs" / f"{variant}-s0" / "samples" / "latest.png"
        if (out / "runs" / f"{variant}-s0" / "eval.json").is_file() and grid.is_file():
            tiles.append((variant, Image.open(grid).convert("RGB")))
    if not tiles:
        return None
    h = max(im.height for _, im in tiles)
    pad, top = 8, 18
    canvas = Image.new("RGB", (sum(im.width + pad for _, im in tiles) - pad, h + top), "white")
    x = 0
    draw = ImageDraw.Draw(canvas)
    for name, im in tiles:
        canvas.paste(im, (x, top))
        draw.text((x + 2, 3), name, fill="black")
        x += im.width + pad
    with atomic_write(path, fsync=False) as f:
        canvas.save(f, format="PNG")
    return path
