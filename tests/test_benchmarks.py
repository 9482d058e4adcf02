"""The step-cost benchmark's choice of DCGAN baseline (benchmarks/bench_common.py)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

from bench_common import dcgan_baseline, lazy_period, options_of


def test_options_of_splits_the_plus_options() -> None:
    assert options_of("migan-no-sa+hinge+lean+proj") == {"hinge", "lean", "proj"}
    assert options_of("dcgan") == set()


def test_baseline_carries_the_same_critic_options() -> None:
    measured = ["dcgan", "sagan", "dcgan+diffaug+proj", "dcgan+diffaug"]
    # the projected critic's cost is held against a DCGAN that pays for it too
    assert (
        dcgan_baseline("migan+hinge+lean+diffaug+proj+enc-cycle", measured) == "dcgan+diffaug+proj"
    )
    assert dcgan_baseline("sagan+diffaug", measured) == "dcgan+diffaug"
    # options DCGAN was not measured with fall back to the largest subset
    assert dcgan_baseline("migan+hinge+lean", measured) == "dcgan"
    assert dcgan_baseline("dcgan+diffaug+proj", measured) == "dcgan+diffaug+proj"


def test_no_baseline_without_a_fitting_dcgan_row() -> None:
    assert dcgan_baseline("migan+hinge", ["sagan", "dcgan+proj"]) is None


def test_lazy_period_covers_every_lazy_term() -> None:
    assert lazy_period(n_critic=1) == 1  # nothing lazy: any window is representative
    assert lazy_period(n_critic=1, reg_every=4, cycle_every=4) == 4  # migan+hinge-r1+lean
    assert lazy_period(n_critic=1, reg_every=1, cycle_every=4) == 4  # migan+hinge+lean
    # reg_every counts critic steps: with 2 per G step a 4-periodic R1 is due every 2nd
    assert lazy_period(n_critic=2, reg_every=4) == 2
    assert lazy_period(n_critic=5, reg_every=1) == 1  # the preset's WGAN-GP on every step
    assert lazy_period(n_critic=1, reg_every=4, cycle_every=6) == 12


def test_lazy_period_matches_the_trainers_schedule() -> None:
    """Every window of one period holds each lazy term exactly once, per train/step.py's
    rule (critic step index step * n_critic + k, due when ≡ 0 mod reg_every)."""
    for n_critic, reg_every, cycle_every in [(1, 4, 4), (2, 4, 1), (3, 4, 2), (5, 1, 1)]:
        period = lazy_period(n_critic, reg_every, cycle_every)
        for start in range(12):
            window = range(start, start + period)
            reg = sum((s * n_critic + k) % reg_every == 0 for s in window for k in range(n_critic))
            cyc = sum(s % cycle_every == 0 for s in window)
            assert cyc == period // cycle_every
            assert reg == period * n_critic // reg_every
