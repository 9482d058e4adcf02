from __future__ import annotations

import pytest

from artgan.config import Config, from_dict, parse_override, read_preset, resolve
from artgan.errors import ArtganError


def test_dcgan_preset_is_the_paper_setting():
    cfg = resolve("dcgan")
    assert (cfg.data.resolution, cfg.train.batch_size, cfg.train.loss) == (64, 64, "bce")
    assert (cfg.optim.lr_g, cfg.optim.lr_d, cfg.optim.beta1) == (2e-4, 2e-4, 0.5)
    assert cfg.model.z_dim == 100


def test_layers_apply_in_order(tmp_path):
    f = tmp_path / "c.yaml"
    f.write_text("train:\n  steps: 7\n  batch_size: 16\noptim:\n  lr_g: 1\n")
    cfg = resolve("dcgan", f, [parse_override("train.steps=9")])
    assert cfg.train.steps == 9  # override beats file
    assert cfg.train.batch_size == 16  # file beats preset
    assert cfg.optim.lr_g == 1.0 and isinstance(cfg.optim.lr_g, float)  # int accepted as float
    assert cfg.model.name == "dcgan"  # preset kept


def test_unknown_key_is_an_error_naming_it(tmp_path):
    f = tmp_path / "c.yaml"
    f.write_text("train:\n  stpes: 7\n")
    with pytest.raises(ArtganError, match=r"unknown config key 'train\.stpes'"):
        resolve(None, f)
    with pytest.raises(ArtganError, match="unknown config key 'nosuch'"):
        from_dict({"nosuch": {}})


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("train.steps=abc", "train.steps' must be int"),
        ("train.steps=1.5", "train.steps' must be int"),
        ("train.ema_rampup=3", "must be bool"),
        ("train.precision=fp16", "must be one of auto, fp32, bf16"),
        ("data.resolution=48", "power of two"),
        ("train.steps=0", "at least 1"),
        ("model.name=stylegan9", "unknown model 'stylegan9'"),
        ("data.train_fraction=1.5", "between 0 and 1"),
        ("train.fid_every_seconds=-60", "fid_every_seconds must be ≥ 0"),
        ("train.fid_every=-5", "fid_every_seconds must be ≥ 0"),
    ],
)
def test_bad_values_are_clear_errors(override, message):
    with pytest.raises(ArtganError, match=message):
        resolve("dcgan", None, [parse_override(override)])


def test_override_parsing_types():
    assert parse_override("a.b=3") == {"a": {"b": 3}}
    # YAML 1.1 reads 1e-4 as a string; float keys still accept it.
    assert resolve("dcgan", None, [parse_override("optim.lr_g=1e-4")]).optim.lr_g == 1e-4
    assert parse_override("a.b=true") == {"a": {"b": True}}
    assert parse_override("data.path=null") == {"data": {"path": None}}
    with pytest.raises(ArtganError, match="section.key=value"):
        parse_override("train.steps")


def test_yaml_round_trip_is_lossless():
    cfg = resolve("dcgan", None, [parse_override("data.augment.rotate_deg=3")])
    import yaml

    again = from_dict(yaml.safe_load(cfg.to_yaml()))
    assert again == cfg
    assert again.data.augment.rotate_deg == 3.0


def test_missing_and_bad_files(tmp_path):
    with pytest.raises(ArtganError, match="does not exist"):
        resolve(None, tmp_path / "nope.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("train: [1, 2\n")
    with pytest.raises(ArtganError, match="not valid YAML"):
        resolve(None, bad)
    with pytest.raises(ArtganError, match="unknown preset"):
        read_preset("nope")


def test_defaults_are_valid():
    assert from_dict({}) == Config()


def test_precision_auto_picks_native_bf16_only(monkeypatch):
    """auto → bf16 only where the hardware has it; an explicit bf16 on a CPU that
    emulates it is kept but warned about (it runs ~40x slower than fp32 there)."""
    import torch

    import artgan.runtime as rtm

    cpu = torch.device("cpu")
    monkeypatch.setattr(rtm, "native_bf16", lambda device: False)
    assert rtm.resolve_precision("auto", cpu) == "fp32"
    with pytest.warns(UserWarning, match="no native bf16"):
        assert rtm.resolve_precision("bf16", cpu) == "bf16"
    assert rtm.setup_runtime("cpu", "auto", threads=torch.get_num_threads()).precision == "fp32"
    monkeypatch.setattr(rtm, "native_bf16", lambda device: True)
    assert rtm.resolve_precision("auto", cpu) == "bf16"
    assert rtm.resolve_precision("fp32", cpu) == "fp32"
    with pytest.raises(ArtganError, match="unknown precision 'fp16'"):
        rtm.resolve_precision("fp16", cpu)
