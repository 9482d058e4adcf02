"""The paper's Table 1 beside an ``artgan ablate`` experiment.

For each removed module: the paper's numbers, ours, the change against the full model in
both, and a verdict on whether the module helps here. The paper's LPIPS column is
"larger is better" (its full model has the largest value), which is how a diversity reads,
so it sits beside our perceptual diversity; our reconstruction distance is shown too.
"""

from __future__ import annotations

from typing import Any

from artgan.errors import ArtganError
from artgan.evaluation import is_number
from artgan.experiments.plan import parse_variant, split_variant

# Table 1 of the paper ("OURs/AMS" = OURs without AMS). Key "" is the full model.
PAPER_TABLE1: dict[str, dict[str, float]] = {
    "": {"fid": 48.25, "is": 2.86, "ssim": 0.6917, "lpips": 0.5834, "sd": 4.9366},
    "ams": {"fid": 69.53, "is": 1.89, "ssim": 0.5934, "lpips": 0.4962, "sd": 4.0569},
    "sft": {"fid": 72.14, "is": 1.65, "ssim": 0.5765, "lpips": 0.4814, "sd": 3.8624},
    "sa": {"fid": 56.96, "is": 2.28, "ssim": 0.6491, "lpips": 0.5103, "sd": 4.5891},
    "eca": {"fid": 51.84, "is": 2.61, "ssim": 0.6724, "lpips": 0.5538, "sd": 4.8142},
}

# With one seed there is no spread to test against: FID changes smaller than this share
# of the full model's FID are called "no clear effect" (a stated rule, not a measurement;
# with ≥ 2 seeds the margin is twice the larger of the two runs' seed std instead).
ONE_SEED_MARGIN = 0.10

# What equal budgets mean for the images each run saw (parse_budget's kinds).
_BUDGET_NOTE = {
    "seconds": "Every run had the same training time, so a cheaper ablation saw more "
    "images (second column).",
    "steps": "Every run had the same number of steps, so every run saw the same number of "
    "images (second column); a cheaper ablation finished sooner.",
}


def ablation_set(variants: list[str]) -> tuple[str, dict[str, str]] | None:
    """``(full variant, {ablation name: variant})`` when ``variants`` are a model followed
    by its single ablations, all with the same ``+options`` (what ``artgan ablate``
    trains); ``None`` for any other experiment."""
    if len(variants) < 2:
        return None
    parsed = []
    for v in variants:
        base, options = split_variant(v)
        parts = base.split("-no-")
        try:
            parse_variant(base)
        except ArtganError:  # not a registered model/ablation: not an ablation set
            return None
        parsed.append((parts[0], parts[1:], options))
    model, first_ablations, options = parsed[0]
    if first_ablations:
        return None
    removed: dict[str, str] = {}
    for v, (m, ablations, opts) in zip(variants[1:], parsed[1:], strict=True):
        if m != model or opts != options or len(ablations) != 1 or ablations[0] in removed:
            return None
        removed[ablations[0]] = v
    return variants[0], removed


def _mean(summary: dict[str, Any], variant: str, key: str) -> float | None:
    value = summary.get(variant, {}).get(key, {}).get("mean")
    return value if is_number(value) else None


def _std(summary: dict[str, Any], variant: str, key: str) -> float:
    entry = summary.get(variant, {}).get(key, {})
    return float(entry.get("std", 0.0)) if entry.get("n", 0) > 1 else 0.0


