"""artgan studio latency: input → new image, over real HTTP on loopback, p50/p95 at 64
and 128 px (target: under 100 ms for 128×128 on a 2-core CPU).

Each request is what the page sends while a slider moves: the same seed with a new value
of one continuous code, answered with a PNG by the running server (uvicorn, the preview
path the studio picked at start-up). Generators are freshly initialised from the model's
preset (latency does not depend on the weights), exported, and served like a trained one.

    python benchmarks/bench_studio.py [--n 60] [--models migan,dcgan] [--out DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np
import torch

from artgan import __version__
from artgan.config import SCHEMA_VERSION, resolve
from artgan.io.checkpoint import atomic_torch_save
from artgan.models import get_model, latent_spec
from artgan.sampling import EXPORT_FORMAT, EXPORT_VERSION
from artgan.studio.server import make_server, serve_in_thread

HERE = Path(__file__).resolve().parent


def export_untrained(name: str, resolution: int, path: Path) -> Path:
    cfg = resolve(name, None, [{"data": {"resolution": resolution}}])
    model_cfg = cfg.model.for_classes(0)  # "auto" codes: what a folder without classes gets
    latent = latent_spec(model_cfg)
    spec = get_model(name)
    torch.manual_seed(0)
    g = spec.generator(model_cfg, latent, resolution)
    e = spec.encoder(model_cfg, latent, resolution) if spec.encoder else None
    payload = {"format": EXPORT_FORMAT, "version": EXPORT_VERSION, "artgan_version": __version__,
               "schema_version": SCHEMA_VERSION, "model": model_cfg.model_dump(),
               "resolution": resolution,
               "class_names": [], "step": 0, "state_dict": g.state_dict(),
               "encoder": e.state_dict() if e is not None else {}}  # fmt: skip
    atomic_torch_save(payload, path)
    return path


def measure(name: str, resolution: int, n: int, work: Path) -> dict:
    import httpx

    source = export_untrained(name, resolution, work / f"{name}-{resolution}.pt")
    server, url, engine = make_server(source, port=0, out=work / f"studio-{name}-{resolution}")
    thread = serve_in_thread(server)
    codes = engine.info()["codes"]
    slider = next((c for c in codes if c != "cat"), None)
    times = []
    with httpx.Client(base_url=url, timeout=30) as client:
        for i in range(n + 5):
            value = float(np.sin(i / 5.0))  # a slider sweeping back and forth
            body = {"seed": 7, "codes": {slider: value} if slider else {}}
            if not slider:
                body["seed"] = i  # no codes: a new seed per input instead
            t = time.perf_counter()
            r = client.post("/api/render", json=body)
            dt = time.perf_counter() - t
            assert r.status_code == 200 and r.content[:4] == b"\x89PNG", r.text[:200]
            if i >= 5:  # warm-up: allocator and oneDNN kernel selection
                times.append(dt * 1000)
    server.should_exit = True
    thread.join(timeout=10)
    ms = np.array(times)
    return {"model": name, "resolution": resolution, "n": n, "input": slider or "seed",
            "preview_precision": engine.fast_rt.precision, "p50_ms": float(np.percentile(ms, 50)),
            "p95_ms": float(np.percentile(ms, 95)), "mean_ms": float(ms.mean()),
            "max_ms": float(ms.max())}  # fmt: skip


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=60, help="timed inputs per configuration")
    ap.add_argument("--models", default="migan,dcgan")
    ap.add_argument("--resolutions", default="64,128")
    ap.add_argument("--threads", type=int, default=0, help="default: all cores, at most 8")
    ap.add_argument("--out", default=str(HERE / "results"))
    a = ap.parse_args()
    if a.threads:
        torch.set_num_threads(a.threads)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in a.models.split(","):
            for res in (int(r) for r in a.resolutions.split(",")):
                row = measure(name, res, a.n, Path(tmp))
                rows.append(row)
                print(f"{name} {res}px ({row['preview_precision']}): p50 {row['p50_ms']:.1f} ms, "
                      f"p95 {row['p95_ms']:.1f} ms", flush=True)  # fmt: skip
    result = {"benchmark": "studio_latency", "threads": torch.get_num_threads(), "rows": rows,
              "torch": torch.__version__, "machine": f"{platform.machine()} {os.cpu_count()} cpus",
              "date": time.strftime("%Y-%m-%d %H:%M")}  # fmt: skip
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "studio_latency.json").write_text(json.dumps(result, indent=2))
    lines = [
        f"# Studio latency, input to new image ({result['threads']} threads)\n",
        "Round trip over HTTP on loopback (request → PNG received), one slider value per "
        "request, after 5 warm-up requests. Target: p95 < 100 ms at 128 px.\n",
        "| model | px | input | preview precision | p50 ms | p95 ms | max ms |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(f"| {r['model']} | {r['resolution']} | {r['input']} | "
                     f"{r['preview_precision']} | {r['p50_ms']:.1f} | {r['p95_ms']:.1f} | "
                     f"{r['max_ms']:.1f} |")  # fmt: skip
    (out / "studio_latency.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
