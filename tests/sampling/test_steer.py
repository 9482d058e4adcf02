"""Codes, traversal, interpolation and projection, from the library and the CLI."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from artgan.cli import main
from artgan.errors import ArtganError
from artgan.models import LatentSpec
from artgan.sampling import (
    apply_codes,
    code_spread,
    interpolate,
    interpolate_path,
    parse_codes,
    traverse,
)

SPEC = LatentSpec(z_dim=4, n_categories=3, n_continuous=2)
TINY_MIGAN = [
    "--model", "migan", "--resolution", "16", "--steps", "2", "--batch-size", "8",
    "--no-progress", "--set", "model.g_channels=8", "--set", "model.d_channels=8",
    "--set", "model.max_channels=32", "--set", "model.z_dim=16", "--set", "model.n_categories=3",
    "--set", "model.cycle_batch=4", "--set", "model.perceptual_layers=relu1_2",
]  # fmt: skip


def _png(path):
    return np.asarray(Image.open(path).convert("RGB"))


def test_parse_and_apply_codes():
    codes = parse_codes(["cat=2", "c2=-0.5"], SPEC)
    assert codes == {"cat": 2.0, "c2": -0.5}
    lat = apply_codes(torch.zeros(3, SPEC.dim), codes, SPEC)
    assert torch.equal(lat[:, 4:7], torch.tensor([[0.0, 0.0, 1.0]] * 3))
    assert torch.equal(lat[:, 7:], torch.tensor([[0.0, -0.5]] * 3))
    bad_codes = [
        ("cat=3", "integer from 0 to 2"),
        ("cat=1.5", "integer"),
        ("c3=0", "unknown code 'c3'"),
        ("c1", "NAME=VALUE"),
        ("c1=x", "not a number"),
    ]
    for bad, msg in bad_codes:
        with pytest.raises(ArtganError, match=msg):
            parse_codes([bad], SPEC)
    with pytest.warns(UserWarning, match="outside"):
        parse_codes(["c1=2"], SPEC)
    with pytest.raises(ArtganError, match="no latent codes"):
        parse_codes(["cat=0"], LatentSpec(8))


def test_traverse_varies_one_code_only():
    base = torch.randn(2, SPEC.dim)
    lat = traverse(base, "c1", 5, SPEC)
    assert lat.shape == (10, SPEC.dim)
    assert torch.allclose(lat[:5, 7], torch.linspace(-1, 1, 5))
    others = [i for i in range(SPEC.dim) if i != 7]
    assert torch.equal(lat[:5, others], base[0:1, others].expand(5, -1))
    assert torch.equal(lat[5:, others], base[1:2, others].expand(5, -1))
    cats = traverse(base, "cat", 99, SPEC)  # all K values, steps ignored
    assert torch.equal(cats[:3, 4:7], torch.eye(3))


def test_interpolation_ends_at_the_seeds():
    a, b = torch.randn(SPEC.dim), torch.randn(SPEC.dim)
    path = interpolate(a, b, 6, SPEC)
    assert torch.allclose(path[0], a, atol=1e-6) and torch.allclose(path[-1], b, atol=1e-6)
    full = interpolate_path(torch.stack([a, b, a]), 6, SPEC)
    assert full.shape == (11, SPEC.dim)
    assert torch.allclose(full[5], b, atol=1e-6)


@pytest.fixture(scope="module")
def migan_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("steer") / "run"
    assert main(["train", "--out", str(out), *TINY_MIGAN]) == 0
    return out


def test_generate_with_codes(migan_run, tmp_path):
    outs = []
    for cat in (0, 1):
        d = tmp_path / f"c{cat}"
        assert main(["generate", str(migan_run), "--n", "2", "--code", f"cat={cat}",
                     "--out", str(d)]) == 0  # fmt: skip
        outs.append(_png(d / "seed000000.png"))
        assert Image.open(d / "seed000000.png").text["artgan:codes"] == f"cat={cat}"
    assert not np.array_equal(*outs)  # the code reaches the image (SFT + input)


def test_traverse_and_interpolate_write_grids(migan_run, tmp_path):
    assert main(["traverse", str(migan_run), "--code", "c1", "--steps", "5", "--rows", "2",
                 "--out", str(tmp_path)]) == 0  # fmt: skip
    grid = _png(tmp_path / "traverse_c1_seed0.png")
    assert grid.shape == (2 + 2 * 18, 2 + 5 * 18, 3)
    tiles = [grid[2:18, 2 + 18 * j : 18 + 18 * j].astype(int) for j in range(5)]
    assert any(np.abs(t - tiles[0]).max() > 0 for t in tiles[1:])  # c1 moves the image
    assert main(["interpolate", str(migan_run), "--seeds", "1,2", "--steps", "4",
                 "--out", str(tmp_path)]) == 0  # fmt: skip
    frames = sorted((tmp_path / "interp_1-2").glob("frame*.png"))
    assert len(frames) == 4
    # the path runs from seed 1's image to seed 2's (8-bit rounding aside)
    assert main(["generate", str(migan_run), "--seed", "1", "--n", "2", "--out",
                 str(tmp_path / "ends")]) == 0  # fmt: skip
    for frame, seed in ((frames[0], 1), (frames[-1], 2)):
        want = _png(tmp_path / "ends" / f"seed{seed:06d}.png").astype(int)
        assert np.abs(_png(frame).astype(int) - want).max() <= 1, frame.name
    assert main(["interpolate", str(migan_run), "--seeds", "1"]) == 2


def test_project_writes_reconstruction_and_export_keeps_encoder(migan_run, tmp_path):
    img = tmp_path / "painting.png"
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (40, 30, 3), np.uint8)).save(img)
    assert main(["project", str(migan_run), str(img)]) == 0
    rec = _png(tmp_path / "painting_reconstruction.png")
    assert rec.shape == (2 + 18, 2 + 2 * 18, 3)
    exp = tmp_path / "g.pt"
    assert main(["export", str(migan_run), "--out", str(exp)]) == 0
    out2 = tmp_path / "again"
    assert main(["project", str(exp), str(img), "--out", str(out2)]) == 0
    assert np.array_equal(rec, _png(out2 / "painting_reconstruction.png"))


def test_project_refine_adds_a_panel_and_lowers_the_loss(migan_run, tmp_path, capsys):
    img = tmp_path / "painting.png"
    Image.fromarray(np.random.default_rng(1).integers(0, 255, (16, 16, 3), np.uint8)).save(img)
    assert main(["project", str(migan_run), str(img), "--out", str(tmp_path / "e")]) == 0
    e_only = _png(tmp_path / "e" / "painting_reconstruction.png")
    capsys.readouterr()
    args = ["project", str(migan_run), str(img), "--refine", "5", "--no-progress"]
    assert main([*args, "--out", str(tmp_path / "r")]) == 0
    line = next(x for x in capsys.readouterr().out.splitlines() if x.startswith("refinement"))
    before, after = (float(v) for v in line.split("loss ")[1].replace("(E alone) ->", "").split())
    assert after < before
    grid = _png(tmp_path / "r" / "painting_reconstruction.png")
    assert grid.shape == (2 + 18, 2 + 3 * 18, 3)  # input | G(E(x)) | refined
    assert np.array_equal(grid[:, : 2 + 2 * 18], e_only[:, : 2 + 2 * 18])
    assert main([*args, "--refine-lr", "0"]) == 2
    assert "learning rate must be > 0" in capsys.readouterr().err


def test_project_errors(migan_run, tmp_path, capsys):
    assert main(["project", str(migan_run), str(tmp_path / "missing.jpg")]) == 2
    assert "does not exist" in capsys.readouterr().err
    bad = tmp_path / "bad.jpg"
    bad.write_text("not an image")
    assert main(["project", str(migan_run), str(bad)]) == 2
    assert "cannot read" in capsys.readouterr().err


def test_code_spread_tells_code_from_seed():
    # 3 seeds x 4 codes, 2x2 RGB images: only the code changes the image.
    imgs = np.stack([np.full((2, 2, 3), 10 * c, np.uint8) for _ in range(3) for c in range(4)])
    across_code, across_seed = code_spread(imgs, 3)
    assert across_seed == 0.0 and across_code == pytest.approx(np.std([0, 10, 20, 30]))
