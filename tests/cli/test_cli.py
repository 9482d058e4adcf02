"""The command line as a user runs it: outputs on disk and one-line errors."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml
from PIL import Image

from artgan.cli import main
from artgan.io import checkpoint as ck
from helpers import ROOT

TINY = [
    "--resolution", "16", "--steps", "4", "--batch-size", "8", "--no-progress",
    "--sample-every", "2", "--ckpt-every", "2",
    "--set", "model.g_channels=8", "--set", "model.d_channels=8", "--set", "model.z_dim=16",
    "--set", "train.n_samples=4", "--set", "train.log_every=1",
]  # fmt: skip


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("cli") / "run"
    assert main(["train", "--out", str(out), *TINY]) == 0
    return out


def _png(path: Path) -> np.ndarray:
    return np.asarray(Image.open(path).convert("RGB"))


def test_train_writes_a_complete_run_folder(run_dir):
    for name in ("config.yaml", "split.json", "run.json", "metrics.jsonl", "losses.csv",
                 "losses.png", "samples/latest.png", "samples/step_0000002.png",
                 "checkpoints/latest.pt", "checkpoints/ckpt_0000004.pt"):  # fmt: skip
        assert (run_dir / name).is_file(), name
    grid = _png(run_dir / "samples" / "latest.png")
    assert grid.shape == (2 + 2 * 18, 2 + 2 * 18, 3)  # 4 samples of 16 px in a 2x2 grid
    assert grid[2:18, 2:18].std() > 0  # an image, not a blank
    rows = (run_dir / "losses.csv").read_text().splitlines()
    assert rows[0] == "step,loss_d,loss_g" and [r.split(",")[0] for r in rows[1:]] == list("1234")


def test_resume_from_cli_continues(run_dir, tmp_path):
    import shutil

    copy = tmp_path / "run"
    shutil.copytree(run_dir, copy)
    assert main(["train", "--resume", str(copy), "--steps", "6", "--no-progress"]) == 0
    resumed = ck.load_checkpoint(copy / "checkpoints" / "ckpt_0000006.pt")
    assert resumed["step"] == 6
    rows = [json.loads(r) for r in (copy / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in rows if "loss_g" in r] == [1, 2, 3, 4, 5, 6]  # each step once
    # the same 6 steps in one go give the same weights, bit for bit
    straight = tmp_path / "straight"
    tiny6 = [a if a != "4" else "6" for a in TINY]  # --steps 6
    assert main(["train", "--out", str(straight), *tiny6]) == 0
    once = ck.load_checkpoint(straight / "checkpoints" / "ckpt_0000006.pt")
    for net, state in once["models"].items():
        for key, value in state.items():
            assert torch.equal(resumed["models"][net][key], value), f"{net}.{key}"


@pytest.mark.parametrize("asked", ["auto", "fp32"])
def test_train_prints_the_resolved_precision_at_start(asked, tmp_path, capsys):
    from artgan.runtime import native_bf16

    out = tmp_path / "run"
    assert main(["train", "--out", str(out), *TINY, "--steps", "1", "--precision", asked]) == 0
    err = capsys.readouterr().err
    line = next(x for x in err.splitlines() if x.startswith("runtime: "))
    bf16 = asked == "auto" and native_bf16(torch.device("cpu"))
    expected = {"auto": "bf16 (auto: native bf16)" if bf16 else "fp32 (auto: no native bf16)",
                "fp32": "fp32,"}[asked]  # fmt: skip
    assert line.startswith("runtime: cpu, ") and expected in line and "threads" in line


def test_generate_is_seeded_per_image(run_dir, tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    assert main(["generate", str(run_dir), "--n", "4", "--seed", "0", "--out", str(a)]) == 0
    assert main(["generate", str(run_dir), "--n", "1", "--seed", "3", "--out", str(b)]) == 0
    assert sorted(p.name for p in a.glob("seed*.png")) == [f"seed{i:06d}.png" for i in range(4)]
    assert np.array_equal(_png(a / "seed000003.png"), _png(b / "seed000003.png"))
    assert not np.array_equal(_png(a / "seed000000.png"), _png(a / "seed000001.png"))
    assert Image.open(a / "seed000002.png").text["artgan:seed"] == "2"
    assert (a / "grid_seed0_n4.png").is_file()


def test_grid_only_and_truncation(run_dir, tmp_path):
    out = tmp_path / "g"
    assert main(["generate", str(run_dir), "--n", "4", "--grid-only", "--out", str(out)]) == 0
    assert [p.name for p in out.iterdir()] == ["grid_seed0_n4.png"]
    t = tmp_path / "t"
    assert main(["generate", str(run_dir), "--n", "4", "--truncation", "0.5", "--out", str(t)]) == 0
    assert not np.array_equal(_png(out / "grid_seed0_n4.png"), _png(t / "grid_seed0_n4.png"))


def test_exported_generator_reproduces_the_run_bit_for_bit(run_dir, tmp_path):
    exp = tmp_path / "g.pt"
    assert main(["export", str(run_dir), "--out", str(exp)]) == 0
    assert exp.stat().st_size < (run_dir / "checkpoints" / "latest.pt").stat().st_size / 2
    a, b = tmp_path / "a", tmp_path / "b"
    assert main(["generate", str(run_dir), "--n", "3", "--out", str(a)]) == 0
    assert main(["generate", str(exp), "--n", "3", "--out", str(b)]) == 0
    for i in range(3):
        assert np.array_equal(_png(a / f"seed{i:06d}.png"), _png(b / f"seed{i:06d}.png"))


def test_export_writes_a_model_card_that_matches_the_checkpoint(run_dir, tmp_path, capsys):
    exp = tmp_path / "g.pt"
    assert main(["export", str(run_dir), "--out", str(exp)]) == 0
    card = (tmp_path / "g.md").read_text()
    ckpt = ck.load_checkpoint(run_dir / "checkpoints" / "latest.pt")
    assert card.startswith("# dcgan generator, 16×16 px")
    assert f"training step {ckpt['step']}" in card
    assert f"{ckpt['data']['n_train']} trained on" in card
    assert hashlib.sha256(exp.read_bytes()).hexdigest() in card
    assert yaml.safe_load(card.split("```yaml\n")[1].split("```")[0]) == ckpt["config"]
    assert f"artgan generate {exp} --n 16 --seed 0" in card
    # an export of an export has no training record: no card, and says so
    assert main(["export", str(exp), "--out", str(tmp_path / "again.pt")]) == 0
    assert not (tmp_path / "again.md").exists()
    assert "no model card" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["train", "--data", "/no/such/folder", *TINY], "does not exist"),
        (["train", "--resolution", "48", "--steps", "1"], "power of two"),
        (["train", "--resolution", "4096", "--steps", "1"], "power of two"),
        (["train", "--set", "train.bogus=1"], "unknown config key 'train.bogus'"),
        (["train", "--resume", "/no/such/run"], "no such run folder"),
        (["generate", "/no/such/run"], "does not exist"),
        (["generate", "pyproject.toml"], "truncated or corrupt"),
        (["train", "--model", "dcgan", "--no-ams"], "'model.use_ams' does not apply to model"),
        (["train", "--labels-as-code"], "'model.labels_as_code' does not apply to model 'dcgan'"),
        (["train", "--set", "train.loss=hinge"], "'train.loss' is now 'loss.name'"),
        (["train", "--dry-run", "--data", "/no/such/folder"], "does not exist"),
        (["train", "--set", "data.path=*paintings"], "the value is not valid YAML"),
        # refused before any work (the source below does not even exist)
        (["evaluate", "--real", "A", "--fake", "B", "--batch-size", "0"],
         "--batch-size must be at least 1"),
        (["augment-preview", "--seed", "-1"], "--seed must be at least 0"),
        (["export", "/no/such/run", "--out", "gen.onnx"], "names an ONNX file: add --format onnx"),
        (["project", "gen.onnx", "p.png", "--refine", "5"], "is an ONNX export"),
        (["project", "/no/such/run", "p.png", "--save-latents", "/no/such/dir/z.pt"],
         "--save-latents '/no/such/dir/z.pt': need a file path in an existing folder"),
        (["traverse", "/no/such/run", "--code", "c1", "--rows", "0"], "--rows must be at least 1"),
        (["distill", "/no/such/run", "--eval-n", "1"], "--eval-n must be 0 (no FID) or at least 2"),
        (["distill", "/no/such/run", "--data", "/no/such/folder"], "does not exist"),
        (["compare", "--models", "dcgan,DCGAN", "--out", "OUT"], "a model is listed twice"),
        (["compare", "--models", "dcgan", "--resolution", "8", "--out", "OUT"],
         "the final evaluation needs at least 16 px"),
    ],
)  # fmt: skip
def test_errors_are_one_line(args, message, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)
    args = [str(tmp_path / "exp") if a == "OUT" else a for a in args]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert err.startswith("artgan: error: ")


def test_dry_run_prints_the_resolved_config_and_trains_nothing(tmp_path, capsys, tiny_data):
    from helpers import write_class_folders

    data = write_class_folders(tmp_path / "paintings", tiny_data, n=6)  # classes a and b
    out = tmp_path / "never"
    assert main(["train", "--model", "migan", "--data", str(data), "--out", str(out),
                 "--dry-run", "--no-sa"]) == 0  # fmt: skip
    text = capsys.readouterr().out
    cfg = yaml.safe_load(text)  # the parameter counts are YAML comments
    assert cfg["model"]["name"] == "migan" and cfg["model"]["use_sa"] is False
    assert cfg["model"]["n_categories"] == 2  # "auto" resolved from the class folders
    assert cfg["data"]["path"] == str(data.resolve()) and cfg["schema_version"] == 2
    counts = dict(line[2:].split(": ") for line in text.splitlines() if line.startswith("# "))
    assert set(counts) == {"G", "D", "E", "total"}
    assert all(int(v.split()[0].replace(",", "")) > 0 for v in counts.values())
    assert not out.exists()


def test_empty_folder_and_no_images(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    assert main(["train", "--data", str(tmp_path / "empty"), *TINY]) == 2
    assert "contains no image files" in capsys.readouterr().err
    bad = tmp_path / "bad"
    bad.mkdir()
    for i in range(3):
        (bad / f"{i}.jpg").write_bytes(b"not a jpeg at all")
    assert main(["train", "--data", str(bad), *TINY]) == 2
    err = capsys.readouterr().err
    assert "none of the 3 image files could be decoded" in err


@pytest.mark.slow
def test_console_script_runs_without_traceback(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "artgan", "train", "--resolution", "12"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 2
    assert "power of two" in proc.stderr and "Traceback" not in proc.stderr


def test_augment_preview_writes_paintings_and_their_augmented_draws(tmp_path, capsys):
    out = tmp_path / "aug.png"
    assert main(["augment-preview", "--n", "4", "--rows", "2", "--resolution", "16",
                 "--out", str(out), "--no-progress"]) == 0  # fmt: skip
    grid = _png(out)
    assert grid.shape == (2 + 3 * 18, 2 + 4 * 18, 3)  # originals + 2 draws, 4 columns
    first, draw = grid[2:18, 2:18].astype(int), grid[20:36, 2:18].astype(int)
    assert np.abs(first - draw).mean() > 1  # the augmented row differs from the painting
    assert (
        "top row 4 paintings, then 2 draws of 'color,translation,cutout'" in capsys.readouterr().out
    )
    assert main(["augment-preview", "--policy", "color,blur", "--out", str(out)]) == 2
    assert "unknown augmentation 'blur'" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("make_args", "message"),
    [(lambda r, t: ["train", "--dry-run", "--set", "optim.lr_g=-1"], "'optim.lr_g'"),
     (lambda r, t: ["train", "--dry-run", "--set", "optim.lr_d=nan"], "finite number"),
     (lambda r, t: ["train", "--dry-run", "--config", str(t / "latin1.yaml")], "not UTF-8"),
     (lambda r, t: ["train", "--dry-run", "--config", str(t / "broken.yaml")], "YAML at line 3"),
     (lambda r, t: ["train", "--dry-run", "--config", str(t)], "is a folder"),
     (lambda r, t: ["train", *TINY, "--out", str(t / "a-file")], "is a file, not a folder"),
     (lambda r, t: ["generate", str(r), "--code", "cat=nan"], "finite number"),
     (lambda r, t: ["generate", str(r), "--seed", str(2**65)], "2**63 - 1"),
     (lambda r, t: ["generate", str(r), "--truncation", "nan"], "truncation must be"),
     (lambda r, t: ["generate", str(r), "--out", str(t / "a-file")], "is a file, not a folder"),
     (lambda r, t: ["export", str(r), "--out", str(t)], "is a folder"),
     (lambda r, t: ["export", str(r), "--int8", "--out", str(t / "g.pt")], "--format onnx"),
     (lambda r, t: ["studio", str(r), "--port", "70000"], "not a TCP port"),
     (lambda r, t: ["studio", str(r), "--host", "0.0.0.0"], "--allow-remote"),
     (lambda r, t: ["project", str(r), str(t)], "is a folder"),
     (lambda r, t: ["generate", str(t / "empty.pt")], "truncated or corrupt"),
     (lambda r, t: ["export", str(t / "empty.pt"), "--out", str(t / "e.pt")], "truncated"),
     (lambda r, t: ["generate", str(t / "noconfig.pt")], "without a config"),
     (lambda r, t: ["train", "--resume", str(t / "noconfig.pt")], "holds no config"),
     (lambda r, t: ["studio", str(t / "noresolution.pt")], "lacks the entry 'resolution'")],
)  # fmt: skip
def test_bad_values_are_one_line_errors(make_args, message, trained_run, tmp_path, capsys):
    (tmp_path / "latin1.yaml").write_bytes("train:\n  steps: 3 # caf\xe9\n".encode("latin-1"))
    (tmp_path / "broken.yaml").write_text("train:\n  steps: [1\n")
    (tmp_path / "a-file").write_text("not a folder")
    (tmp_path / "empty.pt").write_bytes(b"")
    torch.save({"format": ck.FORMAT, "version": ck.VERSION, "step": 3}, tmp_path / "noconfig.pt")
    torch.save({"format": "artgan-generator", "version": 1}, tmp_path / "noresolution.pt")
    assert main(make_args(trained_run, tmp_path)) == 2
    err = capsys.readouterr().err
    errors = [line for line in err.splitlines() if line.startswith("artgan: error: ")]
    assert len(errors) == 1 and message in errors[0] and "Traceback" not in err, err


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT to a child process")
def test_ctrl_c_saves_a_checkpoint_and_exits_130(tmp_path):
    import signal
    import time

    out = tmp_path / "run"
    exe = Path(sys.executable).parent / "artgan"
    args = [str(exe), "train", "--out", str(out), *TINY, "--steps", "100000"]
    proc = subprocess.Popen(args, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 120
    while not (out / "checkpoints" / "latest.pt").exists() and time.time() < deadline:
        time.sleep(0.2)  # the first checkpoint (step 2) shows the loop is running
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "artgan: interrupted: at step" in err and "Traceback" not in err
    assert "artgan train --resume" in err


def test_every_user_command_is_in_the_readme():
    import argparse

    from artgan.cli.main import build_parser

    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    # the users' commands: those with a help line (compare-run is a --jobs child's)
    listed = {c.dest for c in sub._choices_actions if c.help != argparse.SUPPRESS}
    assert {"train", "generate", "compare", "studio"} <= listed
    readme = (ROOT / "README.md").read_text()
    missing = sorted(c for c in listed if f"artgan {c}" not in readme)
    assert not missing, f"README.md does not show how to run: {missing}"
