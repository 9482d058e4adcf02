from __future__ import annotations

import itertools

import pytest
import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils import parametrize

from artgan.errors import ArtganError
from artgan.models import LatentSpec
from artgan.models.migan import Encoder, MIGANGenerator, MultiScaleDiscriminator
from artgan.models.sagan import SAGANDiscriminator, SAGANGenerator
from artgan.nn import ECA, AMSBlock, SelfAttention, SFTConditionNet, SFTLayer
from artgan.nn.blocks import PixelNorm

SPEC = LatentSpec(12, 4, 2)


def _n_params(m: nn.Module) -> int:
    return sum(p.numel() for p in m.parameters())


def _latent(n: int = 3, seed: int = 0) -> torch.Tensor:
    return SPEC.join(SPEC.sample(n, torch.Generator().manual_seed(seed)))


def _perturb_zero_inits(m: nn.Module) -> None:
    """Zero-initialised μ / SFT output convs block gradients to earlier layers."""
    g = torch.Generator().manual_seed(123)
    with torch.no_grad():
        for p in m.parameters():
            if not p.any():
                p.copy_(torch.randn(p.shape, generator=g) * 0.1)


def _gen(res: int, **flags: bool) -> MIGANGenerator:
    return MIGANGenerator(SPEC.z_dim, 4, 2, res, channels=8, max_channels=32, **flags)


@pytest.mark.parametrize(("res", "patches"), [(16, (8, 4)), (32, (8, 8)), (64, (16, 8))])
def test_shapes(res, patches):
    torch.manual_seed(0)
    G = _gen(res)
    D = MultiScaleDiscriminator(res, channels=8, max_channels=32)
    E = Encoder(SPEC.z_dim, 4, 2, res, channels=8, max_channels=32)
    x = G(_latent())
    assert x.shape == (3, 3, res, res)
    assert x.abs().max() <= 1.0
    assert [tuple(t.shape) for t in D(x)] == [
        (3,),
        (3, 1, patches[0], patches[0]),
        (3,),
        (3, 1, patches[1], patches[1]),
    ]
    out = E(x)
    assert out["z"].shape == (3, 12)
    assert out["cat_logits"].shape == (3, 4)
    assert out["cont_mean"].shape == out["cont_logvar"].shape == (3, 2)
    assert E.to_latent(out).shape == (3, SPEC.dim)


def test_multiscale_discriminator_scales():
    x = torch.randn(2, 3, 64, 64)
    D = MultiScaleDiscriminator(64, channels=4, max_channels=16, n_scales=3, use_sa=True)
    out = D(x)
    shapes = [tuple(t.shape) for t in out]
    # Scales see 64, 32 and 16 px; patch maps at 16, 8 and 8 px.
    assert shapes == [(2,), (2, 1, 16, 16), (2,), (2, 1, 8, 8), (2,), (2, 1, 8, 8)]
    # Scale 1 really sees the 2×-average-pooled image.
    torch.testing.assert_close(out[2:4], list(D.critics[1](F.avg_pool2d(x, 2))))
    assert len(MultiScaleDiscriminator(32, 4, n_scales=1)(x[..., :32, :32])) == 2
    with pytest.raises(ArtganError, match="4px"):
        MultiScaleDiscriminator(16, 4, n_scales=3)
    with pytest.raises(ArtganError, match="power of two"):
        MIGANGenerator(8, 0, 0, 48)


@pytest.mark.parametrize("flags", list(itertools.product([True, False], repeat=4)))
def test_all_ablations_build_the_asked_modules_and_use_every_parameter(flags):
    # (training a step of each is tests/train/test_train_models.py's; here: the graph)
    torch.manual_seed(0)
    ams, sft, sa, eca = flags
    G = MIGANGenerator(12, 4, 2, 16, 4, 16, use_ams=ams, use_sft=sft, use_sa=sa, use_eca=eca)
    D = MultiScaleDiscriminator(16, 4, 16)
    assert (G.stages[0].ams is not None) == ams
    assert (G.cond_net is not None) == sft
    assert (G.seca is not None) == (sa or eca)
    sum(t.mean() for t in D(G(_latent(2)))).backward()
    # every parameter is on the path to the image (zero-initialised gates, SA's μ and
    # SFT's last convs, leave some gradients at exactly zero before the first step)
    unused = [n for n, p in G.named_parameters() if p.grad is None]
    assert not unused, unused


