"""The thread policy's decisions: default thread count, when threads adapt to a busy
machine (ThreadGovernor) and the OpenMP wait policy set at import."""

from __future__ import annotations

import itertools
import os
import random
import subprocess
import sys
import time
import warnings

import pytest
import torch

from artgan.runtime import device as device_mod
from artgan.runtime import setup_runtime
from artgan.runtime.threads import OtherLoad, ThreadGovernor

IDLE = {2: 0.10, 1: 0.17}  # s/step by thread count, as measured for DCGAN 32 px
BUSY = {2: 4.8, 1: 0.20}  # beside a second training: the full team collapses


class Machine:
    """A simulated machine: step time by thread count (±15 % noise) and the CPU use of
    other processes the governor reads (None: unknown, as off Linux)."""

    def __init__(self, seed: int, times: dict[int, float], others: float | None) -> None:
        self.rng, self.times, self.load = random.Random(seed), times, others
        self.step = 0

    def governor(self, full: int = 2, **kw: int) -> ThreadGovernor:
        return ThreadGovernor(full, others=lambda: self.load, **kw)

    def run(self, gov: ThreadGovernor, steps: int, log: list[tuple[int, int]]) -> None:
        """``steps`` steps; (step index, new threads) appended to ``log`` per change."""
        for _ in range(steps):
            n = gov.observe(self.times[gov.threads] * self.rng.uniform(0.85, 1.15))
            if n is not None:
                log.append((self.step, n))
            self.step += 1


def test_an_idle_machine_never_changes_the_thread_count() -> None:
    for others in (0.02, None):
        m, changes = Machine(0, IDLE, others), []
        gov = m.governor()
        m.run(gov, 3000, changes)
        assert changes == [] and gov.threads == 2


def test_a_machine_busy_from_the_start_gets_a_narrow_team_at_once() -> None:
    m, changes = Machine(1, BUSY, 1.0), []
    gov = m.governor()
    m.run(gov, 600, changes)
    assert changes == [(gov.window - 1, 1)]  # at the first window's end, and for good
    m.run(gov, 600, changes)  # one blind retry of the full team, dropped at once
    assert [n for _, n in changes] == [1, 2, 1] and changes[2][0] - changes[1][0] <= 2


def test_a_load_that_arrives_is_seen_from_the_steps_alone() -> None:
    m, changes = Machine(2, IDLE, None), []  # no CPU counters: step times only
    gov = m.governor(recheck=40)
    m.run(gov, 50, changes)
    m.times = BUSY
    m.run(gov, 600, changes)
    first = changes[0]
    assert first[1] == 1 and first[0] < 50 + 2 * gov.window + 1  # within two windows
    probes = [step for step, n in changes if n == 2]
    gaps = [b - a for a, b in itertools.pairwise(probes)]
    assert len(probes) >= 3 and gaps[1] > 1.5 * gaps[0]  # retries back off: 40, 80, 160 …
    assert gov.threads == 1
    assert len(probes) * 2 < 0.05 * 600  # each retry costs two collapsed steps


def test_the_full_team_comes_back_when_the_others_go() -> None:
    m, changes = Machine(3, BUSY, 1.0), []
    gov = m.governor()
    m.run(gov, 100, changes)
    assert gov.threads == 1
    m.times, m.load = IDLE, 0.01
    m.run(gov, 2 * gov.window + 2, changes)
    assert changes[-1][1] == 2 and gov.threads == 2  # at the next window's end
    m.run(gov, 3000, changes)
    assert gov.threads == 2 and gov.mode == "steady" and len(changes) == 2


def test_a_load_fewer_threads_cannot_help_costs_little() -> None:
    # e.g. a neighbour that takes memory bandwidth: both teams slow, the full one faster
    m, changes = Machine(4, IDLE, None), []
    gov = m.governor()
    m.run(gov, 50, changes)
    m.times = {2: 0.30, 1: 0.50}
    m.run(gov, 3000, changes)
    assert [n for _, n in changes] == [1, 2]  # one trial: its speed is the new normal
    m, changes = Machine(5, {2: 0.30, 1: 0.50}, 1.0), []  # the others' CPU use is seen
    gov = m.governor()
    m.run(gov, 3000, changes)
    trials = [step for step, n in changes if n == 1]
    assert gov.threads == 2 and len(trials) * (gov.window + 1) < 0.02 * 3000


