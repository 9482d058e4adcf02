"""When an experiment's runs happened on the clock: each run's wall-clock from its log
(sessions marked by the trainer, pauses between them left out) and the span of the whole
experiment, with the sentence the report prints about them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from artgan.evaluation import is_number
from artgan.io.jsonl import read_jsonl


def experiment_span(runs: dict[str, dict[int, dict[str, Any]]]) -> dict[str, float]:
    """From the first run's start to the last run's evaluation, on the clock (the
    reference statistics' warm-up before the first run is not in it)."""
    timed = [r for by in runs.values() for r in by.values() if "started_at" in r]
    if not timed:
        return {}
    start = min(r["started_at"] for r in timed)
    end = max(r["time"] for r in timed)
    # runs resumed in a later session (their pauses are in the span, not in their wall
    # time), and runs logged before sessions were marked (pauses, if any, in both)
    resumed = sum(r.get("sessions", 1) > 1 for r in timed)
    unmarked = sum("sessions" not in r for r in timed)
    return {"start": start, "end": end, "seconds": end - start, "resumed": resumed,
            "unmarked": unmarked}  # fmt: skip


def wall_clock(run_dir: Path, result: dict[str, Any]) -> dict[str, float]:
    """When a finished run started and ended on the clock, from what it already logged,
    and its ``wall_seconds``: training, FID monitoring, samples, checkpoints and the final
    evaluation (``result["time"]``). A run whose log marks its sessions (``"kind":
    "start"`` rows) counts each session from its start to its last row, leaving out the
    pauses between them (``sessions`` says how many); an older log spans from its first
    loss row less its training seconds to the end, pauses included. ``{}`` where the log
    has no timed row."""
    rows = read_jsonl(run_dir / "metrics.jsonl")
    end = result.get("time")
    if not is_number(end):
        return {}
    starts = [r["time"] for r in rows if r.get("kind") == "start" and is_number(r.get("time"))]
    if starts:
        spans: list[list[float]] = []
        for r in rows:
            if not is_number(r.get("time")):
                continue
            if r.get("kind") == "start":
                spans.append([r["time"], r["time"]])
            elif spans:
                spans[-1][1] = max(spans[-1][1], r["time"])
        spans[-1][1] = max(spans[-1][1], end)
        wall = sum(b - a for a, b in spans)
        return {"started_at": starts[0], "wall_seconds": wall, "sessions": len(spans)}
    first = next((r for r in rows if "loss_g" in r and is_number(r.get("time"))), None)
    if first is None:
        return {}
    start = first["time"] - (first.get("train_seconds") or 0.0)
    return {"started_at": start, "wall_seconds": end - start}


def span_sentence(span: dict[str, float]) -> str:
    """The wall-clock line, saying where pauses between sessions are counted."""
    line = (f"- wall-clock: {span['seconds'] / 60:.1f} min from the first run's start to the "
            "last evaluation")  # fmt: skip
    if span.get("resumed"):
        line += f" (including the pauses of {span['resumed']:g} resumed run(s))"
    line += '; per run ("wall min") training, FID monitoring, checkpoints and the final '
    line += "evaluation, pauses between sessions left out"
    if span.get("unmarked"):
        line += f" except in {span['unmarked']:g} run(s) logged before sessions were marked"
    return line
