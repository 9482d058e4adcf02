from __future__ import annotations

import contextlib
import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils import parametrize

from artgan.nn import (
    ECA,
    SECA,
    AMSBlock,
    SelfAttention,
    SFTConditionNet,
    SFTLayer,
    eca_kernel_size,
)
from artgan.nn.attention import second_order
from artgan.nn.blocks import PixelNorm


def _n_params(m: nn.Module) -> int:
    return sum(p.numel() for p in m.parameters())


def _perturb_zero_inits(m: nn.Module) -> None:
    """Zero-initialised μ / SFT output convs block gradients to earlier layers; give them
    nonzero values so a gradient check sees every parameter."""
    g = torch.Generator().manual_seed(123)
    with torch.no_grad():
        for p in m.parameters():
            if not p.any():
                p.copy_(torch.randn(p.shape, generator=g) * 0.1)


def _check_grads(m: nn.Module) -> None:
    for name, p in m.named_parameters():
        assert p.grad is not None and p.grad.abs().sum() > 0, name


@pytest.mark.parametrize("res", [8, 16, 32, 64])
def test_shapes_keep_resolution(res):
    torch.manual_seed(0)
    x = torch.randn(2, 8, res, res)
    cond = SFTConditionNet(5, cond_channels=4)(torch.randn(2, 5))
    assert cond.shape == (2, 4, 8, 8)
    assert AMSBlock(8)(x).shape == x.shape
    assert SFTLayer(8, cond_channels=4, hidden=6)(x, cond).shape == x.shape
    assert SelfAttention(8)(x).shape == x.shape
    assert ECA(8)(x).shape == x.shape
    assert SECA(8)(x).shape == x.shape


def test_ams_dilation_widens_receptive_field():
    # An impulse reaches 2 px away through the dilated branch, but not 3 px away.
    torch.manual_seed(0)
    ams = AMSBlock(4)
    x = torch.zeros(1, 4, 11, 11, requires_grad=True)
    ams(x)[0, :, 5, 5].sum().backward()
    reach = x.grad[0].abs().sum(0) > 0
    assert reach[5, 7] and reach[3, 5] and reach[7, 7]
    assert not reach[5, 8] and not reach[2, 5]


def test_ams_half_width_branches_keep_receptive_fields_at_about_half_the_cost():
    torch.manual_seed(0)
    full, half = AMSBlock(16), AMSBlock(16, branch_channels=8)
    x = torch.randn(2, 16, 12, 12)
    assert half(x).shape == x.shape
    # weights: 2 branches of C·b·9 plus a (C + 2b) → C fuse; 21·C² against 11·C² (+ biases)
    assert _n_params(full) == 2 * (16 * 16 * 9 + 16) + 48 * 16 + 16
    assert _n_params(half) == 2 * (16 * 8 * 9 + 8) + 32 * 16 + 16
    assert half.fuse.in_channels == 16 + 2 * 8
    x = torch.zeros(1, 16, 11, 11, requires_grad=True)
    half(x)[0, :, 5, 5].sum().backward()
    reach = x.grad[0].abs().sum(0) > 0
    assert reach[5, 7] and not reach[5, 8]  # the dilated branch still sees 5×5
    with pytest.raises(ValueError, match="branch_channels"):
        AMSBlock(4, branch_channels=0)


def test_sft_at_a_capped_resolution_upsamples_its_scale_and_shift():
    torch.manual_seed(0)
    sft = SFTLayer(4, cond_channels=3, hidden=5, max_resolution=16)
    _perturb_zero_inits(sft)
    x = torch.randn(2, 4, 64, 64, requires_grad=True)
    cond = torch.randn(2, 3, 8, 8, requires_grad=True)
    c16 = F.interpolate(cond, size=(16, 16), mode="bilinear", align_corners=False)

    def up(t):
        return F.interpolate(t, size=(64, 64), mode="bilinear", align_corners=False)

    expected = x * (1 + up(sft.scale(c16))) + up(sft.shift(c16))
    out = sft(x, cond)
    torch.testing.assert_close(out, expected)
    out.sum().backward()
    assert cond.grad.abs().sum() > 0 and x.grad.abs().sum() > 0
    # at or below the cap it is the uncapped layer, bit for bit
    uncapped = SFTLayer(4, cond_channels=3, hidden=5)
    uncapped.load_state_dict(sft.state_dict())
    small = torch.randn(2, 4, 16, 16)
    assert torch.equal(sft(small, cond), uncapped(small, cond))
    assert not torch.allclose(sft(x, cond), uncapped(x, cond))


