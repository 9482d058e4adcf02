"""AMS: multi-scale atrous ("null"/"cavity") convolution block (MIGAN §4.1, eq. 10).

``F_out = Conv1x1(Concat(F_in, F_3x3, F_5x5))``: the input itself (1×1 receptive field),
a 3×3 conv (3×3 field) and a dilated 3×3 conv (dilation 2 → 5×5 field, at the cost of a
3×3 kernel), concatenated and fused back to the input width. Padding keeps the
resolution, which is the point of the block: more context without pooling.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn
from torch.nn.utils.parametrizations import spectral_norm


class AMSBlock(nn.Module):
    """``[B, C, H, W]`` → ``[B, C, H, W]``.

    Both branches read ``F_in`` in parallel (the paper's "three combinations of feature
    maps with different receptive fields"); ``dilation`` d gives the second branch a
    (2d + 1)×(2d + 1) receptive field, 5×5 for the default d = 2.

    ``branch_channels`` (default ``channels``) is each branch's width: the paper gives
    none, and at half width the block costs 11·C² instead of 21·C² multiply-adds per
    pixel while keeping its three receptive fields (docs/migan.md, "a cheaper MIGAN").
    """

    def __init__(
        self,
        channels: int,
        dilation: int = 2,
        spectral: bool = False,
        branch_channels: int | None = None,
    ) -> None:
        super().__init__()
        b = channels if branch_channels is None else branch_channels
        if b < 1:
            raise ValueError(f"AMSBlock: branch_channels must be >= 1, got {b}")
        self.conv3 = nn.Conv2d(channels, b, 3, padding=1)
        self.conv5 = nn.Conv2d(channels, b, 3, padding=dilation, dilation=dilation)
        self.fuse = nn.Conv2d(channels + 2 * b, channels, 1)
        # He init matched to the LeakyReLU(0.2) after each branch keeps the branch
        # activations on the scale of F_in, so the fuse sees three comparable inputs
        # (PyTorch's default init would shrink the branches ~3× relative to F_in).
        for conv in (self.conv3, self.conv5):
            nn.init.kaiming_normal_(conv.weight, a=0.2, nonlinearity="leaky_relu")
            nn.init.zeros_(conv.bias)
        nn.init.kaiming_normal_(self.fuse.weight, nonlinearity="linear")
        nn.init.zeros_(self.fuse.bias)
        if spectral:
            self.conv3 = spectral_norm(self.conv3)
            self.conv5 = spectral_norm(self.conv5)
            self.fuse = spectral_norm(self.fuse)
        self.act = nn.LeakyReLU(0.2)

    def forward(self, x: Tensor) -> Tensor:
        f3 = self.act(self.conv3(x))
        f5 = self.act(self.conv5(x))
        return self.fuse(torch.cat([x, f3, f5], dim=1))
