"""Multi-process data-parallel training (``torchrun --nproc_per_node=N -m artgan train``).

Every rank draws the *global* batch's randomness (which paintings, augmentation, latents,
GP interpolation weights) from the same counter-based generators and keeps its own slice,
so N processes with global batch B compute exactly the losses one process computes on B.
Gradients are averaged with one ``all_reduce`` per optimiser step.

Why not ``torch.nn.parallel.DistributedDataParallel``: the WGAN-GP penalty differentiates
the critic twice (``autograd.grad(create_graph=True)``), which DDP's reducer does not
support, and the GAN step alternates which network is trainable. Averaging flat gradient
buffers by hand is the same arithmetic and works for every loss.

Losses are means over equal-size shards, so averaging the shards' gradients gives the
gradient of the global mean; the only difference to one process is float summation order.
BatchNorm (DCGAN) normalises with per-rank statistics, as DDP does without SyncBatchNorm.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass

import torch
import torch.distributed as dist
from torch import Tensor

from artgan.errors import ArtganError


@dataclass(frozen=True)
class Shard:
    """This process's place among ``world`` data-parallel processes."""

    rank: int = 0
    world: int = 1

    @property
    def is_main(self) -> bool:
        """Rank 0 alone writes logs, samples and checkpoints."""
        return self.rank == 0

    def check_divides(self, n: int, what: str) -> None:
        if n % self.world:
            raise ArtganError(
                f"{what} ({n}) must be divisible by the number of processes ({self.world})"
            )

    def take(self, x: Tensor) -> Tensor:
        """This rank's contiguous slice along dim 0 of a global batch ``[B, ...]``."""
        if self.world == 1:
            return x
        n = x.shape[0] // self.world
        return x[self.rank * n : (self.rank + 1) * n]

    def average_grads(self, params: Iterable[torch.nn.Parameter]) -> None:
        """Replace every ``.grad`` with its mean over ranks (one flat all_reduce)."""
        if self.world == 1:
            return
        grads = [p.grad for p in params if p.grad is not None]
        if not grads:
            return
        flat = torch.cat([g.reshape(-1) for g in grads])
        dist.all_reduce(flat, op=dist.ReduceOp.SUM)
        flat.div_(self.world)
        offset = 0
        for g in grads:
            n = g.numel()
            g.copy_(flat[offset : offset + n].view_as(g))
            offset += n

    def any_of(self, *flags: bool) -> tuple[bool, ...]:
        """Each flag, true on every rank if it is true on any (stop requests, budgets)."""
        if self.world == 1:
            return tuple(flags)
        t = torch.tensor([1.0 if f else 0.0 for f in flags])
        dist.all_reduce(t, op=dist.ReduceOp.MAX)
        return tuple(bool(v > 0) for v in t.tolist())

    def mean(self, values: dict[str, Tensor]) -> dict[str, Tensor]:
        """Scalars averaged over ranks (for logging the global batch's losses)."""
        if self.world == 1 or not values:
            return values
        keys = sorted(values)
        t = torch.stack([values[k].detach().float().cpu() for k in keys])
        dist.all_reduce(t, op=dist.ReduceOp.SUM)
        return {k: v / self.world for k, v in zip(keys, t, strict=True)}


def env_world() -> tuple[int, int, int]:
    """(rank, world, local_rank) from torchrun's environment; (0, 1, 0) without it."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    local = int(os.environ.get("LOCAL_RANK", "0"))
    return rank, world, local


def init_distributed(device: torch.device) -> Shard:
    """Join the process group torchrun set up (gloo on CPU, nccl on CUDA)."""
    rank, world, _ = env_world()
    if world == 1:
        return Shard()
    if not dist.is_available():
        raise ArtganError("this torch build has no torch.distributed; run one process")
    if not dist.is_initialized():
        backend = "nccl" if device.type == "cuda" else "gloo"
        if device.type == "mps":
            raise ArtganError("multi-process training supports CPU (gloo) and CUDA (nccl)")
        dist.init_process_group(backend=backend)
    return Shard(rank, world)


def shutdown() -> None:
    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()
