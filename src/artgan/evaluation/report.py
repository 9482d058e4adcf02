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


def is_number(v: Any) -> bool:
    """A finite int or float (what a table cell or a mean can be made of)."""
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def append_eval_row(run_dir: str | Path, results: dict[str, Any]) -> Path:
    """Append ``{"kind": "eval", **results}`` as one line to ``run_dir/metrics.jsonl``.

    Loss rows have no "kind"; readers that look for "loss_g" skip this one. "step" is only
    written when known, because the trainer compares it with its own step on resume.
    """
    path = Path(run_dir) / "metrics.jsonl"
    append_jsonl(path, jsonable({"kind": "eval", **results}))
    return path


def format_table(results: dict[str, Any]) -> str:
    """Aligned plain-text table: metric, value, the floor (what ``n`` real training
    paintings score in the same measurement), which direction is better, a note."""
    name = results.get("perceptual_metric", "")
    floor = results.get("floor") if isinstance(results.get("floor"), dict) else {}
    n_floor = floor.get("n") if floor.get("available", True) else None
    rows = [("metric", "value", f"real (n={n_floor})" if n_floor else "real", "better", "note")]
    for col in columns():
        if col.key not in results:
            continue
        v, better = results[col.key], col.better
        label = f"{name} {col.label}" if col.key.startswith("perceptual") else col.label
        if isinstance(v, dict):
            value, better = "n/a", ""
        else:
            std = results.get(f"{col.key}_std")
            value = format(v, col.fmt) + (f" ± {std:{col.fmt}}" if std is not None else "")
        fv = floor.get(col.key)
        real = format(fv, col.fmt) if isinstance(fv, (int, float)) else ""
        rows.append((label, value, real, better, _note(col.key, v, results)))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    lines = [
        "  ".join(c.ljust(w) for c, w in zip(r[:4], widths, strict=True)) + "  " + r[4]
        for r in rows
    ]
    lines.insert(1, "-" * len(lines[0].rstrip()))
    keys = ("n_real", "n_fake", "n_pairs", "step", "resolution", "precision", "seconds")
    meta = ["  ".join(f"{k}={_short(results[k])}" for k in keys if k in results)]
    if "extractor" in results:
        meta.append(f"Inception: {results['extractor']}")
    if "vgg19_extractor" in results:
        meta.append(f"VGG19: {results['vgg19_extractor']}")
    if floor and not floor.get("available", True):
        meta.append(f"real: {floor.get('reason')}")
    if "perceptual_note" in results:
        meta.append(f"{name}: {results['perceptual_note']}")
    if "closest_pairs_png" in results:
        meta.append(f"closest pairs (sample above, nearest training image below): "
                    f"{results['closest_pairs_png']}")  # fmt: skip
    return "\n".join([*[ln.rstrip() for ln in lines], *meta])


def _note(key: str, value: Any, results: dict[str, Any]) -> str:
    """The table's note for one result."""
    if isinstance(value, dict):
        return str(value.get("reason", ""))
    if key == "perceptual_diversity":
        return f"mean pairwise over {results.get('diversity_n')} generated images"
    if key == "perceptual_recon":
        return "x̂ vs x, mean over pairs"
    if key == "msssim" and "msssim_scales" in results:
        return f"{results['msssim_scales']} of 5 scales at {results.get('resolution')} px"
    if key == "fid" and results.get("n_fake", 2048) < 2048:
        return "fewer than 2048 images: biased high, compare only at equal n"
    if key.startswith("prdc_"):
        return f"k = {results.get('prdc_k')}, Inception features"
    if key == "copy_fraction" and isinstance(results.get("memorisation"), dict):
        m = results["memorisation"]
        verdict = "COPIES training images" if m["copies"] else "no sign of copying"
        return (f"{verdict}: nearest-train distance median {m['sample_median']:.2f} "
                f"(held-out paintings {m['test_median']:.2f}); held-out rate 0.010")  # fmt: skip
    return ""


def _short(v: Any) -> str:
    return f"{v:.1f}" if isinstance(v, float) else str(v)
