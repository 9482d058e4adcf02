"""What artgan's default threads cost on an idle machine (#19): ``auto`` against the same
number of threads pinned (``--threads N``), as paired blocks of steps in one process.

``artgan train`` with ``--threads`` left at 0 and with ``--threads N`` (N = the cores it
would use) differ in one thing: the first feeds each step's time to a
``ThreadGovernor`` that may narrow the team while steps are slow
(``artgan.runtime.threads``). Both set the count with ``torch.set_num_threads``.

Why not separate processes: on a shared virtual machine, two processes of one policy
differ by up to 12–19 %, mostly persistently (an A/A check on an AVX2-only EPYC, DCGAN
32 px, 2026-12-06: docs/results/speed-avx2-2026-12-05/idle-cost-aa/), and the host
drifts by as much within minutes — more than the 5 % being tested. So each process here
runs both arms: blocks of about ``--block-s`` seconds (or ``--per`` steps; whole periods
of the lazy terms, so both arms time the same mix of steps) alternate A B B A …, the
governor fed in its blocks and not in the others, the full team restored before every
pinned block, the governor's own count before every governed one. Its warm-up is the
governor's (three windows and a trial) and feeds it, as a training's first steps do.
Fresh processes (``--processes``) check that the answer does not hang on one process.

The cost is the geometric mean of governed / pinned over all block pairs, with a 95 %
bootstrap interval that resamples processes, then block pairs within them.

    python benchmarks/bench_idle_cost.py [--workloads dcgan@32,dcgan@64,migan+…@64]
        [--processes 2] [--blocks 8] [--block-s 8 | --per STEPS] [--precision auto]
        [--out DIR]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

from bench_args import workloads

HERE = Path(__file__).resolve().parent
TARGET = 0.05  # the bound on the default's idle cost
WORKLOADS = "dcgan@32,dcgan@64,migan+hinge+lean+diffaug+proj+enc-cycle@64"


def _measure_child(workload: str, blocks: int, per: int, block_s: float, precision: str) -> None:
    """In a child: print one JSON line, the mean seconds per step of every governed and
    every pinned block, and the thread counts the governor chose. ``per`` 0: as many
    steps as take about ``block_s`` seconds (from the warm-up's median step)."""
    import torch

    from artgan.runtime import setup_runtime
    from artgan.runtime.threads import ThreadGovernor
    from bench_models import prepare  # benchmarks/ is on sys.path

    name, res = workload.split("@")
    step, facts = prepare(name, precision, int(res))
    rt = setup_runtime("cpu", precision, 0)  # threads 0: artgan's default, governed
    full, gov = torch.get_num_threads(), rt.governor
    period = facts["lazy_period"]

    def timed(fed: bool) -> float:
        """One step's seconds, told to the governor in its arm (as the trainer tells it)."""
        t = time.perf_counter()
        step()
        took = time.perf_counter() - t
        if fed:
            rt.step_took(took)
        return took

    def block(fed: bool) -> float:
        torch.set_num_threads(gov.threads if fed and gov else full)
        t0 = time.perf_counter()  # around the whole block: the governor's bookkeeping counts
        for _ in range(per):
            timed(fed)
        return (time.perf_counter() - t0) / per

    # the governor's warm-up (three windows and a trial), fed as a training's first steps
    warm = [timed(True) for _ in range(-(-(3 * ThreadGovernor.window + 2) // period) * period)]
    per = per or max(1, round(block_s / statistics.median(warm)))
    per = -(-per // period) * period  # whole lazy periods
    out: dict[str, list] = {"governed": [], "pinned": [], "threads": []}
    for b in range(blocks):
        for fed in (True, False) if b % 2 == 0 else (False, True):
            out["governed" if fed else "pinned"].append(block(fed))
        out["threads"].append(gov.threads if gov else full)
    print(json.dumps({**out, "per": per, "full": full, "governed_at_all": gov is not None}))


def measure(workload: str, blocks: int, per: int, block_s: float, precision: str) -> dict:
    """One fresh process's blocks (``OMP_WAIT_POLICY`` as artgan sets it)."""
    # OMP_NUM_THREADS dropped: artgan's own default decides, as for a user (and its import
    # sets OMP_WAIT_POLICY=PASSIVE unless the caller chose one)
    env = {k: v for k, v in os.environ.items() if k != "OMP_NUM_THREADS"}
    out = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--measure", workload,
                          "--blocks", str(blocks), "--per", str(per), "--block-s", str(block_s),
                          "--precision", precision],
                         env=env, capture_output=True, text=True, timeout=3600)  # fmt: skip
    if out.returncode != 0:  # the child's own last line says why (a bad workload …)
        why = (out.stderr.strip().splitlines() or ["no message"])[-1]
        sys.exit(f"error: measuring {workload} failed: {why}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def summarize(procs: list[dict], resamples: int = 4000, seed: int = 0) -> dict:
    """Geometric-mean cost ``governed / pinned − 1`` over all block pairs, with a 95 %
    interval from a two-level bootstrap (processes, then block pairs within each)."""
    logs = [[math.log(g / p) for g, p in zip(r["governed"], r["pinned"], strict=True)]
            for r in procs]  # fmt: skip
    flat = [x for p in logs for x in p]
    rng = random.Random(seed)
    means = []
    for _ in range(resamples):
        pick = [logs[rng.randrange(len(logs))] for _ in logs]
        draw = [p[rng.randrange(len(p))] for p in pick for _ in p]
        means.append(sum(draw) / len(draw))
    means.sort()
    lo, hi = means[int(0.025 * resamples)], means[int(0.975 * resamples) - 1]
    return {
        "cost": math.exp(sum(flat) / len(flat)) - 1,
        "ci95": [math.exp(lo) - 1, math.exp(hi) - 1],
        "per_process": [math.exp(sum(p) / len(p)) - 1 for p in logs],
        "governed_slower": sum(x > 0 for x in flat),
        "pairs": len(flat),
    }


def verdict(s: dict, target: float = TARGET) -> str:
    """Within the target only when the whole interval is; over it only when all of it is."""
    if s["ci95"][1] <= target:
        return "within"
    if s["ci95"][0] > target:
        return "over"
    return "undecided"


def _markdown(result: dict) -> str:
    lines = [
        f"# Idle cost of `auto` threads ({result['machine']})\n",
        f"One process per row's run, both arms in it ({result['precision']}): blocks of steps "
        "with the thread governor fed (`auto`, artgan's default) and with the same team "
        f"pinned (`--threads N`), alternating A B B A … for {result['blocks']} blocks each, "
        f"in {result['processes']} fresh process(es). `cost` is the geometric mean of "
        "governed / pinned over all block pairs, with a 95 % bootstrap interval (processes, "
        f"then block pairs). Target: within {TARGET:.0%}; `within` only when the whole "
        "interval is.\n",
        "| workload | steps / block | s / step auto | s / step pinned | cost (95 % interval) "
        "| per process | auto slower | verdict | auto's threads |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for w in result["workloads"]:
        s, ps = w["summary"], w["processes"]
        gov = statistics.median(x for p in ps for x in p["governed"])
        pin = statistics.median(x for p in ps for x in p["pinned"])
        threads = sorted({t for p in ps for t in p["threads"]})
        lo, hi = s["ci95"]
        lines.append(
            f"| {w['workload']} | {'/'.join(sorted({str(p['per']) for p in ps}))} "
            f"| {gov:.3f} | {pin:.3f} "
            f"| {s['cost']:+.1%} ({lo:+.1%} … {hi:+.1%}) "
            f"| {', '.join(f'{c:+.1%}' for c in s['per_process'])} "
            f"| {s['governed_slower']} of {s['pairs']} | {w['verdict']} "
            f"| {', '.join(map(str, threads))} (of {ps[0]['full']}) |"
        )
    return (
        "\n".join(lines)
        + "\n\n`s / step`: median block. "
        + ("`auto's threads`: the counts the governor held at the ends of its blocks.\n")
    )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workloads", default=WORKLOADS)
    ap.add_argument("--processes", type=int, default=2, help="fresh processes per workload")
    ap.add_argument("--blocks", type=int, default=8, help="blocks per arm and process")
    ap.add_argument(
        "--per",
        type=int,
        default=0,
        help="steps per block, rounded up to whole lazy periods (0: --block-s)",
    )
    ap.add_argument("--block-s", type=float, default=8.0,
                    help="seconds per block, where --per is 0")  # fmt: skip
    ap.add_argument("--precision", default="auto", choices=["auto", "fp32", "bf16"])
    ap.add_argument("--out", default=str(HERE / "results"))
    ap.add_argument("--measure", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if min(a.processes, a.blocks) < 1 or a.per < 0 or a.block_s <= 0:
        sys.exit("error: --processes and --blocks must be at least 1, --per at least 0, "
                 "--block-s above 0")  # fmt: skip
    if a.measure:
        _measure_child(a.measure, a.blocks, a.per, a.block_s, a.precision)
        return 0
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    rows = []
    for workload in workloads(a.workloads):
        procs = []
        for i in range(a.processes):
            procs.append(measure(workload, a.blocks, a.per, a.block_s, a.precision))
            s = summarize(procs)
            print(f"{workload} process {i + 1}: cost so far {s['cost']:+.1%} "
                  f"({s['ci95'][0]:+.1%} … {s['ci95'][1]:+.1%})", flush=True)  # fmt: skip
        s = summarize(procs)
        rows.append({"workload": workload, "processes": procs, "summary": s,
                     "verdict": verdict(s)})  # fmt: skip
    import torch  # after the measurements: the parent stays light

    from artgan.runtime import cpu_name, resolve_precision

    result = {"benchmark": "idle_cost", "workloads": rows, "processes": a.processes,
              "blocks": a.blocks, "date": time.strftime("%Y-%m-%d %H:%M"),
              "precision": resolve_precision(a.precision, torch.device("cpu")),
              "machine": f"{cpu_name()}, {os.cpu_count()} cpus"}  # fmt: skip
    (out / "idle_cost.json").write_text(json.dumps(result, indent=2))
    (out / "idle_cost.md").write_text(_markdown(result))
    print(_markdown(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
