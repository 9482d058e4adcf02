"""What every benchmark shares: which precisions are worth timing on this machine, the
machine's peak FLOP/s and a FLOP counter.

bf16 autocast is ~1.7x faster than fp32 on a CPU with AVX512-BF16/AMX and ~40x slower on
one that emulates it (AVX2-only x86), where a bf16 row would take most of a benchmark's
time and measure nothing a user would choose. ``auto`` therefore times bf16 only where
it is native, and says so in the results.
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Callable

import torch
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils.flop_counter import flop_registry

from artgan.errors import ArtganError
from artgan.experiments.plan import OPTIONS, split_variant
from artgan.runtime import native_bf16


def precisions(asked: str = "auto") -> tuple[list[str], str]:
    """``"auto"`` → ``["fp32"]`` plus ``"bf16"`` where native; ``"fp32,bf16"`` → as asked.
    Returns the list and a markdown line saying what was left out and why ("" if none)."""
    if asked != "auto":
        return [p.strip() for p in asked.split(",") if p.strip()], ""
    if native_bf16(torch.device("cpu")):
        return ["fp32", "bf16"], ""
    return ["fp32"], (
        "bf16 not measured: this CPU has no native bf16 (AVX512-BF16/AMX) and emulates it "
        "far slower than fp32 (`--precision auto` never picks it here; force it with "
        "`--precisions fp32,bf16`).\n"
    )


class CountFlops(TorchDispatchMode):
    """``torch.utils.flop_counter``'s per-op formulas without its module tracker, whose
    autograd hooks break ``autograd.grad(create_graph=True)`` (the gradient penalty)."""

    def __init__(self) -> None:
        super().__init__()
        self.total = 0

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        out = func(*args, **kwargs)
        formula = flop_registry.get(func._overloadpacket)
        if formula is not None:
            self.total += formula(*args, **kwargs, out_val=out)
        return out


def peak_flops(precision: str, size: int = 2048, reps: int = 5) -> float:
    """Best-of-``reps`` FLOP/s of a square matmul: the practical ceiling for conv nets."""
    dtype = torch.bfloat16 if precision == "bf16" else torch.float32
    a, b = torch.randn(size, size, dtype=dtype), torch.randn(size, size, dtype=dtype)
    a @ b
    best = float("inf")
    for _ in range(reps):
        t = time.perf_counter()
        a @ b
        best = min(best, time.perf_counter() - t)
    return 2 * size**3 / best


def options_of(variant: str) -> set[str]:
    """The ``+OPTION``s of a variant name: ``migan+hinge+proj`` → {hinge, proj}."""
    return set(split_variant(variant)[1])


def shared_options() -> set[str]:
    """The ``+OPTION``s that change only the augmentation or the critic's backbone: what
    a comparison gives every model alike (``diffaug``, ``ada``, ``noaug``, ``proj``)."""
    return {
        name
        for name, layer in OPTIONS.items()
        if set(layer) == {"d_augment"}
        or (layer.keys() == {"model"} and layer["model"].keys() == {"d_backbone"})
    }


def dcgan_baseline(variant: str, measured: list[str]) -> str | None:
    """The DCGAN row to hold ``variant`` against: the measured ``dcgan[+OPTIONS]`` with
    exactly the variant's shared options (so a MIGAN with DiffAugment and the projected
    critic is compared with DCGAN carrying the same two, not with a plain DCGAN whose step
    has no EfficientNet in it); None when that row was not measured."""
    want = options_of(variant) & shared_options()
    same = [m for m in measured if split_variant(m)[0] == "dcgan" and options_of(m) == want]
    return same[0] if same else None


def lazy_period(n_critic: int, reg_every: int = 1, cycle_every: int = 1) -> int:
    """The shortest run of generator steps in which every lazy term comes round as often
    as its average rate in training (and the pattern then repeats).

    A lazy penalty is due on critic steps ``step * n_critic + k ≡ 0 (mod reg_every)``
    (``train/step.py``), which repeats every ``reg_every / gcd(reg_every, n_critic)``
    generator steps; MIGAN's lazy image cycle runs every ``cycle_every``-th step. A
    timed window of a whole number of periods holds each term as often as training does,
    wherever it starts; a shorter one can miss them and flatter the model."""
    reg = reg_every // math.gcd(reg_every, n_critic)
    return math.lcm(reg, cycle_every)


def cli(main: Callable[[], int]) -> int:
    """Run a benchmark's ``main`` as the CLI runs a command: a bad input (a run folder
    that is not one, a missing weights file) is one line on stderr and exit status 2,
    not a traceback."""
    try:
        return main()
    except ArtganError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
