"""Faster CPU graphs of the TorchScript Inception-v3 used for FID and KID.

The TF graph as shipped runs every one of its 94 convolutions as three ops: a cast of
the weight to the input's dtype, ``conv2d`` without bias, and an unscaled ``batch_norm``
(``weight=None``), followed by ReLU. PyTorch's own conv–BN folding skips it (the cast sits
between the weight and the convolution, and its oneDNN pass rejects a BatchNorm without
a scale), so each layer pays a full extra pass over its activations, and under bf16
autocast a cast of its weight on every call. Here the graph is frozen, and for each
convolution feeding a BatchNorm the weight's cast is dropped and the BatchNorm folded
into the convolution's weight and bias, computed in float64. Then:

Both graphs then store the folded weights once in ``dtype`` and channels_last and take
a channels_last input (for bf16: what autocast computes, without the per-call casts and
the separate BatchNorm). The shipped graph also makes every branch output NCHW-contiguous
before each of its 11 concatenations (46 ``aten::contiguous`` calls), so every pooling
and convolution after a block read NCHW (``avg_pool2d`` is 3-6× slower on NCHW than on
channels_last); those calls are dropped, as they change no value. Measured on a 2-core
native-bf16 EPYC (the network alone, batch 50): bf16 19.9 → 27.6 images/s, and fp32
14.1 images/s against 11.1 for the oneDNN graph (``torch.jit.optimize_for_inference``)
it used before, which this layout beats.

Every folded graph is checked against the plain one on a probe image before it is
returned, so a graph of another shape (a different weights file) is refused with a
``ValueError`` rather than computing something else. ``tests/metrics/test_inception_fold.py``
checks both dtypes.
"""

from __future__ import annotations

import warnings

import torch

_BN_ARGS = 9  # aten::batch_norm(input, weight, bias, mean, var, training, momentum, eps, cudnn)
PROBE_SIZE = 299  # the size the FID network is fed (its last pooling needs about that)
PROBE_TOLERANCE = {torch.float32: 1e-4, torch.bfloat16: 0.05}  # relative L2 error


def fold_for_cpu(
    net: torch.jit.ScriptModule, dtype: torch.dtype = torch.float32
) -> torch.jit.ScriptModule:
    """A frozen, BatchNorm-folded copy of ``net`` for ``dtype`` channels_last inputs
    (weights stored in ``dtype``, channels_last). ``net`` itself is unchanged.

    Raises ``ValueError`` when the graph is not the shape described in the module
    docstring or the folded copy disagrees with ``net`` on a probe image.
    """
    if dtype not in PROBE_TOLERANCE:
        raise ValueError(f"no folded graph for {dtype}")
    # Autocast off: frozen under bf16 autocast, the BatchNorm statistics no longer show up
    # as constants (seen with torch 2.13), and nothing would fold.
    with warnings.catch_warnings(), torch.autocast("cpu", enabled=False):
        warnings.simplefilter("ignore", DeprecationWarning)  # TorchScript, torch >= 2.9
        frozen = torch.jit.freeze(net.eval())
        graph = frozen.graph
        norms = list(graph.findAllNodes("aten::batch_norm"))
        if not norms:
            raise ValueError("no convolution + BatchNorm pairs to fold")
        for bn in norms:
            _fold_batch_norm(graph, bn, dtype)
        _drop_contiguous(graph)
        torch._C._jit_pass_dce(graph)
        _check_probe(net, frozen, dtype)
    return frozen


def folded_input(x: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    """``x`` ``[B, 3, H, W]`` as the folded graph for ``dtype`` takes it: that dtype,
    channels_last."""
    return x.to(dtype, memory_format=torch.channels_last)


def _constant(value: torch._C.Value) -> object:
    """The constant behind a graph input (None for a constant None); ValueError if the
    input is computed, which ``toIValue`` alone would also report as None."""
    if value.node().kind() != "prim::Constant":
        raise ValueError(f"a non-constant input ({value.node().kind()}) where folding needs one")
    return value.toIValue()


def _fold_batch_norm(graph: torch._C.Graph, bn: torch._C.Node, dtype: torch.dtype) -> None:
    """Fold one inference-mode ``batch_norm`` into the ``conv2d`` feeding it:
    ``w' = w·γ/√(var+ε)``, ``b' = β + (b − mean)·γ/√(var+ε)`` (γ = 1 when the BN has no
    scale), computed in float64 and stored in ``dtype``, channels_last. The
    shipped graph casts the weight to the input's dtype first (``aten::to``); that cast
    is folded away with it."""
    conv = bn.inputsAt(0).node()
    if conv.kind() != "aten::conv2d" or len(list(bn.inputs())) != _BN_ARGS:
        raise ValueError(f"batch_norm after {conv.kind()}, not a convolution")
    if len(conv.output().uses()) != 1:  # the unnormalised output is read elsewhere too
        raise ValueError("a convolution whose output feeds more than its batch_norm")
    gamma, beta, mean, var, training, _, eps, _ = (
        _constant(bn.inputsAt(i)) for i in range(1, _BN_ARGS)
    )
    weight_in = conv.inputsAt(1)
    if weight_in.node().kind() == "aten::to":  # the shipped graph's cast to x.dtype
        weight_in = weight_in.node().inputsAt(0)
    weight, bias = _constant(weight_in), _constant(conv.inputsAt(2))
    if training or not all(isinstance(t, torch.Tensor) for t in (weight, mean, var)):
        raise ValueError("batch_norm in training mode or without running statistics")
    scale = (var.double() + eps).rsqrt() * (1.0 if gamma is None else gamma.double())
    shift = (0.0 if beta is None else beta.double()) - mean.double() * scale
    if bias is not None:
        shift = shift + bias.double() * scale
    w = (weight.double() * scale[:, None, None, None]).to(dtype)
    w = w.contiguous(memory_format=torch.channels_last)
    with graph.insert_point_guard(conv):
        w_const, b_const = graph.insertConstant(w), graph.insertConstant(shift.to(dtype))
    conv.replaceInput(1, w_const)
    conv.replaceInput(2, b_const)
    bn.output().replaceAllUsesWith(conv.output())
    bn.destroy()


def _drop_contiguous(graph: torch._C.Graph) -> None:
    """Remove every ``aten::contiguous`` (a layout change only; values are unchanged), so
    channels_last tensors stay channels_last through the concatenations after them."""
    for node in list(graph.findAllNodes("aten::contiguous")):
        node.output().replaceAllUsesWith(node.inputsAt(0))
        node.destroy()


def _check_probe(net: torch.jit.ScriptModule, folded: torch.jit.ScriptModule,
                 dtype: torch.dtype) -> None:  # fmt: skip
    """ValueError unless ``folded`` computes what ``net`` does on a fixed probe image."""
    x = torch.rand(1, 3, PROBE_SIZE, PROBE_SIZE, generator=torch.Generator().manual_seed(0))
    x = x * 2 - 1
    with torch.inference_mode():
        expected = net(x).double()
        got = folded(folded_input(x, dtype)).double()
    if got.shape != expected.shape:
        raise ValueError(f"the folded graph's output is {tuple(got.shape)}, not "
                         f"{tuple(expected.shape)}")  # fmt: skip
    err = float((got - expected).norm() / expected.norm().clamp_min(1e-12))
    if not err <= PROBE_TOLERANCE[dtype]:
        raise ValueError(f"the folded graph differs from the plain one by {err:.2e} (relative)")
