"""Seconds per training step for every model and each single MIGAN ablation, fp32 and
bf16, in one run, with the fraction of the machine's measured peak FLOP/s.

Each configuration runs at its preset's batch size (dcgan 64, sagan/migan 32) on the
built-in landscapes at 64×64 (data loading is not what is measured here), using the
real training step (``gan_step`` with the model's objective; for ``vae`` and ``ddpm``,
``--only vae,ddpm``, the likelihood step the trainer runs for them). FLOPs are counted once per
configuration with ``torch.utils.flop_counter`` (convolutions, matmuls and attention;
elementwise work is not counted, so the fraction of peak is a lower bound). Peak is a
large matmul timed in the same run and precision.

    python benchmarks/bench_models.py [--steps 3] [--resolution 64] [--only migan]
    python benchmarks/bench_models.py --only dcgan,migan,migan+hinge-r1,migan+lazy-gp

``--only`` takes any experiment variant (ablations and ``+OPTION``s, see
``artgan.experiments.OPTIONS``); the table gives each one's cost per image as a multiple
of plain DCGAN's and of the DCGAN row with the same augmentation/critic options, both
measured in the same run (the cheaper-MIGAN target is at most 2×). ``--render JSON``
rewrites the table from a saved result without measuring again.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import torch

from artgan.config import resolve
from artgan.data import make_landscapes
from artgan.errors import ArtganError
from artgan.experiments import ablate_variants
from artgan.experiments.plan import variant_layers
from artgan.models import get_model
from artgan.runtime import cpu_name, setup_runtime
from artgan.train.batches import BatchSource
from artgan.train.likelihood import build_likelihood_state, likelihood_step
from artgan.train.state import build_state
from artgan.train.step import gan_step
from bench_common import (  # benchmarks/ is on sys.path
    CountFlops,
    cli,
    dcgan_baseline,
    lazy_period,
    peak_flops,
    precisions,
)

HERE = Path(__file__).resolve().parent
# By default the baselines, migan and its single ablations, as the registry defines them.
VARIANTS = ["dcgan", "sagan", *ablate_variants("migan")]


def prepare(name: str, precision: str, resolution: int) -> tuple[Callable[[], None], dict]:
    """A warmed-up training step of variant ``name`` and its static facts (FLOPs, sizes)."""
    model, layers = variant_layers(name)
    cfg = resolve(
        model,
        None,
        [
            *layers,
            {
                "data": {"resolution": resolution},
                "model": {"n_categories": 4} if model == "migan" else {},
                "train": {"precision": precision, "device": "cpu"},
            },
        ],
    )
    rt = setup_runtime("cpu", precision, 0, True)
    spec = get_model(model)
    if spec.adversarial:
        state = build_state(cfg, rt)
        objective = spec.objective(cfg.model, rt, cfg.train.batch_size) if spec.objective else None
    else:  # a likelihood model (vae, ddpm): one network, its own step
        state, objective = build_likelihood_state(cfg, rt), None
    one_step = gan_step if spec.adversarial else likelihood_step
    data = make_landscapes(n=max(256, cfg.train.batch_size), resolution=resolution)
    batches = BatchSource(
        data.images,
        data.labels,
        cfg.train.batch_size,
        0,
        cfg.data.augment,
        rt.device,
        rt.memory_format,
    )

    def step() -> None:
        one_step(state, batches.get, rt, objective)

    # timed rounds (and the FLOP count) cover whole periods of the lazy terms (R1,
    # MIGAN's image cycle), so both include them at their training rate
    period = lazy_period(
        cfg.optim.n_critic,
        getattr(cfg.loss, "reg_every", 1),
        getattr(cfg.model, "cycle_every", 1),
    )
    step()  # warm-up: oneDNN primitives, allocator
    with CountFlops() as counter:
        for _ in range(period):
            step()
    facts = {
        "variant": name,
        "precision": precision,
        "batch_size": cfg.train.batch_size,
        "lazy_period": period,
        "gflop_per_step": counter.total / period / 1e9,
        # marks how the FLOPs were counted, so `--render` of an older JSON (counted on one
        # step, lazy terms possibly left out) does not claim the newer method
        "flops_over_lazy_period": True,
        "params_G": sum(p.numel() for p in state.G.parameters()),
        "params_D": sum(p.numel() for p in state.D.parameters()) if spec.adversarial else 0,
    }
    return step, facts


def time_steps(step: Callable[[], None], steps: int) -> float:
    """Mean seconds per step over ``steps`` consecutive steps."""
    t = time.perf_counter()
    for _ in range(steps):
        step()
    return (time.perf_counter() - t) / steps


def _round_steps(steps: int, period: int) -> int:
    """``steps`` rounded up to a whole number of lazy periods."""
    return -(-steps // period) * period


def measure_all(names: list[str], precision: str, resolution: int, steps: int,
                rounds: int) -> list[dict]:  # fmt: skip
    """Every variant's seconds per step, timed in ``rounds`` interleaved rounds (A B C,
    A B C, …) and reported as each variant's fastest round: a busy host slows whatever
    runs at that moment, so interleaving puts every variant through the same spells and
    the minimum is the least disturbed measurement. The spread is kept in the rows."""
    prepared = [prepare(n, precision, resolution) for n in names]
    times: list[list[float]] = [[] for _ in names]
    for _ in range(rounds):
        for i, (step, facts) in enumerate(prepared):
            times[i].append(time_steps(step, _round_steps(steps, facts["lazy_period"])))
    rows = []
    for (_, facts), ts in zip(prepared, times, strict=True):
        sec = min(ts)
        rows.append({
            **facts,
            "steps_per_round": _round_steps(steps, facts["lazy_period"]),
            "s_per_step": sec,
            "s_per_step_rounds": ts,
            "ms_per_image": 1000 * sec / facts["batch_size"],
            "achieved_gflops": facts["gflop_per_step"] / sec,
        })  # fmt: skip
    return rows


def _timing_note(result: dict) -> str:
    """How s/step was measured; results saved before rounds covered the lazy terms (no
    per-row ``steps_per_round``) are described as what they were."""
    whole_periods = "steps_per_round" in result["rows"][0]
    head = (
        f"s/step: the fastest of {result['rounds']} interleaved rounds of "
        f"{'at least ' if whole_periods else ''}"
        f"{result['steps_per_round']} steps each (every variant timed in every round, so a "
        "busy host's slow spells hit all alike)"
    )
    if whole_periods:
        flops = result["rows"][0].get("flops_over_lazy_period", False)
        return (
            head + ", rounded up to whole periods of a variant's lazy terms (R1 every k "
            "critic steps, MIGAN's image cycle every k steps; 'steps' column) so that each "
            f"round{', and the FLOP count,' if flops else ''} pays for them as training does"
            + ("" if flops else "; the FLOPs were counted on one step by an older benchmark")
            + ".\n"
        )
    return (
        head + ". Saved by an older benchmark: a round could leave out a variant's lazy "
        "terms (R1, MIGAN's image cycle), so lazy variants may look cheaper than they "
        "train.\n"
    )


def render(result: dict, skipped: str = "") -> str:
    """The markdown table of ``result`` (adds each row's per-image ratios to it)."""
    rows = result["rows"]
    lines = [
        f"# Training step cost at {result['resolution']}×{result['resolution']} "
        f"({result['threads']} threads)\n",
        f"Machine: {result.get('processor', result.get('machine', '?'))}, "
        f"torch {result.get('torch', '?')}, {result.get('date', '')}.\n",
        _timing_note(result),
        "Peak (large matmul, same run): "
        + ", ".join(f"{k} {v:.3g} GFLOP/s" for k, v in result["peak_gflops"].items())
        + "\n",
        skipped or result.get("skipped", ""),
        "× dcgan: cost per image over plain DCGAN's; × same-options dcgan: over the DCGAN "
        "row with the same augmentation/critic options (named), measured in this run.\n",
        "| variant | precision | batch | steps | s/step | ms/image | × dcgan "
        "| × same-options dcgan | GFLOP/step | % of peak | G params |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    ms = {(r["variant"], r["precision"]): r["ms_per_image"] for r in rows}
    for r in rows:
        prec = r["precision"]
        plain = ms.get(("dcgan", prec))
        r["per_image_vs_dcgan"] = r["ms_per_image"] / plain if plain else None
        base = dcgan_baseline(r["variant"], [v for v, p in ms if p == prec])
        r["same_options_dcgan"] = base
        r["per_image_vs_same_options_dcgan"] = (
            r["ms_per_image"] / ms[(base, prec)] if base else None
        )
        same = r["per_image_vs_same_options_dcgan"]
        same_text = (
            "" if same is None else f"{same:.2f}" + (f" ({base})" if base != "dcgan" else "")
        )
        ratio = r["per_image_vs_dcgan"]
        # over 100 %: an emulated precision (bf16 without AVX512-BF16), whose matmul is no
        # ceiling for its convolutions (an AVX2 EPYC's DCGAN bf16 step ran at 12× it)
        share = r["fraction_of_peak"]
        share_text = f"{100 * share:.1f}" if share <= 1 else "– (emulated)"
        lines.append(
            f"| {r['variant']} | {prec} | {r['batch_size']} | "
            f"{r.get('steps_per_round', result['steps_per_round'])} | "
            f"{r['s_per_step']:.3f} | {r['ms_per_image']:.1f} | "
            f"{'' if ratio is None else f'{ratio:.2f}'} | {same_text} | "
            f"{r['gflop_per_step']:.1f} | "
            f"{share_text} | {r['params_G'] / 1e6:.2f}M |"
        )
    lines.append("\nFLOPs count convolutions, matmuls and attention only (a lower bound).")
    return "\n".join(lines) + "\n"


def rerender(path: Path) -> int:
    """Rewrite ``model_step_cost.md`` (and the ratios in the JSON) beside a saved result."""
    try:
        result = json.loads(path.read_text())
        rows = result["rows"]
    except (OSError, ValueError, KeyError) as e:
        raise ArtganError(f"--render {path}: not a saved model_step_cost.json ({e})") from None
    if not rows:
        raise ArtganError(f"--render {path}: no rows")
    text = render(result)
    path.write_text(json.dumps(result, indent=2))
    path.with_suffix(".md").write_text(text)
    print(text)
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--resolution", type=int, default=64)
    ap.add_argument("--steps", type=int, default=3, help="timed steps per round")
    ap.add_argument("--rounds", type=int, default=3,
                    help="interleaved rounds; each variant's fastest is reported")  # fmt: skip
    ap.add_argument("--only", help="comma-separated variant names (default: all)")
    ap.add_argument("--precisions", default="auto", help="auto: fp32, and bf16 where native")
    ap.add_argument("--out", default=str(HERE / "results"))
    ap.add_argument("--render", metavar="JSON",
                    help="only rewrite the table from a saved model_step_cost.json")  # fmt: skip
    a = ap.parse_args()
    if a.render:
        return rerender(Path(a.render))
    names = a.only.split(",") if a.only else VARIANTS
    rows, peaks = [], {}
    precs, skipped = precisions(a.precisions)
    for prec in precs:
        setup_runtime("cpu", prec, 0, True)
        peaks[prec] = peak_flops(prec)
        for r in measure_all(names, prec, a.resolution, a.steps, a.rounds):
            r["fraction_of_peak"] = r["achieved_gflops"] * 1e9 / peaks[prec]
            rows.append(r)
            spread = ", ".join(f"{t:.3f}" for t in r["s_per_step_rounds"])
            print(
                f"{r['variant']:16s} {prec}: {r['s_per_step']:.3f} s/step (rounds {spread}), "
                f"{r['gflop_per_step']:.1f} GFLOP, {100 * r['fraction_of_peak']:.1f}% of peak",
                flush=True,
            )
    result = {
        "benchmark": "training_step_cost",
        "resolution": a.resolution,
        "threads": torch.get_num_threads(),
        "steps_per_round": a.steps,
        "rounds": a.rounds,
        "peak_gflops": {k: v / 1e9 for k, v in peaks.items()},
        "rows": rows,
        "torch": torch.__version__,
        "machine": f"{platform.machine()} {os.cpu_count()} cpus",
        "processor": cpu_name(),
        "skipped": skipped,
        "date": time.strftime("%Y-%m-%d %H:%M"),
    }
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    text = render(result, skipped)
    (out / "model_step_cost.json").write_text(json.dumps(result, indent=2))
    (out / "model_step_cost.md").write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(cli(main))
