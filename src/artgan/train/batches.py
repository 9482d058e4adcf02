"""Training batches from the in-memory uint8 array, without DataLoader workers.

The whole training split lives on the device as ``[N, 3, H, W] uint8`` (64 px: 50 MB for
the 4k-painting split). Batch ``i`` is a pure function of (seed, i): the epoch's
permutation and the augmentation draws come from counter-based generators, which is what
makes resume exact.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor

from artgan.augment import AUGMENTATIONS
from artgan.config import AugmentConfig
from artgan.errors import ArtganError
from artgan.runtime import Shard
from artgan.train.rng import generator_for


class BatchSource:
    def __init__(
        self,
        images: np.ndarray,
        labels: np.ndarray,
        batch_size: int,
        seed: int,
        aug: AugmentConfig,
        device: torch.device,
        memory_format: torch.memory_format = torch.contiguous_format,
        shard: Shard | None = None,
    ) -> None:
        """``images``: ``[N, H, W, 3]`` uint8; ``labels``: ``[N]`` int64 (-1 = none).
        ``batch_size`` is the global batch; with a ``shard`` each rank gets its slice."""
        n = len(images)
        if n < batch_size:
            raise ArtganError(
                f"the training split has {n} images, fewer than the batch size {batch_size}; "
                f"lower --batch-size or add images"
            )
        self.data = torch.from_numpy(np.ascontiguousarray(images)).permute(0, 3, 1, 2)
        self.data = self.data.contiguous().to(device)
        self.labels = torch.from_numpy(np.asarray(labels, dtype=np.int64)).to(device)
        self.batch_size = batch_size
        self.per_epoch = n // batch_size  # drop the last partial batch
        self.seed = seed
        self.aug = aug
        self._affine = AUGMENTATIONS.get("affine").apply
        self.memory_format = memory_format
        self.shard = shard or Shard()
        self.shard.check_divides(batch_size, "the batch size")
        self._perm_epoch = -1
        self._perm: Tensor | None = None

    def __len__(self) -> int:
        return len(self.data)

    def _permutation(self, epoch: int) -> Tensor:
        if epoch != self._perm_epoch:
            g = generator_for(self.seed, epoch, "epoch-permutation")
            self._perm = torch.randperm(len(self.data), generator=g).to(self.data.device)
            self._perm_epoch = epoch
        assert self._perm is not None
        return self._perm

    def get(self, index: int) -> tuple[Tensor, Tensor]:
        """Batch number ``index`` → (images ``[B, 3, H, W]`` float in [-1, 1], labels ``[B]``),
        or this rank's ``B / world`` of them. The augmentation draws are made for the
        global batch, so every image gets the same augmentation whatever the world size."""
        epoch, pos = divmod(index, self.per_epoch)
        idx = self._permutation(epoch)[pos * self.batch_size : (pos + 1) * self.batch_size]
        x = self.data[idx].float().div_(127.5).sub_(1.0)
        a = self.aug
        x = self._affine(x, generator_for(self.seed, index, "augment"), a.flip, a.rotate_deg,
                         a.scale)  # fmt: skip
        x, y = self.shard.take(x), self.shard.take(self.labels[idx])
        return x.contiguous(memory_format=self.memory_format), y
