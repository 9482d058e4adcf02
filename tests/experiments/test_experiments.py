"""`artgan compare` / `ablate`: budgets, variants, the plan guard, resume, the report."""

from __future__ import annotations

import json
import types

import pytest
import torch

from artgan.cli import main
from artgan.errors import ArtganError, Interrupted
from artgan.experiments import ExperimentPlan, parse_budget, parse_variant, run_experiment
from artgan.experiments import runner as runner_mod
from artgan.experiments.plan import (
    OPTIONS,
    ablate_variants,
    lead_variant,
    split_variant,
    variant_layers,
)
from artgan.experiments.report import fid_gains
from artgan.io.checkpoint import load_checkpoint
from artgan.models import get_model
from artgan.runtime import resolve_precision
from helpers import write_class_folders


@pytest.mark.parametrize(
    "text, expected",
    [("60m", ("seconds", 3600.0)), ("2h", ("seconds", 7200.0)), ("90s", ("seconds", 90.0)),
     ("1.5h", ("seconds", 5400.0)), ("3000", ("steps", 3000.0)), ("40 steps", ("steps", 40.0))],
)  # fmt: skip
def test_parse_budget(text, expected):
    assert parse_budget(text) == expected


@pytest.mark.parametrize("option", sorted(OPTIONS))
def test_every_option_is_a_valid_migan_config_that_sets_what_it_says(option):
    from artgan.config import resolve

    model, layers = variant_layers(f"migan+hinge-r1+{option}")
    cfg = resolve(model, None, layers)
    for section, values in OPTIONS[option].items():
        for key, value in values.items():
            assert getattr(getattr(cfg, section), key) == value, (option, section, key)


@pytest.mark.parametrize("bad", ["", "0m", "soon", "-5m", "2.5steps", "3d"])
def test_bad_budgets_are_explained(bad):
    with pytest.raises(ArtganError, match="budget"):
        parse_budget(bad)


def test_split_variant_separates_model_from_ordered_options():
    assert split_variant(" Migan-no-SA+Lean+proj ") == ("migan-no-sa", ["lean", "proj"])
    assert split_variant("dcgan") == ("dcgan", [])
    # every ablation keeps the full model's options, in its order
    variants = ablate_variants("MIGAN+proj+lean")
    assert variants[0] == "migan+proj+lean"
    assert len(variants) == 5
    assert all(split_variant(v)[1] == ["proj", "lean"] for v in variants)
    assert [split_variant(v)[0] for v in variants[1:]] == [
        f"migan-no-{a.name}" for a in get_model("migan").ablations
    ]


def test_variants_map_to_ablation_flags():
    assert parse_variant("migan") == ("migan", {})
    assert parse_variant("migan-no-sa-no-eca") == ("migan", {"use_sa": False, "use_eca": False})
    with pytest.raises(ArtganError, match="has no ablation 'xyz' .*-no-ams, -no-sft"):
        parse_variant("migan-no-xyz")
    with pytest.raises(ArtganError, match="model 'dcgan' has no ablation 'sa' .*none"):
        parse_variant("dcgan-no-sa")
    with pytest.raises(ArtganError, match="unknown model"):
        parse_variant("stylegan9")


def test_every_variant_gets_its_own_preset_and_the_shared_settings():
    plan = ExperimentPlan(
        data="/x",
        variants=["dcgan", "migan-no-ams"],
        budget="30m",
        resolution=32,
        precision="fp32",
        extra=["train.batch_size=16"],
    )
    d, m = plan.config_for("dcgan", 1), plan.config_for("migan-no-ams", 1)
    assert (d.loss.name, m.loss.name) == ("bce", "wgan-gp")  # each model's own preset
    assert m.model.use_ams is False and m.model.use_sft is True
    for cfg in (d, m):
        assert cfg.data.path == "/x" and cfg.data.resolution == 32 and cfg.train.seed == 1
        assert cfg.train.time_budget == 1800.0 and cfg.train.batch_size == 16
    steps = ExperimentPlan(data=None, variants=["dcgan"], budget="25").config_for("dcgan", 0)
    assert steps.train.steps == 25 and steps.train.time_budget == 0.0
    assert (steps.train.fid_every, steps.train.fid_every_seconds) == (500, 0.0)
    timed = ExperimentPlan(data=None, variants=["dcgan"], fid_every="10m").config_for("dcgan", 0)
    assert (timed.train.fid_every, timed.train.fid_every_seconds) == (0, 600.0)
    off = ExperimentPlan(data=None, variants=["dcgan"], fid_every="0").config_for("dcgan", 0)
    assert (off.train.fid_every, off.train.fid_every_seconds) == (0, 0.0)


