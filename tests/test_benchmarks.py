"""The benchmarks' helpers: the DCGAN row each variant is held against and the timing
window that covers its lazy terms (bench_common.py); the idle-cost statistics and its
paired measurement (bench_idle_cost.py)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

from bench_common import dcgan_baseline, lazy_period, options_of, shared_options


def test_options_of_splits_the_plus_options() -> None:
    assert options_of("migan-no-sa+hinge+lean+proj") == {"hinge", "lean", "proj"}
    assert options_of("dcgan") == set()


def test_shared_options_are_the_ones_every_model_takes() -> None:
    assert shared_options() == {"diffaug", "ada", "noaug", "proj"}


def test_baseline_carries_the_same_critic_options() -> None:
    measured = ["dcgan", "sagan", "dcgan+diffaug+proj", "dcgan+diffaug"]
    # the projected critic's cost is held against a DCGAN that pays for it too
    migan_cpu = "migan+hinge+lean+diffaug+proj+enc-cycle"
    assert dcgan_baseline(migan_cpu, measured) == "dcgan+diffaug+proj"
    assert dcgan_baseline("sagan+diffaug", measured) == "dcgan+diffaug"
    # MIGAN-only options are not the baseline's business
    assert dcgan_baseline("migan+hinge+lean", measured) == "dcgan"
    assert dcgan_baseline("dcgan+proj+diffaug", measured) == "dcgan+diffaug+proj"


def test_no_baseline_without_the_same_options_measured() -> None:
    assert dcgan_baseline("migan+hinge", ["sagan", "dcgan+proj"]) is None
    # a DCGAN with only some of the options is not "the same options"
    assert dcgan_baseline("migan+diffaug+proj", ["dcgan", "dcgan+diffaug"]) is None


def test_lazy_period_covers_every_lazy_term() -> None:
    assert lazy_period(n_critic=1) == 1  # nothing lazy: any window is representative
    assert lazy_period(n_critic=1, reg_every=4, cycle_every=4) == 4  # migan+hinge-r1+lean
    assert lazy_period(n_critic=1, reg_every=1, cycle_every=4) == 4  # migan+hinge+lean
    # reg_every counts critic steps: with 2 per G step a 4-periodic R1 is due every 2nd
    assert lazy_period(n_critic=2, reg_every=4) == 2
    assert lazy_period(n_critic=5, reg_every=1) == 1  # the preset's WGAN-GP on every step
    assert lazy_period(n_critic=1, reg_every=4, cycle_every=6) == 12


def test_lazy_period_matches_the_trainers_schedule() -> None:
    """Every window of one period, wherever it starts, holds each lazy term as often as
    its average rate in training, per train/step.py's rule (critic step index
    step * n_critic + k, due when ≡ 0 mod reg_every) and the image cycle's (step % k)."""
    for n_critic, reg_every, cycle_every in [(1, 4, 4), (2, 4, 1), (3, 4, 2), (5, 1, 1)]:
        period = lazy_period(n_critic, reg_every, cycle_every)
        for start in range(12):
            window = range(start, start + period)
            reg = sum((s * n_critic + k) % reg_every == 0 for s in window for k in range(n_critic))
            cyc = sum(s % cycle_every == 0 for s in window)
            assert cyc == period // cycle_every
            assert reg == period * n_critic // reg_every


def test_timing_note_claims_the_flop_method_only_for_results_that_used_it() -> None:
    from bench_models import _timing_note

    base = {"rounds": 3, "steps_per_round": 10}
    new = _timing_note({**base, "rows": [{"steps_per_round": 12, "flops_over_lazy_period": True}]})
    assert "and the FLOP count, pays for them" in new and "older" not in new
    # whole-period rounds, FLOPs counted on one step (the v4 results)
    mid = _timing_note({**base, "rows": [{"steps_per_round": 12}]})
    assert "FLOP count, pays" not in mid and "FLOPs were counted on one step" in mid
    old = _timing_note({**base, "rows": [{}]})  # rounds could leave out the lazy terms
    assert "could leave out" in old and "at least" not in old


