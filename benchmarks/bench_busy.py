"""Training throughput on a busy machine (#19): seconds per step idle and beside three
bounded background loads, for each thread / OpenMP wait policy, in one run.

Loads (each a separate process, started before and stopped after one measurement):
- ``cpu``: a pure-Python busy loop (one core);
- ``training``: a second training (DCGAN 64 px, one thread) stepping without pause;
- ``memory``: a process that allocates ``--memory-gb`` GB, touches every page (page
  faults), fills it (memory bandwidth), frees it and starts again.

Each measurement runs in a fresh child process (``OMP_WAIT_POLICY`` must be set before
torch loads): build the model, two warm-up steps, then the median of ``--steps`` step
times. Idle and loaded rows of one policy are measured back to back, so the ratio
"loaded / idle" compares like with like on a host whose speed drifts.

    python benchmarks/bench_busy.py [--workloads dcgan@32,dcgan@64,migan+hinge-r1+lean@64]
        [--policies 2:PASSIVE,2:ACTIVE,1:PASSIVE,2:PASSIVE:jemalloc] [--steps 6] [--out DIR]

A policy's optional third field picks the memory allocator of the measured process:
``glibc`` (default) or ``jemalloc`` / ``tcmalloc`` preloaded from the OS packages
(``apt-get install libjemalloc2`` / ``libtcmalloc-minimal4``). glibc hands every block
over 32 MB back to the kernel when it is freed (mmap), so a training step that allocates
large activations takes fresh page faults every step; each row also reports the minor
page faults per timed step, to see whether that is where a busy machine hurts.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
LOADS = ("idle", "cpu", "training", "memory")


def _measure_child(workload: str, steps: int) -> None:
    """In a child: print the median seconds per step of ``workload`` (``name@px``)."""
    import torch

    from bench_models import prepare  # benchmarks/ is on sys.path

    name, res = workload.split("@")
    step, _ = prepare(name, "fp32", int(res))
    torch.set_num_threads(int(os.environ["OMP_NUM_THREADS"]))  # prepare() set all cores
    step()
    times = []
    faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(steps):
        t = time.perf_counter()
        step()
        times.append(time.perf_counter() - t)
    faults = (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults) / steps
    print(json.dumps({"s_per_step": statistics.median(times), "threads": torch.get_num_threads(),
                      "minor_faults_per_step": faults}))  # fmt: skip


def _train_load() -> None:
    import torch

    from bench_models import prepare

    step, _ = prepare("dcgan", "fp32", 64)
    torch.set_num_threads(1)
    while True:
        step()


def _memory_load(gb: float) -> None:
    import numpy as np

    i = 0
    while True:
        a = np.empty(int(gb * 2**30), np.uint8)
        a[::4096] = 1  # one write per page: the kernel maps every page (page faults)
        a.fill(i % 251)  # then the whole range: memory bandwidth
        del a
        i += 1


def _start_load(kind: str, gb: float) -> subprocess.Popen | None:
    me = [sys.executable, str(Path(__file__).resolve())]
    env = {**os.environ, "OMP_WAIT_POLICY": "PASSIVE", "OMP_NUM_THREADS": "1"}
    cmd = {"idle": None, "cpu": [sys.executable, "-c", "while True: pass"],
           "training": [*me, "--load-train"],
           "memory": [*me, "--load-memory", str(gb)]}[kind]  # fmt: skip
    if cmd is None:
        return None
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL)
    time.sleep(8 if kind == "training" else 2)  # let the load reach its steady state
    return proc


ALLOCATORS = {"jemalloc": ("libjemalloc.so.2", "libjemalloc2"),
              "tcmalloc": ("libtcmalloc_minimal.so.4", "libtcmalloc-minimal4")}  # fmt: skip
LIB_DIRS = ("/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib64", "/usr/lib")


def allocator_env(alloc: str) -> dict[str, str]:
    """The environment that makes a child use ``alloc`` (``glibc``: none)."""
    if alloc == "glibc":
        return {}
    if alloc not in ALLOCATORS:
        sys.exit(f"unknown allocator '{alloc}' (glibc, {', '.join(ALLOCATORS)})")
    lib, package = ALLOCATORS[alloc]
    for folder in LIB_DIRS:
        if (Path(folder) / lib).is_file():
            return {"LD_PRELOAD": str(Path(folder) / lib)}
    sys.exit(f"{alloc} is not installed: apt-get install {package}")


def measure(workload: str, threads: int, policy: str, load: str, steps: int, gb: float,
            alloc: str = "glibc") -> dict:  # fmt: skip
    preload = allocator_env(alloc)  # before the load starts: a missing library exits cleanly
    proc = _start_load(load, gb)
    try:
        env = {**os.environ, "OMP_WAIT_POLICY": policy, "OMP_NUM_THREADS": str(threads),
               **preload}  # fmt: skip
        out = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--measure",
                              workload, "--steps", str(steps)], env=env,
                             capture_output=True, text=True, timeout=1800)  # fmt: skip
        if out.returncode != 0:  # the child's own last line says why (a bad workload …)
            why = (out.stderr.strip().splitlines() or ["no message"])[-1]
            sys.exit(f"error: measuring {workload} ({policy}, {load}) failed: {why}")
        row = json.loads(out.stdout.strip().splitlines()[-1])
    finally:
        if proc is not None:
            proc.kill()
            proc.wait()
    return {"workload": workload, "threads": threads, "policy": policy, "allocator": alloc,
            "load": load, **row}  # fmt: skip


def _markdown(result: dict) -> str:
    lines = [
        f"# Training throughput on a busy machine ({result['machine']})\n",
        "Seconds per training step (fp32, median of the timed steps) idle and beside each "
        "background load; `× idle` is throughput relative to the same policy idle, measured "
        "back to back. Target: ≥ 0.40 under every load.\n",
        "| workload | threads | OMP_WAIT_POLICY | allocator | "
        + " | ".join(LOADS)
        + " | worst × idle | page faults / step (idle) |",
        "|---|---|---|---|" + "---|" * len(LOADS) + "---|---|",
    ]
    groups: dict[tuple, dict[str, dict]] = {}
    for r in result["rows"]:
        key = (r["workload"], r["threads"], r["policy"], r.get("allocator", "glibc"))
        groups.setdefault(key, {})[r["load"]] = r
    for (w, t, p, alloc), rows in groups.items():
        by = {k: r["s_per_step"] for k, r in rows.items()}
        idle = by.get("idle")
        cells = [
            (
                "–"
                if k not in by
                else f"{by[k]:.3f}" + (f" ({idle / by[k]:.2f}×)" if idle and k != "idle" else "")
            )
            for k in LOADS
        ]  # fmt: skip (a load not measured keeps its column)
        worst = min((idle / v for k, v in by.items() if k != "idle"), default=float("nan"))
        faults = rows.get("idle", {}).get("minor_faults_per_step")
        fault_cell = f"{faults:,.0f}" if faults is not None else "–"
        lines.append(f"| {w} | {t} | {p} | {alloc} | " + " | ".join(cells)
                     + f" | {worst:.2f} | {fault_cell} |")  # fmt: skip
    return "\n".join(lines) + "\n"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workloads", default="dcgan@32,dcgan@64,migan+hinge-r1+lean@64")
    ap.add_argument("--policies", default="2:PASSIVE,2:ACTIVE,1:PASSIVE",
                    help="THREADS:OMP_WAIT_POLICY[:glibc|jemalloc|tcmalloc]")  # fmt: skip
    ap.add_argument("--loads", default=",".join(LOADS))
    ap.add_argument("--steps", type=int, default=6)
    ap.add_argument("--memory-gb", type=float, default=4.0)
    ap.add_argument("--out", default=str(HERE / "results"))
    ap.add_argument("--measure", help=argparse.SUPPRESS)
    ap.add_argument("--load-train", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--load-memory", type=float, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.measure:
        _measure_child(a.measure, a.steps)
        return 0
    if a.load_train:
        _train_load()
    if a.load_memory:
        _memory_load(a.load_memory)
    # every policy checked before the first measurement: a typo in the last one must not
    # cost the minutes of the ones before it
    policies = []
    for pol in a.policies.split(","):
        threads, policy, *alloc = pol.split(":")
        if not threads.isdigit() or policy not in ("ACTIVE", "PASSIVE"):
            sys.exit(f"error: policy '{pol}': use THREADS:ACTIVE|PASSIVE[:ALLOCATOR]")
        policies.append((pol, int(threads), policy, alloc[0] if alloc else "glibc"))
    rows = []
    for workload in a.workloads.split(","):
        for pol, threads, policy, allocator in policies:
            for load in a.loads.split(","):
                row = measure(workload, threads, policy, load, a.steps, a.memory_gb,
                              allocator)  # fmt: skip
                rows.append(row)
                print(f"{workload} {pol} {load}: {row['s_per_step']:.3f} s/step, "
                      f"{row['minor_faults_per_step']:,.0f} faults/step", flush=True)  # fmt: skip
    from artgan.runtime import cpu_name  # after the measurements: the parent stays light

    result = {"benchmark": "busy_machine", "rows": rows, "steps": a.steps,
              "memory_gb": a.memory_gb, "date": time.strftime("%Y-%m-%d %H:%M"),
              "machine": f"{cpu_name()}, {os.cpu_count()} cpus"}  # fmt: skip
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "busy_machine.json").write_text(json.dumps(result, indent=2))
    (out / "busy_machine.md").write_text(_markdown(result))
    print(_markdown(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
