"""Sampling: load a generator (run, checkpoint or export), generate, steer the codes,
project and refine real paintings. Never imports the training stack."""

from __future__ import annotations

from artgan.sampling.generate import generate, project
from artgan.sampling.inversion import refine_latents, refine_projection
from artgan.sampling.loader import (
    EXPORT_FORMAT,
    EXPORT_VERSION,
    LoadedGenerator,
    export_generator,
    load_generator,
)
from artgan.sampling.steer import (
    apply_codes,
    code_names,
    code_spread,
    interpolate,
    interpolate_path,
    parse_codes,
    slerp,
    traverse,
)

__all__ = [
    "EXPORT_FORMAT",
    "EXPORT_VERSION",
    "LoadedGenerator",
    "apply_codes",
    "code_names",
    "code_spread",
    "export_generator",
    "generate",
    "interpolate",
    "interpolate_path",
    "load_generator",
    "parse_codes",
    "project",
    "refine_latents",
    "refine_projection",
    "slerp",
    "traverse",
]