def test_ablation_removes_exactly_that_module():
    # R = 32, channels 8, max 32: stage outputs at 8/16/32 px are 32/16/8 wide;
    # S-ECA sits at R/2 = 16 px (16 wide).
    full = _n_params(_gen(32))
    stage_widths, cc = [32, 16, 8], 32
    ams = sum(_n_params(AMSBlock(w)) for w in stage_widths)
    sft = _n_params(SFTConditionNet(6, cc)) + sum(
        _n_params(SFTLayer(w, cc, hidden=cc)) for w in stage_widths
    )
    assert full - _n_params(_gen(32, use_ams=False)) == ams
    assert full - _n_params(_gen(32, use_sft=False)) == sft
    assert full - _n_params(_gen(32, use_sa=False)) == _n_params(SelfAttention(16))
    assert full - _n_params(_gen(32, use_eca=False)) == _n_params(ECA(16))
    # Without codes there is nothing to condition on: SFT is absent whatever the flag.
    assert _n_params(MIGANGenerator(12, 0, 0, 32, 8, 32)) == _n_params(
        MIGANGenerator(12, 0, 0, 32, 8, 32, use_sft=False)
    )


def test_gradient_reaches_every_parameter():
    torch.manual_seed(0)
    G = _gen(32)
    D = MultiScaleDiscriminator(32, 8, 32, use_sa=True)
    E = Encoder(SPEC.z_dim, 4, 2, 32, 8, 32)
    for m in (G, D):
        _perturb_zero_inits(m)
    x = G(_latent(4))
    out = E(x)
    loss = sum(t.mean() for t in D(x)) + sum(v.square().mean() for v in out.values())
    loss.backward()
    for name, p in [*G.named_parameters(), *D.named_parameters(), *E.named_parameters()]:
        assert p.grad is not None and p.grad.abs().sum() > 0, name


def test_gradient_penalty_through_attention_critic():
    # WGAN-GP needs the gradient of D's gradient, including through self-attention.
    torch.manual_seed(0)
    D = MultiScaleDiscriminator(16, 4, 16, use_sa=True)
    _perturb_zero_inits(D)
    x = torch.randn(2, 3, 16, 16, requires_grad=True)
    (g,) = torch.autograd.grad(sum(t.sum() for t in D(x)), x, create_graph=True)
    ((g.flatten(1).norm(dim=1) - 1) ** 2).mean().backward()
    # Biases that only shift activations (incl. attention's value/output biases, which
    # pass through the softmax average unchanged) move LeakyReLU kinks at most, so their
    # penalty gradient is exactly 0; every weight and the attention gate μ learn.
    for name, p in D.named_parameters():
        if "weight" in name or name.endswith(".mu") or name.endswith("query.bias"):
            assert p.grad is not None and p.grad.abs().sum() > 0, name


def test_sft_makes_output_depend_on_codes():
    torch.manual_seed(0)
    G = _gen(16, use_sa=False, use_eca=False)
    with torch.no_grad():
        G.fc.weight[:, SPEC.z_dim :] = 0  # leave SFT as the only path from the codes
    a = _latent(2)
    b = a.clone()
    b[:, SPEC.z_dim : SPEC.z_dim + 4] = torch.roll(a[:, SPEC.z_dim : SPEC.z_dim + 4], 1, 1)
    assert torch.equal(G(a), G(b))  # SFT is the identity at init
    _perturb_zero_inits(G)
    with torch.no_grad():
        G.fc.weight[:, SPEC.z_dim :] = 0
    assert not torch.allclose(G(a), G(b), atol=1e-4)