def test_best_cpu_preset_is_the_measured_recipe():
    """`artgan train --preset best-cpu` trains what bench_quality measured as fastgan+proj."""
    from artgan.config import resolve

    best = resolve("best-cpu")
    recipe = ExperimentPlan(data=None, variants=["fastgan+proj"]).config_for("fastgan+proj", 0)
    for section in ("data", "model", "optim", "loss", "d_augment"):
        assert getattr(best, section) == getattr(recipe, section), section
    assert best.train.batch_size == recipe.train.batch_size
    assert (best.model.name, best.model.d_backbone, best.d_augment.name) == (
        "fastgan", "efficientnet-lite0", "diffaug")  # fmt: skip


def test_migan_cpu_preset_is_the_measured_recipe():
    """`--preset migan-cpu` trains what docs/results/compare-v2-64px-60m-bf16 measured as
    migan+hinge+lean+diffaug+proj+enc-cycle, with every module of the paper kept."""
    from artgan.config import resolve

    preset = resolve("migan-cpu")
    name = "migan+hinge+lean+diffaug+proj+enc-cycle"
    recipe = ExperimentPlan(data=None, variants=[name]).config_for(name, 0)
    for section in ("data", "model", "optim", "loss", "d_augment"):
        assert getattr(preset, section) == getattr(recipe, section), section
    assert preset.train.batch_size == recipe.train.batch_size
    m = preset.model
    assert (m.use_ams, m.use_sft, m.use_sa, m.use_eca) == (True, True, True, True)
    assert (m.cycle_trains, preset.loss.name, preset.loss.r1_gamma) == ("encoder", "hinge", 0.0)


def test_plan_rejects_duplicates_and_bad_counts():
    with pytest.raises(ArtganError, match="listed twice"):
        ExperimentPlan(data=None, variants=["dcgan", "dcgan"])
    with pytest.raises(ArtganError, match="seeds must be"):
        ExperimentPlan(data=None, variants=["dcgan"], seeds=0)
    with pytest.raises(ArtganError, match="'often' not understood"):
        ExperimentPlan(data=None, variants=["dcgan"], fid_every="often")


def test_fid_gain_is_migan_relative_to_each_baseline():
    summary = {"dcgan": {"fid": {"mean": 150.0}}, "migan": {"fid": {"mean": 100.0}},
               "sagan": {"fid": {"mean": 80.0}}}  # fmt: skip
    lines = fid_gains(summary, ["dcgan", "sagan", "migan"])
    assert lines == ["- migan FID 100.00 vs dcgan 150.00: 33.3 % lower (better)",
                     "- migan FID 100.00 vs sagan 80.00: 25.0 % higher (worse)"]  # fmt: skip
    # The lead is the first MIGAN variant whatever its options or place, else the first.
    assert lead_variant(["dcgan+proj", "MIGAN+lean+proj", "migan"]) == "MIGAN+lean+proj"
    assert lead_variant(["migan-no-sa", "migan"]) == "migan-no-sa"
    assert lead_variant(["dcgan", "sagan"]) == "dcgan" and lead_variant([]) == ""


TINY = ["model.z_dim=16", "model.g_channels=8", "model.d_channels=8", "model.max_channels=32",
        "model.cond_channels=8", "model.cycle_batch=4", "model.perceptual_layers=relu1_2",
        "train.batch_size=8", "train.n_samples=8"]  # fmt: skip


def _plan(data, **kw) -> ExperimentPlan:
    args = {"data": str(data), "variants": ["dcgan", "migan"], "budget": "4", "resolution": 16,
            "precision": "fp32", "threads": 1, "fid_every": 2, "fid_n": 8, "eval_n": 8,
            # The compare plumbing; the floor and memorisation have tests of their own.
            "metrics": "fid,kid,is,ssim,msssim,sd,lpips",
            "extra": [*TINY, "train.ckpt_every=2", "train.log_every=1"], **kw}  # fmt: skip
    return ExperimentPlan(**args)


