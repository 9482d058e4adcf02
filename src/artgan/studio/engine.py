"""The studio's model side: one generator loaded once, a fast preview path and an exact
path that reproduces ``artgan generate`` bit for bit.

An image is described by a ``Recipe``: a seed (or an uploaded painting's projected
latent), code values, truncation and post-processing. Previews use the fastest precision
measured at start-up (bf16 or fp32, channels_last, inference mode); downloads and gallery
files are re-rendered exactly as ``artgan generate`` renders (fp32, channels_last, batch
1), so the command stored in the PNG reproduces the pixels.
"""

from __future__ import annotations

import io
import math
import shlex
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image, ImageOps
from PIL.PngImagePlugin import PngInfo

from artgan.api import Generator
from artgan.errors import ArtganError
from artgan.io.images import to_uint8
from artgan.models import latents_for_seeds
from artgan.runtime import Runtime, native_bf16
from artgan.sampling import (
    LoadedGenerator,
    apply_codes,
    code_names,
    generate,
    interpolate,
    load_generator,
    project,
)

UPSCALES = (1, 2, 4)


@dataclass
class Recipe:
    """Everything that defines one studio image (JSON-friendly)."""

    seed: int = 0
    projection: str | None = None  # id of a projected upload; replaces the seed's z'
    codes: dict[str, float] = field(default_factory=dict)
    truncation: float | None = None
    equalize: bool = False
    upscale: int = 1

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Recipe:
        """A recipe from a request's JSON object; every field is checked by type and
        range (JSON has no NaN, but Python's parser accepts it, and 1e400 is inf)."""
        unknown = set(d) - {"seed", "projection", "codes", "truncation", "equalize", "upscale"}
        if unknown:
            raise ArtganError(f"unknown recipe field(s) {sorted(unknown)}")
        codes = d.get("codes") or {}
        if not isinstance(codes, dict):
            raise ArtganError('codes must be an object like {"cat": 1, "c1": 0.5}')
        projection = d.get("projection")
        if projection is not None and not isinstance(projection, str):
            raise ArtganError("projection must be the id an upload returned")
        truncation = d.get("truncation")
        r = cls(
            seed=integer(d.get("seed", 0), "seed", 0, 2**63 - 1),
            projection=projection or None,
            codes={str(k): finite(v, f"code {k}") for k, v in codes.items()},
            # 0 or null: no truncation (the page's slider at its left end)
            truncation=None if truncation in (None, 0) else finite(truncation, "truncation", 0, 10),
            equalize=_boolean(d.get("equalize", False), "equalize"),
            upscale=integer(d.get("upscale", 1), "upscale", 1, 4),
        )
        if r.upscale not in UPSCALES:
            raise ArtganError(f"upscale must be one of {UPSCALES}, got {r.upscale}")
        return r


def integer(v: Any, name: str, lo: int, hi: int) -> int:
    if isinstance(v, bool) or not isinstance(v, int):
        raise ArtganError(f"{name} must be an integer, got {v!r}")
    if not lo <= v <= hi:
        raise ArtganError(f"{name} must be an integer from {lo} to {hi}, got {v}")
    return v


def finite(v: Any, name: str, lo: float = -math.inf, hi: float = math.inf) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
        raise ArtganError(f"{name} must be a finite number, got {v!r}")
    if not lo <= v <= hi:
        raise ArtganError(f"{name} must lie in [{lo:g}, {hi:g}], got {v}")
    return float(v)


def _boolean(v: Any, name: str) -> bool:
    if not isinstance(v, bool):
        raise ArtganError(f"{name} must be true or false, got {v!r}")
    return v


