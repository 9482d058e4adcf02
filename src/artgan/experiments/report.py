"""An experiment's report: ``results.json``, ``report.md`` (the paper's Figure 7 table),
``fid_curve.png`` (Figure 6) and ``samples.png`` (final sample grids side by side)."""

from __future__ import annotations

import json
import statistics
from pathlib import Path
from typing import Any

from artgan.evaluation import is_number, jsonable
from artgan.experiments.curves import equal_shown_lines, relative
from artgan.experiments.figures import plot_fid_curves, samples_side_by_side
from artgan.experiments.plan import ExperimentPlan, lead_variant, parse_budget
from artgan.experiments.table1 import table1_lines
from artgan.experiments.timing import experiment_span, span_sentence, wall_clock
from artgan.io.atomic import atomic_write
from artgan.metrics import columns

# metric key, column title (with the better direction), better direction, format
COLUMNS = tuple(
    (c.key, f"{c.label} {'↓' if c.better == 'lower' else '↑'}", c.better, c.fmt) for c in columns()
)


def perceptual_names(runs: dict[str, dict[int, dict[str, Any]]]) -> list[str]:
    """Which perceptual distance the runs' evaluations used ("lpips-vgg", or the VGG19
    substitute, "vgg19-perceptual (not LPIPS)"), each name once."""
    names = [r.get("perceptual_metric") for by in runs.values() for r in by.values()]
    return sorted({n for n in names if n})


def _title(key: str, title: str, perceptual: list[str]) -> str:
    """A column title; perceptual columns say which distance they are."""
    if key.startswith("perceptual") and perceptual:
        return f"{' / '.join(perceptual)} {title}"
    return title


def collect(plan: ExperimentPlan, out: Path) -> dict[str, Any]:
    """Every finished run's eval.json, and per variant the mean ± std over seeds."""
    runs: dict[str, dict[int, dict[str, Any]]] = {}
    for variant, seed, name in plan.run_names():
        path = out / "runs" / name / "eval.json"
        if path.is_file():
            result = json.loads(path.read_text())
            result.update(wall_clock(out / "runs" / name, result))
            runs.setdefault(variant, {})[seed] = result
    summary: dict[str, dict[str, Any]] = {}
    for variant, by_seed in runs.items():
        s: dict[str, Any] = {"n_seeds": len(by_seed)}
        extra = ["train_steps", "train_seconds", "wall_seconds", "images_shown"]
        for key in [c[0] for c in COLUMNS] + extra:
            vals = [r[key] for r in by_seed.values() if is_number(r.get(key))]
            if vals:
                s[key] = {
                    "mean": statistics.fmean(vals),
                    "std": statistics.stdev(vals) if len(vals) > 1 else 0.0,
                    "n": len(vals),
                }
            else:
                reasons = [r[key].get("reason") for r in by_seed.values()
                           if isinstance(r.get(key), dict)]  # fmt: skip
                s[key] = {"unavailable": reasons[0] if reasons else "not computed"}
        summary[variant] = s
    counts = sorted({r.get("n_fake") for by in runs.values() for r in by.values()} - {None})
    floors = [f for by in runs.values() for r in by.values()
              if isinstance(f := r.get("floor"), dict) and f.get("available", True)]  # fmt: skip
    return {"runs": runs, "summary": summary, "wall_clock": experiment_span(runs),
            "sample_counts": counts, "floor": floors[0] if floors else None}  # fmt: skip


def first_seed(runs: dict[str, dict[int, dict[str, Any]]], key: str) -> dict[str, Any]:
    """``{variant: result[key]}`` from each variant's lowest seed that has it."""
    out = {}
    for variant, by_seed in runs.items():
        for seed in sorted(by_seed):
            if isinstance(by_seed[seed].get(key), dict):
                out[variant] = by_seed[seed][key]
                break
    return out


def _cell(entry: dict[str, Any], fmt: str, scale: float = 1.0) -> str:
    if "mean" not in entry:
        return "unavailable"
    text = format(entry["mean"] * scale, fmt)
    return text + (f" ± {entry['std'] * scale:{fmt}}" if entry["n"] > 1 else "")


