"""FID at equal images shown, read off the runs' monitor curves.

A time budget gives every model the same minutes, so the final table compares them at
equal wall-clock; models with cheaper steps or larger batches then have seen more
paintings. The paper's claim ("MIGAN learns faster") is about learning per image, so the
report also reads each run's monitor curve at one common number of real images shown.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from artgan.evaluation import is_number
from artgan.experiments.plan import lead_variant


def interpolate(xs: list[float], ys: list[float], x: float) -> float | None:
    """``y`` at ``x`` on the polyline through ``(xs, ys)`` (``xs`` ascending), linear
    between the points on either side; ``None`` outside ``[xs[0], xs[-1]]`` — the curve says
    nothing there, and extrapolating a noisy FID curve would invent a number."""
    if not xs or x < xs[0] or x > xs[-1]:
        return None
    return float(np.interp(x, xs, ys))


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
    """Each variant's monitor FID, averaged over its seeds, at the largest number of images
    every run with a curve reached (the smallest of their last points): ``(images,
    {variant: FID})``. Variants without a curve are left out; ``None`` when fewer than two
    have one, or some curve starts after another ends."""
    curves = {v: [c for r in (runs.get(v) or {}).values() if (c := shown_curve(r))]
              for v in variants}  # fmt: skip
    curves = {v: cs for v, cs in curves.items() if cs}
    if len(curves) < 2:
        return None
    common = min(xs[-1] for cs in curves.values() for xs, _ in cs)
    fids: dict[str, float] = {}
    for v, cs in curves.items():
        at = [interpolate(xs, ys, common) for xs, ys in cs]
        if any(f is None for f in at):
            return None
        fids[v] = sum(f for f in at if f is not None) / len(at)
    return common, fids


def relative(a: float, b: float) -> str:
    """How ``a`` compares with ``b`` as FIDs: "12.3 % lower (better)" or "… higher (worse)"."""
    gain = (b - a) / b * 100
    return f"{abs(gain):.1f} % {'lower (better)' if gain > 0 else 'higher (worse)'}"


def _monitor(runs: dict[str, dict[int, dict[str, Any]]], n: int, precision: str) -> str:
    """ "500 bf16 samples": from the monitor rows where they say (newer runs), else the
    plan's ``n`` and the resolved ``train.fid_precision``."""
    points = [p for by in runs.values() for r in by.values() for p in r.get("fid_curve") or []]
    seen = {(p.get("n_fake", n), p.get("precision", precision)) for p in points}
    return " or ".join(f"{a} {b}" for a, b in sorted(seen, key=str))


def equal_shown_lines(
    runs: dict[str, dict[int, dict[str, Any]]], variants: list[str], fid_n: int, precision: str
) -> list[str]:
    """The report's "at equal images shown" table, with the lead variant's gain over each
    other (:func:`~artgan.experiments.plan.lead_variant`, as the final table's); ``[]``
    when it cannot be read off the curves. ``fid_n``/``precision`` describe the monitor
    where its rows do not."""
    found = fid_at_equal_shown(runs, variants)
    if found is None:
        return []
    shown, fids = found
    lead = lead_variant(variants)
    rows = [f"| {v} | {fids[v]:.1f} |" for v in variants if v in fids]
    lines = ["", f"Monitor FID at equal images shown: {shown:,.0f} real images (repeats "
             "counted), the most that every run with a monitor curve reached; linear between "
             "the monitor points on either side, mean over seeds; "
             f"{_monitor(runs, fid_n, precision)} samples, so comparable within this table "
             "only, not with the final columns above:", "", "| model | monitor FID ↓ |",
             "|---|---|", *rows]  # fmt: skip
    if missing := [v for v in variants if v not in fids]:
        lines.append(f"- no monitor curve (left out): {', '.join(missing)}")
    if lead in fids:
        for v in (v for v in variants if v in fids and v != lead):
            a, b = fids[lead], fids[v]
            lines.append(f"- {lead} {a:.1f} vs {v} {b:.1f}: {relative(a, b)}")
    return lines
