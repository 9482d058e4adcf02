"""Where and how tensors run: device, precision, threads, and the process group of
multi-process training."""

from __future__ import annotations

from artgan.runtime.device import (
    Runtime,
    cpu_name,
    default_threads,
    native_bf16,
    resolve_device,
    resolve_precision,
    setup_runtime,
)
from artgan.runtime.distributed import Shard

__all__ = [
    "Runtime",
    "Shard",
    "cpu_name",
    "default_threads",
    "native_bf16",
    "resolve_device",
    "resolve_precision",
    "setup_runtime",
]
