"""The Inception Score (IS) and the network that gives its logits.

IS needs the classifier, which no offline package ships. :class:`InceptionLogits` rebuilds
the pytorch-fid Inception (torchvision's layout with the FID graph's quirks) to load
``pt_inception-2015-12-05-6726825d.pth`` when the user has it, and returns torch-fidelity's
"logits_unbiased" (pool3 @ fc.weight.T, 1008 classes): the original IS code multiplies by
the softmax weights without the bias. Without that file IS is reported unavailable.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from artgan.errors import ArtganError
from artgan.io.weights import find_weights, hub_dir
from artgan.metrics.inception import preprocess

IS_ENV = "ARTGAN_IS_WEIGHTS"
# pytorch-fid's name first, then torch-fidelity's name for the same file (same hash).
IS_WEIGHTS_FILES = (
    "pt_inception-2015-12-05-6726825d.pth",
    "weights-inception-2015-12-05-6726825d.pth",
)


def is_weights_path(path: str | Path | None = None) -> Path | None:
    """IS weights: ``path``, else ``$ARTGAN_IS_WEIGHTS``, else the torch hub cache
    (``<torch hub dir>/checkpoints/pt_inception-2015-12-05-6726825d.pth``, or torch-fidelity's
    name for it). None when not found; an explicit path or env var that is missing raises."""
    return find_weights("IS weights file", path, IS_ENV, hub_names=IS_WEIGHTS_FILES)


def inception_score_unavailable_reason(path: str | Path | None = None) -> str | None:
    """None when IS can be computed, else one line saying why and how to enable it."""
    try:
        found = is_weights_path(path)
    except ArtganError as exc:
        return str(exc)
    if found is not None:
        return None
    hub = hub_dir()
    return (
        f"IS needs Inception weights with classifier logits, which no offline package ships: "
        f"put {IS_WEIGHTS_FILES[0]} (pytorch-fid / torch-fidelity) in {hub} or set {IS_ENV}"
    )


def inception_score(logits: np.ndarray | Tensor, splits: int = 10) -> tuple[float, float]:
    """IS = exp(E_x KL(p(y|x) || p(y))) per split; returns (mean, std) over ``splits``.

    ``logits`` ``[N, C]`` (1008 for the TF graph, 1000 for others). Splits are consecutive
    chunks as in the original code; std is the population std. Computed in float64 from
    log-softmax, so saturated (one-hot) predictions stay finite.
    """
    if isinstance(logits, Tensor):
        x = logits.detach().to("cpu", torch.float64)
    else:
        x = torch.as_tensor(np.asarray(logits), dtype=torch.float64)
    if x.ndim != 2 or x.shape[1] < 2:
        raise ArtganError(f"IS expects logits [N, classes], got shape {tuple(x.shape)}")
    if not torch.isfinite(x).all():
        raise ArtganError("IS logits contain NaN or infinite values")
    n = x.shape[0]
    if splits < 1 or n < splits:
        raise ArtganError(f"IS with {splits} splits needs at least {splits} images, got {n}")
    log_p = torch.log_softmax(x, dim=1)
    scores = []
    for i in range(splits):
        part = log_p[i * n // splits : (i + 1) * n // splits]
        log_py = torch.logsumexp(part, dim=0) - np.log(part.shape[0])  # log mean p(y|x)
        kl = (part.exp() * (part - log_py)).sum(dim=1).mean()
        scores.append(float(torch.exp(kl)))
    return float(np.mean(scores)), float(np.std(scores))


class _Conv(nn.Module):
    """torchvision's BasicConv2d: conv (no bias) + BN (eps 1e-3, the TF value) + ReLU."""

    def __init__(
        self, cin: int, cout: int, k: int | tuple[int, int], s: int = 1, p: int | tuple = 0
    ) -> None:
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, k, s, p, bias=False)
        self.bn = nn.BatchNorm2d(cout, eps=0.001)

    def forward(self, x: Tensor) -> Tensor:
        return F.relu(self.bn(self.conv(x)))


def _avg3(x: Tensor) -> Tensor:
    # TF's average pool ignores the zero padding; torchvision's counts it.
    return F.avg_pool2d(x, 3, 1, 1, count_include_pad=False)


