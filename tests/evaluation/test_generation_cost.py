"""Generation cost: one row for a one-pass generator, one per DDIM step count for a
diffusion model, and the model's own step count left as it was; the report's table."""

from __future__ import annotations

from artgan.config import resolve
from artgan.evaluation import generation_cost
from artgan.experiments.report import generation_table
from artgan.sampling import load_generator
from artgan.train import Trainer
from helpers import TINY_TRAIN


def test_one_pass_generator_has_one_row(trained_run):
    cost = generation_cost(trained_run, reps=2, batch=4)
    assert cost["precision"] == "fp32" and len(cost["rows"]) == 1
    row = cost["rows"][0]
    assert row["steps"] is None and row["ms_per_image_b1"] > 0 and row["images_per_s_b4"] > 0


def test_diffusion_is_timed_per_step_count_and_costs_more_with_more_steps(tmp_path, tiny_data):
    cfg = resolve("ddpm", None, [{"data": {"resolution": 16},
                                  "model": {"g_channels": 8, "channel_mult": "1,2",
                                            "attn_resolutions": "", "num_res_blocks": 1,
                                            "timesteps": 40, "sample_steps": 5},
                                  "train": {**TINY_TRAIN, "steps": 1}}])  # fmt: skip
    Trainer(cfg, tmp_path / "d", dataset=tiny_data).fit()
    lg = load_generator(tmp_path / "d")
    cost = generation_cost(lg, steps=(2, 30, 80), reps=3, batch=4)
    rows = cost["rows"]
    assert [r["steps"] for r in rows] == [2, 5, 30]  # 80 > T = 40 is left out; 5 is its own
    assert lg.G.steps == 5
    assert rows[-1]["ms_per_image_b1"] > 3 * rows[0]["ms_per_image_b1"]  # 15× the passes
    table = "\n".join(generation_table({"ddpm": cost, "dcgan": {}}, ["dcgan", "ddpm"]))
    assert "| ddpm | 30 DDIM steps |" in table and "dcgan" not in table


def test_generation_table_is_empty_without_measurements():
    assert generation_table({}, ["dcgan"]) == []
    assert generation_table({"dcgan": {"rows": [{"steps": None, "ms_per_image_b1": 2.0,
                                                "images_per_s_b64": 500.0}]}}, ["dcgan"])[
        -1] == "| dcgan | 1 pass | 2.0 | 500.0 |"  # fmt: skip
