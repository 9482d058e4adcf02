"""`artgan ablate`'s report beside the paper's Table 1: which experiments are ablation
sets, the verdict rule, and the rendered table."""

from __future__ import annotations

from typing import Any

import pytest

from artgan.cli import main
from artgan.experiments import ExperimentPlan, ablate_variants
from artgan.experiments.report import COLUMNS, render_markdown
from artgan.experiments.table1 import PAPER_TABLE1, ablation_set, fid_verdict, table1_lines

OPTS = "+hinge-r1+lean+diffaug+proj"


def _summary(fids: dict[str, list[float]]) -> dict[str, dict[str, Any]]:
    """A report summary with FID mean/std over the given seeds and a few other columns."""
    out: dict[str, dict[str, Any]] = {}
    for variant, vals in fids.items():
        mean = sum(vals) / len(vals)
        std = (sum((v - mean) ** 2 for v in vals) / (len(vals) - 1)) ** 0.5 if len(vals) > 1 else 0
        out[variant] = {
            **{key: {"unavailable": "not computed"} for key, *_ in COLUMNS},
            "train_steps": {"mean": 600.0, "std": 0.0, "n": 1},
            "train_seconds": {"mean": 3600.0, "std": 0.0, "n": 1},
            "wall_seconds": {"mean": 4000.0, "std": 0.0, "n": 1},
            "n_seeds": len(vals),
            "fid": {"mean": mean, "std": std, "n": len(vals)},
            "kid": {"mean": mean / 1000, "std": 0.0, "n": 1},
            "ssim": {"mean": 0.25, "std": 0.0, "n": 1},
            "images_shown": {"mean": 21_000.0, "std": 0.0, "n": 1},
        }
    return out


def test_ablation_sets_are_recognised_and_other_experiments_are_not():
    variants = ablate_variants("migan" + OPTS)
    full, removed = ablation_set(variants)
    assert full == "migan" + OPTS
    assert removed == {a: f"migan-no-{a}{OPTS}" for a in ("ams", "sft", "sa", "eca")}
    assert ablation_set(ablate_variants("migan"))[1]["sa"] == "migan-no-sa"
    assert ablation_set(["dcgan", "sagan", "migan"]) is None  # a comparison
    assert ablation_set(["migan"]) is None
    assert ablation_set(["migan+lean", "migan-no-sa"]) is None  # options differ
    assert ablation_set(["migan", "migan-no-sa-no-eca"]) is None  # not a single ablation
    assert ablation_set(["migan-no-sa", "migan-no-eca"]) is None  # no full model
    assert ablation_set(["migan", "migan-no-sa", "migan-no-sa"]) is None
    assert ablation_set(["migan", "nope-no-sa"]) is None


@pytest.mark.parametrize(
    "fid_without, word",
    [(230.0, "helps"), (170.0, "hurts"), (215.0, "no clear effect"), (181.0, "no clear effect")],
)
def test_one_seed_verdict_uses_the_stated_margin(fid_without, word):
    # full model FID 200: the one-seed margin is 10 % of it, 20 FID
    s = _summary({"migan": [200.0], "migan-no-sa": [fid_without]})
    verdict = fid_verdict(s, "migan", "migan-no-sa")
    assert verdict.startswith(word + " (")
    assert f"FID {fid_without - 200:+.1f}" in verdict and "margin 10% of FID = 20.0" in verdict


def test_several_seeds_use_twice_the_seed_spread():
    # stds: full 2.83, ablation 14.14 → margin 28.3; +25 is inside it, +40 outside
    s = _summary({"m": [198.0, 202.0], "m-no-sa": [215.0, 235.0], "m-no-eca": [230.0, 250.0]})
    assert fid_verdict(s, "m", "m-no-sa").startswith("no clear effect")
    assert fid_verdict(s, "m", "m-no-eca").startswith("helps")
    assert "margin 2×seed std = 28.3" in fid_verdict(s, "m", "m-no-sa")
    assert fid_verdict(s, "m", "m-no-ams") == "not evaluated yet"


def test_report_puts_the_paper_beside_ours_for_an_ablation_only():
    variants = ablate_variants("migan" + OPTS)
    fids = dict(zip(variants, ([200.0], [260.0], [205.0], [150.0], [199.0]), strict=True))
    s = _summary(fids)
    lines = table1_lines(variants, s, "seconds")
    text = "\n".join(lines)
    assert "## Beside the paper's Table 1" in text
    # the paper's numbers as printed, one row per module, full model first
    assert "| full model | 21k | 48.25 | 0.6917 | 0.5834 | 4.94 | 200.0 |" in text
    assert f"| without AMS | 21k | {PAPER_TABLE1['ams']['fid']:.2f} |" in text
    assert "- AMS: helps (FID +60.0;" in text and "FID +30 % without it here" in text
    assert "(paper: FID +44 % without it)" in text  # 69.53 vs 48.25
    assert "- SA: hurts (FID -50.0;" in text
    assert "- SFT: no clear effect" in text and "- ECA: no clear effect" in text
    not_an_ablation = _summary({"dcgan": [1.0], "sagan": [2.0]})
    assert table1_lines(["dcgan", "sagan"], not_an_ablation, "steps") == []
    plan = ExperimentPlan(data=None, variants=variants, budget="10m")
    md = render_markdown(plan, s, "artgan ablate ...", {"cpu_count": 2}, None, None)
    assert "## Beside the paper's Table 1" in md and "without ECA" in md
    assert "same training time, so a cheaper ablation saw more images" in md
    # a step budget: every run saw as many images; the report must not say otherwise
    plan = ExperimentPlan(data=None, variants=variants, budget="850")
    md = render_markdown(plan, s, "artgan ablate ...", {"cpu_count": 2}, None, None)
    assert "same number of steps, so every run saw the same number of images" in md
    assert "saw more images" not in md


def test_cli_ablate_keeps_the_options_of_the_model_it_ablates(tmp_path, monkeypatch, capsys):
    seen = {}

    def fake_run(plan, out, progress=True, command="", jobs=1):
        seen["plan"] = plan
        return tmp_path / "report.md"

    monkeypatch.setattr("artgan.cli.experiments.run_experiment", fake_run)
    args = ["ablate", "--model", "migan" + OPTS, "--out", str(tmp_path), "--no-progress"]
    assert main(args) == 0
    assert seen["plan"].variants == ablate_variants("migan" + OPTS)
    cfg = seen["plan"].config_for("migan-no-ams" + OPTS, 0)
    assert cfg.model.use_ams is False and cfg.model.use_sft is True
    assert cfg.model.d_backbone == "efficientnet-lite0" and cfg.loss.name == "hinge"
    assert main(["ablate", "--model", "migan+nope", "--out", str(tmp_path)]) == 2
    assert "unknown option '+nope'" in capsys.readouterr().err