def test_sft_is_exact_identity_at_init():
    torch.manual_seed(0)
    sft = SFTLayer(16, cond_channels=8)
    x = torch.randn(3, 16, 32, 32)
    for cond in (torch.randn(3, 8, 8, 8), torch.randn(3, 8, 5, 7) * 100):
        assert torch.equal(sft(x, cond), x)


def test_sft_scales_and_shifts_with_the_condition():
    torch.manual_seed(0)
    sft = SFTLayer(4, cond_channels=3, hidden=5)
    _perturb_zero_inits(sft)
    x = torch.randn(2, 4, 16, 16)
    cond = torch.randn(2, 3, 8, 8)
    up = F.interpolate(cond, size=(16, 16), mode="bilinear", align_corners=False)
    expected = x * (1 + sft.scale(up)) + sft.shift(up)
    torch.testing.assert_close(sft(x, cond), expected)
    assert not torch.allclose(sft(x, cond), sft(x, -cond))


def test_self_attention_identity_only_while_mu_is_zero():
    torch.manual_seed(0)
    sa = SelfAttention(16)
    x = torch.randn(2, 16, 8, 8)
    assert torch.equal(sa(x), x)
    with torch.no_grad():
        sa.mu.fill_(1.0)
    assert not torch.allclose(sa(x), x, atol=1e-3)


@pytest.mark.parametrize("twice", [False, True], ids=["fused", "unfused"])
def test_sdpa_matches_reference_attention(twice: bool):
    torch.manual_seed(0)
    sa = SelfAttention(16, reduction=4)
    with second_order() if twice else contextlib.nullcontext():
        _check_sdpa_against_reference(sa)


def _check_sdpa_against_reference(sa: SelfAttention) -> None:
    x = torch.randn(2, 16, 8, 6)
    q = sa.query(x).flatten(2)  # [B, d, N]
    k = sa.key(x).flatten(2)
    v = sa.value(x).flatten(2)  # [B, C', N]
    d = q.shape[1]
    # s[b, j, i] = f(x_j)ᵀ g(x_i) / sqrt(d); softmax over the attended positions i.
    beta = torch.softmax(torch.bmm(q.transpose(1, 2), k) / math.sqrt(d), dim=-1)
    ref = sa.out(torch.bmm(v, beta.transpose(1, 2)).view(2, -1, 8, 6))
    torch.testing.assert_close(sa.attend(x), ref, atol=1e-5, rtol=1e-5)
    with torch.no_grad():
        sa.mu.fill_(0.7)
    torch.testing.assert_close(sa(x), 0.7 * ref + x, atol=1e-5, rtol=1e-5)


