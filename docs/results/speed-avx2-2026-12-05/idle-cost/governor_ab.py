"""Idle A/B in one process: the same steps with the governor fed (auto) and without it,
in alternating blocks, 2 threads both (the governor never changes them idle)."""
import sys, time, statistics
sys.path.insert(0, "benchmarks")
import torch
from artgan.runtime import setup_runtime
from bench_models import prepare
name, res = sys.argv[1].split("@"); blocks, per = int(sys.argv[2]), int(sys.argv[3])
step, _ = prepare(name, "fp32", int(res))
rt = setup_runtime("cpu", "fp32", 0)
for _ in range(4): step()
res_ = {"governor": [], "none": []}
for b in range(blocks):
    for mode in (("governor", "none") if b % 2 == 0 else ("none", "governor")):
        ts = []
        for _ in range(per):
            t = time.perf_counter(); step(); dt = time.perf_counter() - t
            if mode == "governor":
                rt.step_took(dt)
            ts.append(dt)
        res_[mode].append(sum(ts) / per)
        assert torch.get_num_threads() == 2
print({k: [round(x, 3) for x in v] for k, v in res_.items()})
g, n = statistics.median(res_["governor"]), statistics.median(res_["none"])
print(f"median block mean: governor {g:.3f}, none {n:.3f}, cost {100*(g/n-1):+.1f}%")
