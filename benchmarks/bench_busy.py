"""Training throughput on a busy machine (#19): seconds per step idle and beside three
bounded background loads, for each thread / OpenMP wait policy, in one run.

Loads (each a separate process, started before and stopped after one measurement):
- ``cpu``: a pure-Python busy loop (one core);
- ``training``: a second training (DCGAN 64 px) on all cores that never gives way (as
  another PyTorch program would; a second ``artgan train`` would narrow its team too);
- ``memory``: a process that allocates ``--memory-gb`` GB, touches every page (page
  faults), fills it (memory bandwidth), frees it and starts again;
- ``io``: write-back, as a package install does: a process writing 2 GB files to the
  output folder's disk one after another (dirty pages, the kernel's flusher threads).

Each measurement runs in a fresh child process (``OMP_WAIT_POLICY`` must be set before
torch loads): build the model, two warm-up steps, then the median of ``--steps`` step
times. Idle and loaded rows of one policy are measured back to back, so the ratio
"loaded / idle" compares like with like on a host whose speed drifts.

    python benchmarks/bench_busy.py [--workloads dcgan@32,dcgan@64,migan+hinge-r1+lean@64]
        [--policies auto:PASSIVE,2:PASSIVE,2:ACTIVE,1:PASSIVE,2:PASSIVE:jemalloc]
        [--precision auto|fp32|bf16] [--steps 6] [--out DIR]

``auto`` threads is artgan's default: all cores, and fewer while the steps are slow
(``artgan.runtime.threads.ThreadGovernor``, fed each step's time as the trainer feeds it;
it gets three windows of warm-up steps to react before the timed ones).

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

from bench_args import workloads

HERE = Path(__file__).resolve().parent
LOADS = ("idle", "cpu", "training", "memory", "io")


def _measure_child(workload: str, steps: int, precision: str) -> None:
    """In a child: print the median seconds per step of ``workload`` (``name@px``), its
    page faults per step and the share of CPU time the hypervisor took (steal)."""
    import torch

    from artgan.runtime import resolve_precision, setup_runtime
    from artgan.runtime.threads import cpu_ticks  # steal: a load no process here controls
    from bench_models import prepare  # benchmarks/ is on sys.path

    name, res = workload.split("@")
    step, _ = prepare(name, precision, int(res))
    # threads 0: artgan's default, all cores and the governor that narrows the team
    # while steps are slow (artgan.runtime.threads), fed as the trainer feeds it
    rt = setup_runtime("cpu", precision, int(os.environ.get("OMP_NUM_THREADS", "0")))

    def timed() -> float:
        t = time.perf_counter()
        step()
        took = time.perf_counter() - t
        rt.step_took(took)
        return took

    # a governed run gets the steps it needs to react (two windows and a trial) first:
    # a training meets a load for hundreds of steps, the timed steps are its steady state
    for _ in range(3 * rt.governor.window + 2 if rt.governor else 1):
        timed()
    r0, cpu0 = resource.getrusage(resource.RUSAGE_SELF), cpu_ticks()
    times = [timed() for _ in range(steps)]
    r1, cpu1 = resource.getrusage(resource.RUSAGE_SELF), cpu_ticks()
    d = [b - a for a, b in zip(cpu0, cpu1, strict=True)]
    print(json.dumps({"s_per_step": statistics.median(times), "threads": torch.get_num_threads(),
                      "precision": resolve_precision(precision, torch.device("cpu")),
                      "minor_faults_per_step": (r1.ru_minflt - r0.ru_minflt) / steps,
                      "major_faults_per_step": (r1.ru_majflt - r0.ru_majflt) / steps,
                      "steal": d[7] / max(sum(d[:8]), 1) if len(d) > 7 else 0.0}))  # fmt: skip


def _train_load(precision: str) -> None:
    import torch

    from artgan.runtime import default_threads
    from bench_models import prepare

    step, _ = prepare("dcgan", precision, 64)
    torch.set_num_threads(default_threads())
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


def _io_file(folder: str, pid: int) -> Path:
    """Where the io load of process ``pid`` writes."""
    return Path(folder) / f".bench_busy_io_{pid}"


def _io_load(folder: str) -> None:
    block = os.urandom(2**20)
    path = _io_file(folder, os.getpid())
    try:
        while True:
            with path.open("wb") as f:
                for _ in range(2048):  # 2 GB, written through the page cache
                    f.write(block)
            path.unlink()
    finally:  # killed: the parent removes the file (SIGKILL skips this)
        path.unlink(missing_ok=True)


def _start_load(kind: str, gb: float, folder: str, precision: str) -> subprocess.Popen | None:
    me = [sys.executable, str(Path(__file__).resolve())]
    env = {**os.environ, "OMP_WAIT_POLICY": "PASSIVE"}
    cmd = {"idle": None, "cpu": [sys.executable, "-c", "while True: pass"],
           "training": [*me, "--load-train", "--precision", precision],
           "memory": [*me, "--load-memory", str(gb)],
           "io": [*me, "--load-io", folder]}[kind]  # fmt: skip
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
            alloc: str = "glibc", folder: str = ".", precision: str = "auto") -> dict:  # fmt: skip
    preload = allocator_env(alloc)  # before the load starts: a missing library exits cleanly
    proc = _start_load(load, gb, folder, precision)
    try:
        env = {**os.environ, "OMP_WAIT_POLICY": policy, **preload}
        env.pop("OMP_NUM_THREADS", None)
        if threads:  # 0: artgan's default (all cores, adapting)
            env["OMP_NUM_THREADS"] = str(threads)
        out = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--measure",
                              workload, "--steps", str(steps), "--precision", precision], env=env,
                             capture_output=True, text=True, timeout=1800)  # fmt: skip
        if out.returncode != 0:  # the child's own last line says why (a bad workload …)
            why = (out.stderr.strip().splitlines() or ["no message"])[-1]
            sys.exit(f"error: measuring {workload} ({policy}, {load}) failed: {why}")
        row = json.loads(out.stdout.strip().splitlines()[-1])
    finally:
        if proc is not None:
            proc.kill()
            proc.wait()
            _io_file(folder, proc.pid).unlink(missing_ok=True)  # SIGKILL skipped its own
    return {"workload": workload, "policy": policy, "allocator": alloc, "load": load, **row,
            "threads_set": threads}  # fmt: skip


def _markdown(result: dict) -> str:
    lines = [
        f"# Training throughput on a busy machine ({result['machine']})\n",
        f"Seconds per training step ({result.get('precision', 'fp32')}, median of the timed "
        f"steps, median of {result.get('rounds', 1)} round(s)) idle and beside each "
        "background load; `× idle` is throughput relative to the same policy idle, "
        "measured back to back. Target: ≥ 0.40 under every load. `idle vs best` compares "
        "single processes' idle rows, which differ by 10–20 % between processes of one "
        "policy on a shared virtual machine: the default's idle cost is measured within "
        "one process by `bench_idle_cost.py` (`idle_cost.md`). `steal` "
        "is the largest share of CPU time the hypervisor gave to other machines during any "
        "row of the policy (a load no process inside this machine can control).\n",
        "| workload | threads | OMP_WAIT_POLICY | allocator | "
        + " | ".join(LOADS)
        + " | worst × idle | idle vs best | faults / step idle (major) | steal |",
        "|---|---|---|---|" + "---|" * len(LOADS) + "---|---|---|---|",
    ]
    groups: dict[tuple, dict[str, list[dict]]] = {}
    for r in result["rows"]:
        threads = r.get("threads_set", r["threads"]) or "auto"
        key = (r["workload"], threads, r["policy"], r.get("allocator", "glibc"))
        groups.setdefault(key, {}).setdefault(r["load"], []).append(r)
    med = statistics.median
    best_idle: dict[str, float] = {}
    for (w, *_), rows in groups.items():
        if "idle" in rows:
            idle_s = med(r["s_per_step"] for r in rows["idle"])
            best_idle[w] = min(best_idle.get(w, float("inf")), idle_s)
    for (w, t, p, alloc), rows in groups.items():
        by = {k: med(r["s_per_step"] for r in rs) for k, rs in rows.items()}
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
        cost = f"{idle / best_idle[w] - 1:+.1%}" if idle else "–"
        faults = "–"
        if r_idle := rows.get("idle"):
            minor = med(r["minor_faults_per_step"] for r in r_idle)
            major = med(r.get("major_faults_per_step", 0) for r in r_idle)
            faults = f"{minor:,.0f} ({major:,.0f})"
        steal = max(r.get("steal", 0.0) for rs in rows.values() for r in rs)
        worst_cell = f"{worst:.2f}" if worst == worst else "–"  # nan: no load measured
        lines.append(f"| {w} | {t} | {p} | {alloc} | " + " | ".join(cells)
                     + f" | {worst_cell} | {cost} | {faults} | {steal:.1%} |")  # fmt: skip
    return "\n".join(lines) + "\n"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    # MIGAN as the comparisons train it (the whole CPU recipe)
    ap.add_argument(
        "--workloads", default="dcgan@32,dcgan@64,migan+hinge+lean+diffaug+proj+enc-cycle@64"
    )
    ap.add_argument("--precision", default="auto", choices=["auto", "fp32", "bf16"],
                    help="as artgan train takes it (auto: bf16 where native)")  # fmt: skip
    ap.add_argument("--policies", default="auto:PASSIVE,2:PASSIVE,1:PASSIVE",
                    help="THREADS|auto:OMP_WAIT_POLICY[:glibc|jemalloc|tcmalloc] (auto: "
                    "artgan's default, all cores and fewer while steps are slow)")  # fmt: skip
    ap.add_argument("--loads", default=",".join(LOADS))
    ap.add_argument("--steps", type=int, default=6)
    ap.add_argument("--rounds", type=int, default=1,
                    help="measure every row this many times (interleaved); the table "
                    "shows the medians")  # fmt: skip
    ap.add_argument("--memory-gb", type=float, default=4.0)
    ap.add_argument("--out", default=str(HERE / "results"))
    ap.add_argument("--measure", help=argparse.SUPPRESS)
    ap.add_argument("--load-train", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--load-memory", type=float, help=argparse.SUPPRESS)
    ap.add_argument("--load-io", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.measure:
        _measure_child(a.measure, a.steps, a.precision)
        return 0
    if a.load_train:
        _train_load(a.precision)
    if a.load_memory:
        _memory_load(a.load_memory)
    if a.load_io:
        _io_load(a.load_io)
    if a.steps < 1 or a.rounds < 1 or a.memory_gb <= 0:
        sys.exit("error: --steps and --rounds must be at least 1, --memory-gb above 0")
    loads = a.loads.split(",")
    if bad := [x for x in loads if x not in LOADS]:
        sys.exit(f"error: unknown load '{bad[0]}' (choose from {', '.join(LOADS)})")
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    # every policy checked before the first measurement: a typo in the last one must not
    # cost the minutes of the ones before it
    policies = []
    for pol in a.policies.split(","):
        threads, policy, *alloc = pol.split(":")
        if not (threads.isdigit() or threads == "auto") or policy not in ("ACTIVE", "PASSIVE"):
            sys.exit(f"error: policy '{pol}': use THREADS|auto:ACTIVE|PASSIVE[:ALLOCATOR]")
        n = 0 if threads == "auto" else int(threads)
        policies.append((pol, n, policy, alloc[0] if alloc else "glibc"))
    rows = []
    for workload in workloads(a.workloads):
        for rnd in range(a.rounds):  # rounds interleave the policies: drift hits all alike
            for pol, threads, policy, allocator in policies:
                for load in loads:
                    row = measure(workload, threads, policy, load, a.steps, a.memory_gb,
                                  allocator, str(out), a.precision)  # fmt: skip
                    rows.append({**row, "round": rnd})
                    faults = row["minor_faults_per_step"]
                    print(f"{workload} {pol} {load}: {row['s_per_step']:.3f} s/step, "
                          f"{faults:,.0f} faults/step", flush=True)  # fmt: skip
    from artgan.runtime import cpu_name  # after the measurements: the parent stays light

    result = {"benchmark": "busy_machine", "rows": rows, "steps": a.steps, "rounds": a.rounds,
              "memory_gb": a.memory_gb, "date": time.strftime("%Y-%m-%d %H:%M"),
              "machine": f"{cpu_name()}, {os.cpu_count()} cpus",
              "precision": "/".join(sorted({r["precision"] for r in rows}))}  # fmt: skip
    (out / "busy_machine.json").write_text(json.dumps(result, indent=2))
    (out / "busy_machine.md").write_text(_markdown(result))
    print(_markdown(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
