"""ONNX export: for every registered model the graph's output matches eager torch, and
``artgan generate model.onnx`` (onnxruntime) draws the same images as the run."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from artgan.cli import main
from artgan.models import latents_for_seeds, model_names
from artgan.sampling import load_generator
from artgan.sampling.onnx import OnnxGenerator, export_onnx
from artgan.train import Trainer
from helpers import tiny_config

pytest.importorskip("onnxscript")
pytest.importorskip("onnxruntime")
pytestmark = pytest.mark.slow

TOLERANCE = 1e-4  # max |onnxruntime − eager| on images in [-1, 1]


@pytest.mark.parametrize("model", model_names())
def test_onnx_matches_eager_for_every_model(model, tmp_path, tiny_data):
    res = 32 if model == "fastgan" else 16  # FastGAN's smallest resolution
    layer = {"model": {"name": model}, "data": {"resolution": res}, "train": {"steps": 1}}
    if model == "migan":
        layer["model"].update(n_categories=3, n_continuous=2, cycle_batch=4,
                              perceptual_layers="relu1_2")  # fmt: skip
    data = tiny_data if res == 16 else None
    Trainer(tiny_config(layer), tmp_path / "run", dataset=data).fit()
    files = export_onnx(tmp_path / "run", tmp_path / "g.onnx")
    lg = load_generator(tmp_path / "run")
    og = OnnxGenerator(files[0])
    z = latents_for_seeds(lg.latent, list(range(5)), None)  # a batch size not exported with
    with torch.no_grad():
        eager = lg.G.float()(z).numpy()
    diff = np.abs(og.run(z) - eager).max()
    print(f"{model}: max |onnx - eager| = {diff:.2e}")
    assert diff < TOLERANCE
    if lg.E is not None:  # the encoder graph too
        import onnxruntime as ort

        enc = ort.InferenceSession(str(files[1]), providers=["CPUExecutionProvider"])
        x = torch.from_numpy(eager)
        with torch.no_grad():
            ref = lg.E.to_latent(lg.E(x)).numpy()
        got = enc.run(["latent"], {"image": eager})[0]
        assert np.abs(got - ref).max() < TOLERANCE


def test_generate_from_onnx_draws_the_runs_images(trained_run, tmp_path):
    export_onnx(trained_run, tmp_path / "g.onnx")
    a, b = tmp_path / "torch", tmp_path / "onnx"
    args = ["--n", "3", "--seed", "7", "--code", "cat=1", "--truncation", "0.9"]
    assert main(["generate", str(trained_run), *args, "--out", str(a)]) == 0
    assert main(["generate", str(tmp_path / "g.onnx"), *args, "--out", str(b)]) == 0
    for s in (7, 8, 9):
        pa = np.asarray(Image.open(a / f"seed{s:06d}.png"), dtype=int)
        pb = np.asarray(Image.open(b / f"seed{s:06d}.png"), dtype=int)
        assert np.abs(pa - pb).max() <= 1  # the same image up to 8-bit rounding
