"""The diffusion UNet (#21): shapes, the timestep's effect, gradients, the sinusoidal
embedding and the shape rules."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from artgan.errors import ArtganError
from artgan.nn.blocks import group_norm
from artgan.nn.unet import AttentionBlock, UNet, timestep_embedding, unet_levels


def _perturb_zero_inits(m: nn.Module) -> None:
    """The zero-initialised output convs make ε = 0 whatever the input and block the
    gradients to earlier layers; give them nonzero values so the tests see every layer."""
    g = torch.Generator().manual_seed(123)
    with torch.no_grad():
        for p in m.parameters():
            if not p.any():
                p.copy_(torch.randn(p.shape, generator=g) * 0.1)


def _tiny(resolution: int = 16, attn: tuple[int, ...] = (8,), dropout: float = 0.0) -> UNet:
    torch.manual_seed(0)
    return UNet(8, (1, 2), resolution, attn, dropout, num_res_blocks=1)


@pytest.mark.parametrize(("resolution", "mult", "attn"), [(8, (1, 2), ()), (16, (1, 2), (8,)),
                                                          (32, (1, 1, 2), (16, 8))])  # fmt: skip
def test_output_has_the_input_shape(resolution, mult, attn):
    net = UNet(8, mult, resolution, attn, 0.0, num_res_blocks=1)
    x = torch.randn(2, 3, resolution, resolution)
    out = net(x, torch.tensor([0, 7]))
    assert out.shape == x.shape
    assert torch.equal(out, torch.zeros_like(out))  # zero-initialised output conv


def test_default_blocks_and_attention_build():
    net = UNet(8, (1, 2, 2), 32, (16,), 0.1)
    assert sum(isinstance(m, nn.GroupNorm) for m in net.modules()) > 0
    assert not any(isinstance(m, nn.BatchNorm2d) for m in net.modules())
    sides: list[int] = []  # the side every attention block attends over
    blocks = [m for m in net.modules() if isinstance(m, AttentionBlock)]
    for m in blocks:
        m.register_forward_hook(lambda mod, args, out: sides.append(args[0].shape[-1]))
    assert net(torch.randn(1, 3, 32, 32), torch.tensor([5])).shape == (1, 3, 32, 32)
    assert blocks and sorted(sides) == [16] * len(blocks)  # each ran, at 16 px only
    assert not any(isinstance(m, AttentionBlock) for m in UNet(8, (1, 2, 2), 32, (), 0.1).modules())


def test_the_timestep_changes_the_output():
    net = _tiny()
    _perturb_zero_inits(net)
    net.eval()
    x = torch.randn(1, 3, 16, 16).expand(2, -1, -1, -1)
    with torch.no_grad():
        out = net(x, torch.tensor([0, 500]))
    assert not torch.allclose(out[0], out[1], atol=1e-4)
    with torch.no_grad():  # and each image depends on its own timestep only
        assert torch.allclose(net(x[:1], torch.tensor([500])), out[1:], atol=1e-5)


def test_gradient_reaches_every_parameter():
    net = _tiny()
    _perturb_zero_inits(net)
    net(torch.randn(2, 3, 16, 16), torch.tensor([3, 9])).square().mean().backward()
    for name, p in net.named_parameters():
        assert p.grad is not None and p.grad.abs().sum() > 0, name


def test_dropout_acts_in_training_only():
    net = _tiny(dropout=0.5)
    _perturb_zero_inits(net)
    x, t = torch.randn(1, 3, 16, 16), torch.tensor([4])
    net.train()
    a, b = net(x, t), net(x, t)
    assert not torch.allclose(a, b)
    net.eval()
    assert torch.equal(net(x, t), net(x, t))


def test_timestep_embedding():
    t = torch.tensor([0, 1, 999])
    emb = timestep_embedding(t, 8)
    assert emb.shape == (3, 8) and emb.dtype == torch.float32
    assert torch.equal(emb[0], torch.tensor([1.0, 1, 1, 1, 0, 0, 0, 0]))  # cos 0, sin 0
    # ω_0 = 1: the first cos/sin pair is cos(t), sin(t).
    assert torch.allclose(emb[1, [0, 4]], torch.tensor([math.cos(1.0), math.sin(1.0)]))
    assert torch.allclose(emb.square()[:, :4] + emb.square()[:, 4:], torch.ones(3, 4))
    odd = timestep_embedding(t, 7)
    assert odd.shape == (3, 7) and torch.equal(odd[:, -1], torch.zeros(3))
    assert torch.allclose(odd[:, :6], timestep_embedding(t, 6))


def test_group_norm_divides_the_channels():
    assert group_norm(64).num_groups == 32
    assert group_norm(8).num_groups == 8
    assert group_norm(48).num_groups == 24
    assert group_norm(6).num_groups == 6


def test_shape_rules():
    assert unet_levels(32, (1, 2, 2), (16,)) == [32, 16, 8]
    assert unet_levels(48, (1, 2), ()) == [48, 24]  # any side that halves often enough
    with pytest.raises(ArtganError, match="not divisible by 4"):
        UNet(8, (1, 2, 2), 18, (), 0.0)
    with pytest.raises(ArtganError, match=r"attention at \[4\] px"):
        UNet(8, (1, 2), 16, (4,), 0.0)
    with pytest.raises(ArtganError, match="channel_mult"):
        UNet(8, (), 16, (), 0.0)
