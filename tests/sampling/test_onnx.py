"""ONNX export: for every registered one-pass model the graph's output matches eager
torch (a diffusion model's export is refused), ``artgan generate model.onnx``
(onnxruntime) draws the same images as the run, and an export loads like a run, so the
studio serves it."""

from __future__ import annotations

import json
import logging

import numpy as np
import pytest
import torch
from PIL import Image

from artgan.api import Generator
from artgan.cli import main
from artgan.config import resolve
from artgan.errors import ArtganError
from artgan.models import get_model, latents_for_seeds, model_names
from artgan.runtime import Runtime
from artgan.sampling import export_generator, generate, load_generator
from artgan.sampling.onnx import OnnxGenerator, export_onnx
from artgan.sampling.onnx_quant import CONV_OPS
from artgan.studio.engine import Recipe, StudioEngine
from artgan.train import Trainer
from helpers import TINY_TRAIN, tiny_config

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
    if get_model(model).adversarial:
        cfg = tiny_config(layer)
    else:  # a likelihood model's section has no critic widths
        small = {"vae": {"z_dim": 16, "e_channels": 8, "max_channels": 32},
                 "ddpm": {"channel_mult": "1,2", "attn_resolutions": "", "timesteps": 10,
                          "sample_steps": 2}}[model]  # fmt: skip
        cfg = resolve(model, None, [{"data": {"resolution": res},
                                     "model": {"g_channels": 8, **small},
                                     "train": {**TINY_TRAIN, "steps": 1}}])  # fmt: skip
    Trainer(cfg, tmp_path / "run", dataset=data).fit()
    if get_model(model).iterative:
        with pytest.raises(ArtganError, match=f"ONNX export of '{model}' is not supported"):
            export_onnx(tmp_path / "run", tmp_path / "g.onnx")
        return
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


def test_an_onnx_export_loads_like_a_run_and_serves_the_studio(trained_run, tmp_path):
    export_onnx(trained_run, tmp_path / "g.onnx")
    run_lg, onnx_lg = load_generator(trained_run), load_generator(tmp_path / "g.onnx")
    assert onnx_lg.latent == run_lg.latent and onnx_lg.E is not None
    assert onnx_lg.model_cfg["name"] == "migan" and onnx_lg.class_names == run_lg.class_names
    rt = Runtime(torch.device("cpu"), "fp32", channels_last=True)
    z = latents_for_seeds(run_lg.latent, [0, 1, 2], None)
    assert (generate(onnx_lg, z, rt) - generate(run_lg, z, rt)).abs().max() < TOLERANCE
    engine = StudioEngine(tmp_path / "g.onnx", "auto")
    on_torch = StudioEngine(trained_run, "fp32")
    recipe = Recipe(seed=3, codes={"cat": 1, "c1": 0.5})
    a, b = engine.render(recipe, exact=True), on_torch.render(recipe, exact=True)
    assert a.shape == (16, 16, 3) and np.abs(a.astype(int) - b.astype(int)).max() <= 1
    painting = Image.fromarray(np.full((40, 30, 3), 120, np.uint8))
    pid, recon, codes = engine.project_image(painting)  # the exported encoder
    assert recon.shape == (16, 16, 3) and set(codes) == {"cat", "c1", "c2"}
    with pytest.raises(ArtganError, match="does not exist"):
        load_generator(tmp_path / "missing.onnx")
    for export in (export_onnx, export_generator):  # graphs, not weights: no re-export
        with pytest.raises(ArtganError, match="is an ONNX export"):
            export(tmp_path / "g.onnx", tmp_path / "again.pt")
    with pytest.raises(ArtganError, match="is an ONNX export"):
        Generator(onnx_lg, rt).project(np.zeros((1, 16, 16, 3), np.uint8), refine_steps=2)


def test_generate_threads_reach_onnxruntime(trained_run, tmp_path):
    export_onnx(trained_run, tmp_path / "g.onnx")
    g = Generator.load(tmp_path / "g.onnx", threads=1)
    assert g.lg.G.session.get_session_options().intra_op_num_threads == 1