class _MixedA(nn.Module):  # Mixed_5b..5d (pytorch-fid FIDInceptionA)
    def __init__(self, cin: int, pool: int) -> None:
        super().__init__()
        self.branch1x1 = _Conv(cin, 64, 1)
        self.branch5x5_1, self.branch5x5_2 = _Conv(cin, 48, 1), _Conv(48, 64, 5, p=2)
        self.branch3x3dbl_1 = _Conv(cin, 64, 1)
        self.branch3x3dbl_2, self.branch3x3dbl_3 = _Conv(64, 96, 3, p=1), _Conv(96, 96, 3, p=1)
        self.branch_pool = _Conv(cin, pool, 1)

    def forward(self, x: Tensor) -> Tensor:
        b5 = self.branch5x5_2(self.branch5x5_1(x))
        b3 = self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x)))
        return torch.cat([self.branch1x1(x), b5, b3, self.branch_pool(_avg3(x))], 1)


class _MixedB(nn.Module):  # Mixed_6a
    def __init__(self, cin: int) -> None:
        super().__init__()
        self.branch3x3 = _Conv(cin, 384, 3, s=2)
        self.branch3x3dbl_1 = _Conv(cin, 64, 1)
        self.branch3x3dbl_2, self.branch3x3dbl_3 = _Conv(64, 96, 3, p=1), _Conv(96, 96, 3, s=2)

    def forward(self, x: Tensor) -> Tensor:
        b3 = self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x)))
        return torch.cat([self.branch3x3(x), b3, F.max_pool2d(x, 3, 2)], 1)


class _MixedC(nn.Module):  # Mixed_6b..6e (FIDInceptionC)
    def __init__(self, cin: int, c7: int) -> None:
        super().__init__()
        row, col = {"k": (1, 7), "p": (0, 3)}, {"k": (7, 1), "p": (3, 0)}
        self.branch1x1 = _Conv(cin, 192, 1)
        self.branch7x7_1 = _Conv(cin, c7, 1)
        self.branch7x7_2, self.branch7x7_3 = _Conv(c7, c7, **row), _Conv(c7, 192, **col)
        self.branch7x7dbl_1 = _Conv(cin, c7, 1)
        self.branch7x7dbl_2, self.branch7x7dbl_3 = _Conv(c7, c7, **col), _Conv(c7, c7, **row)
        self.branch7x7dbl_4, self.branch7x7dbl_5 = _Conv(c7, c7, **col), _Conv(c7, 192, **row)
        self.branch_pool = _Conv(cin, 192, 1)

    def forward(self, x: Tensor) -> Tensor:
        b7 = self.branch7x7_3(self.branch7x7_2(self.branch7x7_1(x)))
        d = x
        for i in range(1, 6):
            d = getattr(self, f"branch7x7dbl_{i}")(d)
        return torch.cat([self.branch1x1(x), b7, d, self.branch_pool(_avg3(x))], 1)


class _MixedD(nn.Module):  # Mixed_7a
    def __init__(self, cin: int) -> None:
        super().__init__()
        self.branch3x3_1, self.branch3x3_2 = _Conv(cin, 192, 1), _Conv(192, 320, 3, s=2)
        self.branch7x7x3_1 = _Conv(cin, 192, 1)
        self.branch7x7x3_2 = _Conv(192, 192, (1, 7), p=(0, 3))
        self.branch7x7x3_3 = _Conv(192, 192, (7, 1), p=(3, 0))
        self.branch7x7x3_4 = _Conv(192, 192, 3, s=2)

    def forward(self, x: Tensor) -> Tensor:
        d = x
        for i in range(1, 5):
            d = getattr(self, f"branch7x7x3_{i}")(d)
        return torch.cat([self.branch3x3_2(self.branch3x3_1(x)), d, F.max_pool2d(x, 3, 2)], 1)


class _MixedE(nn.Module):  # Mixed_7b (FIDInceptionE_1) and Mixed_7c (FIDInceptionE_2)
    def __init__(self, cin: int, max_pool: bool) -> None:
        super().__init__()
        self.max_pool = max_pool
        self.branch1x1 = _Conv(cin, 320, 1)
        self.branch3x3_1 = _Conv(cin, 384, 1)
        self.branch3x3_2a = _Conv(384, 384, (1, 3), p=(0, 1))
        self.branch3x3_2b = _Conv(384, 384, (3, 1), p=(1, 0))
        self.branch3x3dbl_1, self.branch3x3dbl_2 = _Conv(cin, 448, 1), _Conv(448, 384, 3, p=1)
        self.branch3x3dbl_3a = _Conv(384, 384, (1, 3), p=(0, 1))
        self.branch3x3dbl_3b = _Conv(384, 384, (3, 1), p=(1, 0))
        self.branch_pool = _Conv(cin, 192, 1)

    def forward(self, x: Tensor) -> Tensor:
        a = self.branch3x3_1(x)
        b = self.branch3x3dbl_2(self.branch3x3dbl_1(x))
        # The 2015 graph's last block max-pools here (pytorch-fid keeps this quirk).
        pooled = F.max_pool2d(x, 3, 1, 1) if self.max_pool else _avg3(x)
        return torch.cat(
            [
                self.branch1x1(x),
                self.branch3x3_2a(a),
                self.branch3x3_2b(a),
                self.branch3x3dbl_3a(b),
                self.branch3x3dbl_3b(b),
                self.branch_pool(pooled),
            ],
            1,
        )


