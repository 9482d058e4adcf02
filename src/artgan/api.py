"""artgan for people who script: load a generator, make images, project paintings,
evaluate two folders. The CLI's ``generate`` and ``project`` and the studio use the same
calls, so a script reproduces what they make bit for bit.

    import artgan.api as ag

    g = ag.Generator.load("runs/paint")            # a run, a checkpoint or an export
    images = g.generate(seeds=range(8), codes={"cat": 2, "c1": 0.5}, truncation=0.8)
    # images: uint8 [8, R, R, 3]; seed s gives the same image wherever it is generated
    latents, recon = g.project(paintings)          # uint8 [N, R, R, 3] in, both out
    scores = ag.evaluate_folders("real/", "made/", metrics="fid,kid")

Everything runs on the CPU in fp32 unless ``precision``/``device`` say otherwise.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from artgan.data.images import load_image
from artgan.errors import ArtganError
from artgan.evaluation.folders import evaluate_folders
from artgan.io.images import to_uint8
from artgan.models import get_model, latents_for_seeds
from artgan.runtime import Runtime, setup_runtime
from artgan.sampling import (
    LoadedGenerator,
    apply_codes,
    code_names,
    generate,
    load_generator,
    project,
    refine_projection,
)
from artgan.sampling.loader import refuse_onnx_source

__all__ = ["Generator", "evaluate_folders"]


class Generator:
    """A trained generator (and its encoder, for models that have one)."""

    def __init__(self, lg: LoadedGenerator, rt: Runtime) -> None:
        self.lg, self.rt = lg, rt

    @classmethod
    def load(cls, source: str | Path, precision: str = "fp32", device: str = "cpu",
             threads: int = 0) -> Generator:  # fmt: skip
        """From a run folder, a training checkpoint or an exported file (``.onnx`` too: its
        onnxruntime sessions then use the same ``threads``)."""
        rt = setup_runtime(device, precision, threads, True)  # first: it sets the threads
        return cls(load_generator(source), rt)

    @property
    def resolution(self) -> int:
        return self.lg.resolution

    @property
    def codes(self) -> list[str]:
        """The steerable codes: ``cat`` (0 … K−1) and ``c1`` … ``cL`` (trained on [-1, 1])."""
        return code_names(self.lg.latent)

    @property
    def class_names(self) -> list[str]:
        return list(self.lg.class_names)

    @property
    def iterative(self) -> bool:
        """A diffusion model: its generator runs ``steps`` network passes per image."""
        return get_model(str(self.lg.model_cfg.get("name"))).iterative

    def latents(self, seeds: Iterable[int], codes: Mapping[str, float] | None = None,
                truncation: float | None = None) -> torch.Tensor:  # fmt: skip
        """``[N, dim]``: each seed's own draw, with ``codes`` set over it (checked)."""
        if truncation is not None and self.iterative:
            raise ArtganError(
                f"truncation does not apply to '{self.lg.model_cfg.get('name')}': its latent "
                f"is the starting noise x_T, and truncating it changes the noise level"
            )
        base = latents_for_seeds(self.lg.latent, list(seeds), truncation)
        return apply_codes(base, dict(codes or {}), self.lg.latent)

    def render(self, latents: torch.Tensor) -> np.ndarray:
        """``[N, dim]`` latents → images ``uint8 [N, R, R, 3]``."""
        return to_uint8(generate(self.lg, latents, self.rt))

    def generate(self, seeds: int | Iterable[int] = 1, codes: Mapping[str, float] | None = None,
                 truncation: float | None = None, steps: int | None = None,
                 eta: float | None = None) -> np.ndarray:  # fmt: skip
        """Images ``uint8 [N, R, R, 3]`` for ``seeds`` (an int n means seeds 0 … n−1), as
        ``artgan generate`` makes them. ``steps``/``eta``: a diffusion model's DDIM steps
        and η for this call (default: the run's ``model.sample_steps``/``sample_eta``)."""
        seeds = range(seeds) if isinstance(seeds, int) else seeds
        with self.sampler(steps, eta):
            return self.render(self.latents(seeds, codes, truncation))

    @contextlib.contextmanager
    def sampler(self, steps: int | None = None, eta: float | None = None) -> Iterator[None]:
        """Within this block a diffusion model samples with ``steps`` DDIM steps and η =
        ``eta``; a one-pass generator (every GAN, the VAE) refuses them."""
        if steps is None and eta is None:
            yield
            return
        name = self.lg.model_cfg.get("name")
        if not self.iterative:
            raise ArtganError(f"--steps/--eta apply to diffusion models; '{name}' makes an "
                              f"image in one pass")  # fmt: skip
        G = self.lg.G
        T = int(self.lg.model_cfg.get("timesteps", 0))
        if steps is not None and not 1 <= steps <= T:
            raise ArtganError(f"--steps must be from 1 to {T} (the model's diffusion steps), "
                              f"got {steps}")  # fmt: skip
        if eta is not None and not 0.0 <= eta <= 1.0:
            raise ArtganError(f"--eta must be in [0, 1], got {eta}")
        old = (G.steps, G.eta)
        G.steps = old[0] if steps is None else steps
        G.eta = old[1] if eta is None else eta
        try:
            yield
        finally:
            G.steps, G.eta = old

    def project(self, images: np.ndarray | Sequence[str | Path], refine_steps: int = 0,
                lr: float = 0.05) -> tuple[torch.Tensor, np.ndarray]:  # fmt: skip
        """Paintings (``uint8 [N, R, R, 3]`` at this resolution, or image files) → their
        latents ``[N, dim]`` and reconstructions ``uint8 [N, R, R, 3]``; ``refine_steps``
        optimises the latents against the paintings after the encoder's guess."""
        if not isinstance(images, np.ndarray):
            images = np.stack([load_image(p, self.resolution, "crop") for p in images])
        latents, recon = project(self.lg, images, self.rt)
        if refine_steps:
            refuse_onnx_source(self.lg.source, "refine a projection with")
            latents, recon, _ = refine_projection(self.lg, latents, images, self.rt,
                                                  refine_steps, lr, False)  # fmt: skip
        return latents, to_uint8(recon)

    def info(self) -> dict[str, Any]:
        return {"model": self.lg.model_cfg.get("name"), "resolution": self.resolution,
                "codes": self.codes, "class_names": self.class_names, "step": self.lg.step,
                "has_encoder": self.lg.E is not None}  # fmt: skip
