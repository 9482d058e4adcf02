"""Faster CPU graphs of the TorchScript Inception-v3 used for FID and KID.

The TF graph as shipped runs every one of its 94 convolutions as three ops: a cast of
the weight to the input's dtype, ``conv2d`` without bias, and an unscaled ``batch_norm``
(``weight=None``), followed by ReLU. PyTorch's own conv–BN folding skips it (the cast sits
between the weight and the convolution, and its oneDNN pass rejects a BatchNorm without
a scale), so each layer pays a full extra pass over its activations, and under bf16
autocast a cast of its weight on every call. Here the graph is frozen, the casts of
constant weights are dropped, and each BatchNorm is folded into its convolution's weight
and bias in float64. Then:

- fp32: ``torch.jit.optimize_for_inference`` runs the convolutions through oneDNN with
  ReLU fused (features agree with the plain graph to ~1e-6 relative);
- bf16: the folded weights are stored once in bf16 and channels_last and the graph takes
  a bf16 channels_last input (what autocast computes, without the per-call casts and the
  separate BatchNorm; oneDNN's frozen graph would ignore autocast).

``tests/metrics/test_inception_fold.py`` checks both against the plain graph.
"""

from __future__ import annotations

import warnings

import torch

_BN_ARGS = 9  # aten::batch_norm(input, weight, bias, mean, var, training, momentum, eps, cudnn)


def fold_for_cpu(
    net: torch.jit.ScriptModule, dtype: torch.dtype = torch.float32
) -> torch.jit.ScriptModule:
    """A frozen, BatchNorm-folded copy of ``net`` for ``dtype`` inputs (float32: oneDNN;
    bfloat16: bf16 channels_last weights). ``net`` itself is unchanged.

    Raises ``ValueError`` when the graph is not the shape described in the module
    docstring (a different weights file), so the caller can keep the plain graph.
    """
    if dtype not in (torch.float32, torch.bfloat16):
        raise ValueError(f"no folded graph for {dtype}")
    # Autocast off: frozen under bf16 autocast, the BatchNorm statistics no longer show up
    # as constants (seen with torch 2.13), and nothing would fold.
    with warnings.catch_warnings(), torch.autocast("cpu", enabled=False):
        warnings.simplefilter("ignore", DeprecationWarning)  # TorchScript, torch >= 2.9
        frozen = torch.jit.freeze(net.eval())
        graph = frozen.graph
        _drop_constant_weight_casts(graph)
        norms = list(graph.findAllNodes("aten::batch_norm"))
        folded = sum(_fold_batch_norm(graph, bn, dtype) for bn in norms)
        if folded == 0:
            raise ValueError("no convolution + BatchNorm pairs to fold")
        torch._C._jit_pass_dce(graph)
        if dtype == torch.bfloat16:
            return frozen
        return torch.jit.optimize_for_inference(frozen)


def _drop_constant_weight_casts(graph: torch._C.Graph) -> None:
    """``aten::to(constant weight, dtype(x))`` → the constant: the folded weights are
    stored in the input's dtype, and the cast hides the weight from the folding below."""
    for node in list(graph.findAllNodes("aten::to")):
        if node.inputsAt(0).node().kind() == "prim::Constant":
            node.output().replaceAllUsesWith(node.inputsAt(0))
            node.destroy()


def _fold_batch_norm(graph: torch._C.Graph, bn: torch._C.Node, dtype: torch.dtype) -> int:
    """Fold one inference-mode ``batch_norm`` into the ``conv2d`` feeding it:
    ``w' = w·γ/√(var+ε)``, ``b' = β + (b − mean)·γ/√(var+ε)`` (γ = 1 when the BN has no
    scale), computed in float64 and stored in ``dtype`` (bf16: channels_last)."""
    conv = bn.inputsAt(0).node()
    if conv.kind() != "aten::conv2d" or len(list(bn.inputs())) != _BN_ARGS:
        raise ValueError(f"batch_norm after {conv.kind()}, not a convolution")
    if len(conv.output().uses()) != 1:  # the unnormalised output is read elsewhere too
        raise ValueError("a convolution whose output feeds more than its batch_norm")
    args = (bn.inputsAt(i).toIValue() for i in range(_BN_ARGS))
    _, gamma, beta, mean, var, training, _, eps, _ = args
    weight, bias = conv.inputsAt(1).toIValue(), conv.inputsAt(2).toIValue()
    if training or not isinstance(weight, torch.Tensor) or mean is None or var is None:
        raise ValueError("batch_norm or convolution with non-constant statistics")
    scale = (var.double() + eps).rsqrt() * (1.0 if gamma is None else gamma.double())
    shift = (0.0 if beta is None else beta.double()) - mean.double() * scale
    if bias is not None:
        shift = shift + bias.double() * scale
    w = (weight.double() * scale[:, None, None, None]).to(dtype)
    if dtype == torch.bfloat16:
        w = w.contiguous(memory_format=torch.channels_last)
    with graph.insert_point_guard(conv):
        w_const, b_const = graph.insertConstant(w), graph.insertConstant(shift.to(dtype))
    conv.replaceInput(1, w_const)
    conv.replaceInput(2, b_const)
    bn.output().replaceAllUsesWith(conv.output())
    bn.destroy()
    return 1