def fid_verdict(summary: dict[str, Any], full: str, variant: str) -> str:
    """ "helps" when removing the module raised FID by more than the margin, "hurts" when it
    lowered it by more, else "no clear effect" (see :data:`ONE_SEED_MARGIN`)."""
    a, b = _mean(summary, full, "fid"), _mean(summary, variant, "fid")
    if a is None or b is None:
        return "not evaluated yet"
    seeds = min(summary[full].get("n_seeds", 1), summary[variant].get("n_seeds", 1))
    if seeds > 1:
        margin = 2 * max(_std(summary, full, "fid"), _std(summary, variant, "fid"))
        rule = f"margin 2×seed std = {margin:.1f}"
    else:
        margin = ONE_SEED_MARGIN * a
        rule = f"one seed, margin {ONE_SEED_MARGIN:.0%} of FID = {margin:.1f}"
    delta = b - a
    word = "helps" if delta > margin else "hurts" if delta < -margin else "no clear effect"
    return f"{word} (FID {delta:+.1f}; {rule})"


def _pct(new: float | None, old: float | None) -> str:
    if new is None or old is None or old == 0:
        return "–"
    return f"{(new - old) / abs(old) * 100:+.0f} %"


def _fmt(value: float | None, fmt: str) -> str:
    return "–" if value is None else format(value, fmt)


def table1_lines(
    variants: list[str], summary: dict[str, dict[str, Any]], budget_kind: str
) -> list[str]:
    """The markdown section (empty when ``variants`` are not an ablation set);
    ``budget_kind`` is :func:`parse_budget`'s ("seconds" or "steps"), which decides what
    the section says about the images each run saw."""
    found = ablation_set(variants)
    if found is None:
        return []
    full, removed = found
    paper = PAPER_TABLE1
    rows = []
    for name, variant in [("", full), *removed.items()]:
        p = paper.get(name)
        ours = {k: _mean(summary, variant, k) for k in
                ("fid", "kid", "ssim", "perceptual_recon", "perceptual_diversity", "sd",
                 "images_shown")}  # fmt: skip
        label = "full model" if not name else f"without {name.upper()}"
        shown = ours["images_shown"]
        paper_cells = ([_fmt(p["fid"], ".2f"), _fmt(p["ssim"], ".4f"), _fmt(p["lpips"], ".4f"),
                        _fmt(p["sd"], ".2f")] if p else ["–"] * 4)  # fmt: skip
        rows.append(
            f"| {label} | {_fmt(shown / 1e3 if shown else None, '.0f')}k | "
            + " | ".join(paper_cells)
            + " | "
            + f"{_fmt(ours['fid'], '.1f')} | {_fmt(ours['kid'], '.4f')} | "
            f"{_fmt(ours['ssim'], '.4f')} | {_fmt(ours['perceptual_recon'], '.4f')} | "
            f"{_fmt(ours['perceptual_diversity'], '.4f')} | {_fmt(ours['sd'], '.2f')} |"
        )
    verdicts = []
    for name, variant in removed.items():
        p, p_full = paper.get(name), paper[""]
        claim = "not in the paper"
        if p:
            claim = f"paper: FID {_pct(p['fid'], p_full['fid'])} without it"
        here = _pct(_mean(summary, variant, "fid"), _mean(summary, full, "fid"))
        verdicts.append(f"- {name.upper()}: {fid_verdict(summary, full, variant)}; FID {here} "
                        f"without it here ({claim})")  # fmt: skip
    return [
        "", "## Beside the paper's Table 1", "",
        "Paper columns: FID, SSIM, LPIPS (\"larger is better\"), SD as printed; ours: FID, "
        "KID, SSIM of test reconstructions, perceptual reconstruction distance (lower = "
        "closer), perceptual diversity of samples (higher = more diverse), SD (dB). The "
        "paper's protocol (data, resolution, training length) differs, so compare the "
        "direction of each change, not the values. " + _BUDGET_NOTE[budget_kind], "",
        "| model | images shown | paper FID ↓ | paper SSIM ↑ | paper LPIPS ↑ | paper SD ↑ | "
        "FID ↓ | KID ↓ | SSIM ↑ | recon distance ↓ | diversity ↑ | SD ↑ |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
        *rows, "", "Does each module help (FID with the module vs without it)?", "", *verdicts,
    ]  # fmt: skip
