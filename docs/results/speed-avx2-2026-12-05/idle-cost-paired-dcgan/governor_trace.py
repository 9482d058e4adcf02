"""Idle trace of the governor on one workload: every window's median, the fastest median
(_ref), the others' load read and each change; is an idle trial ever started, and why?"""
import sys, time, json
sys.path.insert(0, "benchmarks")
import torch
from artgan.runtime import setup_runtime
from bench_models import prepare
name, res = sys.argv[1].split("@"); n = int(sys.argv[2])
step, _ = prepare(name, "fp32", int(res))
rt = setup_runtime("cpu", "fp32", 0)
g = rt.governor
real = g.others
reads = []
def others():
    v = real(); reads.append(v); return v
g.others = others
times = []
for i in range(n):
    t = time.perf_counter(); step(); dt = time.perf_counter() - t; times.append(dt)
    mode0, ref0 = g.mode, g._ref
    msg = rt.step_took(dt)
    if g.mode != mode0 or msg:
        print(json.dumps({"step": i, "from": mode0, "to": g.mode, "threads": torch.get_num_threads(),
                          "ref": round(ref0, 3), "last5": [round(x, 3) for x in times[-5:]],
                          "others": reads[-1] if reads else None}), flush=True)
print(json.dumps({"steps": n, "reads_max": max((r for r in reads if r is not None), default=None),
                  "reads": [round(r, 3) if r is not None else None for r in reads],
                  "times": [round(x, 3) for x in times]}), flush=True)
