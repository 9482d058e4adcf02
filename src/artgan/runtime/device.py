"""Where and how tensors run: device choice, thread caps, precision.

(``OMP_WAIT_POLICY=PASSIVE`` is set by ``artgan/__init__.py``, before torch loads.)
"""

from __future__ import annotations

import contextlib
import os
import platform
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import torch

from artgan.errors import ArtganError
from artgan.runtime.distributed import Shard, env_world, init_distributed
from artgan.runtime.threads import ThreadGovernor


def default_threads() -> int:
    """All cores up to 8 (shared among torchrun's processes on this node): past that,
    small GAN convs stop scaling and starve neighbours."""
    per_node = int(os.environ.get("LOCAL_WORLD_SIZE", "1"))
    return max(1, min((os.cpu_count() or 1) // max(per_node, 1), 8))


def resolve_device(name: str) -> torch.device:
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise ArtganError("--device cuda asked for, but torch sees no CUDA GPU")
    if name == "mps" and not (
        getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()
    ):
        raise ArtganError("--device mps asked for, but MPS is not available here")
    if name not in ("cpu", "cuda", "mps"):
        raise ArtganError(f"unknown device '{name}' (use auto, cpu, cuda or mps)")
    return torch.device(name)


@dataclass(frozen=True)
class Runtime:
    device: torch.device
    precision: str  # fp32 | bf16
    channels_last: bool
    shard: Shard = field(default_factory=Shard)  # data-parallel rank (artgan.distributed)
    governor: ThreadGovernor | None = None  # fewer threads while the CPU is busy (threads 0)

    @property
    def memory_format(self) -> torch.memory_format:
        return torch.channels_last if self.channels_last else torch.contiguous_format

    def describe(self, asked: str) -> str:
        """One line for the start of a command: device, the precision ``asked`` resolved
        to (and why, for ``auto``), threads, e.g. ``"cpu, bf16 (auto: native bf16), 2
        threads"``."""
        why = ""
        if asked == "auto":
            why = " (auto: native bf16)" if self.precision == "bf16" else " (auto: no native bf16)"
        adapt = " (fewer while the machine is busy)" if self.governor else ""
        return (
            f"{self.device.type}, {self.precision}{why}, {torch.get_num_threads()} threads{adapt}"
        )

    def step_took(self, seconds: float) -> str | None:
        """Tell the thread governor how long a training step took; a line to show when it
        changed the thread count."""
        if self.governor is None or (n := self.governor.observe(seconds)) is None:
            return None
        torch.set_num_threads(n)
        if n < self.governor.full:
            return f"threads: {n} (steps slowed down: another process is using the cores)"
        return f"threads: {n} (trying all cores again)"

    def autocast(self) -> contextlib.AbstractContextManager:
        if self.precision == "bf16":
            return torch.autocast(self.device.type, dtype=torch.bfloat16)
        return contextlib.nullcontext()


def cpu_name() -> str:
    """The CPU's model name (Linux ``/proc/cpuinfo``; ``platform.processor()`` is often empty
    there), else what ``platform`` knows: how reports say which machine measured them."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def native_bf16(device: torch.device) -> bool:
    """Whether ``device`` computes bf16 in hardware. CPUs without AVX512-BF16 or AMX
    (e.g. AVX2-only x86) emulate it: measured ~40x slower than fp32 for a conv here."""
    if device.type == "cuda":
        return torch.cuda.is_bf16_supported()
    if device.type == "cpu":
        try:
            return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
        except (AttributeError, RuntimeError):  # a build without oneDNN
            return False
    return False


def resolve_precision(precision: str, device: torch.device) -> str:
    """``auto`` → bf16 where the hardware has it, else fp32. An explicit bf16 is kept
    (the user asked for it) but warned about where it is emulated."""
    if precision not in ("auto", "fp32", "bf16"):
        raise ArtganError(f"unknown precision '{precision}' (use auto, fp32 or bf16)")
    if precision == "auto":
        return "bf16" if native_bf16(device) else "fp32"
    if precision == "bf16" and device.type == "cuda" and not native_bf16(device):
        raise ArtganError("this CUDA GPU does not support bf16; use --precision fp32")
    if precision == "bf16" and device.type == "cpu" and not native_bf16(device):
        warnings.warn(
            "this CPU has no native bf16 (AVX512-BF16/AMX): bf16 is emulated and runs far "
            "slower than fp32 here; use --precision fp32 or auto",
            stacklevel=2,
        )
    return precision


def setup_runtime(
    device: str = "auto",
    precision: str = "fp32",
    threads: int = 0,
    channels_last: bool = True,
    distributed: bool = False,
) -> Runtime:
    """Pick the device, cap threads and resolve the precision (``auto``: bf16 where the
    hardware has it, else fp32; see ``resolve_precision``). With
    ``distributed`` and torchrun's environment, join the process group (one GPU per
    local rank on CUDA)."""
    dev = resolve_device(device)
    if distributed and dev.type == "cuda" and env_world()[1] > 1:
        dev = torch.device("cuda", env_world()[2])
        torch.cuda.set_device(dev)
    n = threads if threads > 0 else default_threads()
    if threads > (cores := os.cpu_count() or 1):  # kept: the user asked, but say what it costs
        warnings.warn(
            f"--threads {threads} is more than this machine's {cores} cores: the threads "
            "take turns on them and every operation waits for the slowest, so the work runs "
            "slower, not faster; leave --threads out (all cores) or use at most the cores",
            stacklevel=2,
        )
    if torch.get_num_threads() != n:
        torch.set_num_threads(n)
    precision = resolve_precision(precision, dev)
    shard = init_distributed(dev) if distributed else Shard()
    # A thread count the user set is kept (and with it bit-exact arithmetic); ranks of a
    # multi-process run wait for each other, so their step times say nothing of the load.
    adapt = threads == 0 and dev.type == "cpu" and n > 1 and shard.world == 1
    return Runtime(dev, precision, channels_last, shard, ThreadGovernor(n) if adapt else None)