_STEM = ("Conv2d_1a_3x3", "Conv2d_2a_3x3", "Conv2d_2b_3x3", "Conv2d_3b_1x1", "Conv2d_4a_3x3")
_MIXED = ("5b", "5c", "5d", "6a", "6b", "6c", "6d", "6e", "7a", "7b", "7c")


class FIDInceptionV3(nn.Module):
    """pytorch-fid's Inception-v3 (state-dict keys as in its weights file), eval only."""

    def __init__(self, num_classes: int = 1008) -> None:
        super().__init__()
        self.Conv2d_1a_3x3, self.Conv2d_2a_3x3 = _Conv(3, 32, 3, s=2), _Conv(32, 32, 3)
        self.Conv2d_2b_3x3, self.Conv2d_3b_1x1 = _Conv(32, 64, 3, p=1), _Conv(64, 80, 1)
        self.Conv2d_4a_3x3 = _Conv(80, 192, 3)
        self.Mixed_5b, self.Mixed_5c = _MixedA(192, 32), _MixedA(256, 64)
        self.Mixed_5d = _MixedA(288, 64)
        self.Mixed_6a = _MixedB(288)
        self.Mixed_6b, self.Mixed_6c = _MixedC(768, 128), _MixedC(768, 160)
        self.Mixed_6d, self.Mixed_6e = _MixedC(768, 160), _MixedC(768, 192)
        self.Mixed_7a = _MixedD(768)
        self.Mixed_7b, self.Mixed_7c = _MixedE(1280, max_pool=False), _MixedE(2048, max_pool=True)
        self.fc = nn.Linear(2048, num_classes)

    def pool3(self, x: Tensor) -> Tensor:
        """``[B, 3, 299, 299]`` in the network's range → ``[B, 2048]``."""
        for i, name in enumerate(_STEM):
            x = getattr(self, name)(x)
            if i in (2, 4):
                x = F.max_pool2d(x, 3, 2)
        for name in _MIXED:
            x = getattr(self, f"Mixed_{name}")(x)
        return x.mean(dim=(2, 3))


class InceptionLogits(nn.Module):
    """``[B, 3, H, W]`` (uint8 or float in [-1, 1]) → ``[B, 1008]`` float64 unbiased logits.

    Needs the pytorch-fid weights file (see :func:`is_weights_path`); without it,
    :class:`ArtganError` with :func:`inception_score_unavailable_reason`.
    """

    def __init__(self, weights: str | Path | None = None, quantize: bool = True) -> None:
        super().__init__()
        path = is_weights_path(weights)
        if path is None:
            raise ArtganError(inception_score_unavailable_reason())
        try:
            state = torch.load(path, map_location="cpu", weights_only=True)
        except Exception as exc:
            raise ArtganError(f"cannot read IS weights '{path}' ({type(exc).__name__})") from None
        net = FIDInceptionV3()
        try:
            missing, unexpected = net.load_state_dict(state, strict=False)
        except Exception as exc:  # a key is there with the wrong shape
            raise ArtganError(f"'{path}' is not pytorch-fid's Inception ({exc})") from None
        missing = [k for k in missing if not k.endswith("num_batches_tracked")]
        unexpected = [k for k in unexpected if not k.startswith("AuxLogits.")]
        if missing or unexpected:
            raise ArtganError(
                f"'{path}' is not pytorch-fid's Inception weights file "
                f"(missing {missing[:3]}, unexpected {unexpected[:3]})"
            )
        self.net = net.eval().requires_grad_(False)
        self.quantize = quantize
        self.weights_path = path

    def train(self, mode: bool = True) -> InceptionLogits:
        return super().train(False)

    def forward(self, images: Tensor) -> Tensor:
        x = preprocess(images, self.quantize).to(self.net.fc.weight.device)
        return (self.net.pool3(x) @ self.net.fc.weight.T).double()