def fid_gains(summary: dict[str, dict[str, Any]], variants: list[str]) -> list[str]:
    """Sentences "A's FID is x % lower than B's" for the first MIGAN variant (else the
    first variant) against the others (the paper's claim is relative: MIGAN beats CNN-GAN
    and SPA-GAN by ≥ 33 %)."""
    lead = lead_variant(variants)
    if "mean" not in summary.get(lead, {}).get("fid", {}):
        return []
    a = summary[lead]["fid"]["mean"]
    lines = []
    for other in (v for v in variants if v != lead):
        b = summary.get(other, {}).get("fid", {}).get("mean")
        if b is None:
            continue
        lines.append(f"- {lead} FID {a:.2f} vs {other} {b:.2f}: {relative(a, b)}")
    return lines


def write_report(plan: ExperimentPlan, out: Path, command: str, machine: dict[str, Any]) -> Path:
    data = collect(plan, out)
    runs, summary = data["runs"], data["summary"]
    fid_png = plot_fid_curves(runs, out / "fid_curve.png")
    samples_png = samples_side_by_side(plan, out, out / "samples.png")
    results = {"plan": plan.to_dict(), "command": command, "machine": machine, **data}
    with atomic_write(out / "results.json") as f:
        f.write(json.dumps(jsonable(results), indent=2).encode())
    with atomic_write(out / "report.md") as f:
        f.write(render_markdown(plan, summary, command, machine, fid_png, samples_png,
                                data["wall_clock"], perceptual_names(runs), data["floor"],
                                data["sample_counts"], first_seed(runs, "generation"),
                                equal_shown_lines(runs, plan.variants, plan.fid_n,
                                                  machine.get("monitor_precision", "?")),
                                ).encode())  # fmt: skip
    return out / "report.md"


def _precision(plan: ExperimentPlan, machine: dict[str, Any]) -> str:
    used = machine.get("precision")
    return plan.precision if used in (None, plan.precision) else f"{plan.precision} ({used} here)"


def render_markdown(
    plan: ExperimentPlan,
    summary: dict[str, dict[str, Any]],
    command: str,
    machine: dict[str, Any],
    fid_png: Path | None,
    samples_png: Path | None,
    span: dict[str, float] | None = None,
    perceptual: list[str] | None = None,
    floor: dict[str, Any] | None = None,
    counts: list[int] | None = None,
    runs_generation: dict[str, dict[str, Any]] | None = None,
    equal_shown: list[str] | None = None,
) -> str:
    perceptual = perceptual or []
    lines = _header(plan, summary, command, machine, span)
    titles = [_title(key, title, perceptual) for key, title, _, _ in COLUMNS]
    lines += [
        "| model | steps | images shown | train min | wall min | s/step | "
        + " | ".join(titles)
        + " |",
        "|---|---|---|---|---|---|" + "---|" * len(COLUMNS),
        *(_row(variant, summary.get(variant)) for variant in plan.variants),
    ]
    if floor:
        cells = [format(floor[k], fmt) if is_number(floor.get(k)) else "" for k, _, _, fmt in
                 COLUMNS]  # fmt: skip
        lines.append(f"| real paintings ({floor['n']} from the training split) | | | | | | "
                     + " | ".join(cells) + " |")  # fmt: skip
        lines += ["", "The last row is the floor: real training paintings, measured against "
                  "the test split exactly as the generated images are (same count, same "
                  "features). No model can be expected to score below it."]  # fmt: skip
    if counts and len(counts) > 1:
        lines += ["", f"Not ranked: the runs were evaluated on different numbers of generated "
                  f"images ({', '.join(map(str, counts))}), and FID/KID at different counts are "
                  f"not comparable. Re-evaluate them at one count."]  # fmt: skip
    elif gains := fid_gains(summary, plan.variants):
        lines += ["", "FID, relative:", *gains]
    lines += equal_shown or []
    lines += table1_lines(plan.variants, summary, parse_budget(plan.budget)[0])
    lines += generation_table(runs_generation or {}, plan.variants)
    which = " / ".join(perceptual) or "the perceptual distance"
    lines += ["", "SSIM, MS-SSIM, recon distance and SD compare test paintings x with their "
              "reconstructions G(E(x)); models without an encoder have none (\"unavailable\"). "
              f"The perceptual columns are {which} (docs/metrics.md)."]  # fmt: skip
    if fid_png:
        lines += ["", f"![FID during training]({fid_png.name})"]
    if samples_png:
        lines += ["", f"![final samples, seed 0: {', '.join(plan.variants)}]({samples_png.name})"]
    return "\n".join(lines) + "\n"


