"""FID at equal images shown, read off the runs' monitor curves.

A time budget gives every model the same minutes, so the final table compares them at
equal wall-clock; models with cheaper steps or larger batches then have seen more
paintings. The paper's claim ("MIGAN learns faster") is about learning per image, so the
report also reads each run's monitor curve at one common number of real images shown.
"""

from __future__ import annotations

from typing import Any

from artgan.evaluation import is_number


def interpolate(xs: list[float], ys: list[float], x: float) -> float | None:
    """``y`` at ``x`` on the polyline through ``(xs, ys)`` (``xs`` ascending), linear
    between the two nearest points; ``None`` outside ``[xs[0], xs[-1]]`` — the curve says
    nothing there, and extrapolating a noisy FID curve would invent a number."""
    if not xs or x < xs[0] or x > xs[-1]:
        return None
    for i in range(len(xs) - 1):
        x0, x1, y0, y1 = xs[i], xs[i + 1], ys[i], ys[i + 1]
        if x0 <= x <= x1:
            return y0 if x1 == x0 else y0 + (y1 - y0) * (x - x0) / (x1 - x0)
    return ys[-1]  # a single point, x equal to it


def shown_curve(run: dict[str, Any]) -> tuple[list[float], list[float]] | None:
    """One run's monitor curve as (real images shown, FID), or ``None`` without one."""
    pts = [p for p in run.get("fid_curve") or [] if is_number(p.get("fid"))]
    per_step = run.get("images_per_step")
    if not pts or not is_number(per_step):
        return None
    pts.sort(key=lambda p: p["step"])
    return [p["step"] * per_step for p in pts], [p["fid"] for p in pts]


def fid_at_equal_shown(
    runs: dict[str, dict[int, dict[str, Any]]], variants: list[str]
) -> tuple[float, dict[str, float]] | None:
    """Each variant's seed-0 monitor FID at the largest number of images every variant's
    curve reached (the smallest of their last points): ``(images, {variant: FID})``.
    ``None`` when fewer than two variants have a curve, or the curves do not overlap."""
    curves = {}
    for v in variants:
        by_seed = runs.get(v) or {}
        if by_seed and (c := shown_curve(by_seed[min(by_seed)])):
            curves[v] = c
    if len(curves) < 2:
        return None
    common = min(xs[-1] for xs, _ in curves.values())
    fids = {v: interpolate(xs, ys, common) for v, (xs, ys) in curves.items()}
    if any(f is None for f in fids.values()):
        return None  # a curve that starts after another ends
    return common, {v: f for v, f in fids.items() if f is not None}


def equal_shown_lines(
    runs: dict[str, dict[int, dict[str, Any]]], variants: list[str], fid_n: int, precision: str
) -> list[str]:
    """The report's "at equal images shown" table, with the lead variant's (the first)
    gain over each other; ``[]`` when it cannot be read off the curves."""
    found = fid_at_equal_shown(runs, variants)
    if found is None:
        return []
    shown, fids = found
    lead = variants[0]
    rows = [f"| {v} | {fids[v]:.1f} |" for v in variants if v in fids]
    lines = ["", f"Monitor FID at equal images shown: {shown / 1000:.1f}k real images, the most "
             "every run reached (seed 0; linear between the two nearest monitor points; "
             f"{fid_n} {precision} samples, so comparable within this table only, not with the "
             "final columns above):", "", "| model | monitor FID ↓ |", "|---|---|",
             *rows]  # fmt: skip
    if lead in fids:
        for v in (v for v in variants if v in fids and v != lead):
            gain = (fids[v] - fids[lead]) / fids[v] * 100
            word = "lower (better)" if gain > 0 else "higher (worse)"
            lines.append(
                f"- {lead} {fids[lead]:.1f} vs {v} {fids[v]:.1f}: {abs(gain):.1f} % {word}"
            )
    return lines
