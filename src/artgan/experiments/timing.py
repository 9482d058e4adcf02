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
    evaluation (``result["time"]``). The trainer marks where each session began
    (``"kind": "start"`` rows); each session counts from its mark to its last row, so the
    pauses between sessions are left out (``sessions`` says how many there were). Rows
    logged before the first mark (by an older version) form one session from the first
    row less its training seconds, pauses within it included. ``{}`` where the log has no
    timed row."""
    end = result.get("time")
    spans: list[list[float]] = []
    marked = False
    for r in read_jsonl(run_dir / "metrics.jsonl"):
        t = r.get("time")
        # evaluation rows: the run's own ends at ``end``; a later `artgan evaluate` of the
        # run is not part of its making
        if not is_number(t) or r.get("kind") == "eval":
            continue
        if r.get("kind") == "start":
            spans.append([t, t])
            marked = True
        elif spans:
            spans[-1][1] = max(spans[-1][1], t)
        else:  # logged before sessions were marked
            spans.append([t - (r.get("train_seconds") or 0.0), t])
    if not spans or not is_number(end):
        return {}
    spans[-1][1] = max(spans[-1][1], end)
    out = {"started_at": spans[0][0], "wall_seconds": sum(b - a for a, b in spans)}
    return out | ({"sessions": len(spans)} if marked else {})


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