def generation_table(gen: dict[str, dict[str, Any]], variants: list[str]) -> list[str]:
    """The generation-cost table (one row per variant, per step count for diffusion)."""
    rows = []
    for v in variants:
        for r in (gen.get(v) or {}).get("rows", []):
            steps = "1 pass" if r.get("steps") is None else f"{r['steps']} DDIM steps"
            b64 = next((val for k, val in r.items() if k.startswith("images_per_s_b")), None)
            rate = f"{b64:.1f}" if is_number(b64) else "?"
            rows.append(f"| {v} | {steps} | {r['ms_per_image_b1']:.1f} | {rate} |")
    if not rows:
        return []
    first = next(g for g in gen.values() if g)
    return ["", f"Generation cost ({first.get('precision', 'fp32')}, "
            f"{first.get('threads', '?')} threads, EMA generator; seed 0's run):", "",
            "| model | network passes | ms per image (batch 1) | images/s (batch 64) |",
            "|---|---|---|---|", *rows]  # fmt: skip


def _header(
    plan: ExperimentPlan,
    summary: dict[str, dict[str, Any]],
    command: str,
    machine: dict[str, Any],
    span: dict[str, float] | None,
) -> list[str]:
    kind, amount = parse_budget(plan.budget)
    budget = f"{amount / 60:g} min of training steps" if kind == "seconds" else f"{amount:g} steps"
    done = sum(s["n_seeds"] for s in summary.values())
    return [
        "# artgan experiment report", "",
        f"Command: `{command}`" if command else "", "",
        f"- data: `{plan.data or 'builtin:landscapes'}` at {plan.resolution} px, test split "
        f"for every metric; budget {budget} per run; precision {_precision(plan, machine)}; "
        f"seeds 0…{plan.seeds - 1}",
        f"- machine: {machine.get('processor')}, {machine.get('cpu_count')} cores, torch "
        f"{machine.get('torch')}{', GPU ' + machine['cuda'] if machine.get('cuda') else ''}",
        f"- runs finished: {done} of {len(plan.run_names())}; metrics on {plan.eval_n} "
        f"generated images (EMA generator); mean ± std over seeds",
        span_sentence(span) if span else "", "",
    ]  # fmt: skip


def _row(variant: str, s: dict[str, Any] | None) -> str:
    """One table row: steps, images shown, training and wall minutes, s/step and every
    metric column."""
    if s is None:
        return f"| {variant} | not run yet |" + " |" * (len(COLUMNS) + 4)
    steps = _cell(s["train_steps"], ".0f")
    minutes = s["train_seconds"]
    mins = per_step = "?"
    if "mean" in minutes and "mean" in s["train_steps"]:
        mins = f"{minutes['mean'] / 60:.1f}"
        per_step = f"{minutes['mean'] / max(s['train_steps']['mean'], 1):.3f}"
    wall = _cell(s["wall_seconds"], ".1f", scale=1 / 60) if "mean" in s["wall_seconds"] else "?"
    shown = (
        _cell(s["images_shown"], ".0f", scale=1e-3) + "k" if "mean" in s["images_shown"] else "?"
    )
    cells = [_cell(s[key], fmt) for key, _, _, fmt in COLUMNS]
    head = f"| {variant} | {steps} | {shown} | {mins} | {wall} | {per_step} | "
    return head + " | ".join(cells) + " |"
