"""artgan evaluate: folders and runs, IS/LPIPS availability, the training FID monitor.

Inception on CPU runs at a few images per second, so most tests swap the feature network
for a small deterministic function of the pixels (the plumbing is what they test); one
test runs the real network on six 16-px images.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
import sys
import types
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from torch import nn

import artgan.evaluation as ev
import artgan.evaluation.monitor as mon
import artgan.metrics.inputs as inputs_mod
from artgan.cli import main
from artgan.cli.evaluate import add_parsers, cmd_evaluate
from artgan.errors import ArtganError
from artgan.evaluation.report import jsonable
from artgan.evaluation.run import run_split
from artgan.metrics import parse_metrics
from artgan.metrics.perceptual import (
    LPIPS_NAME,
    LPIPSVGG,
    VGG19_NAME,
    VGG19Perceptual,
    load_perceptual,
    mean_pairwise_distance,
    paired_distance,
)
from artgan.nn.vgg import DEFAULT_LAYERS, VGG19Features, perceptual_distance


@pytest.fixture(autouse=True)
def _no_user_weights(monkeypatch, tmp_path_factory):
    """IS/LPIPS weight lookups see an empty hub cache, whatever this machine holds."""
    hub = tmp_path_factory.mktemp("hub")
    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(hub))
    monkeypatch.delenv("ARTGAN_IS_WEIGHTS", raising=False)
    monkeypatch.delenv("ARTGAN_LPIPS_BACKBONE", raising=False)


def _folder(path: Path, n: int, size: int = 16, seed: int = 0) -> Path:
    rng = np.random.default_rng(seed)
    path.mkdir(parents=True)
    for i in range(n):
        base = rng.integers(0, 256, (4, 4, 3), dtype=np.uint8)
        img = Image.fromarray(base).resize((size, size), Image.BILINEAR)
        img.save(path / f"img{i:02d}.png")
    return path


def _train(out: Path, *extra: str) -> Path:
    args = ["train", "--resolution", "16", "--steps", "2", "--batch-size", "8",
            "--no-progress", "--set", "model.g_channels=8", "--set", "model.d_channels=8",
            "--out", str(out)]  # fmt: skip
    assert main([*args, *extra]) == 0
    return out


def test_parse_metrics_and_unknown_name():
    assert parse_metrics("FID, kid,ms-ssim,fid") == ["fid", "kid", "msssim"]
    with pytest.raises(
        ArtganError, match="unknown metric 'psnr'.*fid,kid,prdc,fd_vgg19,memorisation,is,ssim"
    ):
        parse_metrics("fid,psnr")


def test_identical_folders(tmp_path, stub):
    a = _folder(tmp_path / "a", 6)
    b = tmp_path / "b"
    b.mkdir()
    for f in a.iterdir():
        (b / f.name).write_bytes(f.read_bytes())
    r = ev.evaluate_folders(a, b, "fid,kid,ssim,msssim,sd,lpips", progress=False)
    assert r["resolution"] == 16 and r["n_real"] == r["n_fake"] == r["n_pairs"] == 6
    assert abs(r["fid"]) < 1e-6
    assert abs(r["kid"]) < 0.1  # unbiased MMD² of a set with itself is near, not at, 0
    assert r["ssim"] == pytest.approx(1.0) and r["msssim"] == pytest.approx(1.0)
    assert r["msssim_scales"] == 1  # 16 px fits one 11-px window scale
    assert r["sd"] == math.inf  # identical gradients, documented as +inf
    assert r["perceptual_metric"] == VGG19_NAME and "vgg16-397923af.pth" in r["perceptual_note"]
    assert r["perceptual_recon"] == pytest.approx(0.0, abs=1e-6)
    assert r["perceptual_diversity"] > 0 and r["diversity_n"] == 6
    table = ev.format_table(r)
    assert "inf" in table and "not LPIPS" in table and "LPIPS recon" not in table
    assert json.loads(json.dumps(jsonable(r), allow_nan=False))["sd"] == "inf"  # strict JSON


def test_folder_errors(tmp_path):
    a, b = _folder(tmp_path / "a", 3), _folder(tmp_path / "b", 2, seed=1)
    with pytest.raises(ArtganError, match="'.*a' has 3 images and '.*b' has 2"):
        ev.evaluate_folders(a, b, "ssim,fid", progress=False)
    one = _folder(tmp_path / "one", 1)
    with pytest.raises(ArtganError, match="FID needs at least 2 images.*one' has 1"):
        ev.evaluate_folders(a, one, "fid", progress=False)


def test_is_unavailable_with_reason(tmp_path, monkeypatch):
    a, b = _folder(tmp_path / "a", 2), _folder(tmp_path / "b", 2, seed=1)
    r = ev.evaluate_folders(a, b, "is", progress=False)
    assert r["is"]["available"] is False
    assert "pt_inception-2015-12-05-6726825d.pth" in r["is"]["reason"]
    monkeypatch.setenv("ARTGAN_IS_WEIGHTS", str(tmp_path / "missing.pth"))
    r = ev.evaluate_folders(a, b, "is", progress=False)
    assert r["is"]["available"] is False and "missing.pth" in r["is"]["reason"]
    assert "n/a" in ev.format_table(r)


@pytest.mark.slow
def test_real_inception_fid(tmp_path):
    a, b = _folder(tmp_path / "a", 3), _folder(tmp_path / "b", 3, seed=1)
    r = ev.evaluate_folders(a, b, "fid", progress=False)
    assert math.isfinite(r["fid"]) and r["fid"] > 0
    assert r["extractor"].startswith("tf-inception-2015-pool3")
    again = ev.evaluate_folders(a, b, "fid", progress=False)  # real side from the cache
    assert again["fid"] == pytest.approx(r["fid"], rel=1e-9)


def test_evaluate_run_dcgan_uses_test_split(tmp_path, stub):
    run = _train(tmp_path / "run")
    r = ev.evaluate_run(run, "fid,kid,ssim,lpips", n=6, progress=False)
    split = json.loads((run / "split.json").read_text())
    assert r["n_real"] == len(split["test"]) and r["real_split"] == "test"
    assert math.isfinite(r["fid"]) and math.isfinite(r["kid"]) and r["step"] == 2
    assert r["ssim"]["available"] is False and "no encoder" in r["ssim"]["reason"]
    rows = [json.loads(s) for s in (run / "metrics.jsonl").read_text().splitlines()]
    assert rows[-1]["kind"] == "eval" and rows[-1]["fid"] == pytest.approx(r["fid"])
    # the trainer's session mark, then its loss rows
    assert rows[0]["kind"] == "start" and all("kind" not in row for row in rows[1:-1])
    # A resumed trainer keeps rows up to its checkpoint step: the eval row survives.
    from artgan.train.logger import MetricLog

    MetricLog(run).truncate_after(2)
    assert MetricLog(run).read()[-1]["kind"] == "eval"


def test_a_damaged_split_file_is_a_one_line_error(tmp_path):
    run = _train(tmp_path / "run")
    for damage in ("", '{"train": []}', "[1, 2]"):  # truncated, a part missing, not a split
        (run / "split.json").write_text(damage)
        with pytest.raises(ArtganError, match=r"split.json' is damaged"):
            run_split(run, progress=False)


def test_evaluate_run_migan_image_cycle(tmp_path, stub, monkeypatch):
    run = _train(tmp_path / "migan", "--model", "migan", "--set", "model.max_channels=32",
                 "--set", "model.cycle_batch=4", "--set", "model.perceptual_layers=relu1_2",
                 "--set", "model.n_categories=3")  # fmt: skip
    r = ev.evaluate_run(run, "ssim,msssim,sd,lpips", n=4, progress=False, write=False)
    assert r["n_pairs"] == 4 and r["msssim_scales"] == 1
    assert -1.0 <= r["ssim"] < 0.99 and 0.0 <= r["msssim"] < 0.99  # 2 steps: no likeness yet
    assert math.isfinite(r["sd"]) and r["perceptual_recon"] > 0
    # Each x̂ is scored against its own x: a perfect image cycle scores perfectly.
    from artgan.evaluation import run as run_mod
    from artgan.io.images import from_uint8

    monkeypatch.setattr(run_mod, "project", lambda lg, x, rt: (None, from_uint8(x)))
    perfect = ev.evaluate_run(run, "ssim,msssim,lpips", n=4, progress=False, write=False)
    assert perfect["ssim"] == pytest.approx(1.0) and perfect["msssim"] == pytest.approx(1.0)
    assert perfect["perceptual_recon"] == pytest.approx(0.0, abs=1e-6)


def test_cli_argument_errors(tmp_path):
    p = argparse.ArgumentParser()
    add_parsers(p.add_subparsers())
    for argv in (["evaluate"], ["evaluate", "run", "--real", "a", "--fake", "b"],
                 ["evaluate", "--real", "a"]):  # fmt: skip
        with pytest.raises(ArtganError, match="either a RUN"):
            cmd_evaluate(p.parse_args(argv))
    with pytest.raises(ArtganError, match="unknown metric 'bogus'"):
        cmd_evaluate(p.parse_args(["evaluate", "--real", "a", "--fake", "b", "--metrics", "bogus"]))


def test_fid_monitor_caches_reference(tmp_path, stub, monkeypatch):
    rng = np.random.default_rng(0)
    real = rng.integers(0, 256, (6, 16, 16, 3), dtype=np.uint8)
    calls = []
    orig = mon.extract_features
    counted = lambda imgs, *a, **k: calls.append(type(imgs)) or orig(imgs, *a, **k)  # noqa: E731
    monkeypatch.setattr(mon, "extract_features", counted)  # the generated images
    monkeypatch.setattr(inputs_mod, "extract_features", counted)  # the real side

    def sample(start: int, count: int) -> torch.Tensor:
        g = torch.Generator().manual_seed(start)
        return torch.rand(count, 3, 16, 16, generator=g) * 2 - 1

    key = {"source": "unit-test", "files": "abc"}
    out = mon.FIDMonitor(real, key, n_fake=5, batch_size=2, cache_dir=tmp_path)(sample)
    assert set(out) == {"fid", "kid", "kid_std"} and all(math.isfinite(v) for v in out.values())
    assert calls.count(np.ndarray) == 1 and len(calls) == 1 + 3  # real once, fakes in 3 chunks
    calls.clear()
    again = mon.FIDMonitor(real, key, n_fake=5, batch_size=2, cache_dir=tmp_path, kid=False)
    assert again(sample)["fid"] == pytest.approx(out["fid"]) and np.ndarray not in calls
    with pytest.raises(ArtganError, match="sample_fn must return"):
        again(lambda s, c: torch.zeros(c, 16, 16))


def test_plot_fid_curve(tmp_path):
    rows = [{"step": 10, "loss_d": 1.0}, {"step": 500, "fid": 80.0}, {"step": 1000, "fid": 60.0},
            {"step": 1000, "fid": 58.0, "kind": "eval"}]  # fmt: skip
    path = mon.plot_fid_curve(rows, tmp_path / "plots" / "fid.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not [p for p in path.parent.iterdir() if p.name != "fid.png"]  # no temp files left
    assert mon.plot_fid_curve([{"step": 1, "loss_d": 0.5}], tmp_path / "none.png") is None


def test_vgg19_perceptual_matches_reference():
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, (4, 16, 16, 3), dtype=np.uint8)
    y = rng.integers(0, 256, (4, 16, 16, 3), dtype=np.uint8)
    model, reason = load_perceptual()
    assert isinstance(model, VGG19Perceptual) and model.name == VGG19_NAME and reason
    vgg = VGG19Features(DEFAULT_LAYERS)
    t = [torch.from_numpy(v).permute(0, 3, 1, 2).float() / 127.5 - 1 for v in (x, y)]
    want = perceptual_distance(vgg(t[0]), vgg(t[1])).numpy()
    np.testing.assert_allclose(paired_distance(model, x, y, batch_size=3), want, rtol=1e-4)
    pair = [
        paired_distance(model, x[i : i + 1], x[j : j + 1])[0] for i in range(4) for j in range(i)
    ]
    assert mean_pairwise_distance(model, x, batch_size=3) == pytest.approx(np.mean(pair), rel=1e-4)


def _torchvision_vgg16_features() -> nn.Sequential:
    layers: list[nn.Module] = []
    c = 3
    for v in (64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M",
              512, 512, 512, "M"):  # fmt: skip
        if v == "M":
            layers.append(nn.MaxPool2d(2, 2))
        else:
            layers += [nn.Conv2d(c, v, 3, padding=1), nn.ReLU(inplace=True)]
            c = v
    return nn.Sequential(*layers)


@pytest.mark.skipif(importlib.util.find_spec("lpips") is None, reason="lpips wheel not installed")
def test_lpips_vgg_matches_lpips_package(tmp_path, monkeypatch):
    """Our hand-built LPIPS-VGG against the lpips package's own code, both on the same
    (random) VGG16 trunk; a stand-in torchvision hands lpips that trunk."""
    torch.manual_seed(0)
    features = _torchvision_vgg16_features().eval()
    path = tmp_path / "vgg16-397923af.pth"
    torch.save({f"features.{k}": v for k, v in features.state_dict().items()}, path)
    monkeypatch.setenv("ARTGAN_LPIPS_BACKBONE", str(path))
    ours, reason = load_perceptual()
    assert reason is None and isinstance(ours, LPIPSVGG) and ours.name == LPIPS_NAME

    tv = types.ModuleType("torchvision")
    tv.models = types.SimpleNamespace(vgg16=lambda **kw: types.SimpleNamespace(features=features))
    monkeypatch.setitem(sys.modules, "torchvision", tv)
    monkeypatch.setitem(sys.modules, "torchvision.models", tv.models)
    try:
        import lpips

        ref = lpips.LPIPS(net="vgg", verbose=False).eval()
        a, b = torch.rand(2, 3, 32, 32) * 2 - 1, torch.rand(2, 3, 32, 32) * 2 - 1
        with torch.no_grad():
            want = ref(a, b).flatten()
            va, vb = ours.layer_vectors(a), ours.layer_vectors(b)
            got = sum((u - v).pow(2).sum(1) for u, v in zip(va, vb, strict=True))
        torch.testing.assert_close(got, want, rtol=1e-4, atol=1e-6)
    finally:
        for name in [m for m in sys.modules if m == "lpips" or m.startswith("lpips.")]:
            del sys.modules[name]


def test_training_time_fid_is_logged_and_plotted(tmp_path, stub):
    """train.fid_every: FID/KID rows in metrics.jsonl, the curve beside the losses, and
    resume still exact (FID sampling uses its own seeds, not the training RNG)."""
    from artgan.data import make_landscapes
    from artgan.train import Trainer, resume_config
    from helpers import assert_same_state, tiny_config

    data = make_landscapes(n=64, resolution=16)
    cfg = tiny_config({"train": {"fid_every": 2, "fid_n": 10}})
    with_fid = Trainer(cfg, tmp_path / "a", dataset=data)
    with_fid.fit(until_step=4)
    rows = [r for r in with_fid.log.read() if "fid" in r]
    assert [r["step"] for r in rows] == [2, 4]
    assert all(math.isfinite(r["fid"]) and "kid" in r for r in rows)
    assert (tmp_path / "a" / "losses.png").is_file()
    plain = Trainer(tiny_config(), tmp_path / "b", dataset=data)
    plain.fit(until_step=4)
    assert_same_state(with_fid, plain)
    cfg2, _, _ = resume_config(tmp_path / "b", [{"train": {"fid_every": 2}}])
    assert cfg2.train.fid_every == 2  # switching FID on for a resumed run is allowed


def test_fid_every_seconds_follows_training_time(tmp_path: Path):
    """train.fid_every_seconds: an FID whenever the training time crosses a multiple of
    it (a tiny period → every step; a huge one → only the last step), and a resumed run
    remembers when the last FID was taken. (When, not what: the Inception FID itself is
    stubbed here; test_training_time_fid_is_logged_and_plotted covers it.)"""
    from artgan.data import make_landscapes
    from artgan.train import Trainer, resume_config
    from helpers import tiny_config

    def stub_fid(sample):
        assert sample(0, 2).shape[:2] == (2, 3)
        return {"fid": 1.0, "kid": 0.0, "kid_std": 0.0}

    data = make_landscapes(n=64, resolution=16)
    often = Trainer(tiny_config({"train": {"fid_every_seconds": 1e-9, "fid_n": 4}}),
                    tmp_path / "a", dataset=data)  # fmt: skip
    often.fid = stub_fid
    often.fit(until_step=3)
    assert [r["step"] for r in often.log.read() if "fid" in r] == [1, 2, 3]
    # each monitor row says how it was measured (n and the resolved precision)
    row = next(r for r in often.log.read() if "fid" in r)
    assert row["n_fake"] == 4 and row["precision"] == often.fid_precision in ("fp32", "bf16")
    rare = Trainer(tiny_config({"train": {"fid_every_seconds": 1e9, "fid_n": 4}}),
                   tmp_path / "b", dataset=data)  # fmt: skip
    rare.fid = stub_fid
    rare.fit(until_step=3)
    assert [r["step"] for r in rare.log.read() if "fid" in r] == [3]
    cfg, ckpt, _ = resume_config(tmp_path / "b", [{"train": {"steps": 5}}])
    resumed = Trainer(cfg, tmp_path / "b", resume_state=ckpt, dataset=data)
    assert not resumed._fid_due(4)  # the FID at step 3 is in the log
    resumed.state.train_seconds = 1e9 + 1.0
    assert resumed._fid_due(4)
