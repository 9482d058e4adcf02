"""ONNX export of a generator (and its encoder), and generation on onnxruntime.

``artgan export RUN --format onnx --out gen.onnx`` writes ``gen.onnx`` (input ``latent``
``[N, z_dim + K + L]`` float32 in the :class:`~artgan.models.LatentSpec` layout — z', the
one-hot category, the continuous codes — output ``image`` ``[N, 3, R, R]`` in [-1, 1]),
``gen.encoder.onnx`` for models with an encoder (``image`` → ``latent``), and
``gen.onnx.json``: the latent layout, class names, resolution and model config, which
is all artgan needs to draw seeds and set codes without torch weights. artgan has no
custom ops, so any ONNX runtime runs the graph; ``artgan generate gen.onnx`` and ``artgan
studio gen.onnx`` use onnxruntime when it is installed (``pip install onnxruntime``):
:func:`load_onnx` wraps the sessions as torch modules in a
:class:`~artgan.sampling.loader.LoadedGenerator`, so generation, steering, projection and
the studio run on an export exactly as on a run (except latent refinement, which needs
torch gradients).
"""

from __future__ import annotations

import contextlib
import json
import math
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from artgan import __version__
from artgan.errors import ArtganError
from artgan.io.atomic import staged_files
from artgan.models import LatentSpec, get_model, latents_for_seeds
from artgan.sampling.loader import LoadedGenerator, load_generator, refuse_onnx_source
from artgan.sampling.onnx_quant import quantize_generator, require_quantization

OPSET = 18
RUNTIME_INSTALL = "pip install onnxruntime"
EXPORT_INSTALL = "pip install onnx onnxscript"


def export_module(
    module: nn.Module, example: torch.Tensor, path: Path, names: tuple[str, str]
) -> None:
    """``module`` (fp32, eval) to ``path`` with a dynamic batch dimension."""
    try:
        import onnx  # noqa: F401  (the exporter needs it; fail with the install line)
        import onnxscript  # noqa: F401
    except ImportError:
        raise ArtganError(f"ONNX export needs the onnx packages: `{EXPORT_INSTALL}`") from None
    batch = torch.export.Dim("batch", min=1, max=4096)
    with warnings.catch_warnings(), _explicit_attention():
        warnings.simplefilter("ignore")  # the exporter's progress chatter
        program = torch.onnx.export(module, (example,), dynamo=True, opset_version=OPSET,
                                    input_names=[names[0]], output_names=[names[1]],
                                    dynamic_shapes=({0: batch},), verbose=False)  # fmt: skip
    program.save(str(path))


@contextlib.contextmanager
def _explicit_attention() -> Iterator[None]:
    """During export, attention as softmax(q·kᵀ/√d)·v, whatever the input's rank (a
    critic's is 3-D ``[B, N, C]``, which onnxscript cannot translate; a generator's is
    4-D ``[B, 1, N, C]``): the same function in standard ops, so the graph matches eager
    within float rounding (checked by the tests)."""
    sdpa = F.scaled_dot_product_attention

    def explicit(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, *args: Any,
                 **kwargs: Any) -> torch.Tensor:  # fmt: skip
        if args or kwargs:  # masks, dropout, causal: not what artgan's layers use
            return sdpa(q, k, v, *args, **kwargs)
        w = torch.softmax(q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1]), dim=-1)
        return w @ v

    F.scaled_dot_product_attention = explicit
    try:
        yield
    finally:
        F.scaled_dot_product_attention = sdpa


def export_onnx(source: str | Path, out: str | Path, int8: bool = False) -> list[Path]:
    """Write the generator (and encoder) of ``source`` as ONNX; returns the files.
    ``int8``: the generator graph quantised to int8 (``onnx_quant.py``); the encoder,
    which projection refines from, stays fp32."""
    out = Path(out)
    refuse_onnx_source(source, "export")
    lg = load_generator(source)
    name = lg.model_cfg.get("name")
    if get_model(str(name)).iterative:
        raise ArtganError(
            f"ONNX export of '{name}' is not supported yet: its sampler is a loop of UNet "
            f"passes (export --format torch works, and artgan generate runs it)"
        )
    if int8:
        require_quantization()  # before the slow export, not after it
    G = lg.G.float().eval()
    example = latents_for_seeds(lg.latent, [0, 1], None)
    files = [out] + ([out.with_suffix(".encoder.onnx")] if lg.E is not None else [])
    side = out.with_name(out.name + ".json")
    # Everything is written in a hidden folder beside out and moved into place at the end,
    # the latent layout last: a failed export leaves no partial set and no old one mixed in.
    with staged_files([*files, side]) as staged:
        quantization = None
        if int8:
            fp32 = staged[0].with_name("fp32-" + out.name)
            export_module(G, example, fp32, ("latent", "image"))
            quantization = quantize_generator(fp32, staged[0], lg.latent)
        else:
            export_module(G, example, staged[0], ("latent", "image"))
        if lg.E is not None:
            E = _LatentEncoder(lg.E.float().eval())
            export_module(E, G(example).detach(), staged[1], ("image", "latent"))
        meta = {"format": "artgan-onnx", "artgan_version": __version__, "opset": OPSET,
                "resolution": lg.resolution, "class_names": lg.class_names, "step": lg.step,
                "model": lg.model_cfg, "latent": {"z_dim": lg.latent.z_dim,
                "n_categories": lg.latent.n_categories, "n_continuous": lg.latent.n_continuous},
                "encoder": files[1].name if len(files) > 1 else None,
                "quantization": quantization}  # fmt: skip
        staged[-1].write_text(json.dumps(meta, indent=2))
    return [*files, side]


