"""int8 quantisation of an exported ONNX generator (``artgan export --format onnx --int8``).

Static quantisation with onnxruntime's tools: weights int8 per output channel,
activations uint8 with ranges calibrated on the generator's own outputs for a fixed set
of latents (seeds 0…N-1 in the export's latent layout, so a re-export gives the same
file), written in QDQ form so any ONNX runtime can run it. A generator has no input
data distribution to calibrate on beyond its latent, which is exactly what it sees at
generation time. What it costs in image quality is measured, not assumed:
``benchmarks/bench_int8.py`` puts FID of the int8 and fp32 exports side by side.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from artgan.errors import ArtganError
from artgan.models import LatentSpec, latents_for_seeds

QUANT_INSTALL = "pip install onnx onnxruntime"
CALIBRATION_LATENTS = 64
CALIBRATION_BATCH = 16


def quantize_generator(
    fp32: Path, out: Path, latent: LatentSpec, n_latents: int = CALIBRATION_LATENTS
) -> dict[str, object]:
    """Write the int8 form of the fp32 generator graph ``fp32`` to ``out``; returns what
    to record beside it (scheme and calibration)."""
    try:
        from onnxruntime.quantization import (
            CalibrationDataReader,
            QuantFormat,
            QuantType,
            quantize_static,
        )
    except ImportError:
        raise ArtganError(f"int8 export needs onnxruntime's quantisation tools: "
                          f"`{QUANT_INSTALL}`") from None  # fmt: skip
    if n_latents < 1:
        raise ArtganError(f"int8 calibration needs at least one latent, got {n_latents}")

    class Latents(CalibrationDataReader):
        def __init__(self) -> None:
            self.batches = _calibration_batches(latent, n_latents)

        def get_next(self) -> dict[str, np.ndarray] | None:
            return next(self.batches, None)

    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)  # its advice to run a pre-processing step, every call
    try:
        quantize_static(str(fp32), str(out), Latents(), quant_format=QuantFormat.QDQ,
                        per_channel=True, weight_type=QuantType.QInt8,
                        activation_type=QuantType.QUInt8)  # fmt: skip
    finally:
        root.setLevel(level)
    return {"weights": "int8 per channel", "activations": "uint8, static (QDQ)",
            "calibration": f"generator outputs for seeds 0-{n_latents - 1}"}  # fmt: skip


def _calibration_batches(latent: LatentSpec, n: int) -> Iterator[dict[str, np.ndarray]]:
    """Latents of seeds 0…n-1 (random categories and codes, as generation draws them)."""
    z = latents_for_seeds(latent, list(range(n)), None).numpy().astype(np.float32)
    for i in range(0, n, CALIBRATION_BATCH):
        yield {"latent": z[i : i + CALIBRATION_BATCH]}
