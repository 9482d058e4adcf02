"""The folded CPU graphs of the FID network (metrics/inception_fold.py) compute what the
plain TorchScript graph does."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from artgan.metrics.inception import InceptionFeatures, extract_features
from artgan.metrics.inception_fold import fold_for_cpu
from artgan.metrics.inputs import MetricInputs
from artgan.runtime import native_bf16

pytestmark = pytest.mark.filterwarnings(
    "ignore:`torch.jit.script` is deprecated:DeprecationWarning"
)


class _TFConv(nn.Module):
    """The shipped graph's layer: weight cast to the input dtype, conv (bias-free unless
    ``affine``), batch_norm (scale-free unless ``affine``), ReLU."""

    def __init__(self, cin: int, cout: int, affine: bool = False) -> None:
        super().__init__()
        g = torch.Generator().manual_seed(cin * 10 + cout)
        self.weight = nn.Parameter(torch.randn(cout, cin, 3, 3, generator=g) * 0.3)
        self.register_buffer("mean", torch.randn(cout, generator=g))
        self.register_buffer("var", torch.rand(cout, generator=g) + 0.1)
        self.register_buffer("beta", torch.randn(cout, generator=g))
        self.gamma = nn.Parameter(torch.rand(cout, generator=g) + 0.5) if affine else None
        self.bias = nn.Parameter(torch.randn(cout, generator=g)) if affine else None

    def forward(self, x: Tensor) -> Tensor:
        y = F.conv2d(x, self.weight.to(x.dtype), self.bias, 1, 1)
        return F.relu(F.batch_norm(y, self.mean, self.var, self.gamma, self.beta, False, 0.1, 1e-3))


class _Net(nn.Module):
    def __init__(self, affine: bool = False) -> None:
        super().__init__()
        self.a, self.b = _TFConv(3, 8, affine), _TFConv(8, 4, affine)

    def forward(self, x: Tensor) -> Tensor:
        return self.b(self.a(x)).mean(dim=(2, 3))


class _Shared(nn.Module):
    """A convolution whose raw output is read besides its batch_norm: not foldable."""

    def __init__(self) -> None:
        super().__init__()
        self.c = _TFConv(3, 3)

    def forward(self, x: Tensor) -> Tensor:
        y = F.conv2d(x, self.c.weight, None, 1, 1)
        return F.batch_norm(y, self.c.mean, self.c.var, None, self.c.beta, False, 0.1, 1e-3) + y


class _ComputedScale(nn.Module):
    """A batch_norm whose scale is computed in the graph, not a constant: not foldable."""

    def __init__(self) -> None:
        super().__init__()
        self.c = _TFConv(3, 3)

    def forward(self, x: Tensor) -> Tensor:
        y = F.conv2d(x, self.c.weight, None, 1, 1)
        scale = x.mean() * torch.ones(3)
        return F.batch_norm(y, self.c.mean, self.c.var, scale, self.c.beta, False, 0.1, 1e-3)


class _Branches(nn.Module):
    """An Inception block's shape: two conv branches, each made NCHW-contiguous as the
    shipped graph does, concatenated, then a 3×3 average pool. ``[B, 3, H, W]`` →
    ``[B, 12, H, W]``."""

    def __init__(self) -> None:
        super().__init__()
        self.a, self.b = _TFConv(3, 8), _TFConv(3, 4)

    def forward(self, x: Tensor) -> Tensor:
        y = torch.cat([self.a(x).contiguous(), self.b(x).contiguous()], 1)
        return F.avg_pool2d(y, 3, 1, 1, count_include_pad=False)


def _rel(a: Tensor, b: Tensor) -> float:
    return float((a.float() - b.float()).norm() / b.float().norm())


@pytest.mark.parametrize("affine", [False, True])
def test_folding_keeps_the_function_and_removes_every_batch_norm(affine) -> None:
    net = torch.jit.script(_Net(affine).eval())
    x = torch.randn(2, 3, 12, 10)
    with torch.inference_mode():
        expected = net(x)
        folded = fold_for_cpu(net)
        got = folded(x.contiguous(memory_format=torch.channels_last))
    torch.testing.assert_close(got, expected, rtol=1e-5, atol=1e-5)
    kinds = {n.kind() for n in folded.graph.nodes()}
    assert "aten::batch_norm" not in kinds and "aten::contiguous" not in kinds
    with torch.inference_mode():
        torch.testing.assert_close(net(x), expected)  # the original graph is untouched


@pytest.mark.parametrize("affine", [False, True])
def test_bf16_folding_matches_autocast_within_bf16_rounding(affine) -> None:
    net = torch.jit.script(_Net(affine).eval())
    x = torch.randn(2, 3, 12, 10)
    folded = fold_for_cpu(net, torch.bfloat16)
    assert "aten::batch_norm" not in {n.kind() for n in folded.graph.nodes()}
    with torch.inference_mode():
        expected = net(x)
        with torch.autocast("cpu", dtype=torch.bfloat16):
            autocast = net(x)
        got = folded(x.to(torch.bfloat16, memory_format=torch.channels_last))
    assert got.dtype == torch.bfloat16 and got.shape == expected.shape
    assert 0 < _rel(got, expected) < 0.03
    assert _rel(got, expected) < 3 * _rel(autocast, expected) + 1e-3
    with pytest.raises(ValueError, match="float16"):
        fold_for_cpu(net, torch.float16)


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
def test_folding_keeps_channels_last_through_concatenations(dtype) -> None:
    # The shipped graph's .contiguous() before each cat turned every later pooling and
    # convolution NCHW (average pooling 3-6x slower); the fold drops them.
    net = torch.jit.script(_Branches().eval())
    x = torch.randn(2, 3, 9, 11).to(dtype, memory_format=torch.channels_last)
    with torch.inference_mode():
        plain = net(x)
        got = fold_for_cpu(net, dtype)(x)
    assert plain.is_contiguous() and not plain.is_contiguous(memory_format=torch.channels_last)
    assert got.is_contiguous(memory_format=torch.channels_last) and not got.is_contiguous()
    assert _rel(got, plain) < 0.02


@pytest.mark.parametrize(
    ("module", "message"),
    [(_Shared, "feeds more than"), (_ComputedScale, "non-constant"),
     (lambda: nn.Conv2d(3, 3, 3), "no convolution")],
)  # fmt: skip
def test_a_graph_that_does_not_fit_is_refused(module, message) -> None:
    with pytest.raises(ValueError, match=message):
        fold_for_cpu(torch.jit.script(module().eval()))


@pytest.fixture(scope="module")
def images() -> np.ndarray:
    return np.random.default_rng(1).integers(0, 256, (3, 40, 48, 3), dtype=np.uint8)


@pytest.fixture(scope="module")
def nets() -> tuple[InceptionFeatures, InceptionFeatures]:
    return InceptionFeatures(), InceptionFeatures(fused=False)


def test_fid_network_folded_agrees_with_the_plain_graph(nets, images) -> None:
    fused, plain = nets
    a = extract_features(images, 3, model=fused, progress=False)
    b = extract_features(images, 3, model=plain, progress=False)
    assert fused._folded[torch.float32] is not fused.net  # the fold did apply
    np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-4)
    assert np.abs(a - b).max() > 0  # a different graph ran (float rounding differs)
    assert fused.extractor_id == plain.extractor_id + ":folded-cl"
    ids = {MetricInputs(precision=p, networks={"inception": fused}).extractor_id()
           for p in ("bf16", "fp32")}  # fmt: skip
    assert ids == {fused.extractor_id, fused.extractor_id + ":bf16"}  # caches kept apart


@pytest.mark.slow
@pytest.mark.skipif(not native_bf16(torch.device("cpu")), reason="bf16 is emulated here")
def test_fid_network_bf16_folded_is_as_close_to_fp32_as_autocast(nets, images) -> None:
    fused, plain = nets
    b = extract_features(images, 3, model=plain, progress=False)
    c = extract_features(images, 3, precision="bf16", model=fused, progress=False)
    d = extract_features(images, 3, precision="bf16", model=plain, progress=False)
    assert fused._folded[torch.bfloat16] is not fused.net and not (c == d).all()
    err_folded = np.linalg.norm(c - b) / np.linalg.norm(b)
    err_autocast = np.linalg.norm(d - b) / np.linalg.norm(b)
    assert 0 < err_folded < 0.05 and err_folded < 2 * err_autocast


def test_a_weights_file_that_cannot_be_folded_runs_plain_warned_once(monkeypatch) -> None:
    def refuse(net, dtype):
        raise ValueError("no convolution + BatchNorm pairs to fold")

    monkeypatch.setattr("artgan.metrics.inception.fold_for_cpu", refuse)
    with pytest.warns(UserWarning, match="unfused"):
        model = InceptionFeatures()
    assert "folded" not in model.extractor_id  # the id says which graph runs
    x = torch.randint(0, 256, (1, 3, 32, 32), dtype=torch.uint8)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no second warning for the same dtype
        got = model(x)
    with torch.inference_mode():
        torch.testing.assert_close(got, InceptionFeatures(fused=False)(x))
