"""Idle A/B, interleaved processes: thread count 2 set by OMP_NUM_THREADS before start vs
by torch.set_num_threads at start (artgan's setup_runtime), no governor in either."""
import json, os, statistics, subprocess, sys, time
W = "migan+hinge+lean+diffaug+proj+enc-cycle@64"
CHILD = r'''
import sys, time, statistics, json
sys.path.insert(0, "benchmarks")
import torch
from artgan.runtime import setup_runtime
from bench_models import prepare
name, res = sys.argv[1].split("@")
step, _ = prepare(name, "fp32", int(res))
setup_runtime("cpu", "fp32", 2)
for _ in range(3): step()
ts = []
for _ in range(int(sys.argv[2])):
    t = time.perf_counter(); step(); ts.append(time.perf_counter() - t)
print(json.dumps({"s": statistics.median(ts), "threads": torch.get_num_threads()}))
'''
rounds, steps = int(sys.argv[1]), int(sys.argv[2])
out = {"env": [], "call": []}
for r in range(rounds):
    for mode in (("env", "call") if r % 2 == 0 else ("call", "env")):
        env = dict(os.environ, OMP_WAIT_POLICY="PASSIVE")
        env.pop("OMP_NUM_THREADS", None)
        if mode == "env":
            env["OMP_NUM_THREADS"] = "2"
        p = subprocess.run([sys.executable, "-c", CHILD, W, str(steps)], env=env,
                           capture_output=True, text=True)
        row = json.loads(p.stdout.strip().splitlines()[-1])
        out[mode].append(row["s"]); print(mode, row, flush=True)
e, c = statistics.median(out["env"]), statistics.median(out["call"])
print(f"median: env {e:.3f}, call {c:.3f}, call vs env {100*(c/e-1):+.1f}%")
