"""The training progress bar: steps, or time for a wall-clock budget.

A run with ``train.time_budget`` ends when its training seconds are spent, so a bar of
``0/1000000000 steps`` says nothing; it shows ``12:30/60:00`` of the budget instead, with
the step and images/s beside it.
"""

from __future__ import annotations

import sys
from typing import Any

from tqdm.auto import tqdm


class TrainProgress:
    """``update(step, train_seconds)`` after each step; ``postfix(...)`` for the losses."""

    def __init__(self, desc: str, start_step: int, end_step: int, budget: float,
                 spent: float, disable: bool) -> None:  # fmt: skip
        self.by_time = budget > 0
        if self.by_time:
            # seconds of training spent of the budget; steps and images/s in the postfix
            fmt = "{desc}: {percentage:3.0f}%|{bar}| {n_fmt}/{total_fmt} s {postfix}"
            self.bar = tqdm(total=round(budget), initial=min(round(spent), round(budget)),
                            desc=desc, unit="s", disable=disable, dynamic_ncols=True,
                            bar_format=fmt)  # fmt: skip
        else:
            self.bar = tqdm(total=end_step, initial=start_step, desc=desc, unit="step",
                            disable=disable, dynamic_ncols=True)  # fmt: skip
        self.step = start_step

    def update(self, step: int, train_seconds: float) -> None:
        self.step = step
        if self.by_time:
            self.bar.update(max(0, min(round(train_seconds), self.bar.total) - self.bar.n))
        else:
            self.bar.update(1)

    def note(self, line: str | None) -> None:
        """Print ``line`` (if any) above the bar, even when the bar is off."""
        if line:
            tqdm.write(line, file=sys.stderr)

    def postfix(self, **values: Any) -> None:
        if self.by_time:
            values = {"step": self.step, **values}
        self.bar.set_postfix(**values)

    def __enter__(self) -> TrainProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.bar.close()
