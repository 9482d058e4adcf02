"""Run every benchmark in one go and collect their markdown summaries.

    python benchmarks/run_all.py [--quick] [--run RUN] [--assemble] [--out DIR]

Each benchmark measures its ratios within one run (the machine is noisy); this script
only runs them one after another and writes ``benchmarks/results/SUMMARY.md``. Sizes
are chosen so the whole set takes about an hour on 2 cores (58 minutes on an AVX2-only
EPYC, 2026-12-05, before the idle-cost benchmark's 10–15 minutes were added). With
``--run`` (a trained run of a one-pass model) it also measures what the int8 ONNX
export costs in FID and buys in speed (``bench_int8.py``), which needs trained weights.
``--out`` keeps a second machine kind's tables apart (e.g. an AVX2-only CPU's beside a
native-bf16 one's).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
BENCHES = [
    ("trainer vs bare loop", "bench_trainer.py", ["--steps", "20", "--rounds", "2"],
     ["--steps", "10", "--rounds", "1"]),
    ("training step cost per model", "bench_models.py", [],
     ["--steps", "1", "--rounds", "1", "--resolution", "32"]),
    ("generation images/s (batch 1, 64; fp32, bf16, channels_last, onnxruntime)",
     "bench_generation.py", [], ["--reps", "5", "--resolution", "32"]),
    ("studio input-to-image latency (64, 128 px; eager, onnx, distilled preview)",
     "bench_studio.py", [], ["--n", "10"]),
    ("metric extraction speed and bf16 FID drift", "bench_metrics.py",
     ["--n", "1000", "--speed-images", "100"],
     ["--n", "100", "--speed-images", "40"]),
    ("training throughput beside background loads (cpu, training, memory, io)",
     "bench_busy.py", ["--steps", "8"],
     ["--workloads", "dcgan@32", "--policies", "auto:PASSIVE", "--steps", "2",
      "--memory-gb", "1"]),
    ("idle cost of auto threads (paired blocks in one process)", "bench_idle_cost.py", [],
     ["--workloads", "dcgan@32", "--processes", "1", "--blocks", "2", "--per", "1"]),
]  # fmt: skip
OUTPUTS = [
    "trainer_throughput.md",
    "model_step_cost.md",
    "generation_speed.md",
    "studio_latency.md",
    "metrics_speed.md",
    "busy_machine.md",
    "idle_cost.md",
]
INT8 = ("int8 ONNX export: speed and FID cost", "bench_int8.py", ["--n", "1000", "--ref-n", "1000"],
        ["--n", "50", "--ref-n", "50", "--reps", "3", "--rounds", "1"])  # fmt: skip


def _recorded(table: Path, key: str) -> object:
    """A field the benchmark behind ``table`` saved in its JSON, None if absent: when and
    where it measured (file times say nothing after a checkout, and ``--assemble`` may
    run on another machine than the one measured)."""
    try:
        return json.loads(table.with_suffix(".json").read_text())[key]
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _machine(results: Path) -> str:
    """The measured machine as the tables recorded it, else this one."""
    from artgan.runtime import cpu_name, native_bf16

    name = _recorded(results / "model_step_cost.md", "processor") or cpu_name()
    bf16 = _recorded(results / "studio_latency.md", "native_bf16")
    if bf16 is None:
        import torch

        bf16 = native_bf16(torch.device("cpu"))
    return f"{name}, {os.cpu_count()} CPUs, " + (
        "native bf16" if bf16 else "no native bf16 (fp32 only)")  # fmt: skip


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    ap.add_argument("--run", help="a trained run: also measure its int8 ONNX export")
    ap.add_argument("--assemble", action="store_true",
                    help="run nothing: rebuild SUMMARY.md from the tables already there "
                    "(after rerunning one benchmark alone), naming the command that "
                    "measured them")  # fmt: skip
    ap.add_argument("--out", help="results folder (default: benchmarks/results, or its quick/ "
                    "subfolder with --quick)")  # fmt: skip
    a = ap.parse_args()
    # bench_int8 runs last: a run folder it cannot read must fail now, not after the rest
    if a.run and not all((Path(a.run) / f).exists() for f in ("config.yaml", "checkpoints")):
        print(f"error: --run {a.run}: not a training run folder (no config.yaml or checkpoints/)",
              file=sys.stderr)  # fmt: skip
        return 2
    # A quick run must not overwrite the full results.
    results = Path(a.out) if a.out else HERE / "results" / ("quick" if a.quick else "")
    if a.assemble and not results.is_dir():
        print(f"error: --assemble: no results folder {results}", file=sys.stderr)
        return 2
    int8 = [(INT8[0], INT8[1], [a.run, *INT8[2]], [a.run, *INT8[3]])] if a.run else []
    for title, script, full, quick in [] if a.assemble else [*BENCHES, *int8]:
        print(f"== {title}", flush=True)
        t = time.perf_counter()
        sizes = quick if a.quick else full
        args = [sys.executable, str(HERE / script), *sizes, "--out", str(results)]
        code = subprocess.run(args).returncode
        if code != 0:  # the benchmark has said why; no traceback of ours on top
            print(f"error: {script} failed (exit status {code})", file=sys.stderr)
            return 1
        print(f"   ({time.perf_counter() - t:.0f} s)", flush=True)
    cmd = "python benchmarks/run_all.py" + (" --quick" if a.quick else "") + (
        f" --run {a.run}" if a.run else "") + (f" --out {a.out}" if a.out else "")  # fmt: skip
    made = results / "run_all.json"  # the command that measured, which --assemble keeps
    if not a.assemble:
        made.write_text(json.dumps({"command": cmd, "date": time.strftime("%Y-%m-%d %H:%M")}))
    elif (recorded := _recorded(made, "command")) is not None:
        cmd = str(recorded)
    with_int8 = a.run or (a.assemble and (results / "int8.md").is_file())
    names = [n for n in OUTPUTS + (["int8.md"] if with_int8 else [])  # no stale int8 table
             if (results / n).is_file()]  # fmt: skip
    written = ", ".join(f"{n} {_recorded(results / n, 'date') or '(date not recorded)'}"
                        for n in names)  # fmt: skip
    # artgan (and torch) imported only now: this process stays light while benchmarks run
    parts = [f"# Benchmark summary\n\n{_machine(results)}. Made by `{cmd}` "
             "(a table rerun alone afterwards is put together with `--assemble`); "
             f"measured: {written}.\n"]  # fmt: skip
    parts += [(results / n).read_text() for n in names]
    (results / "SUMMARY.md").write_text("\n".join(parts))
    print(f"wrote {results / 'SUMMARY.md'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
