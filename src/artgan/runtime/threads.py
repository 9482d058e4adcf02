"""Intra-op threads that give way on a busy machine.

PyTorch's CPU kernels split each operation over a team of OpenMP threads that meet at a
barrier when it ends. On an idle machine a team as wide as the cores is fastest. When
another process takes a core, the team member that lost it holds up the rest until the
scheduler gives it back — milliseconds, for every operation — and a training step made
of thousands of small operations slows down 8–45× (measured beside a second training
and beside disk write-back: ``benchmarks/bench_busy.py``, docs/speed.md). A narrower team
leaves the neighbour its core and keeps most of its own idle speed.

``ThreadGovernor`` watches the steps' durations and how much CPU other processes use,
narrows the team while that makes the steps faster, and widens it again when the others
are gone. On a machine that stays idle it never changes anything. It only runs where
``threads`` was left to artgan (0): a thread count you set is kept, and with it
bit-for-bit reproducible arithmetic (a different team size sums in a different order).
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path


def cpu_ticks(stat: Path = Path("/proc/stat")) -> list[int]:
    """The machine's CPU time counters (user, nice, system, idle, iowait, irq, softirq,
    steal, …; clock ticks) from ``/proc/stat``'s first line; ``[]`` where it cannot be
    read (not Linux). Steal is time a virtual CPU was ready while the hypervisor ran
    another machine."""
    try:
        return [int(v) for v in stat.read_text().split("\n", 1)[0].split()[1:]]
    except (OSError, ValueError):
        return []


class OtherLoad:
    """Cores' worth of CPU time that other processes (and the hypervisor's steal) used
    since the last call: the machine's busy time (``/proc/stat``) less this process's
    own. ``None`` where it cannot be read (not Linux) or too little time has passed."""

    def __init__(self, stat: Path = Path("/proc/stat")) -> None:
        self.stat = stat
        self._last = self._read()

    def _read(self) -> tuple[float, float, float] | None:
        ticks = cpu_ticks(self.stat)[:8]
        if len(ticks) < 5:
            return None
        try:
            hz = os.sysconf("SC_CLK_TCK")
        except (OSError, ValueError, AttributeError):
            return None
        busy = sum(ticks) - ticks[3] - ticks[4]  # all but idle and iowait, steal included
        own = os.times()
        return busy / hz, own.user + own.system, time.monotonic()

    def __call__(self) -> float | None:
        now, last = self._read(), self._last
        if now is None or last is None or now[2] - last[2] < 0.2:  # ticks are 10 ms
            return None
        self._last = now
        return max(0.0, (now[0] - last[0]) - (now[1] - last[1])) / (now[2] - last[2])


@dataclass
class ThreadGovernor:
    """Decides the intra-op thread count from step durations (seconds) and the other
    processes' CPU use (``others()``: cores, or None when unknown).

    ``full`` is the idle team size. At the end of each ``window`` of steps at ``full``, a
    trial at ``max(1, full // 2)`` threads starts when others used at least ``busy``
    cores or the median step was ``slow`` × the fastest median seen. The narrow team is
    kept if its median is ``gain`` × faster; a trial that loses is not repeated for
    ``recheck`` steps (doubling to ``max_recheck``). The full team is tried again as soon
    as the others are gone, and now and then anyway (every ``max_recheck`` steps where
    their CPU use is known; else after ``recheck`` steps, doubling while it keeps
    losing), and dropped at its first step that is ``slow`` × the narrow team's median.
    The first step after a change is not counted (kernels set up for the new team).
    """

    full: int
    others: Callable[[], float | None] = field(default_factory=OtherLoad)
    window: int = 5
    busy: float = 0.25
    slow: float = 1.6
    gain: float = 1.15
    recheck: int = 40
    max_recheck: int = 640
    threads: int = field(init=False)
    mode: str = field(init=False, default="steady")  # steady | trial | reduced | probe
    _times: list[float] = field(init=False, default_factory=list)
    _skip: bool = field(init=False, default=False)
    _ref: float = field(init=False, default=float("inf"))  # fastest median at full
    _full_median: float = field(init=False, default=0.0)  # the one that started a trial
    _low_median: float = field(init=False, default=0.0)  # latest median, narrow team
    _wait: int = field(init=False, default=0)  # steps until the next trial or probe
    _backoff: int = field(init=False, default=0)
    _known: bool = field(init=False, default=False)  # others' CPU use is readable here

    def __post_init__(self) -> None:
        if self.full < 1:
            raise ValueError(f"full thread count must be at least 1, got {self.full}")
        self.threads, self._backoff = self.full, self.recheck

    @property
    def low(self) -> int:
        return max(1, self.full // 2)

    def observe(self, seconds: float) -> int | None:
        """Record one step; the new thread count when it should change, else None."""
        if self._skip:
            self._skip = False
            return None
        self._wait -= 1
        if self.mode == "probe" and seconds > self.slow * self._low_median:
            return self._lose_probe()  # one collapsed step is enough to know
        self._times.append(seconds)
        if len(self._times) < self.window:
            return None
        median = statistics.median(self._times)
        self._times = []
        return self._decide(median, self.others())

    def _decide(self, median: float, others: float | None) -> int | None:
        busy = others is not None and others >= self.busy
        if self.mode == "steady":
            slow = median > self.slow * self._ref
            if (busy or slow) and self._wait <= 0 and self.low < self.full:
                self._full_median = median
                return self._switch("trial", self.low)
            if not busy:
                self._ref = min(self._ref, median)
            return None
        if self.mode == "trial":
            if median * self.gain <= self._full_median:  # the narrow team is clearly faster
                self._low_median, self.mode = median, "reduced"
                self._wait = self._probe_wait(others)
                return None
            self._ref = min(self._ref, self._full_median) if busy else self._full_median
            self._wait, self._backoff = self._backoff, min(2 * self._backoff, self.max_recheck)
            return self._switch("steady", self.full)
        if self.mode == "reduced":
            self._low_median, self._known = median, others is not None
            gone = others is not None and others < self.busy / 2
            return self._switch("probe", self.full) if gone or self._wait <= 0 else None
        # probe: a whole window at full without a collapsed step
        if median < self._low_median:
            self._ref, self._backoff, self._wait = median, self.recheck, 0
            self.mode = "steady"
            return None
        return self._lose_probe()

    def _probe_wait(self, others: float | None) -> int:
        """Steps until the full team is tried again while the narrow one is faster: the
        others' going away is seen directly where their CPU use is known, so the blind
        retries are rare there; elsewhere they back off from ``recheck``."""
        return self.max_recheck if others is not None else self._backoff

    def _lose_probe(self) -> int | None:
        self._backoff = min(2 * self._backoff, self.max_recheck)
        self._wait = self._probe_wait(0.0 if self._known else None)
        return self._switch("reduced", self.low)

    def _switch(self, mode: str, threads: int) -> int | None:
        self.mode, self._times, self._skip = mode, [], True
        if threads == self.threads:
            return None
        self.threads = threads
        return threads