def _procs(*ratios_per_process: list[float]) -> list[dict]:
    """Processes whose governed blocks took ``ratio`` × their pinned partners."""
    return [{"governed": [1.3 * r for r in rs], "pinned": [1.3] * len(rs)}
            for rs in ratios_per_process]  # fmt: skip


def test_idle_cost_is_the_geometric_mean_with_an_interval_around_it() -> None:
    from bench_idle_cost import summarize, verdict

    s = summarize(_procs([1.1] * 6, [1.1] * 6))
    assert s["cost"] == pytest.approx(0.1) and s["ci95"] == pytest.approx([0.1, 0.1])
    assert verdict(s) == "over" and s["governed_slower"] == 12 and s["pairs"] == 12
    s = summarize(_procs([1.0, 1.0], [1.0]))
    assert s["cost"] == pytest.approx(0.0) and verdict(s) == "within"
    # x and 1/x cancel in a geometric mean (an arithmetic one would call it a cost)
    s = summarize(_procs([1.25, 0.8] * 4))
    assert s["cost"] == pytest.approx(0.0, abs=1e-12)
    assert s["ci95"][0] < -0.05 < 0.05 < s["ci95"][1] and verdict(s) == "undecided"


def test_idle_cost_interval_carries_the_process_to_process_spread() -> None:
    from bench_idle_cost import summarize

    # every block agrees within its process, the processes do not: the interval must not
    # shrink to the blocks' (zero) spread
    s = summarize(_procs([1.2] * 8, [0.85] * 8, [1.0] * 8))
    lo, hi = s["ci95"]
    assert lo <= -0.1 and hi >= 0.15 and s["per_process"] == pytest.approx([0.2, -0.15, 0.0])


def test_idle_cost_child_times_both_arms_in_one_process() -> None:
    from bench_idle_cost import measure

    r = measure("dcgan@32", blocks=2, per=1, block_s=1.0, precision="fp32")
    assert len(r["governed"]) == len(r["pinned"]) == 2 and min(r["pinned"]) > 0
    # idle (or not), the governor keeps a count between one thread and the full team
    assert r["governed_at_all"] == (r["full"] > 1) and all(
        1 <= t <= r["full"] for t in r["threads"]
    )


def test_assemble_names_the_command_that_measured_not_its_own(tmp_path) -> None:
    import json
    import subprocess

    table = tmp_path / "busy_machine"
    table.with_suffix(".md").write_text("# a table\n")
    table.with_suffix(".json").write_text(json.dumps({"date": "2026-12-06 01:04"}))
    measured = "python benchmarks/run_all.py --run some/run --out elsewhere"
    (tmp_path / "run_all.json").write_text(json.dumps({"command": measured}))
    script = Path(__file__).resolve().parents[1] / "benchmarks" / "run_all.py"
    cmd = [sys.executable, str(script), "--assemble", "--out", str(tmp_path)]
    subprocess.run(cmd, check=True, capture_output=True)
    summary = (tmp_path / "SUMMARY.md").read_text()
    assert f"Made by `{measured}`" in summary and "busy_machine.md 2026-12-06 01:04" in summary
    assert "# a table" in summary
    (tmp_path / "run_all.json").unlink()  # none recorded: the assembling command it is
    subprocess.run(cmd, check=True, capture_output=True)
    assert (
        f"Made by `python benchmarks/run_all.py --out {tmp_path}`"
        in (tmp_path / "SUMMARY.md").read_text()
    )


def test_a_malformed_workload_is_a_one_line_error_before_any_measurement() -> None:
    from bench_args import workloads

    assert workloads("dcgan@32, migan+hinge@64") == ["dcgan@32", "migan+hinge@64"]
    for bad in ("dcgan", "dcgan@", "@32", "dcgan@x", "dcgan@0", "dcgan@32,"):
        with pytest.raises(SystemExit, match="use NAME@PIXELS"):
            workloads(bad)
