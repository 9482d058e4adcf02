from __future__ import annotations

import pytest

from artgan.config import Config, from_dict, parse_override, read_preset, resolve
from artgan.errors import ArtganError


def test_dcgan_preset_is_the_paper_setting():
    cfg = resolve("dcgan")
    assert (cfg.data.resolution, cfg.train.batch_size, cfg.loss.name) == (64, 64, "bce")
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
        ("train.precision=fp16", "must be one of 'auto', 'fp32' or 'bf16', got 'fp16'"),
        ("data.resolution=48", "power of two"),
        ("train.steps=0", "at least 1"),
        (
            "model.name=stylegan9",
            r"unknown model .stylegan9. \(available: dcgan, ddpm, fastgan, migan, sagan, vae\)",
        ),
        ("loss.name=wgan", r"unknown loss 'wgan' \(available: bce, hinge, wgan-gp\)"),
        ("data.train_fraction=1.5", "between 0 and 1"),
        ("train.fid_every_seconds=-60", "train.fid_every_seconds' must be ≥ 0"),
        ("train.fid_every=-5", "train.fid_every' must be ≥ 0"),
        ("model.n_categories=some", "model.n_categories' must be int, got 'some'"),
        ("train.ema_decay=1.0", r"ema_decay must be in \[0, 1\)"),
        # values YAML cannot read: one line naming the override, not a YAML traceback
        ("data.path=*paintings", r"'data.path=\*paintings': the value is not valid YAML"),
        ("train.steps=[100", r"'train.steps=\[100': the value is not valid YAML"),
        ("model.name=[migan]", r"unknown model '\['migan'\]'"),
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


def test_options_of_another_model_or_loss_are_refused():
    with pytest.raises(ArtganError, match="'model.use_ams' does not apply to model 'dcgan'"):
        resolve("dcgan", None, [parse_override("model.use_ams=false")])
    with pytest.raises(ArtganError, match="'loss.gp_weight' does not apply to loss 'bce'"):
        resolve("dcgan", None, [parse_override("loss.gp_weight=5")])
    # Keys that moved in schema 2 say where they went.
    with pytest.raises(ArtganError, match="'train.loss' is now 'loss.name'"):
        resolve("dcgan", None, [parse_override("train.loss=hinge")])
    with pytest.raises(ArtganError, match="'loss.lambda_ms' is now 'model.lambda_ms'"):
        resolve("migan", None, [parse_override("loss.lambda_ms=3")])


def test_switching_variant_drops_inherited_options_only():
    # The migan preset's objective weights do not follow --model dcgan ...
    cfg = resolve("migan", None, [{"model": {"name": "dcgan"}}, {"loss": {"name": "bce"}}])
    assert cfg.model.name == "dcgan" and not hasattr(cfg.model, "lambda_ms")
    assert cfg.model.z_dim == 128  # ... while options every model has do
    # Keys set in the same layer as the switch must apply to the new variant.
    with pytest.raises(ArtganError, match="does not apply to model 'dcgan'"):
        resolve("migan", None, [{"model": {"name": "dcgan", "use_sa": False}}])


def test_config_is_frozen_and_replace_makes_a_new_one():
    from pydantic import ValidationError

    from artgan.config import replace

    cfg = resolve("dcgan")
    with pytest.raises(ValidationError):
        cfg.train.steps = 5  # type: ignore[misc]
    new = replace(cfg, {"train": {"steps": 5}})
    assert (new.train.steps, cfg.train.steps) == (5, 3000)
    with pytest.raises(ArtganError, match="unknown config key 'train.stepz'"):
        replace(cfg, {"train": {"stepz": 5}})


def test_auto_categories_resolve_per_data_set():
    cfg = resolve("migan")
    assert cfg.model.n_categories == "auto"
    assert cfg.model.for_classes(16).n_categories == 16
    assert cfg.model.for_classes(0).n_categories == 10  # no class folders
    assert cfg.model.for_classes(16) is not cfg.model and cfg.model.n_categories == "auto"