@pytest.mark.parametrize(
    ("args", "says"),
    [({"data": "MISSING"}, "does not exist"), ({"data": "EMPTY"}, "contains no image files"),
     ({"resolution": 8}, "needs at least 16 px"), ({"resolution": 33}, "power of two"),
     ({"threads": -1}, "threads")],
)  # fmt: skip
def test_arguments_that_cannot_run_are_refused_before_the_folder_is_claimed(tmp_path, args, says):
    (tmp_path / "empty").mkdir()
    where = {"MISSING": str(tmp_path / "typo"), "EMPTY": str(tmp_path / "empty")}
    args = {k: where.get(v, v) if isinstance(v, str) else v for k, v in args.items()}
    plan = ExperimentPlan(**{"data": None, "variants": ["dcgan"], "budget": "4", **args})
    with pytest.raises(ArtganError, match=says):
        runner_mod.load_or_create_plan(tmp_path / "exp", plan)
    # nothing written: the same command with the argument mended starts afresh
    assert not (tmp_path / "exp" / "plan.json").exists()


def test_a_model_listed_twice_in_any_case_is_refused():
    with pytest.raises(ArtganError, match="a model is listed twice"):
        ExperimentPlan(data=None, variants=["dcgan", "DCGAN"])


def test_ctrl_c_during_a_final_evaluation_names_the_run_and_what_is_owed(tmp_path, monkeypatch):
    evaluated = []

    def evaluate(plan, run_dir, progress):
        if run_dir.name == "migan-s0":
            raise KeyboardInterrupt  # Ctrl-C while its metrics are computed
        evaluated.append(run_dir.name)
        (run_dir / "eval.json").write_text("{}")

    monkeypatch.setattr(runner_mod, "warm_reference_stats", lambda plan, progress: None)
    monkeypatch.setattr(runner_mod, "_train", lambda p, v, s, run_dir, g: run_dir.mkdir(
        parents=True, exist_ok=True))  # fmt: skip
    monkeypatch.setattr(runner_mod, "_evaluate", evaluate)
    monkeypatch.setattr(runner_mod, "write_report", lambda *a: None)
    plan = ExperimentPlan(**{**_plan(tmp_path).to_dict(), "data": None,
                             "variants": ["dcgan", "migan", "sagan"]})  # fmt: skip
    owed = (r"^migan-s0 trained; its final evaluation was stopped \(nothing of it kept\); "
            r"2 of 3 runs owed\. Continue with the same command: artgan compare X$")  # fmt: skip
    with pytest.raises(Interrupted, match=owed):
        run_experiment(plan, tmp_path / "exp", progress=False, command="artgan compare X")
    assert evaluated == ["dcgan-s0"]  # sagan never started


