"""The discriminator's augmentations: differentiable, counter-based, identical for real
and fake per call, sliceable over processes; ADA's controller; exact resume."""

from __future__ import annotations

import pytest
import torch

from artgan.augment import AUGMENTATIONS, ADAController, build_d_augment, policy_ops
from artgan.augment.diffaug import color, cutout, flip, translation
from artgan.config import resolve
from artgan.errors import ArtganError
from artgan.runtime import Shard
from artgan.train import Trainer
from helpers import assert_same_state, resumed_and_uninterrupted, tiny_config

OPS = [color, translation, cutout, flip]


def _x(seed: int = 0, b: int = 6) -> torch.Tensor:
    return torch.rand(b, 3, 16, 16, generator=torch.Generator().manual_seed(seed)) * 2 - 1


@pytest.mark.parametrize("op", OPS, ids=lambda f: f.__name__)
def test_ops_are_differentiable_seeded_and_the_same_for_real_and_fake(op):
    x = _x().requires_grad_(True)
    y = op(x, torch.Generator().manual_seed(1))
    assert y.shape == x.shape
    y.square().sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0
    real, fake = _x(2), _x(2)  # the same call on equal batches: the same transform
    a = op(real, torch.Generator().manual_seed(3))
    b = op(fake, torch.Generator().manual_seed(3))
    assert torch.equal(a, b)
    assert not torch.equal(op(real, torch.Generator().manual_seed(4)), a)
    assert torch.equal(op(real, torch.Generator().manual_seed(3), p=0.0), real)  # p = 0: off


@pytest.mark.parametrize("op", OPS, ids=lambda f: f.__name__)
def test_two_processes_augment_exactly_as_one(op):
    x = _x(b=8)
    whole = op(x, torch.Generator().manual_seed(5))
    halves = [op(x[r * 4 : (r + 1) * 4], torch.Generator().manual_seed(5), 1.0, 2, r)
              for r in range(2)]  # fmt: skip
    assert torch.equal(torch.cat(halves), whole)


def test_translation_shifts_and_cutout_masks_what_they_say():
    x = (torch.arange(16.0).view(1, 1, 4, 4).expand(40, 3, 4, 4) + 1) / 16  # no zero pixel
    t = translation(x, torch.Generator().manual_seed(0))

    def shifted(dy: int, dx: int) -> torch.Tensor:  # x moved by (dy, dx), zeros moved in
        out = torch.zeros(3, 4, 4)
        out[:, max(dy, 0) : 4 + min(dy, 0), max(dx, 0) : 4 + min(dx, 0)] = x[
            0, :, max(-dy, 0) : 4 + min(-dy, 0), max(-dx, 0) : 4 + min(-dx, 0)
        ]
        return out

    moves = [(dy, dx) for dy in (-1, 0, 1) for dx in (-1, 0, 1)]
    seen = set()
    for img in t:  # each output is the input shifted by at most ⌊4/8 + ½⌋ = 1 px
        match = [m for m in moves if torch.equal(img, shifted(*m))]
        assert len(match) == 1, "not a whole-pixel shift of the input with zero fill"
        seen.add(match[0])
    assert len(seen) > 3  # the shifts vary over the batch (40 draws of 9 possibilities)
    c = cutout(torch.ones(40, 3, 8, 8), torch.Generator().manual_seed(0))
    holes = (c[:, 0] == 0).flatten(1).sum(1)
    assert holes.max() == 16 and (holes > 0).all()  # a 4×4 square, partly off the edge


def test_color_changes_brightness_within_half_a_unit():
    x = torch.zeros(100, 3, 4, 4)
    y = color(x, torch.Generator().manual_seed(0))
    assert y.abs().max() <= 0.5 + 1e-6 and y.std() > 0.1


def test_policy_errors():
    with pytest.raises(ArtganError, match="unknown augmentation 'blur'"):
        policy_ops("color,blur")
    with pytest.raises(ArtganError, match="'affine' cannot augment"):
        policy_ops("affine")
    assert {"color", "translation", "cutout", "flip", "affine"} <= set(AUGMENTATIONS.names())


def test_ada_moves_p_towards_the_target_and_round_trips():
    ada = ADAController(target=0.6, interval=2, speed_kimg=0.1)  # 100 images: p 0 → 1
    for _ in range(4):  # D is sure of every real image: r_t = 1 > 0.6, overfitting
        ada.observe(torch.ones(10))
        ada.end_step(10, Shard())
    assert ada.last_rt == 1.0 and ada.p == pytest.approx(0.4)  # 2 updates × 20 / 100
    state = ada.state_dict()
    for _ in range(10):  # now unsure: r_t = −1 < 0.6, p falls back and stops at 0
        ada.observe(-torch.ones(10))
        ada.end_step(10, Shard())
    assert ada.p == 0.0
    again = ADAController(0.6, 2, 0.1)
    again.load_state_dict(state)
    assert again.p == pytest.approx(0.4) and again.steps == 4


def test_build_from_config():
    assert build_d_augment(resolve("dcgan").d_augment) is None
    d = build_d_augment(resolve("dcgan", None, [{"d_augment": {"name": "diffaug"}}]).d_augment)
    assert d.name == "diffaug" and d.p == 1.0 and len(d.ops) == 3
    a = build_d_augment(
        resolve("dcgan", None, [{"d_augment": {"name": "ada", "p": 0.2}}]).d_augment
    )
    assert a.p == 0.2 and a.ada is not None


@pytest.mark.parametrize("kind", ["diffaug", "ada"])
def test_training_with_d_augment_resumes_exactly(tmp_path, tiny_data, kind):
    ada = {"speed_kimg": 0.01, "interval": 1, "p": 0.5}  # p moves by 0.8 per step here
    layer = {"d_augment": {"name": kind, **(ada if kind == "ada" else {})}}
    full, resumed = resumed_and_uninterrupted(tiny_config(layer), tmp_path, tiny_data)
    assert_same_state(full, resumed)
    if kind == "ada":
        assert full.state.d_aug.p == resumed.state.d_aug.p
        assert "ada_p" in full.log.read()[-1]
    plain = Trainer(tiny_config(), tmp_path / "plain", dataset=tiny_data)
    plain.fit(until_step=4)
    changed = any(not torch.equal(a, b) for a, b in zip(plain.state.D.state_dict().values(),
                                                        full.state.D.state_dict().values(),
                                                        strict=True))  # fmt: skip
    assert changed  # the augmentation is really applied
