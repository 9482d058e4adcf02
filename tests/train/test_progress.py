"""The progress bar counts steps, or the seconds of a wall-clock budget; the trainer
feeds the thread governor and says when it changed the thread count."""

from __future__ import annotations

import io
import json

import torch

from artgan.runtime import device as device_mod
from artgan.train import Trainer
from artgan.train.progress import TrainProgress
from helpers import THREADS, tiny_config


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


class _Governor:
    """Stands in for ThreadGovernor: records the step times, asks for 1 thread at the
    third step."""

    def __init__(self, full: int) -> None:
        self.full, self.seen = full, []

    def observe(self, seconds: float) -> int | None:
        self.seen.append(seconds)
        return 1 if len(self.seen) == 3 else None


def test_the_trainer_feeds_the_governor_and_logs_the_threads(tmp_path, tiny_data, capsys,
                                                             monkeypatch):  # fmt: skip
    before = torch.get_num_threads()
    monkeypatch.setattr(device_mod, "default_threads", lambda: 2)
    monkeypatch.setattr(device_mod, "ThreadGovernor", _Governor)
    try:
        trainer = Trainer(tiny_config({"train": {"threads": 0}}), tmp_path / "auto",
                          dataset=tiny_data)  # fmt: skip
        gov = trainer.rt.governor  # threads left to artgan adapt
        assert isinstance(gov, _Governor) and gov.full == 2
        trainer.fit()
        rows = [json.loads(line) for line in (tmp_path / "auto" / "metrics.jsonl").open()]
        threads = [r["threads"] for r in rows if "loss_g" in r]
        assert len(gov.seen) == 4 and all(t > 0 for t in gov.seen)
        assert threads == [2, 2, 1, 1]  # logged each step (log_every 1)
        assert "threads: 1 (steps slowed down" in capsys.readouterr().err
        pinned = Trainer(tiny_config(), tmp_path / "pinned", dataset=tiny_data)
        assert pinned.rt.governor is None and torch.get_num_threads() == THREADS
    finally:
        torch.set_num_threads(before)