def test_fused_and_unfused_attention_agree_in_value_and_gradient():
    torch.manual_seed(0)
    sa = SelfAttention(16, reduction=4)
    with torch.no_grad():
        sa.mu.fill_(0.5)
    x = torch.randn(3, 16, 8, 8, requires_grad=True)
    outs, grads = [], []
    for ctx in (contextlib.nullcontext(), second_order()):
        with ctx:
            y = sa(x)
        (g,) = torch.autograd.grad(y.square().sum(), x)
        outs.append(y.detach())
        grads.append(g)
    torch.testing.assert_close(outs[0], outs[1], atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(grads[0], grads[1], atol=1e-4, rtol=1e-4)


def _explicit_attend(sa: SelfAttention, x: torch.Tensor) -> torch.Tensor:
    b, _, h, w = x.shape
    q, k, v = (m(x).flatten(2).transpose(1, 2) for m in (sa.query, sa.key, sa.value))
    a = torch.softmax(q @ k.transpose(1, 2) / math.sqrt(q.shape[-1]), dim=-1)
    return sa.out((a @ v).transpose(1, 2).reshape(b, -1, h, w))


def test_critic_attention_has_the_right_second_derivative():
    """A gradient penalty differentiates the critic's input gradient again. PyTorch's
    fused CPU kernel has no derivative of its backward (it raises, or treats it as a
    constant), so a penalty's critic pass runs under ``second_order()``: the penalty's
    gradient must then equal the one through explicit softmax attention."""
    torch.manual_seed(0)
    sa = SelfAttention(16)
    x = torch.randn(2, 16, 8, 8, requires_grad=True)
    grads = []
    for attend in (sa.attend, lambda t: _explicit_attend(sa, t)):
        sa.zero_grad()
        with second_order():
            y = attend(x)
        (g,) = torch.autograd.grad(y.square().sum(), x, create_graph=True)
        g.square().sum().backward()
        grads.append(sa.query.weight.grad.clone())
    assert grads[0].abs().sum() > 0
    torch.testing.assert_close(grads[0], grads[1], atol=1e-4, rtol=1e-4)


def test_self_attention_tiny_channels_and_spectral():
    sa = SelfAttention(4, reduction=8, spectral=True)
    assert sa.query.out_channels == 1
    assert all(
        parametrize.is_parametrized(c, "weight") for c in (sa.query, sa.key, sa.value, sa.out)
    )
    assert sa(torch.randn(1, 4, 4, 4)).shape == (1, 4, 4, 4)
    ams = AMSBlock(4, spectral=True)
    assert parametrize.is_parametrized(ams.fuse, "weight")


def test_gradients_reach_every_parameter():
    torch.manual_seed(0)
    cond_net = SFTConditionNet(6, cond_channels=4)
    mods = nn.ModuleList([AMSBlock(8), SFTLayer(8, 4, hidden=4), SECA(8), cond_net])
    _perturb_zero_inits(mods)
    ams, sft, seca, _ = mods
    x = torch.randn(2, 8, 16, 16)
    out = seca(sft(ams(x), cond_net(torch.randn(2, 6))))
    (out * torch.randn_like(out)).sum().backward()
    _check_grads(mods)


def test_self_attention_supports_double_backward():
    # WGAN-GP differentiates a gradient, so attention in a critic must allow it.
    torch.manual_seed(0)
    sa = SelfAttention(8)
    with torch.no_grad():
        sa.mu.fill_(1.0)
    x = torch.randn(2, 8, 8, 8, requires_grad=True)
    (g,) = torch.autograd.grad(sa(x).square().sum(), x, create_graph=True)
    g.square().sum().backward()
    _check_grads(sa)


@pytest.mark.parametrize(("c", "k"), [(16, 3), (64, 3), (128, 5), (256, 5), (512, 5)])
def test_eca_kernel_size(c, k):
    assert eca_kernel_size(c) == k
    assert ECA(c).conv.kernel_size == (k,)


def test_eca_kernel_size_always_odd():
    for c in range(1, 2049):
        for gamma, b in [(2, 1), (1, 1), (3, 2)]:
            assert eca_kernel_size(c, gamma, b) % 2 == 1


def test_eca_matches_hand_computation():
    torch.manual_seed(0)
    eca = ECA(128)  # k = 5
    x = torch.randn(2, 128, 5, 4)
    w = eca.conv.weight.detach().view(-1)
    k = w.numel()
    gap = x.mean(dim=(2, 3))  # [B, C]
    padded = F.pad(gap, (k // 2, k // 2))
    logits = torch.stack([(padded[:, c : c + k] * w).sum(1) for c in range(128)], dim=1)
    expected = x * torch.sigmoid(logits)[:, :, None, None]
    torch.testing.assert_close(eca(x), expected, atol=1e-6, rtol=1e-5)


def test_seca_parts():
    torch.manual_seed(0)
    x = torch.randn(2, 16, 8, 8)
    off = SECA(16, use_sa=False, use_eca=False)
    assert _n_params(off) == 0
    assert torch.equal(off(x), x)
    full = SECA(16)
    assert _n_params(full) == _n_params(SelfAttention(16)) + _n_params(ECA(16))
    with torch.no_grad():
        full.sa.mu.fill_(0.5)
    torch.testing.assert_close(full(x), full.eca(full.sa(x)))
    assert _n_params(SECA(16, use_eca=False)) == _n_params(SelfAttention(16))
    assert _n_params(SECA(16, use_sa=False)) == _n_params(ECA(16))


def test_pixel_norm_gives_unit_rms_per_pixel_and_ignores_scale():
    x = torch.randn(2, 16, 5, 5) * torch.rand(2, 1, 5, 5) * 10
    y = PixelNorm()(x)
    rms = y.square().mean(dim=1).sqrt()
    assert torch.allclose(rms, torch.ones_like(rms), atol=1e-5)
    assert torch.allclose(PixelNorm()(3.0 * x), y, atol=1e-5)
    # per pixel, per image: a change in one image leaves the others alone
    x2 = x.clone()
    x2[1] *= -7
    assert torch.equal(PixelNorm()(x2)[0], y[0])
