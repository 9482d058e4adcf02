"""FID at equal images shown, read off the monitor curves (experiments/curves.py)."""

from __future__ import annotations

import json

import pytest

from artgan.experiments.curves import equal_shown_lines, fid_at_equal_shown, interpolate
from artgan.experiments.plan import ExperimentPlan


def test_interpolate_is_linear_inside_and_refuses_to_extrapolate():
    xs, ys = [10.0, 20.0, 40.0], [200.0, 100.0, 80.0]
    assert interpolate(xs, ys, 15.0) == pytest.approx(150.0)
    assert interpolate(xs, ys, 30.0) == pytest.approx(90.0)
    assert interpolate(xs, ys, 10.0) == 200.0 and interpolate(xs, ys, 40.0) == 80.0
    assert interpolate(xs, ys, 9.9) is None and interpolate(xs, ys, 40.1) is None
    assert interpolate([], [], 1.0) is None
    assert interpolate([5.0], [7.0], 5.0) == 7.0


def _run(per_step: int, curve: list[tuple[int, float]]) -> dict:
    points = [{"step": s, "fid": f, "train_seconds": 60.0 * s} for s, f in curve]
    return {"images_per_step": per_step, "fid_curve": points}


def test_curves_are_read_at_the_most_images_every_run_reached():
    # migan: batch 32, last point at 3,200 images; dcgan: batch 64, reaches 6,400.
    runs = {
        "migan": {0: _run(32, [(50, 200.0), (100, 150.0)])},
        "dcgan": {0: _run(64, [(25, 260.0), (50, 180.0), (100, 120.0)])},
    }
    shown, fids = fid_at_equal_shown(runs, ["migan", "dcgan"])
    assert shown == 3200.0  # migan's last point, the fewer images
    assert fids["migan"] == 150.0
    assert fids["dcgan"] == pytest.approx(180.0)  # dcgan's step 50 = 3,200 images exactly
    lines = equal_shown_lines(runs, ["migan", "dcgan"], 500, "bf16")
    text = "\n".join(lines)
    assert "3,200 real images" in text and "500 bf16 samples" in text
    assert "| migan | 150.0 |" in text and "| dcgan | 180.0 |" in text
    assert "migan 150.0 vs dcgan 180.0: 16.7 % lower (better)" in text


def test_seeds_are_averaged_migan_leads_and_curveless_models_are_named():
    runs = {
        "dcgan": {0: _run(64, [(25, 260.0), (50, 180.0)])},
        # two seeds, the second stops earlier (2,400 images): everything is read there
        "migan": {
            0: _run(32, [(50, 200.0), (100, 150.0)]),
            1: _run(32, [(25, 300.0), (75, 200.0)]),
        },
        "sagan": {0: {"images_per_step": 32}},
    }
    shown, fids = fid_at_equal_shown(runs, ["dcgan", "migan", "sagan"])
    assert shown == 2400.0 and set(fids) == {"dcgan", "migan"}
    assert fids["migan"] == pytest.approx((175.0 + 200.0) / 2)
    assert fids["dcgan"] == pytest.approx(260.0 - 80.0 * (2400 - 1600) / 1600)
    text = "\n".join(equal_shown_lines(runs, ["dcgan", "migan", "sagan"], 500, "bf16"))
    assert "migan 187.5 vs dcgan 220.0: 14.8 % lower (better)" in text  # migan leads
    assert "no monitor curve (left out): sagan" in text


def test_no_table_without_two_overlapping_curves():
    one = {"migan": {0: _run(32, [(50, 200.0)])}, "dcgan": {0: {"images_per_step": 64}}}
    assert fid_at_equal_shown(one, ["migan", "dcgan"]) is None
    assert equal_shown_lines(one, ["migan", "dcgan"], 500, "bf16") == []
    # dcgan's curve starts (12,800 images) after migan's ends (3,200): nothing to compare.
    apart = {"migan": {0: _run(32, [(50, 200.0), (100, 150.0)])},
             "dcgan": {0: _run(64, [(200, 100.0), (300, 90.0)])}}  # fmt: skip
    assert fid_at_equal_shown(apart, ["migan", "dcgan"]) is None


def test_the_report_carries_the_equal_images_table(tmp_path):
    from artgan.experiments.report import write_report

    plan = ExperimentPlan(data=None, variants=["migan", "dcgan"], budget="10m", fid_n=250)
    for variant, run in (("migan", _run(32, [(50, 200.0), (100, 150.0)])),
                         ("dcgan", _run(64, [(50, 180.0), (100, 120.0)]))):  # fmt: skip
        d = tmp_path / "runs" / f"{variant}-s0"
        d.mkdir(parents=True)
        (d / "eval.json").write_text(json.dumps({"fid": 100.0, "n_fake": 2000, **run}))
    md = write_report(plan, tmp_path, "", {"monitor_precision": "fp32"}).read_text()
    assert "Monitor FID at equal images shown: 3,200" in md and "250 fp32 samples" in md
    assert "migan 150.0 vs dcgan 180.0" in md
    # rows that say how the monitor ran (newer runs) are believed over the plan
    ev = json.loads((tmp_path / "runs" / "dcgan-s0" / "eval.json").read_text())
    for p in ev["fid_curve"]:
        p.update(n_fake=500, precision="bf16")
    (tmp_path / "runs" / "dcgan-s0" / "eval.json").write_text(json.dumps(ev))
    md = write_report(plan, tmp_path, "", {"monitor_precision": "fp32"}).read_text()
    assert "250 fp32 or 500 bf16 samples" in md
