"""kill -9 at random moments of a training process that writes a checkpoint every step:
after every kill each checkpoint file that exists loads, no temp file survives the next
start, and the run, resumed after every kill, ends bit-identical to an uninterrupted one."""

from __future__ import annotations

import random
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from artgan.io.checkpoint import load_checkpoint
from helpers import flat

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL"),
]

STEPS = 40
TINY = [
    "--model", "dcgan", "--resolution", "16", "--batch-size", "8", "--no-progress",
    "--sample-every", "3", "--ckpt-every", "1", "--threads", "1",
    "--set", "model.g_channels=8", "--set", "model.d_channels=8", "--set", "model.z_dim=16",
    "--set", "train.n_samples=4", "--set", "train.keep_checkpoints=3",
]  # fmt: skip


def _artgan(*args: str) -> list[str]:
    return [str(Path(sys.executable).parent / "artgan"), *args]


def _newest_step(run: Path) -> int:
    steps = [int(m.group(1)) for f in (run / "checkpoints").glob("ckpt_*.pt")
             if (m := re.match(r"ckpt_(\d+)\.pt$", f.name))]  # fmt: skip
    return max(steps, default=0)


def _check_every_checkpoint_loads(run: Path) -> None:
    for f in sorted((run / "checkpoints").glob("*.pt")):
        ckpt = load_checkpoint(f)  # raises on a torn file
        assert 0 < ckpt["step"] <= STEPS


def test_random_kill9_during_checkpoint_writes_loses_nothing(tmp_path, tiny_data):
    from helpers import write_class_folders

    data = write_class_folders(tmp_path / "paintings", tiny_data, n=24)
    common = [*TINY, "--data", str(data), "--set", f"data.cache_dir={tmp_path / 'cache'}"]
    full = tmp_path / "full"
    subprocess.run(_artgan("train", *common, "--steps", str(STEPS), "--out", str(full)),
                   check=True, capture_output=True)  # fmt: skip

    run, rng, kills = tmp_path / "killed", random.Random(1234), 0
    cmd = _artgan("train", *common, "--steps", str(STEPS), "--out", str(run))
    for _ in range(10):  # bounded: at most 10 kills
        start = _newest_step(run)
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 120
        while _newest_step(run) == start and proc.poll() is None and time.time() < deadline:
            time.sleep(0.01)  # wait for this process's first checkpoint: the loop runs
        time.sleep(rng.uniform(0.0, 0.4))  # a random moment; most of it is spent saving
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            kills += 1
        proc.wait(timeout=60)
        _check_every_checkpoint_loads(run)
        if load_checkpoint(run / "checkpoints" / "latest.pt")["step"] >= STEPS:
            break
        cmd = _artgan("train", "--resume", str(run), "--steps", str(STEPS))
    assert kills >= 3, "the runs finished before they could be killed: the test lost its point"
    done = subprocess.run(_artgan("train", "--resume", str(run), "--steps", str(STEPS)),
                          capture_output=True, text=True)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert list(run.rglob(".*.tmp")) == []  # the last start removed the killed writes' temps

    a = load_checkpoint(full / "checkpoints" / "latest.pt")
    b = load_checkpoint(run / "checkpoints" / "latest.pt")
    assert a["step"] == b["step"] == STEPS
    for part in ("models", "optim", "rng"):
        fa, fb = flat(a[part]), flat(b[part])
        assert fa.keys() == fb.keys()
        for key, va in fa.items():
            same = torch.equal(va, fb[key]) if isinstance(va, torch.Tensor) else va == fb[key]
            assert same, f"{part}.{key} differs after {kills} kills"
