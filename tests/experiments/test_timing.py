"""A run's wall-clock from its log: sessions marked by the trainer, pauses left out."""

from __future__ import annotations

import json

import pytest

from artgan.experiments.timing import experiment_span, span_sentence, wall_clock


def _log(run, rows):
    run.mkdir(parents=True, exist_ok=True)
    (run / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))


def _loss(step, t):
    return {"step": step, "loss_d": 0.1, "loss_g": 0.2, "train_seconds": 10.0 * step, "time": t}


def test_wall_clock_leaves_the_pause_between_sessions_out(tmp_path):
    # Session 1: 0–100 s (a monitor row at 90 s); paused for an hour; session 2 from 3700
    # to its last row at 3750, then the final evaluation ends at 3800.
    rows = [
        {"kind": "start", "step": 0, "time": 0.0},
        _loss(1, 50.0),
        {"step": 1, "fid": 300.0, "time": 90.0},
        _loss(2, 100.0),
        {"kind": "start", "step": 2, "time": 3700.0},
        _loss(3, 3750.0),
        {"kind": "eval", "step": 3, "fid": 250.0, "time": 3800.0},
    ]
    _log(tmp_path, rows)
    got = wall_clock(tmp_path, {"time": 3800.0})
    assert got == {"started_at": 0.0, "wall_seconds": pytest.approx(100.0 + 100.0), "sessions": 2}
    # a run evaluated in a session of its own (interrupted during its evaluation)
    _log(tmp_path, [*rows, {"kind": "start", "step": 3, "time": 9000.0}])
    assert wall_clock(tmp_path, {"time": 9060.0})["wall_seconds"] == pytest.approx(100 + 50 + 60)
    assert wall_clock(tmp_path, {}) == {}  # no evaluation time: nothing to say
    # an `artgan evaluate` of the finished run a day later is not part of its making
    late = {"kind": "eval", "step": 3, "fid": 240.0, "time": 90000.0}
    _log(tmp_path, [*rows, late])
    assert wall_clock(tmp_path, {"time": 3800.0})["wall_seconds"] == pytest.approx(200.0)


def test_an_unmarked_log_spans_from_its_first_loss_row(tmp_path):
    # Logged before sessions were marked: from the first loss row less its training time
    # (40 s at t = 50) to the end, whatever pauses lie between.
    _log(tmp_path, [{"step": 0, "fid": 1.0}, _loss(4, 50.0), _loss(5, 5000.0)])
    assert wall_clock(tmp_path, {"time": 6000.0}) == {"started_at": 10.0, "wall_seconds": 5990.0}
    _log(tmp_path, [{"step": 0, "fid": 1.0}])
    assert wall_clock(tmp_path, {"time": 6000.0}) == {}


def test_a_log_marked_only_from_a_resume_on_keeps_its_first_session(tmp_path):
    # Trained by a version that did not mark sessions (40 s of training by t = 50, last
    # row at 100), resumed by one that does at t = 1000, evaluated by t = 1200.
    _log(tmp_path, [_loss(4, 50.0), _loss(5, 100.0), {"kind": "start", "step": 5, "time": 1000.0}])
    got = wall_clock(tmp_path, {"time": 1200.0})
    assert got == {"started_at": 10.0, "wall_seconds": 90.0 + 200.0, "sessions": 2}


def test_the_span_sentence_says_where_pauses_are_counted():
    runs = {
        "a": {0: {"started_at": 0.0, "time": 600.0, "sessions": 2}},
        "b": {0: {"started_at": 600.0, "time": 1800.0, "sessions": 1}},
        "c": {0: {"started_at": 1800.0, "time": 2400.0}},
        "d": {0: {"fid": 1.0}},  # no timing: not in the span
    }
    span = experiment_span(runs)
    assert (span["seconds"], span["resumed"], span["unmarked"]) == (2400.0, 1, 1)
    line = span_sentence(span)
    assert line.startswith("- wall-clock: 40.0 min from the first run's start")
    assert "including the pauses of 1 resumed run(s)" in line
    assert "pauses between sessions left out except in 1 run(s) logged before" in line
    quiet = span_sentence({"seconds": 60.0, "resumed": 0, "unmarked": 0})
    assert "including" not in quiet and "except" not in quiet
    assert experiment_span({"d": {0: {"fid": 1.0}}}) == {}