def test_int8_export_is_quantised_smaller_reproducible_and_close(trained_run, tmp_path):
    import onnx

    fp32 = export_onnx(trained_run, tmp_path / "g.onnx")
    int8 = export_onnx(trained_run, tmp_path / "q.onnx", int8=True)
    assert [p.name for p in int8] == ["q.onnx", "q.encoder.onnx", "q.onnx.json"]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        p.name for p in [*fp32, *int8]
    )  # no temporary file left behind
    meta = json.loads(int8[-1].read_text())
    assert meta["quantization"]["weights"] == "int8 per channel (7-bit range)"
    assert json.loads(fp32[-1].read_text())["quantization"] is None
    graph = onnx.load(str(int8[0])).graph
    assert {"QuantizeLinear", "DequantizeLinear"} <= {n.op_type for n in graph.node}
    # every convolution's weights are stored as int8 but the last one's (it draws the
    # picture); the rest of the graph (attention, linear layers) stays fp32
    weight_types = _conv_weight_types(graph)
    assert len(weight_types) >= 3
    assert weight_types[:-1] == [onnx.TensorProto.INT8] * (len(weight_types) - 1)
    assert weight_types[-1] == onnx.TensorProto.FLOAT
    assert _initializer_values(graph, onnx.TensorProto.INT8) > 0
    # the encoder stays fp32, the same graph as the fp32 export's
    assert int8[1].read_bytes() == fp32[1].read_bytes()
    again = export_onnx(trained_run, tmp_path / "r.onnx", int8=True)  # fixed calibration
    assert again[0].read_bytes() == int8[0].read_bytes()
    z = latents_for_seeds(load_generator(trained_run).latent, list(range(8)), None)
    a, b = OnnxGenerator(fp32[0]).run(z), OnnxGenerator(int8[0]).run(z)
    err = np.abs(a - b).mean()
    print(f"int8: mean |int8 - fp32| = {err:.4f} (image std {a.std():.4f})")
    assert 0 < err < 0.1 * a.std()
    lg = load_generator(int8[0])  # generates and projects like any export
    assert lg.E is not None and lg.latent == load_generator(trained_run).latent


def _conv_weight_types(graph) -> list[int]:
    """The stored type of each convolution's weights, in graph order (through a
    DequantizeLinear where the weights were quantised)."""
    init = {t.name: t.data_type for t in graph.initializer}
    made_by = {o: n for n in graph.node for o in n.output}
    types = []
    for node in graph.node:
        if node.op_type in CONV_OPS:
            w = node.input[1]
            if w in made_by and made_by[w].op_type == "DequantizeLinear":
                w = made_by[w].input[0]
            types.append(init.get(w, -1))
    return types


def _initializer_values(graph, data_type: int) -> int:
    """How many values the graph's initializers of ``data_type`` hold."""
    return sum(int(np.prod(t.dims)) for t in graph.initializer if t.data_type == data_type)


def test_a_failed_export_leaves_the_previous_export_whole(trained_run, tmp_path, monkeypatch):
    import artgan.sampling.onnx as onnx_mod

    before = export_onnx(trained_run, tmp_path / "g.onnx")
    content = {p.name: p.read_bytes() for p in before}

    def broken(*args, **kwargs):
        raise RuntimeError("calibration failed")

    monkeypatch.setattr(onnx_mod, "quantize_generator", broken)
    with pytest.raises(RuntimeError, match="calibration failed"):
        export_onnx(trained_run, tmp_path / "g.onnx", int8=True)
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == content  # no temp left


def test_quantisation_advice_is_dropped_and_no_log_handler_installed(monkeypatch, caplog):
    from artgan.sampling.onnx_quant import _quiet_preprocessing_advice

    root = logging.getLogger()
    with _quiet_preprocessing_advice():
        logging.warning("Please consider to run pre-processing before quantization.")
        logging.warning("something else")
    assert [r.getMessage() for r in caplog.records] == ["something else"]
    monkeypatch.setattr(root, "handlers", [])  # as in a program that configured no logging
    with _quiet_preprocessing_advice():
        logging.warning("Please consider pre-processing before quantization.")
    assert root.handlers == [] and not root.filters


def test_a_damaged_export_is_a_one_line_error(tmp_path):
    onnx, side = tmp_path / "gen.onnx", tmp_path / "gen.onnx.json"
    onnx.write_bytes(b"not a protobuf")
    for damaged in ("", "{}", '{"latent": {"z_dim": 8}}'):  # cut short, keys missing
        side.write_text(damaged)
        with pytest.raises(ArtganError, match=r"gen.onnx.json' is damaged"):
            OnnxGenerator(onnx)
    side.write_text(json.dumps({"latent": {"z_dim": 8, "n_categories": 0, "n_continuous": 0},
                                "resolution": 16}))  # fmt: skip
    with pytest.raises(ArtganError, match=r"cannot load '.*gen.onnx' as an ONNX model"):
        OnnxGenerator(onnx)
