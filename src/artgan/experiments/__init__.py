"""Experiments: the paper's model comparison and ablation, re-runnable with one command."""

from __future__ import annotations

from artgan.experiments.plan import (
    OPTIONS,
    ExperimentPlan,
    ablate_variants,
    parse_budget,
    parse_variant,
    variant_layers,
)
from artgan.experiments.runner import run_experiment

__all__ = [
    "OPTIONS",
    "ExperimentPlan",
    "ablate_variants",
    "parse_budget",
    "parse_variant",
    "run_experiment",
    "variant_layers",
]
