"""Multi-process training: sharding arithmetic, and 2 torchrun processes on CPU (gloo)
matching one process on the same global batch."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml

from artgan.errors import ArtganError
from artgan.io.checkpoint import load_checkpoint
from artgan.losses import gradient_penalty
from artgan.models.migan import cycle_rows
from artgan.runtime.distributed import Shard
from helpers import TINY_MIGAN, write_class_folders


def test_shards_tile_the_global_batch():
    x = torch.arange(12).view(6, 2)
    parts = [Shard(r, 3).take(x) for r in range(3)]
    assert torch.equal(torch.cat(parts), x)
    assert Shard().take(x) is x
    with pytest.raises(ArtganError, match="batch size .*divisible by the number of processes"):
        Shard(0, 4).check_divides(6, "the batch size")


def test_cycle_rows_pick_the_same_images_for_any_world_size():
    def global_rows(world: int) -> list[int]:
        local = 32 // world
        return [
            int(i) + r * local for r in range(world) for i in cycle_rows(8, local, Shard(r, world))
        ]

    assert global_rows(1) == list(range(0, 32, 4))
    assert global_rows(2) == global_rows(1) == global_rows(4)
    assert cycle_rows(8, 6, Shard()).tolist() == list(range(6))  # batch smaller than the cycle
    with pytest.raises(ArtganError, match="cycle_batch .*split evenly over 2 processes"):
        cycle_rows(8, 5, Shard(0, 2))


def test_gradient_penalty_shards_average_to_the_global_penalty():
    critic = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(12, 1), torch.nn.Tanh())
    real, fake = torch.randn(8, 3, 2, 2), torch.randn(8, 3, 2, 2)
    full = gradient_penalty(critic, real, fake, torch.Generator().manual_seed(3))
    halves = [
        gradient_penalty(critic, Shard(r, 2).take(real), Shard(r, 2).take(fake),
                         torch.Generator().manual_seed(3), None, 2, r)
        for r in range(2)
    ]  # fmt: skip
    torch.testing.assert_close(sum(halves) / 2, full)


def _run(cmd: list[str], env: dict[str, str], cwd: Path) -> None:
    r = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-4000:]


@pytest.mark.slow
def test_two_process_training_matches_one_process(tmp_path, tiny_data):
    data = write_class_folders(tmp_path / "paintings", tiny_data)
    cfg = {k: dict(v) for k, v in TINY_MIGAN.items()}
    cfg["model"]["n_categories"] = "auto"
    cfg["train"].update(steps=3, ckpt_every=1, sample_every=3, threads=1, precision="fp32")
    cfg["data"]["cache_dir"] = str(tmp_path / "cache")
    cfg["optim"] = {"lr_g": 1e-3, "lr_d": 1e-3}  # big enough steps to tell runs apart
    (tmp_path / "cfg.yaml").write_text(yaml.safe_dump(cfg))
    args = ["train", "--model", "migan", "--config", str(tmp_path / "cfg.yaml"),
            "--data", str(data), "--labels-as-code", "--no-progress"]  # fmt: skip
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OMP_WAIT_POLICY": "PASSIVE"}
    _run([sys.executable, "-m", "artgan", *args, "--out", str(tmp_path / "one")], env, tmp_path)
    torchrun = [sys.executable, "-m", "torch.distributed.run", "--standalone",
                "--nproc_per_node=2", "-m", "artgan"]  # fmt: skip
    _run([*torchrun, *args, "--out", str(tmp_path / "two")], env, tmp_path)

    one = load_checkpoint(tmp_path / "one" / "checkpoints" / "ckpt_0000003.pt")
    two = load_checkpoint(tmp_path / "two" / "checkpoints" / "ckpt_0000003.pt")
    assert one["step"] == two["step"] == 3
    for net in ("G", "D", "E", "G_ema"):
        for key, a in one["models"][net].items():
            b = two["models"][net][key]
            assert a.shape == b.shape
            torch.testing.assert_close(b, a, rtol=1e-4, atol=1e-5, msg=f"{net}.{key}")
    # Two steps moved the weights far beyond that tolerance (the comparison has teeth).
    earlier = load_checkpoint(tmp_path / "one" / "checkpoints" / "ckpt_0000001.pt")
    moved = [(a - earlier["models"]["G"][k]).abs().max().item()
             for k, a in one["models"]["G"].items()]  # fmt: skip
    assert max(moved) > 100 * 1e-5
    # Resuming under torchrun continues like resuming one process.
    _run([sys.executable, "-m", "artgan", "train", "--resume", str(tmp_path / "one"),
          "--steps", "4", "--no-progress"], env, tmp_path)  # fmt: skip
    _run([*torchrun, "train", "--resume", str(tmp_path / "two"), "--steps", "4",
          "--no-progress"], env, tmp_path)  # fmt: skip
    one4 = load_checkpoint(tmp_path / "one" / "checkpoints" / "ckpt_0000004.pt")
    two4 = load_checkpoint(tmp_path / "two" / "checkpoints" / "ckpt_0000004.pt")
    for key, a in one4["models"]["G"].items():
        torch.testing.assert_close(two4["models"]["G"][key], a, rtol=1e-4, atol=1e-5)
    # Rank 0 alone wrote the run folder; the log holds each step once.
    rows = [
        yaml.safe_load(r)
        for r in (tmp_path / "two" / "metrics.jsonl").read_text().splitlines()
        if r
    ]
    assert [r["step"] for r in rows if "loss_g" in r] == [1, 2, 3, 4]
    # one session mark per session, not one per rank
    assert [r["step"] for r in rows if r.get("kind") == "start"] == [0, 3]
    assert np.isfinite([float(x) for x in rows[-1].values()]).all()


@pytest.mark.slow
def test_two_nodes_on_loopback_match_one_process(tmp_path, tiny_data):
    """Multi-node: two torchrun launchers (one process each) rendezvous over c10d on
    127.0.0.1, as two machines would; the result equals one process on the global batch."""
    data = write_class_folders(tmp_path / "paintings", tiny_data)
    cfg = {k: dict(v) for k, v in TINY_MIGAN.items()}
    cfg["model"]["n_categories"] = "auto"
    cfg["train"].update(steps=2, ckpt_every=1, sample_every=2, threads=1, precision="fp32")
    cfg["data"]["cache_dir"] = str(tmp_path / "cache")
    cfg["optim"] = {"lr_g": 1e-3, "lr_d": 1e-3}
    (tmp_path / "cfg.yaml").write_text(yaml.safe_dump(cfg))
    args = ["train", "--model", "migan", "--config", str(tmp_path / "cfg.yaml"),
            "--data", str(data), "--labels-as-code", "--no-progress"]  # fmt: skip
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OMP_WAIT_POLICY": "PASSIVE"}
    _run([sys.executable, "-m", "artgan", *args, "--out", str(tmp_path / "one")], env, tmp_path)
    port = _free_port()
    launchers = [
        subprocess.Popen(
            [sys.executable, "-m", "torch.distributed.run", "--nnodes=2", "--nproc_per_node=1",
             f"--node_rank={rank}", "--rdzv_backend=c10d", f"--rdzv_endpoint=127.0.0.1:{port}",
             "--rdzv_id=artgan-test", "-m", "artgan", *args, "--out", str(tmp_path / "two")],
            env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        for rank in (0, 1)
    ]  # fmt: skip
    for p in launchers:
        out, _ = p.communicate(timeout=600)
        assert p.returncode == 0, out[-3000:]
    one = load_checkpoint(tmp_path / "one" / "checkpoints" / "ckpt_0000002.pt")
    two = load_checkpoint(tmp_path / "two" / "checkpoints" / "ckpt_0000002.pt")
    for net in ("G", "D", "E"):
        for key, a in one["models"][net].items():
            torch.testing.assert_close(two["models"][net][key], a, rtol=1e-4, atol=1e-5)


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
