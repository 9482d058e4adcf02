"""Configs saved before schema versions (schema 1) migrate to the current schema, and a
checkpoint that holds one resumes exactly like a run that never stopped. (The golden
check, scripts/golden_check.py, does the same with checkpoints the old code wrote.)"""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
import yaml

from artgan.config import SCHEMA_VERSION, from_saved, resolve
from artgan.config.migrate import migrate, migrate_model
from artgan.errors import ArtganError
from artgan.train import Trainer, resume_config
from helpers import assert_same_state, migan_config

DATA = Path(__file__).parent / "data"


def _v1(name: str) -> dict:
    return yaml.safe_load((DATA / f"v1-{name}-tiny.yaml").read_text())


def test_v1_migan_config_migrates_field_by_field():
    old = _v1("migan")
    cfg = from_saved(old)
    assert cfg.schema_version == SCHEMA_VERSION == 2
    assert cfg.loss.name == "wgan-gp" == old["train"]["loss"]
    assert (cfg.loss.gp_weight, cfg.loss.drift_weight) == (10.0, 0.001)
    for key in ("lambda_ms", "eta_per", "cycle_batch", "perceptual_layers", "labels_as_code"):
        assert getattr(cfg.model, key) == old["loss"][key], key  # moved from `loss`
    for key in ("z_dim", "n_categories", "use_ams", "cond_channels", "d_scales"):
        assert getattr(cfg.model, key) == old["model"][key], key
    assert cfg.train.steps == old["train"]["steps"] and cfg.optim.n_critic == 5
    # The same run configured today is the same config.
    assert cfg == migan_config({"model": {"n_categories": 4}, "train": {"threads": 2}})


def test_v1_dcgan_drops_options_it_never_used():
    cfg = from_saved(_v1("dcgan"))
    assert cfg.model.name == "dcgan" and cfg.loss.name == "bce"
    assert cfg.model.d_backbone == "own" and cfg.d_augment.name == "none"  # added since
    assert set(type(cfg.model).model_fields) == {
        "name", "z_dim", "n_categories", "n_continuous", "g_channels", "d_channels",
        "max_channels", "d_backbone", "d_backbone_resolution",
    }  # fmt: skip


def test_unresolved_auto_categories_and_versions():
    assert migrate({"model": {"name": "migan", "n_categories": -1}}, 2)["model"] == {
        "name": "migan", "n_categories": "auto"}  # fmt: skip
    assert migrate_model({"name": "sagan", "use_ams": True, "z_dim": 8}, 1, 2) == {
        "name": "sagan", "z_dim": 8}  # fmt: skip
    with pytest.raises(ArtganError, match="newer artgan"):
        from_saved({"schema_version": 99})
    with pytest.raises(ArtganError, match="unknown model 'gone'"):
        from_saved({"model": {"name": "gone"}})
    current = resolve("migan").to_dict()
    assert migrate(current, 2) == current  # the current schema passes through


def test_a_v1_checkpoint_resumes_exactly(tmp_path, tiny_data):
    cfg = migan_config({"model": {"n_categories": 4}, "train": {"threads": 2}})
    full = Trainer(cfg, tmp_path / "full", dataset=tiny_data)
    full.fit(until_step=4)
    part = Trainer(cfg, tmp_path / "part", dataset=tiny_data)
    path = part.fit(until_step=2)
    ckpt = torch.load(path, weights_only=True)
    ckpt["config"] = _v1("migan")  # what the old code stored for this run
    torch.save(ckpt, path)
    torch.save(ckpt, path.parent / "latest.pt")
    cfg2, loaded, run = resume_config(tmp_path / "part", [])
    assert cfg2 == full.cfg
    resumed = Trainer(cfg2, run, resume_state=loaded, dataset=tiny_data)
    resumed.fit(until_step=4)
    assert_same_state(full, resumed)
