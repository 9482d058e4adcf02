"""artgan studio latency: input → new image, over real HTTP on loopback, p50/p95 at 64
and 128 px (target: under 100 ms for 128×128 on a 2-core CPU), for each route to a
preview in one run:

- ``eager``: the model itself in torch, at each ``--precisions`` value (``fp32`` is what
  a CPU without native bf16 gets; ``auto`` the faster of fp32 and bf16 here);
- ``onnx``: the model's ONNX export on onnxruntime (when installed);
- ``student``: ``--preview`` with an ``artgan distill`` student (the default DCGAN layout,
  width 32) drawing the previews, the model itself the downloads.

Each request is what the page sends while a slider moves: the same seed with a new value
of one continuous code, answered with a PNG by the running server (uvicorn, the preview
path the studio picked at start-up). Generators are freshly initialised from the model's
preset (latency does not depend on the weights), exported, and served like a trained one.

    python benchmarks/bench_studio.py [--n 60] [--models migan,dcgan] [--out DIR]
"""

from __future__ import annotations

import argparse
import importlib.util
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
from artgan.models.ema import standing_stats
from artgan.runtime import native_bf16
from artgan.sampling import EXPORT_FORMAT, EXPORT_VERSION, load_generator
from artgan.sampling.loader import write_export
from artgan.sampling.onnx import export_onnx
from artgan.studio.server import make_server, serve_in_thread
from artgan.train.distill import DistillOptions, build_student
from bench_common import cli  # benchmarks/ is on sys.path

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


def export_student(source: Path, path: Path) -> Path:
    """An untrained student of ``source``'s latent layout, written as distill writes it."""
    teacher = load_generator(source)
    torch.manual_seed(0)
    G, cfg = build_student(teacher, DistillOptions())
    return write_export(path, cfg, teacher.resolution, [], 0, standing_stats(G, teacher.latent))


def routes(name: str, resolution: int, precisions: list[str], work: Path) -> list[tuple]:
    """(route, served source, preview generator or None, precision) for one model."""
    source = export_untrained(name, resolution, work / f"{name}-{resolution}.pt")
    out = [("eager", source, None, p) for p in precisions]
    if importlib.util.find_spec("onnxruntime") and importlib.util.find_spec("onnxscript"):
        onnx = export_onnx(source, work / f"{name}-{resolution}.onnx")[0]
        out.append(("onnx", onnx, None, "fp32"))
    student = export_student(source, work / f"{name}-{resolution}-student.pt")
    out += [("student", source, student, p) for p in precisions]
    return out


def measure(source: Path, preview: Path | None, precision: str, n: int, work: Path) -> dict:
    import httpx

    server, url, engine = make_server(source, port=0, out=work / f"studio-{source.name}",
                                      precision=precision, preview=preview)  # fmt: skip
    thread = serve_in_thread(server)
    codes = engine.info()["codes"]
    slider = next((c for c in codes if c != "cat"), None)
    times = []
    # the page's token: the studio's guard refuses POSTs without it (studio/guard.py)
    headers = {"X-Artgan-Token": server.config.app.state.token}
    with httpx.Client(base_url=url, timeout=30, headers=headers) as client:
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
    return {"n": n, "input": slider or "seed", "precision": precision,
            "preview_precision": engine.fast_rt.precision, "p50_ms": float(np.percentile(ms, 50)),
            "p95_ms": float(np.percentile(ms, 95)), "mean_ms": float(ms.mean()),
            "max_ms": float(ms.max())}  # fmt: skip


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=60, help="timed inputs per configuration")
    ap.add_argument("--models", default="migan,dcgan")
    ap.add_argument("--resolutions", default="64,128")
    ap.add_argument("--precisions", default="auto,fp32",
                    help="torch routes' preview precisions (fp32: a CPU without bf16)")  # fmt: skip
    ap.add_argument("--threads", type=int, default=0, help="default: all cores, at most 8")
    ap.add_argument("--out", default=str(HERE / "results"))
    a = ap.parse_args()
    if a.threads:
        torch.set_num_threads(a.threads)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in a.models.split(","):
            for res in (int(r) for r in a.resolutions.split(",")):
                for route, source, preview, prec in routes(name, res, a.precisions.split(","),
                                                           Path(tmp)):  # fmt: skip
                    row = {"model": name, "resolution": res, "route": route,
                           **measure(source, preview, prec, a.n, Path(tmp))}  # fmt: skip
                    rows.append(row)
                    print(f"{name} {res}px {route} ({row['preview_precision']}): "
                          f"p50 {row['p50_ms']:.1f} ms, p95 {row['p95_ms']:.1f} ms")  # fmt: skip
    result = {"benchmark": "studio_latency", "threads": torch.get_num_threads(), "rows": rows,
              "torch": torch.__version__, "machine": f"{platform.machine()} {os.cpu_count()} cpus",
              "native_bf16": native_bf16(torch.device("cpu")),
              "date": time.strftime("%Y-%m-%d %H:%M")}  # fmt: skip
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "studio_latency.json").write_text(json.dumps(result, indent=2))
    lines = [
        f"# Studio latency, input to new image ({result['threads']} threads)\n",
        "Round trip over HTTP on loopback (request → PNG received), one slider value per "
        "request, after 5 warm-up requests. Target: p95 < 100 ms at 128 px. Routes: eager "
        "(the model in torch), onnx (its ONNX export on onnxruntime), student (previews by a "
        "distilled DCGAN-layout student, downloads by the model).\n",
        f"Machine: {result['machine']}, native bf16: {result['native_bf16']}.\n",
        "| model | px | route | asked | preview precision | p50 ms | p95 ms | max ms |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(f"| {r['model']} | {r['resolution']} | {r['route']} | {r['precision']} | "
                     f"{r['preview_precision']} | {r['p50_ms']:.1f} | {r['p95_ms']:.1f} | "
                     f"{r['max_ms']:.1f} |")  # fmt: skip
    (out / "studio_latency.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(cli(main))
