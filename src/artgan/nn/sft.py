"""SFT: spatial feature transform (MIGAN §4.2, eq. 11; Wang et al. 2018, SFTGAN).

``(S, T) = ω(K)``, ``F = S ⊙ F_out + T``. K, the paper's "public semantic features", is
a spatial condition map that ``SFTConditionNet`` computes once from the interpretable
latent codes; every ``SFTLayer`` in the generator reads the same K (resized to its own
resolution), so the codes steer the layout at every scale.
"""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor, nn


class SFTConditionNet(nn.Module):
    """Codes ``[B, code_dim]`` → condition map K ``[B, cond_channels, size, size]``.

    linear → reshape → LeakyReLU → 3×3 conv → LeakyReLU → 3×3 conv. The last conv has
    no activation (as in SFTGAN's condition network): K is a free-valued feature map and
    each ``SFTLayer`` applies its own nonlinearity.
    """

    def __init__(self, code_dim: int, cond_channels: int = 32, size: int = 8) -> None:
        super().__init__()
        self.cond_channels = cond_channels
        self.size = size
        self.fc = nn.Linear(code_dim, cond_channels * size * size)
        self.conv1 = nn.Conv2d(cond_channels, cond_channels, 3, padding=1)
        self.conv2 = nn.Conv2d(cond_channels, cond_channels, 3, padding=1)
        self.act = nn.LeakyReLU(0.2)

    def forward(self, codes: Tensor) -> Tensor:
        k = self.fc(codes).view(-1, self.cond_channels, self.size, self.size)
        k = self.conv1(self.act(k))
        return self.conv2(self.act(k))


class SFTLayer(nn.Module):
    """``x [B, C, H, W]``, ``cond [B, Cc, h, w]`` → ``S ⊙ x + T`` ``[B, C, H, W]``.

    ω is two separate branches (the paper's "two-way convolutional learning"; SFTGAN
    also keeps them separate): 3×3 conv → LeakyReLU(0.2) → 3×3 conv each. The scale
    branch predicts ``S − 1`` and both last convs are zero-initialised, so at init
    S = 1 and T = 0 exactly and the layer is the identity: adding SFT to a generator
    does not change what it computes until the codes have learnt something to say.

    ``max_resolution`` (0: off) computes S and T at most at that size and upsamples them
    bilinearly to ``x``'s: K is an 8×8 map of global codes, so at 64×64 the two branches
    would spend most of a MIGAN generator's SFT cost convolving an upsampled, smooth map
    (docs/migan.md, "a cheaper MIGAN").
    """

    def __init__(
        self, channels: int, cond_channels: int = 32, hidden: int = 32, max_resolution: int = 0
    ) -> None:
        super().__init__()
        self.max_resolution = max_resolution
        self.scale = nn.Sequential(
            nn.Conv2d(cond_channels, hidden, 3, padding=1),
            nn.LeakyReLU(0.2),
            nn.Conv2d(hidden, channels, 3, padding=1),
        )
        self.shift = nn.Sequential(
            nn.Conv2d(cond_channels, hidden, 3, padding=1),
            nn.LeakyReLU(0.2),
            nn.Conv2d(hidden, channels, 3, padding=1),
        )
        for branch in (self.scale, self.shift):
            nn.init.zeros_(branch[2].weight)
            nn.init.zeros_(branch[2].bias)

    def forward(self, x: Tensor, cond: Tensor) -> Tensor:
        """``x`` ``[B, C, H, W]``, ``cond`` ``[B, Cc, h, w]`` → ``[B, C, H, W]``."""
        size = x.shape[-2:]
        work = size
        if self.max_resolution and max(size) > self.max_resolution:
            work = (min(size[0], self.max_resolution), min(size[1], self.max_resolution))
        if cond.shape[-2:] != work:
            cond = F.interpolate(cond, size=work, mode="bilinear", align_corners=False)
        scale, shift = self.scale(cond), self.shift(cond)
        if work != size:
            scale = F.interpolate(scale, size=size, mode="bilinear", align_corners=False)
            shift = F.interpolate(shift, size=size, mode="bilinear", align_corners=False)
        return x * (1 + scale) + shift