class _LatentEncoder(nn.Module):
    """E followed by its ``to_latent``: image ``[N, 3, R, R]`` → latent ``[N, dim]``."""

    def __init__(self, E: nn.Module) -> None:
        super().__init__()
        self.E = E

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.E.to_latent(self.E(x))


class OnnxGenerator:
    """A generator exported to ONNX, run on onnxruntime (CPU)."""

    def __init__(self, path: str | Path, threads: int = 0) -> None:
        path = Path(path)
        if not path.is_file():
            raise ArtganError(f"ONNX file '{path}' does not exist")
        side = path.with_name(path.name + ".json")
        if not side.is_file():
            raise ArtganError(f"'{side}' (the latent layout written beside the .onnx) is missing")
        try:
            import onnxruntime as ort
        except ImportError:
            raise ArtganError(f"running an ONNX generator needs onnxruntime: "
                              f"`{RUNTIME_INSTALL}`") from None  # fmt: skip
        try:
            self.meta: dict[str, Any] = json.loads(side.read_text())
            lat = self.meta["latent"]
            self.latent = LatentSpec(lat["z_dim"], lat["n_categories"], lat["n_continuous"])
            self.resolution = int(self.meta["resolution"])
            self.class_names = list(self.meta.get("class_names", []))
        except (ValueError, KeyError, TypeError, ArtganError):
            raise ArtganError(f"'{side}' is damaged (not the latent layout artgan export "
                              "writes); export the run again") from None  # fmt: skip
        opts = ort.SessionOptions()
        if threads:
            opts.intra_op_num_threads = threads
        try:
            self.session = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
        except Exception as exc:  # onnxruntime's own errors (InvalidProtobuf, Fail, ...)
            raise ArtganError(f"cannot load '{path}' as an ONNX model ({type(exc).__name__}); "
                              "export the run again") from None  # fmt: skip

    def run(self, latents: np.ndarray | torch.Tensor, batch_size: int = 64) -> np.ndarray:
        """``[N, dim]`` → images ``float32 [N, 3, R, R]`` in [-1, 1]."""
        z = np.asarray(latents, dtype=np.float32)
        out = [self.session.run(["image"], {"latent": z[i : i + batch_size]})[0]
               for i in range(0, len(z), batch_size)]  # fmt: skip
        return np.concatenate(out)


class _SessionModule(nn.Module):
    """An onnxruntime session as a torch module: ``forward(x)`` runs the graph in fp32 on
    the CPU (autocast does not reach it) and returns a tensor on ``x``'s device."""

    def __init__(self, session: Any, inp: str, out: str) -> None:
        super().__init__()
        self.session, self.inp, self.out = session, inp, out

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        arr = x.detach().float().cpu().contiguous().numpy()
        return torch.from_numpy(self.session.run([self.out], {self.inp: arr})[0]).to(x.device)

    def to_latent(self, out: torch.Tensor) -> torch.Tensor:
        """The encoder graph already ends in E's ``to_latent``."""
        return out


def load_onnx(path: str | Path, threads: int = 0) -> LoadedGenerator:
    """An ONNX export (``gen.onnx`` + ``gen.onnx.json``, and ``gen.encoder.onnx`` where the
    model has an encoder) as a :class:`LoadedGenerator` running on onnxruntime with
    ``threads`` intra-op threads (0: torch's current count)."""
    import onnxruntime as ort  # OnnxGenerator has already named the install line if missing

    # torch's thread count (what --threads set) unless told otherwise, as generate had it
    og = OnnxGenerator(path, threads or torch.get_num_threads())
    E = None
    if enc := og.meta.get("encoder"):
        enc_path = Path(path).with_name(enc)
        if not enc_path.is_file():
            raise ArtganError(f"'{enc_path}' (the encoder written beside the .onnx) is missing")
        session = ort.InferenceSession(str(enc_path), og.session.get_session_options(),
                                       providers=["CPUExecutionProvider"])  # fmt: skip
        E = _SessionModule(session, "image", "latent")
    G = _SessionModule(og.session, "latent", "image")
    return LoadedGenerator(G, og.latent, dict(og.meta.get("model") or {}), og.resolution,
                           og.class_names, str(path), E, og.meta.get("step"))  # fmt: skip