def test_one_thread_has_nothing_to_give_up() -> None:
    m = Machine(6, {1: 1.0}, 1.0)
    gov = m.governor(full=1)
    m.run(gov, 20, [])
    assert all(gov.observe(50.0) is None for _ in range(50)) and gov.threads == 1
    with pytest.raises(ValueError, match="at least 1"):
        ThreadGovernor(0)


def test_other_load_is_the_machines_busy_time_less_this_process(tmp_path) -> None:
    stat = tmp_path / "stat"
    hz = os.sysconf("SC_CLK_TCK")
    # user nice system idle iowait irq softirq steal
    stat.write_text("cpu  1000 0 500 9000 300 0 0 0 0 0\ncpu0 ...\n")
    probe = OtherLoad(stat)
    time.sleep(0.3)
    own = os.times()
    stat.write_text(f"cpu  {1000 + 3 * hz} 0 500 {9000 + 50} 900 0 0 {hz} 0 0\n")
    t = time.monotonic()
    cores = probe()
    spent = os.times().user + os.times().system - own.user - own.system
    assert cores is not None and 0 < cores <= 4 / 0.3  # iowait and idle not counted
    assert cores == pytest.approx((4 - spent) / (t - probe._last[2] + 0.3), rel=0.5)
    assert OtherLoad(tmp_path / "missing")() is None


def test_default_threads_are_the_cores_capped_and_shared_by_local_ranks(monkeypatch) -> None:
    monkeypatch.delenv("LOCAL_WORLD_SIZE", raising=False)
    monkeypatch.setattr(device_mod.os, "cpu_count", lambda: 2)
    assert device_mod.default_threads() == 2
    monkeypatch.setattr(device_mod.os, "cpu_count", lambda: 64)
    assert device_mod.default_threads() == 8
    monkeypatch.setenv("LOCAL_WORLD_SIZE", "4")
    assert device_mod.default_threads() == 8
    monkeypatch.setattr(device_mod.os, "cpu_count", lambda: 2)
    assert device_mod.default_threads() == 1


def test_only_threads_left_to_artgan_adapt(monkeypatch) -> None:
    before = torch.get_num_threads()
    monkeypatch.setattr(device_mod, "default_threads", lambda: 2)
    try:
        auto = setup_runtime("cpu", "fp32", 0)
        assert auto.governor is not None and auto.governor.full == 2
        assert "fewer while the machine is busy" in auto.describe("fp32")
        assert setup_runtime("cpu", "fp32", 2).governor is None  # the user's count is kept
        monkeypatch.setattr(device_mod, "default_threads", lambda: 1)
        assert setup_runtime("cpu", "fp32", 0).governor is None
    finally:
        torch.set_num_threads(before)


def test_more_threads_than_cores_are_kept_with_a_warning(monkeypatch) -> None:
    before = torch.get_num_threads()
    monkeypatch.setattr(device_mod.os, "cpu_count", lambda: 1)
    try:
        with pytest.warns(UserWarning, match="--threads 2 is more than this machine's 1 cores"):
            rt = setup_runtime("cpu", "fp32", 2)
        assert torch.get_num_threads() == 2 and rt.governor is None  # as the user asked
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # up to the cores: no warning
            setup_runtime("cpu", "fp32", 1)
            setup_runtime("cpu", "fp32", 0)
    finally:
        torch.set_num_threads(before)


def test_step_took_sets_the_thread_count_and_says_why(monkeypatch) -> None:
    before = torch.get_num_threads()
    monkeypatch.setattr(device_mod, "default_threads", lambda: 2)
    try:
        rt = setup_runtime("cpu", "fp32", 0)
        lines = [rt.step_took(0.1) for _ in range(10)] + [rt.step_took(5.0) for _ in range(5)]
        said = [line for line in lines if line]
        assert said == ["threads: 1 (steps slowed down: another process is using the cores)"]
        assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)


def test_import_sets_a_passive_wait_policy_unless_the_user_chose_one() -> None:
    code = "import os, artgan; print(os.environ['OMP_WAIT_POLICY'])"
    env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.stdout.strip() == "PASSIVE"
    out = subprocess.run([sys.executable, "-c", code], env={**env, "OMP_WAIT_POLICY": "ACTIVE"},
                         capture_output=True, text=True)  # fmt: skip
    assert out.stdout.strip() == "ACTIVE"
