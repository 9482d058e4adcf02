"""The progress bar counts steps, or the seconds of a wall-clock budget."""

from __future__ import annotations

import io

from artgan.train.progress import TrainProgress


def _bar_text(p: TrainProgress) -> str:
    return str(p.bar)


def test_a_time_budget_shows_seconds_of_the_budget_with_the_step():
    with TrainProgress("train dcgan", 10, 10**9, budget=3600, spent=120.0,
                       disable=False) as p:  # fmt: skip
        p.bar.fp = io.StringIO()
        p.update(11, 150.4)
        p.postfix(img_s="33")
        text = _bar_text(p)
    assert p.bar.n == 150 and p.bar.total == 3600
    assert "150/3600 s" in text and "step=11" in text and "1000000000" not in text


def test_a_step_budget_counts_steps():
    with TrainProgress("train dcgan", 0, 40, budget=0, spent=0.0, disable=False) as p:
        p.bar.fp = io.StringIO()
        for s in range(1, 4):
            p.update(s, 0.5 * s)
        assert p.bar.n == 3 and p.bar.total == 40 and p.bar.unit == "step"
