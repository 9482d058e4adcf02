"""The Python API (artgan.api) gives what the CLI and the studio give."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

import artgan.api as ag
from artgan.cli import main
from artgan.errors import ArtganError


def test_generate_matches_artgan_generate_bit_for_bit(trained_run, tmp_path):
    g = ag.Generator.load(trained_run)
    assert g.codes == ["cat", "c1", "c2"] and g.resolution == 16
    imgs = g.generate(seeds=[3, 4], codes={"cat": 1, "c1": 0.25}, truncation=0.9)
    assert imgs.shape == (2, 16, 16, 3) and imgs.dtype == np.uint8
    out = tmp_path / "cli"
    assert main(["generate", str(trained_run), "--seed", "3", "--n", "2", "--code", "cat=1",
                 "--code", "c1=0.25", "--truncation", "0.9", "--out", str(out)]) == 0  # fmt: skip
    for i, s in enumerate((3, 4)):
        assert np.array_equal(imgs[i], np.asarray(Image.open(out / f"seed{s:06d}.png")))
    # a seed's image does not depend on what is generated beside it
    assert np.array_equal(g.generate([4])[0], g.generate([3, 4])[1])
    assert np.array_equal(g.generate(2), g.generate([0, 1]))


def test_codes_are_checked(trained_run):
    g = ag.Generator.load(trained_run)
    with pytest.raises(ArtganError, match="cat must be an integer from 0 to 1"):
        g.generate([0], codes={"cat": 5})
    with pytest.raises(ArtganError, match="unknown code 'c7'"):
        g.generate([0], codes={"c7": 0.1})


def test_project_from_arrays_and_files(trained_run, tiny_data, tmp_path):
    g = ag.Generator.load(trained_run)
    pics = tiny_data.images[:3]
    latents, recon = g.project(pics)
    assert latents.shape == (3, g.lg.latent.dim) and recon.shape == (3, 16, 16, 3)
    assert np.array_equal(recon, g.render(latents))  # the reconstruction is G(E(x))
    paths = []
    for i, p in enumerate(pics):
        paths.append(tmp_path / f"p{i}.png")
        Image.fromarray(p).save(paths[-1])
    _, from_files = g.project(paths)
    assert np.array_equal(from_files, recon)
    _, refined = g.project(pics, refine_steps=3)
    assert refined.shape == recon.shape


def test_evaluate_folders_is_the_same_call_as_the_cli(stub, tmp_path, tiny_data):
    for name, imgs in (("a", tiny_data.images[:12]), ("b", tiny_data.images[12:24])):
        (tmp_path / name).mkdir()
        for i, im in enumerate(imgs):
            Image.fromarray(im).save(tmp_path / name / f"{i}.png")
    res = ag.evaluate_folders(tmp_path / "a", tmp_path / "b", metrics="fid,kid",
                              progress=False)  # fmt: skip
    assert np.isfinite(res["fid"]) and res["fid"] > 0 and np.isfinite(res["kid"])
    out = tmp_path / "cli.json"
    assert main(["evaluate", "--real", str(tmp_path / "a"), "--fake", str(tmp_path / "b"),
                 "--metrics", "fid,kid", "--no-progress", "--json", str(out)]) == 0  # fmt: skip
    cli = json.loads(out.read_text())
    assert cli["fid"] == pytest.approx(res["fid"], rel=1e-9)
    assert cli["kid"] == pytest.approx(res["kid"], rel=1e-9, abs=1e-12)