@pytest.mark.slow
def test_compare_resumes_after_an_interruption_and_reports(
    tmp_path, tiny_data, monkeypatch, capsys
):
    data = write_class_folders(tmp_path / "paintings", tiny_data)
    monkeypatch.setenv("ARTGAN_CACHE", str(tmp_path / "cache"))
    out = tmp_path / "exp"
    real_fit = runner_mod._train

    def interrupted(plan, variant, seed, run_dir, progress):
        if variant == "migan":  # stop migan at step 2 of 4, as Ctrl-C would
            from artgan.config import replace
            from artgan.train import Trainer

            cfg = replace(plan.config_for(variant, seed), {"train": {"progress": False}})
            Trainer(cfg, run_dir).fit(until_step=2)
            where = "at step 2; checkpoint saved to C"
            raise Interrupted(f"{where}. Continue with: artgan train --resume {run_dir}", where)
        real_fit(plan, variant, seed, run_dir, progress)

    monkeypatch.setattr(runner_mod, "_train", interrupted)
    # The message names the run and what is owed, and points at the experiment's command,
    # not at `train --resume` (which would skip the evaluation and the runs after it).
    owed = (r"^migan-s0 at step 2; checkpoint saved to C; 1 of 2 runs owed\. Continue with "
            r"the same command: artgan compare X$")  # fmt: skip
    with pytest.raises(Interrupted, match=owed):
        run_experiment(_plan(data), out, progress=False, command="artgan compare X")
    assert "== run 2/2: migan-s0" in capsys.readouterr().err
    dcgan_eval = (out / "runs" / "dcgan-s0" / "eval.json").read_text()
    assert not (out / "runs" / "migan-s0" / "eval.json").exists()

    # A different command on the same folder is refused, naming what changed.
    with pytest.raises(ArtganError, match="budget: '4' → '6'"):
        run_experiment(_plan(data, budget="6"), out, progress=False)

    monkeypatch.setattr(runner_mod, "_train", real_fit)
    report = run_experiment(_plan(data), out, progress=False)
    assert "== run 2/2: migan-s0" in capsys.readouterr().err  # counted in the whole plan
    # dcgan was not retrained or re-evaluated; migan continued from its step-2 checkpoint.
    assert (out / "runs" / "dcgan-s0" / "eval.json").read_text() == dcgan_eval
    rows = [
        json.loads(x)
        for x in (out / "runs" / "migan-s0" / "metrics.jsonl").read_text().split("\n")
        if x
    ]
    assert [r["step"] for r in rows if "loss_d" in r] == [1, 2, 3, 4]

    # The resumed run equals one trained in one go (the trainer's exact resume).
    clean = tmp_path / "clean"
    run_experiment(_plan(data, variants=["migan"]), clean, progress=False)
    a = load_checkpoint(out / "runs" / "migan-s0" / "checkpoints" / "ckpt_0000004.pt")
    b = load_checkpoint(clean / "runs" / "migan-s0" / "checkpoints" / "ckpt_0000004.pt")
    for key, t in a["models"]["G"].items():
        assert torch.equal(t, b["models"]["G"][key]), key

    text = report.read_text()
    assert "| dcgan | 4 |" in text and "| migan | 4 |" in text
    assert "unavailable" in text  # dcgan has no encoder: no reconstruction metrics
    results = json.loads((out / "results.json").read_text())
    fids = {v: results["summary"][v]["fid"]["mean"] for v in ("dcgan", "migan")}
    assert all(f > 0 for f in fids.values())
    assert results["runs"]["migan"]["0"]["fid_curve"][-1]["step"] == 4
    assert (out / "fid_curve.png").stat().st_size > 0
    from PIL import Image

    assert Image.open(out / "samples.png").width > 2 * Image.open(
        out / "runs" / "migan-s0" / "samples" / "latest.png").width - 1  # fmt: skip
    # Real images' features were computed once and then served every FID monitor and final
    # evaluation of both experiments from the cache, whatever the number of runs: the test
    # split's Inception statistics once per precision used (fp32 for evaluation, the
    # monitor's own), and the floor's training paintings once.
    expected = len({"fp32", resolve_precision("auto", torch.device("cpu"))}) + 1
    assert len(list((tmp_path / "cache" / "stats").glob("*.npz"))) == expected


def test_cli_ablate_lists_migan_and_its_four_ablations(tmp_path, monkeypatch):
    seen = {}

    def fake_run(plan, out, progress=True, command="", jobs=1):
        seen["plan"] = plan
        return tmp_path / "report.md"

    monkeypatch.setattr("artgan.cli.experiments.run_experiment", fake_run)
    assert main(["ablate", "--out", str(tmp_path), "--budget", "10m", "--no-progress"]) == 0
    assert seen["plan"].variants == ["migan", "migan-no-ams", "migan-no-sft", "migan-no-sa",
                                     "migan-no-eca"]  # fmt: skip
    for v in seen["plan"].variants[1:]:  # each really removes its module
        cfg = seen["plan"].config_for(v, 0)
        assert getattr(cfg.model, "use_" + v.split("-no-")[1]) is False
    assert get_model("migan").encoder is not None


def test_cli_compare_reports_a_bad_model_clearly(tmp_path, capsys):
    assert main(["compare", "--models", "dcgan,nope", "--out", str(tmp_path)]) == 2
    assert "unknown model 'nope'" in capsys.readouterr().err


def test_time_budget_stops_training_and_is_kept_across_resume(tmp_path, tiny_data):
    from artgan.train import Trainer, resume_config
    from helpers import tiny_config

    cfg = tiny_config({"train": {"steps": 1000, "time_budget": 1e-6, "ckpt_every": 500}})
    first = Trainer(cfg, tmp_path / "run", dataset=tiny_data)
    ckpt_path = first.fit()
    assert first.state.step == 1  # the first step already spends the budget
    ckpt = load_checkpoint(ckpt_path)
    assert ckpt["step"] == 1 and ckpt["train_seconds"] > 1e-6
    cfg2, ckpt2, run_dir = resume_config(tmp_path / "run", [])
    again = Trainer(cfg2, run_dir, resume_state=ckpt2, dataset=tiny_data)
    assert again.state.train_seconds == ckpt["train_seconds"]
    again.fit()
    assert again.state.step == 1  # nothing left to spend
    # Raising the budget on resume is allowed and continues the run.
    cfg3, ckpt3, _ = resume_config(run_dir, [{"train": {"time_budget": 1e6, "steps": 3}}])
    more = Trainer(cfg3, run_dir, resume_state=ckpt3, dataset=tiny_data)
    more.fit()
    assert more.state.step == 3