@pytest.mark.parametrize("balance", [True, False])
def test_codes_start_with_as_much_say_as_z(balance):
    """balance_codes: at init the codes (categorical and continuous together) put as much
    variance into G's first layer as z' does, the categorical code a third of it here
    (one of three codes); without it a one-hot of 4 against z' of 128 is a whisper."""
    spec = LatentSpec(128, 4, 2)
    torch.manual_seed(0)
    G = MIGANGenerator(128, 4, 2, 16, channels=8, max_channels=32, balance_codes=balance)
    lat = spec.join(spec.sample(4096, torch.Generator().manual_seed(1)))
    w = G.fc.weight.detach()

    def var_of(cols: slice) -> float:
        return float((lat[:, cols] @ w[:, cols].T).var())

    z_var, cat_var = var_of(slice(0, 128)), var_of(slice(128, 132))
    codes_var = var_of(slice(128, 134))
    if balance:
        assert codes_var == pytest.approx(z_var, rel=0.15)
        assert cat_var == pytest.approx(z_var / 3, rel=0.2)
    else:
        assert cat_var < 0.02 * z_var


def test_encoder_to_latent():
    torch.manual_seed(0)
    E = Encoder(12, 4, 2, 16, 8, 32)
    out = E(torch.randn(5, 3, 16, 16))
    out["cont_mean"] = out["cont_mean"] * 100  # push some means outside [-1, 1]
    z, onehot, cont = SPEC.split(E.to_latent(out))
    assert torch.equal(z, out["z"])
    assert torch.equal(onehot, F.one_hot(out["cat_logits"].argmax(1), 4).float())
    torch.testing.assert_close(cont, out["cont_mean"].clamp(-1, 1))
    # Straight-through: the image cycle still trains the categorical head.
    (onehot * torch.randn_like(onehot)).sum().backward()
    assert E.cat_head.weight.grad.abs().sum() > 0
    bare = Encoder(12, 0, 0, 16, 8, 32)
    out = bare(torch.randn(2, 3, 16, 16))
    assert out["cat_logits"] is None and out["cont_mean"] is None and out["cont_logvar"] is None
    assert bare.to_latent(out).shape == (2, 12)


def _spectral(m: nn.Module) -> bool:
    return parametrize.is_parametrized(m, "weight")


