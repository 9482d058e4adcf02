"""``artgan distill``: the student learns the teacher's images for the same latent and
codes, its export round-trips and generates bit-exactly, it serves like any generator,
Ctrl-C keeps it, and bad input is a one-line error."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from PIL import Image

from artgan.cli import main
from artgan.errors import ArtganError
from artgan.evaluation.agreement import AGREE_SEED
from artgan.evaluation.run import sample_uint8
from artgan.io.images import to_uint8
from artgan.models import latents_for_seeds
from artgan.runtime import Runtime
from artgan.sampling import export_generator, generate, load_generator
from artgan.train import distill as distill_mod
from artgan.train.distill import DistillOptions, build_student, distill
from helpers import THREADS

RT = Runtime(torch.device("cpu"), "fp32", channels_last=False)
FAST = DistillOptions(steps=40, batch_size=16, channels=8, max_channels=32, lr=2e-3,
                      perceptual_weight=0.0)  # fmt: skip


def _mad(a: torch.Tensor, b: torch.Tensor) -> float:
    return float((a - b).abs().mean())


def test_student_learns_the_teacher_and_keeps_its_codes(trained_run, tmp_path):
    opts = DistillOptions(**{**FAST.__dict__, "steps": 100})
    res = distill(trained_run, tmp_path / "s.pt", opts, "fp32", "cpu", THREADS, False)
    teacher = load_generator(trained_run)
    assert res.student.latent == teacher.latent  # the same codes, so the same sliders
    assert res.student.model_cfg["name"] == "dcgan" and res.steps == 100
    z = latents_for_seeds(teacher.latent, list(range(1000, 1032)), None)  # unseen latents
    want = generate(teacher, z, RT)
    got = generate(res.student, z, RT)
    fresh, _ = build_student(teacher, opts)
    with torch.no_grad():
        untrained = fresh.eval()(z)
    assert _mad(got, want) < 0.7 * _mad(untrained, want)  # it learnt, not a fresh network
    # ... and learnt each latent's own image: closer than the teacher's mean image is, and
    # than another latent's image
    assert _mad(got, want) < 0.85 * _mad(want.mean(0, keepdim=True).expand_as(want), want)
    assert _mad(got, want) < 0.7 * _mad(got, want.roll(1, 0))
    assert res.losses[-1]["l1"] < res.losses[0]["l1"]


def test_export_round_trips_and_generates_bit_exactly(trained_run, tmp_path):
    res = distill(trained_run, tmp_path / "s.pt", FAST, "fp32", "cpu", THREADS, False)
    z = latents_for_seeds(res.student.latent, list(range(6)), None)
    with torch.no_grad():
        in_memory = res.G(z)
    loaded = load_generator(tmp_path / "s.pt")
    assert torch.equal(generate(loaded, z, RT, batch_size=6), in_memory)
    for k, v in res.G.state_dict().items():
        assert torch.equal(loaded.G.state_dict()[k], v), k
    again = load_generator(export_generator(tmp_path / "s.pt", tmp_path / "again.pt"))
    assert torch.equal(generate(again, z, RT, batch_size=6), in_memory)
    origin = torch.load(tmp_path / "s.pt", weights_only=True)["distilled_from"]
    assert origin["steps"] == 40 and origin["model"] == "migan" and not origin["interrupted"]


def test_time_budget_ends_the_run(trained_run, tmp_path):
    opts = DistillOptions(**{**FAST.__dict__, "time_budget": 0.5})
    res = distill(trained_run, tmp_path / "s.pt", opts, "fp32", "cpu", THREADS, False)
    assert res.steps >= 1 and 0.5 <= res.seconds < 30


def test_ctrl_c_still_writes_the_student(trained_run, tmp_path, monkeypatch):
    real_loss, calls = distill_mod.distill_loss, []

    def stop_at_third(*args, **kw):
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return real_loss(*args, **kw)

    monkeypatch.setattr(distill_mod, "distill_loss", stop_at_third)
    res = distill(trained_run, tmp_path / "s.pt", FAST, "fp32", "cpu", THREADS, False)
    assert res.interrupted and res.steps == 2
    assert torch.load(tmp_path / "s.pt", weights_only=True)["distilled_from"]["interrupted"]


def test_cli_writes_student_and_report_and_the_student_serves(trained_run, tmp_path, stub):
    out = tmp_path / "student.pt"
    args = ["distill", str(trained_run), "--out", str(out), "--budget", "20", "--channels", "8",
            "--max-channels", "32", "--batch-size", "8", "--eval-n", "16", "--agree-n", "8",
            "--precision", "fp32", "--threads", str(THREADS), "--no-progress"]  # fmt: skip
    assert main(args) == 0
    report = json.loads(out.with_suffix(".json").read_text())
    assert report["steps"] == 20 and report["speedup_b1"] > 0
    # the agreement is the students' and teacher's images on the reserved latents
    teacher, student = load_generator(trained_run), load_generator(out)
    a, b = (sample_uint8(g, AGREE_SEED, 8, RT, 32, False).astype(np.float64)
            for g in (teacher, student))  # fmt: skip
    ag = report["agreement"]
    assert ag["n"] == 8
    assert ag["mean_abs_diff_8bit"] == pytest.approx(np.abs(a - b).mean(), rel=1e-3)
    assert ag["mean_abs_diff_8bit"] > 0  # 20 steps of a tiny student: not yet the teacher
    fid = report["fid"]
    assert {"student_vs_teacher", "teacher_vs_real", "student_vs_real"} <= set(fid)
    for key in ("student_vs_teacher", "teacher_vs_real", "student_vs_real"):
        assert np.isfinite(fid[key]) and fid[key] >= 0, fid
    assert report["real"].startswith("the test split")
    for who in ("teacher", "student"):  # 2 categories: the traversal's spreads exist
        spread = report["code_spread"][who]
        assert set(spread) == {"across_code_std", "across_seed_std"}
        assert spread["across_seed_std"] > 0  # different seeds give different images
    gen = tmp_path / "gen"
    assert main(["generate", str(out), "--n", "2", "--seed", "5", "--out", str(gen),
                 "--precision", "fp32", "--threads", str(THREADS)]) == 0  # fmt: skip
    png = np.asarray(Image.open(gen / "seed000006.png").convert("RGB"))
    lg = load_generator(out)
    want = generate(lg, latents_for_seeds(lg.latent, [6], None), RT)
    assert np.array_equal(png, to_uint8(want)[0])  # the CLI draws what the library does


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--budget", "0"], "budget"),
        (["--lr", "0"], "learning rate must be > 0"),
        (["--channels", "0"], "channels must be at least 1"),
        (["--eval-n", "-1"], "--eval-n must be at least 0"),
    ],
)
def test_cli_bad_options_are_one_line_errors(trained_run, tmp_path, capsys, args, message):
    assert main(["distill", str(trained_run), "--out", str(tmp_path / "s.pt"), *args]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "s.pt").exists()


def test_refuses_onnx_sources_and_folder_outputs(trained_run, tmp_path):
    with pytest.raises(ArtganError, match="ONNX export"):
        distill(tmp_path / "g.onnx", tmp_path / "s.pt", FAST)
    with pytest.raises(ArtganError, match="is a folder"):
        distill(trained_run, tmp_path, FAST)
