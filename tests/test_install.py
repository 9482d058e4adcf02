"""The route a new user takes without the Makefile: a fresh virtual environment,
``pip install torch==2.13.0`` then ``pip install .``; then ``artgan doctor``, a few MIGAN
steps (the VGG19 perceptual loss) and ``artgan evaluate`` with FID and KID on two
folders (the Inception network) must all work from what that installed."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import venv

import numpy as np
import pytest
from PIL import Image

from artgan.io.checkpoint import load_checkpoint
from helpers import ROOT

pytestmark = pytest.mark.slow


def _run(cmd: list[str], **kw) -> subprocess.CompletedProcess:
    r = subprocess.run(cmd, capture_output=True, text=True, **kw)
    assert r.returncode == 0, f"{' '.join(cmd)}\n{r.stdout[-2000:]}\n{r.stderr[-3000:]}"
    return r


def _folder(path, seed: int, n: int = 20):
    path.mkdir(parents=True)
    rng = np.random.default_rng(seed)
    for i in range(n):
        Image.fromarray(rng.integers(0, 255, (24, 24, 3), np.uint8)).save(path / f"{i}.png")
    return path


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX venv layout")
def test_pip_install_dot_gives_everything_a_default_run_needs(tmp_path):
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    pip, exe = env_dir / "bin" / "pip", env_dir / "bin" / "artgan"
    # No cache dir: a user's first install; the index serves the CPU torch wheel locally.
    _run([str(pip), "install", "-q", "--no-cache-dir", "torch==2.13.0"])
    _run([str(pip), "install", "-q", "--no-cache-dir", str(ROOT)])
    env = {**os.environ, "ARTGAN_CACHE": str(tmp_path / "cache"), "OMP_WAIT_POLICY": "PASSIVE"}
    env.pop("PYTHONPATH", None)
    doctor = _run([str(exe), "doctor", "--json"], env=env, cwd=tmp_path)
    assert '"ok": true' in doctor.stdout
    data = _folder(tmp_path / "paintings", 0)
    _run([str(exe), "train", "--model", "migan", "--data", str(data), "--resolution", "16",
          "--steps", "2", "--batch-size", "8", "--no-progress", "--out", str(tmp_path / "run"),
          "--set", "model.cycle_batch=4", "--set", f"data.cache_dir={tmp_path / 'cache'}"],
         env=env, cwd=tmp_path)  # fmt: skip
    assert load_checkpoint(tmp_path / "run" / "checkpoints" / "latest.pt")["step"] == 2
    other = _folder(tmp_path / "other", 1)
    res_path = tmp_path / "eval.json"
    out = _run([str(exe), "evaluate", "--real", str(data), "--fake", str(other),
                "--metrics", "fid,kid,lpips", "--no-progress", "--json", str(res_path)],
               env=env, cwd=tmp_path)  # fmt: skip
    res = json.loads(res_path.read_text())
    # two folders of different noise: a real, positive distance from the installed Inception
    assert math.isfinite(res["fid"]) and res["fid"] > 0 and math.isfinite(res["kid"])
    # no lpips package (it needs --no-deps): the VGG19 substitute runs under its own name
    # and the note names the install
    assert res["perceptual_metric"] == "vgg19-perceptual (not LPIPS)"
    assert "pip install --no-deps lpips==0.1.4" in res["perceptual_note"]
    assert "vgg19-perceptual (not LPIPS)" in out.stdout