@pytest.mark.parametrize("res", [32, 64])
def test_sagan_shapes_and_spectral_norm(res):
    torch.manual_seed(0)
    G = SAGANGenerator(SPEC.dim, res, channels=8, max_channels=32)
    D = SAGANDiscriminator(res, channels=8, max_channels=32)
    x = G(_latent(3))
    assert x.shape == (3, 3, res, res) and x.abs().max() <= 1.0
    assert D(x).shape == (3,)
    for net in (G, D):
        layers = [m for m in net.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
        assert layers and all(_spectral(m) for m in layers)
        assert len([m for m in net.modules() if isinstance(m, SelfAttention)]) == 1
    assert any(isinstance(m, nn.BatchNorm2d) for m in G.modules())
    # Attention at 32×32 for 64 px, at R/2 = 16 px for 32 px.
    seen: list[tuple[int, ...]] = []
    D.attn.register_forward_hook(lambda m, i, o: seen.append(tuple(o.shape[-2:])))
    D(x)
    assert seen == [(min(32, res // 2),) * 2]


def test_pixel_norm_generator_keeps_shapes_and_normalises_its_stages():
    g = _gen(32, pixel_norm=True)
    assert sum(isinstance(m, PixelNorm) for m in g.modules()) == 1 + len(g.stages)
    assert _n_params(g) == _n_params(_gen(32))  # a normalisation, no new weights
    feats: list[torch.Tensor] = []
    g.stages[0].norm.register_forward_hook(lambda m, i, o: feats.append(o))
    out = g(_latent(4))
    assert out.shape == (4, 3, 32, 32)
    rms = feats[0].square().mean(dim=1).sqrt()
    assert torch.allclose(rms, torch.ones_like(rms), atol=1e-4)


def test_lean_generator_keeps_every_module_at_a_fraction_of_the_flops():
    from torch.utils.flop_counter import FlopCounterMode

    def flops(g: MIGANGenerator) -> int:
        with FlopCounterMode(display=False) as fc:
            g(_latent(2))
        return fc.get_total_flops()

    torch.manual_seed(0)
    full = MIGANGenerator(SPEC.z_dim, 4, 2, 64, channels=16, max_channels=64)
    lean = MIGANGenerator(SPEC.z_dim, 4, 2, 64, channels=16, max_channels=64,
                          ams_branch_ratio=0.5, sft_resolution=16)  # fmt: skip
    kinds = lambda g: {type(m).__name__ for m in g.modules()}  # noqa: E731
    assert kinds(lean) == kinds(full)  # no module removed
    assert flops(lean) < 0.7 * flops(full)
    assert all(s.ams.conv3.out_channels == s.conv.out_channels // 2 for s in lean.stages)
    _perturb_zero_inits(lean)
    out = lean(_latent(3))
    assert out.shape == (3, 3, 64, 64) and out.abs().max() <= 1
    out.square().mean().backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in lean.parameters())


@pytest.mark.parametrize("mode", ["bilinear", "transposed"])
def test_upsample_modes_keep_the_layout_and_train(mode):
    torch.manual_seed(0)
    g = _gen(32, upsample=mode)
    conv = nn.ConvTranspose2d if mode == "transposed" else nn.Conv2d
    assert all(type(s.conv) is conv for s in g.stages)
    convs = {"ConvTranspose2d", "Conv2d"}
    kinds = lambda m: {type(x).__name__ for x in m.modules()} - convs  # noqa: E731
    assert kinds(g) == kinds(_gen(32))  # AMS, SFT, S-ECA all still there
    out = g(_latent(3))
    assert out.shape == (3, 3, 32, 32) and out.abs().max() <= 1
    out.square().mean().backward()
    assert all(s.conv.weight.grad.abs().sum() > 0 for s in g.stages)


def test_transposed_upsampling_init_keeps_unit_scale_and_bilinear_is_smooth():
    torch.manual_seed(0)
    t = _gen(32, upsample="transposed").stages[1]  # fed 16 px maps: borders matter little
    x = torch.randn(64, t.conv.in_channels, 16, 16)
    y = torch.nn.functional.leaky_relu(t.conv(x), 0.2)
    # He init by the true fan-in (2×2 taps of every input channel): the second moment
    # after LeakyReLU(0.2) stays near the input's (kaiming_normal_'s reading of the
    # transposed weight would scale it by c_in / (4·c_out) instead).
    ratio = float(y.square().mean() / x.square().mean())
    assert 0.75 < ratio < 1.3, ratio
    b = _gen(32, upsample="bilinear").stages[0]
    const = torch.ones(1, 4, 4, 4)
    assert torch.allclose(b._up(const), torch.ones(1, 4, 8, 8))  # constant stays constant
    ramp = torch.arange(4.0).view(1, 1, 1, 4).expand(1, 1, 4, 4)
    # nearest repeats each column; bilinear interpolates between them
    assert b._up(ramp)[0, 0, 0].tolist() == [0.0, 0.25, 0.75, 1.25, 1.75, 2.25, 2.75, 3.0]
    # bilinear changes what the generator computes, not its weights
    torch.manual_seed(0)
    near = _gen(32)
    torch.manual_seed(0)
    bil = _gen(32, upsample="bilinear")
    pairs = zip(near.state_dict().values(), bil.state_dict().values(), strict=True)
    assert all(torch.equal(a, b) for a, b in pairs)
    _perturb_zero_inits(near)
    bil.load_state_dict(near.state_dict())
    z = _latent(2)
    assert not torch.allclose(near(z), bil(z), atol=1e-4)
    with pytest.raises(ValueError, match="upsample must be one of"):
        _gen(32, upsample="pixelshuffle")