@pytest.mark.slow
def test_compare_jobs_trains_runs_in_parallel_child_processes(tmp_path, tiny_data, monkeypatch):
    data = write_class_folders(tmp_path / "paintings", tiny_data)
    monkeypatch.setenv("ARTGAN_CACHE", str(tmp_path / "cache"))
    out = tmp_path / "exp"
    report = run_experiment(_plan(data, budget="2"), out, progress=False, jobs=2)
    for name in ("dcgan-s0", "migan-s0"):
        run = out / "runs" / name
        assert (run / "eval.json").is_file(), (run / "compare.log").read_text()[-2000:]
        assert json.loads((run / "run.json").read_text())["threads"] == 1  # the plan's
        assert load_checkpoint(run / "checkpoints" / "ckpt_0000002.pt")["step"] == 2
    assert "| dcgan | 2 |" in report.read_text() and "| migan | 2 |" in report.read_text()


def test_oversubscribed_jobs_are_warned_about(tmp_path, monkeypatch, capsys):
    class Done:
        returncode = 0

        def poll(self):
            return 0

    cmds = []
    monkeypatch.setattr(runner_mod.os, "cpu_count", lambda: 2)
    popen = lambda cmd, **kw: cmds.append(cmd) or Done()  # noqa: E731
    fake = types.SimpleNamespace(Popen=popen, STDOUT=runner_mod.subprocess.STDOUT)
    monkeypatch.setattr(runner_mod, "subprocess", fake)  # this module's children only
    monkeypatch.setattr(runner_mod.time, "sleep", lambda s: None)
    monkeypatch.setattr(runner_mod, "write_report", lambda *a: None)
    names = ["dcgan-s0", "migan-s0"]
    runner_mod._run_parallel(_plan(tmp_path, threads=2), tmp_path, names, 2, "compare")
    err = capsys.readouterr().err
    assert "2 jobs × 2 threads > 2 cores" in err and "use --threads 1" in err
    assert all(c[-2:] == ["--threads", "2"] for c in cmds) and len(cmds) == 2
    runner_mod._run_parallel(_plan(tmp_path, threads=0), tmp_path, names, 2, "compare")
    assert "warning" not in capsys.readouterr().err  # 1 thread each: the default split
    assert cmds[-1][-2:] == ["--threads", "1"]
    runner_mod._run_parallel(_plan(tmp_path, threads=0), tmp_path, names * 2, 4, "compare")
    err = capsys.readouterr().err  # already one thread each: fewer jobs is the only fix
    assert "4 jobs × 1 threads > 2 cores" in err and "use --jobs 2 or fewer" in err


