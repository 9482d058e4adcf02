"""Loading a generator (and encoder) from a run folder, a checkpoint or an exported
generator file, and writing that small export file.

An export holds only what generation needs: the model's config section (with the config
schema version it was written in, migrated on load), the resolution, class names and the
sampling-ready EMA weights.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from torch import nn

from artgan import __version__
from artgan.config import SCHEMA_VERSION, from_dict, from_saved
from artgan.config.migrate import migrate_model
from artgan.errors import ArtganError
from artgan.io.checkpoint import FORMAT as CKPT_FORMAT
from artgan.io.checkpoint import atomic_torch_save, find_checkpoint, first_line, load_file
from artgan.models import LatentSpec, get_model, model_latent
from artgan.models.ema import standing_stats

EXPORT_FORMAT = "artgan-generator"
# 2: the model section is stored in config schema ``schema_version`` (1 had none: schema 1)
EXPORT_VERSION = 2


@dataclass
class LoadedGenerator:
    G: nn.Module  # eval mode, ready to sample
    latent: LatentSpec
    model_cfg: dict[str, Any]
    resolution: int
    class_names: list[str]
    source: str
    E: nn.Module | None = None  # the encoder, for models that have one (projection)
    step: int | None = None  # training step of the weights (checkpoints and exports)


def _build(
    model_cfg: dict[str, Any], resolution: int
) -> tuple[nn.Module, nn.Module | None, LatentSpec]:
    mc = from_dict({"model": model_cfg}).model
    latent = model_latent(mc, resolution)
    spec = get_model(mc.name)
    E = spec.encoder(mc, latent, resolution) if spec.encoder else None
    return spec.generator(mc, latent, resolution), E, latent


def load_generator(source: str | Path) -> LoadedGenerator:
    """Run folder, training checkpoint, exported file or ONNX export → a generator on the
    CPU. A file with missing entries or weights that do not fit is a one-line error."""
    p = Path(source)
    if p.suffix == ".onnx":  # an ONNX export, run on onnxruntime
        from artgan.sampling.onnx import load_onnx

        return load_onnx(p)
    if p.is_dir():
        p, _ = find_checkpoint(p)
    obj = load_file(p, kind="generator file")
    if obj["format"] not in (CKPT_FORMAT, EXPORT_FORMAT):
        raise ArtganError(f"'{p}' is neither an artgan checkpoint nor an exported generator")
    try:
        lg = _from_checkpoint(obj, p) if obj["format"] == CKPT_FORMAT else _from_export(obj, p)
    except KeyError as exc:
        raise ArtganError(f"'{p}' is damaged: it lacks the entry {exc}") from None
    except (RuntimeError, TypeError, ValueError) as exc:  # load_state_dict: wrong shapes/keys
        raise ArtganError(f"'{p}' is damaged: {first_line(exc)}") from None
    lg.G.eval().requires_grad_(False)
    if lg.E is not None:
        lg.E.eval().requires_grad_(False)
    return lg


def _from_checkpoint(obj: dict[str, Any], p: Path) -> LoadedGenerator:
    if "config" not in obj:
        raise ArtganError(f"'{p}' is an artgan checkpoint without a config; it is damaged")
    cfg = from_saved(obj["config"]).to_dict()
    res = cfg["data"]["resolution"]
    G, E, latent = _build(cfg["model"], res)
    G.load_state_dict(obj["models"]["G_ema"])
    if E is not None:
        E.load_state_dict(obj["models"]["E"])
    # Standing BatchNorm statistics for the EMA weights (see models/ema.py).
    G = standing_stats(G, latent)
    classes = obj.get("data", {}).get("class_names", [])
    return LoadedGenerator(G, latent, dict(cfg["model"]), int(res), list(classes), str(p), E,
                           int(obj["step"]))  # fmt: skip


def _from_export(obj: dict[str, Any], p: Path) -> LoadedGenerator:
    if obj.get("version", 1) > EXPORT_VERSION:
        raise ArtganError(f"'{p}' was exported by a newer artgan; upgrade artgan")
    res, classes = obj["resolution"], obj.get("class_names", [])
    model_cfg = migrate_model(obj["model"], obj.get("schema_version", 1), SCHEMA_VERSION)
    G, E, latent = _build(model_cfg, res)
    G.load_state_dict(obj["state_dict"])
    if E is not None:
        E.load_state_dict(obj["encoder"])
    return LoadedGenerator(G, latent, dict(model_cfg), int(res), list(classes), str(p), E,
                           obj.get("step"))  # fmt: skip


def refuse_onnx_source(source: str | Path, what: str) -> None:
    """An ONNX export holds graphs, not weights: it cannot be re-exported or optimised."""
    if Path(source).suffix == ".onnx":
        raise ArtganError(f"'{source}' is an ONNX export, which holds no torch weights to "
                          f"{what}; use the run folder it came from")  # fmt: skip


def write_export(
    out: str | Path,
    model_cfg: dict[str, Any],
    resolution: int,
    class_names: list[str],
    step: int | None,
    G: nn.Module,
    E: nn.Module | None = None,
    extra: dict[str, Any] | None = None,
) -> Path:
    """Write an export file atomically: the one place its format is written. ``extra``
    entries (e.g. a distilled student's ``distilled_from``) are kept beside the format's."""
    payload = {
        "format": EXPORT_FORMAT,
        "version": EXPORT_VERSION,
        "artgan_version": __version__,
        "schema_version": SCHEMA_VERSION,
        "model": model_cfg,
        "resolution": resolution,
        "class_names": class_names,
        "step": step,
        "state_dict": G.state_dict(),
        "encoder": E.state_dict() if E is not None else {},
        **(extra or {}),
    }
    atomic_torch_save(payload, out)
    return Path(out)


def export_generator(source: str | Path, out: str | Path) -> Path:
    """Write only what generation needs: model config, resolution, class names, the
    sampling-ready EMA generator weights and, for models that have one, the encoder
    (``artgan project``)."""
    refuse_onnx_source(source, "export")
    lg = load_generator(source)
    return write_export(out, lg.model_cfg, lg.resolution, lg.class_names, lg.step, lg.G, lg.E)
