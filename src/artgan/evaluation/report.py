"""Reporting evaluation results: the plain-text table and the ``metrics.jsonl`` line."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from artgan.io.jsonl import append_jsonl
from artgan.metrics import columns


def jsonable(v: Any) -> Any:
    """Strict JSON: ±inf/NaN become strings (json would write the non-standard Infinity)."""
    if isinstance(v, float) and not math.isfinite(v):
        return str(v)
    if isinstance(v, dict):
        return {k: jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [jsonable(x) for x in v]
    return v


def append_eval_row(run_dir: str | Path, results: dict[str, Any]) -> Path:
    """Append ``{"kind": "eval", **results}`` as one line to ``run_dir/metrics.jsonl``.

    Loss rows have no "kind"; readers that look for "loss_d" skip this one. "step" is only
    written when known, because the trainer compares it with its own step on resume.
    """
    path = Path(run_dir) / "metrics.jsonl"
    append_jsonl(path, jsonable({"kind": "eval", **results}))
    return path


def format_table(results: dict[str, Any]) -> str:
    """Aligned plain-text table: metric, value, which direction is better, note."""
    name = results.get("perceptual_metric", "")
    rows = [("metric", "value", "better", "note")]
    for col in columns():
        key, label, better, fmt = col.key, col.label, col.better, col.fmt
        if key not in results:
            continue
        v, note = results[key], ""
        if isinstance(v, dict):
            value, better, note = "n/a", "", v.get("reason", "")
        else:
            value = format(v, fmt)
            std = results.get(f"{key}_std")
            value += f" ± {std:{fmt}}" if std is not None else ""
        if key.startswith("perceptual"):
            label = f"{name} {label}"
            if key == "perceptual_diversity":
                note = f"mean pairwise over {results.get('diversity_n')} generated images"
            elif not isinstance(v, dict):
                note = "x̂ vs x, mean over pairs"
        elif key == "msssim" and "msssim_scales" in results:
            note = f"{results['msssim_scales']} of 5 scales at {results.get('resolution')} px"
        elif key == "fid" and results.get("n_fake", 2048) < 2048:
            note = "fewer than 2048 images: biased high, compare only at equal n"
        rows.append((label, value, better, note))
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    lines = [
        "  ".join(c.ljust(w) for c, w in zip(r[:3], widths, strict=True)) + "  " + r[3]
        for r in rows
    ]
    lines.insert(1, "-" * len(lines[0].rstrip()))
    keys = ("n_real", "n_fake", "n_pairs", "step", "resolution", "precision", "seconds")
    meta = ["  ".join(f"{k}={_short(results[k])}" for k in keys if k in results)]
    if "extractor" in results:
        meta.append(f"Inception: {results['extractor']}")
    if "perceptual_note" in results:
        meta.append(f"{name}: {results['perceptual_note']}")
    return "\n".join([*[ln.rstrip() for ln in lines], *meta])


def _short(v: Any) -> str:
    return f"{v:.1f}" if isinstance(v, float) else str(v)