class StudioEngine:
    """Thread-safe: requests arrive on a thread pool, torch work is serialised."""

    def __init__(
        self, source: str | Path, precision: str = "auto", preview: str | Path | None = None
    ) -> None:
        self.exact_rt = Runtime(torch.device("cpu"), "fp32", channels_last=True)
        # Exact renders are the Python API's (artgan.api), so downloads match scripts too.
        self.api = Generator(load_generator(source), self.exact_rt)
        self.lg = self.api.lg
        # Previews (slider drags) may come from a faster generator with the same latent
        # layout, e.g. an `artgan distill` student; downloads and kept images stay exact.
        self.preview_lg = self.lg if preview is None else _preview_generator(preview, self.lg)
        self.source = Path(source)
        self.projections: dict[str, torch.Tensor] = {}
        self._lock = threading.Lock()
        self.fast_rt = self._pick_fast_runtime(precision)

    # ------------------------------------------------------------------ model facts
    def info(self) -> dict[str, Any]:
        lat = self.lg.latent
        return {
            "model": self.lg.model_cfg.get("name"),
            "resolution": self.lg.resolution,
            "step": self.lg.step,
            "codes": code_names(lat),
            "n_categories": lat.n_categories,
            "category_names": self.lg.class_names[: lat.n_categories],
            "n_continuous": lat.n_continuous,
            "has_encoder": self.lg.E is not None,
            # an iterative model's latent is its starting noise: truncating it is refused
            "truncation": not self.api.iterative,
            "preview_precision": self.fast_rt.precision,
            "preview_model": self.preview_lg.model_cfg.get("name"),
            "preview_source": str(self.preview_lg.source),
            "upscales": list(UPSCALES),
        }

    def _pick_fast_runtime(self, precision: str) -> Runtime:
        """``auto``: time a few batch-1 previews in fp32 and bf16 and keep the faster."""
        cands = [precision]
        if precision == "auto":  # emulated bf16 is never the faster: do not even time it
            cands = ["fp32", "bf16"] if native_bf16(torch.device("cpu")) else ["fp32"]
        if len(cands) == 1:
            return Runtime(torch.device("cpu"), cands[0], channels_last=True)
        best, best_t = cands[0], float("inf")
        z = latents_for_seeds(self.lg.latent, [0], None)
        for prec in cands:
            rt = Runtime(torch.device("cpu"), prec, channels_last=True)
            generate(self.preview_lg, z, rt)  # warm-up
            t = time.perf_counter()
            for _ in range(3):
                generate(self.preview_lg, z, rt)
            if (dt := time.perf_counter() - t) < best_t:
                best, best_t = prec, dt
        return Runtime(torch.device("cpu"), best, channels_last=True)

    def seed_codes(self, seed: int, truncation: float | None) -> dict[str, float]:
        """The code values seed ``seed`` draws (the sliders' starting positions)."""
        return self._codes_of(latents_for_seeds(self.lg.latent, [seed], truncation)[0])

    def _codes_of(self, row: torch.Tensor) -> dict[str, float]:
        lat = self.lg.latent
        out: dict[str, float] = {}
        if lat.n_categories:
            out["cat"] = float(row[lat.z_dim : lat.z_dim + lat.n_categories].argmax())
        for i in range(lat.n_continuous):
            out[f"c{i + 1}"] = float(row[lat.z_dim + lat.n_categories + i])
        return out

    # ------------------------------------------------------------------- rendering
    def latent(self, r: Recipe) -> torch.Tensor:
        """``[1, dim]`` for a recipe (codes applied over the seed's or projection's)."""
        known = set(code_names(self.lg.latent))
        unknown = set(r.codes) - known
        if unknown:
            raise ArtganError(f"unknown code(s) {sorted(unknown)}; this model has {sorted(known)}")
        if r.projection is None:
            return self.api.latents([r.seed], r.codes, r.truncation)  # checks every value
        if r.projection not in self.projections:
            raise ArtganError("that uploaded painting is no longer known; upload it again")
        base = self.projections[r.projection].unsqueeze(0)
        return apply_codes(base, dict(r.codes), self.lg.latent)

    def render(self, r: Recipe, exact: bool = False) -> np.ndarray:
        """``[H, W, 3]`` uint8 after post-processing (``exact``: as ``artgan generate``)."""
        z = self.latent(r)
        with self._lock:
            if exact:
                img = to_uint8(generate(self.lg, z, self.exact_rt))[0]
            else:
                img = to_uint8(generate(self.preview_lg, z, self.fast_rt))[0]
        return postprocess(img, r.equalize, r.upscale)

    def png(self, r: Recipe, exact: bool = False, fast_encode: bool = True) -> bytes:
        """PNG bytes; exact renders carry the recipe and the reproducing command."""
        img = self.render(r, exact)
        info = PngInfo()
        if exact:
            for k, v in self.metadata(r).items():
                info.add_text(k, v)
        buf = io.BytesIO()
        Image.fromarray(img).save(buf, format="PNG", pnginfo=info,
                                  compress_level=1 if fast_encode else 6)  # fmt: skip
        return buf.getvalue()

    def metadata(self, r: Recipe) -> dict[str, str]:
        codes = [f"{k}={_num(v)}" for k, v in sorted(r.codes.items())]
        meta = {
            "artgan:seed": str(r.seed),
            "artgan:truncation": str(r.truncation),
            "artgan:codes": ",".join(codes),
            "artgan:equalize": str(r.equalize),
            "artgan:upscale": str(r.upscale),
            "artgan:model": str(self.lg.model_cfg.get("name")),
            "artgan:step": str(self.lg.step),
        }
        if r.projection is not None:
            z = self.projections[r.projection]
            meta["artgan:projection"] = r.projection
            meta["artgan:latent"] = ",".join(_num(float(v)) for v in z)
        else:
            cmd = ["artgan", "generate", str(self.source), "--seed", str(r.seed), "--n", "1"]
            if r.truncation is not None:
                cmd += ["--truncation", _num(r.truncation)]
            for c in codes:
                cmd += ["--code", c]
            note = "" if not (r.equalize or r.upscale > 1) else "  # then equalize/upscale"
            meta["artgan:command"] = shlex.join(cmd) + note
        return meta

    # ---------------------------------------------------------- projection, paths
    def project_image(self, image: Image.Image) -> tuple[str, np.ndarray, dict[str, float]]:
        """Centre-crop, resize, encode with E and regenerate → (id, ``[R, R, 3]`` uint8
        reconstruction, the codes E read off the painting)."""
        if self.lg.E is None:
            raise ArtganError(
                f"this {self.lg.model_cfg.get('name')} model has no encoder, so it cannot "
                "project paintings (train migan for that)"
            )
        res = self.lg.resolution
        x = np.array(ImageOps.fit(image.convert("RGB"), (res, res), Image.Resampling.LANCZOS))
        with self._lock:
            lat, recon = project(self.lg, x[None], self.exact_rt)
        pid = f"p{len(self.projections) + 1:04d}"
        self.projections[pid] = lat[0]
        return pid, to_uint8(recon)[0], self._codes_of(lat[0])

    def interpolation_gif(self, a: Recipe, b: Recipe, steps: int, fps: float) -> bytes:
        """Animated GIF of the slerp path a → b (``steps`` frames, then back)."""
        if not 2 <= steps <= 120:
            raise ArtganError(f"steps must be 2…120, got {steps}")
        path = interpolate(self.latent(a)[0], self.latent(b)[0], steps, self.lg.latent)
        with self._lock:
            frames = to_uint8(generate(self.lg, path, self.fast_rt))
        scale = max(1, 256 // self.lg.resolution)
        ims = [Image.fromarray(postprocess(f, a.equalize, scale)) for f in frames]
        ims = ims + ims[-2:0:-1]  # ping-pong loop
        buf = io.BytesIO()
        ims[0].save(buf, format="GIF", save_all=True, append_images=ims[1:], loop=0,
                    duration=int(1000 / max(fps, 1)))  # fmt: skip
        return buf.getvalue()


def _preview_generator(preview: str | Path, lg: LoadedGenerator) -> LoadedGenerator:
    """The preview generator, refused unless it draws the same picture for a latent: the
    same latent layout and resolution as the exact one."""
    p = load_generator(preview)
    if p.latent != lg.latent or p.resolution != lg.resolution:
        raise ArtganError(
            f"--preview '{preview}' does not fit '{lg.source}': its latent is {p.latent} at "
            f"{p.resolution} px, the model's {lg.latent} at {lg.resolution} px (distill the "
            f"preview from this model: artgan distill)"
        )
    return p


def postprocess(img: np.ndarray, equalize: bool, upscale: int) -> np.ndarray:
    """Histogram equalisation (per channel, PIL) and Lanczos upscaling."""
    if not equalize and upscale == 1:
        return img
    im = Image.fromarray(img)
    if equalize:
        im = ImageOps.equalize(im)
    if upscale > 1:
        im = im.resize((im.width * upscale, im.height * upscale), Image.Resampling.LANCZOS)
    return np.asarray(im)


def _num(v: float) -> str:
    """Shortest text that parses back to the same float."""
    return repr(float(v)).removesuffix(".0") if float(v).is_integer() else repr(float(v))
