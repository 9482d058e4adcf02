"""int8 quantisation of an exported ONNX generator (``artgan export --format onnx --int8``).

Static quantisation of the convolutions but the last (attention, linear layers and the
output convolution stay fp32: quantising them nearly doubled a trained MIGAN's error)
with onnxruntime's tools: weights int8 per output channel in the reduced 7-bit range
(which onnxruntime advises for x86 CPUs without VNNI, where 8-bit products can saturate,
and which costs little elsewhere, so one file runs well on any CPU), activations uint8
with ranges (percentile) calibrated by running the generator on a fixed set of latents
(seeds 0…N-1 in the export's latent layout, random categories and codes as generation
draws them, so a re-export gives the same file), written in QDQ form so any ONNX
runtime can run it. What it costs in image quality is measured, not assumed:
``benchmarks/bench_int8.py`` puts FID of the int8 and fp32 exports side by side.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from artgan.errors import ArtganError
from artgan.models import LatentSpec, latents_for_seeds

QUANT_INSTALL = "pip install onnx onnxruntime"
CALIBRATION_LATENTS = 64
CALIBRATION_BATCH = 16
CONV_OPS = ("Conv", "ConvTranspose")


def require_quantization() -> None:
    """ArtganError naming the install line unless onnxruntime's quantisation tools import."""
    try:
        import onnxruntime.quantization  # noqa: F401
    except ImportError:
        raise ArtganError(f"int8 export needs onnxruntime's quantisation tools: "
                          f"`{QUANT_INSTALL}`") from None  # fmt: skip


def quantize_generator(
    fp32: Path, out: Path, latent: LatentSpec, n_latents: int = CALIBRATION_LATENTS
) -> dict[str, object]:
    """Write the int8 form of the fp32 generator graph ``fp32`` (input ``latent``
    ``[N, latent.dim]``) to ``out``; returns what to record beside it."""
    require_quantization()
    import onnx
    from onnxruntime.quantization import (
        CalibrationDataReader,
        CalibrationMethod,
        QuantFormat,
        QuantType,
        quantize_static,
    )

    if n_latents < 1:
        raise ArtganError(f"int8 calibration needs at least one latent, got {n_latents}")

    class Latents(CalibrationDataReader):
        def __init__(self) -> None:
            self.batches = _calibration_batches(latent, n_latents)

        def get_next(self) -> dict[str, np.ndarray] | None:
            return next(self.batches, None)

    # Only convolutions, and not the last (it draws the picture): quantising attention
    # and the linear layers too, or the output convolution, nearly doubled the pixel
    # error of a trained MIGAN (9.9 vs 5.7 of 255); ranges by percentile, not min-max.
    convs = [n.name for n in onnx.load(str(fp32)).graph.node if n.op_type in CONV_OPS]
    with _quiet_preprocessing_advice():
        quantize_static(str(fp32), str(out), Latents(), quant_format=QuantFormat.QDQ,
                        op_types_to_quantize=list(CONV_OPS), nodes_to_exclude=convs[-1:],
                        per_channel=True, reduce_range=True, weight_type=QuantType.QInt8,
                        activation_type=QuantType.QUInt8,
                        calibrate_method=CalibrationMethod.Percentile)  # fmt: skip
    return {"weights": "int8 per channel (7-bit range)", "activations": "uint8, static (QDQ)",
            "ops": "convolutions but the last (attention, linear layers: fp32)",
            "calibration": f"activation ranges (percentile), seeds 0-{n_latents - 1}"}  # fmt: skip


def _calibration_batches(latent: LatentSpec, n: int) -> Iterator[dict[str, np.ndarray]]:
    """Latents ``[≤16, dim]`` of seeds 0…n-1 (random categories and codes)."""
    z = latents_for_seeds(latent, list(range(n)), None).numpy().astype(np.float32)
    for i in range(0, n, CALIBRATION_BATCH):
        yield {"latent": z[i : i + CALIBRATION_BATCH]}


class _DropAdvice(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return "pre-processing" not in record.getMessage()


@contextlib.contextmanager
def _quiet_preprocessing_advice() -> Iterator[None]:
    """onnxruntime logs, through the root logger on every call, advice to run its
    pre-processing step (shape inference and graph optimisation; quantisation works
    without it, as the tests check); drop that one message. A NullHandler meanwhile
    keeps ``logging.warning`` from installing a stderr handler on the root logger."""
    root, drop, null = logging.getLogger(), _DropAdvice(), logging.NullHandler()
    root.addFilter(drop)
    root.addHandler(null)
    try:
        yield
    finally:
        root.removeFilter(drop)
        root.removeHandler(null)