def test_report_averages_seeds_and_explains_unavailable_metrics(tmp_path):
    from artgan.experiments.report import collect, render_markdown

    plan = ExperimentPlan(data=None, variants=["dcgan", "migan"], budget="10m", seeds=2)
    fids = {("dcgan", 0): 120.0, ("dcgan", 1): 140.0, ("migan", 0): 90.0, ("migan", 1): 100.0}
    for (variant, seed), fid in fids.items():
        run = tmp_path / "runs" / f"{variant}-s{seed}"
        run.mkdir(parents=True)
        ssim = {"unavailable": True, "reason": "no encoder"} if variant == "dcgan" else 0.5
        ev = {"fid": fid, "ssim": ssim, "train_steps": 100 + seed, "train_seconds": 600.0,
              "images_shown": (100 + seed) * 64}  # fmt: skip
        # On the clock: the first loss row (10 s of training) at t0 + 10, so the run
        # started at t0; its evaluation ended 15 + 5·seed min after t0: 15 and 20 min.
        t0 = 1000.0 * seed
        rows = [
            {"fid": 1.0, "step": 0},
            {"step": 1, "loss_d": 0.1, "loss_g": 0.2, "train_seconds": 10.0, "time": t0 + 10.0},
            {"step": 2, "loss_d": 0.1, "loss_g": 0.2, "train_seconds": 20.0},
        ]
        (run / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
        ev["time"] = t0 + (15 + 5 * seed) * 60
        (run / "eval.json").write_text(json.dumps(ev))
    data = collect(plan, tmp_path)
    s = data["summary"]
    assert s["migan"]["wall_seconds"]["mean"] == pytest.approx(17.5 * 60)
    assert data["runs"]["dcgan"][1]["started_at"] == 1000.0
    assert data["wall_clock"]["seconds"] == pytest.approx(1000.0 + 20 * 60)
    assert s["dcgan"]["fid"]["mean"] == 130.0
    assert s["dcgan"]["fid"]["std"] == pytest.approx(14.1421356)  # sample std over seeds
    assert s["dcgan"]["ssim"] == {"unavailable": "no encoder"}
    md = render_markdown(plan, s, "artgan compare ...", {"cpu_count": 2}, None, None,
                         data["wall_clock"], ["vgg19-perceptual (not LPIPS)"])  # fmt: skip
    # The perceptual columns name the distance they are (here the VGG19 substitute).
    assert "| vgg19-perceptual (not LPIPS) recon distance ↓ |" in md
    assert "LPIPS recon" not in md
    # steps 100 and 101, 6.4k images, 600 s of training (10 min), wall 15 and 20 min,
    # s/step = 600 s / 100.5 steps (the mean of the seeds' steps)
    assert f"| dcgan | 100 ± 1 | 6 ± 0k | 10.0 | 17.5 ± 3.5 | {600 / 100.5:.3f} |" in md
    assert "130.000 ± 14.142" in md
    assert "- wall-clock: 36.7 min from the first run's start" in md
    assert "migan FID 95.00 vs dcgan 130.00: 26.9 % lower (better)" in md


def test_model_overrides_apply_only_to_models_that_have_them():
    plan = ExperimentPlan(data=None, variants=["dcgan", "migan"], extra=["model.cond_channels=8",
                          "train.batch_size=16"])  # fmt: skip
    d, m = plan.config_for("dcgan", 0), plan.config_for("migan", 0)
    assert m.model.cond_channels == 8 and not hasattr(d.model, "cond_channels")
    assert d.train.batch_size == m.train.batch_size == 16
    with pytest.raises(ArtganError, match="--set model.use_ams=false: no model in dcgan, sagan"):
        ExperimentPlan(data=None, variants=["dcgan", "sagan"], extra=["model.use_ams=false"])


def test_report_prints_the_floor_row_and_refuses_to_rank_unequal_counts(tmp_path):
    from artgan.experiments.report import collect, render_markdown

    plan = ExperimentPlan(data=None, variants=["dcgan", "migan"], budget="10m")
    floor = {"n": 2000, "source": "train split", "fid": 41.5, "prdc_recall": 0.61}
    for variant, fid, n in (("dcgan", 120.0, 2000), ("migan", 90.0, 500)):
        run = tmp_path / "runs" / f"{variant}-s0"
        run.mkdir(parents=True)
        (run / "eval.json").write_text(json.dumps({"fid": fid, "n_fake": n, "floor": floor}))
    data = collect(plan, tmp_path)
    assert data["sample_counts"] == [500, 2000] and data["floor"] == floor
    md = render_markdown(plan, data["summary"], "", {}, None, None, None, [], data["floor"],
                         data["sample_counts"])  # fmt: skip
    row = next(line for line in md.splitlines() if line.startswith("| real paintings"))
    assert "(2000 from the training split)" in row and "41.500" in row and "0.610" in row
    assert "Not ranked" in md and "FID, relative" not in md
    equal = render_markdown(plan, data["summary"], "", {}, None, None, None, [], floor, [2000])
    assert "Not ranked" not in equal and "FID, relative" in equal


def test_the_floor_is_computed_once_before_any_run_starts(tmp_path, tiny_data, monkeypatch):
    """`compare --jobs` children would each pass over the same training paintings at once:
    the parent fills the cache first. That the evaluation then reads the same entry is
    checked by the whole-experiment test above (one floor file in the cache, not two)."""
    data = write_class_folders(tmp_path / "paintings", tiny_data)
    cache = tmp_path / "cache" / "stats"
    monkeypatch.setenv("ARTGAN_CACHE", str(tmp_path / "cache"))
    plan = _plan(data, metrics="fid,kid", fid_every=0)
    runner_mod.warm_reference_stats(plan, progress=False)
    assert len(list(cache.glob("*.npz"))) == 2  # the test split's and the floor's (fp32)
    import shutil

    shutil.rmtree(cache)
    runner_mod.warm_reference_stats(_plan(data, metrics="ssim", fid_every=0), progress=False)
    assert len(list(cache.glob("*.npz"))) == 1  # no floor metric asked: the test split's only
