"""Evaluation: a run or two folders through the metric registry, the training-time FID
monitor, and the reports (plain-text table, ``metrics.jsonl`` rows)."""

from __future__ import annotations

from artgan.evaluation.folders import evaluate_folders
from artgan.evaluation.generation_cost import generation_cost
from artgan.evaluation.monitor import FIDMonitor, plot_fid_curve
from artgan.evaluation.report import append_eval_row, format_table, is_number, jsonable
from artgan.evaluation.run import evaluate_run, run_test_split
from artgan.evaluation.suite import compute_metrics

__all__ = [
    "FIDMonitor",
    "append_eval_row",
    "compute_metrics",
    "evaluate_folders",
    "evaluate_run",
    "format_table",
    "generation_cost",
    "is_number",
    "jsonable",
    "plot_fid_curve",
    "run_test_split",
]
