"""The training loop: data, run folder, progress, samples, logs and checkpoints.

Library use::

    from artgan.config import resolve
    from artgan.train import Trainer
    Trainer(resolve(preset="dcgan"), "runs/demo").fit()

The config given is never changed: the trainer records a resolved copy (``self.cfg``) with
the data folder made absolute and ``"auto"`` codes turned into numbers.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

from artgan.config import Config
from artgan.data import ImageSet, absolute_data_path, load_dataset, split_indices
from artgan.errors import Interrupted
from artgan.evaluation import FIDMonitor
from artgan.io.checkpoint import CheckpointManager
from artgan.io.images import make_grid, save_png, to_uint8
from artgan.models import get_model, latents_for_seeds
from artgan.models.ema import standing_stats
from artgan.runtime import Runtime, resolve_precision, setup_runtime
from artgan.train.batches import BatchSource
from artgan.train.health import RunHealth, real_spread, spread
from artgan.train.interrupt import StopRequest
from artgan.train.likelihood import LikelihoodState, build_likelihood_state, likelihood_step
from artgan.train.logger import MetricLog
from artgan.train.progress import TrainProgress
from artgan.train.rng import generator_for
from artgan.train.runfiles import (
    check_new_run_folder,
    check_same_data,
    data_info,
    resolved_config,
    write_run_files,
)
from artgan.train.state import GANState, build_state
from artgan.train.step import gan_step
from artgan.train.tensorboard import TensorBoardSink


class Trainer:
    """Trains ``cfg`` into ``run_dir``. With ``resume_state`` (a loaded checkpoint) the
    run continues exactly where that checkpoint left off."""

    def __init__(
        self,
        cfg: Config,
        run_dir: str | Path,
        resume_state: dict[str, Any] | None = None,
        dataset: ImageSet | None = None,
    ) -> None:
        self.run_dir = Path(run_dir)
        self.rt: Runtime = setup_runtime(
            cfg.train.device,
            cfg.train.precision,
            cfg.train.threads,
            cfg.train.channels_last,
            distributed=True,
        )
        # Under torchrun every rank trains its shard; rank 0 alone writes anything.
        self.main = self.rt.shard.is_main
        self.ckpts = CheckpointManager(self.run_dir, cfg.train.keep_checkpoints)
        if resume_state is None:
            check_new_run_folder(self.run_dir, bool(self.ckpts.step_files()))
        d = cfg.data
        self.dataset = dataset or load_dataset(
            absolute_data_path(d.path), d.resolution, d.fit, d.cache_dir,
            progress=cfg.train.progress,
        )  # fmt: skip
        self.train_idx, self.test_idx = split_indices(
            self.dataset.files, d.train_fraction, d.split_seed
        )
        if resume_state is not None:
            check_same_data(self.dataset, resume_state)
        self.cfg = cfg = resolved_config(cfg, len(self.dataset.class_names))
        self.batches = self._batch_source()
        self.state = self._build_state(resume_state)
        # The model's own generator terms (MIGAN's info and image cycles), if it has any;
        # built now, so that a bad setup fails before the first step.
        spec, local_batch = self.state.spec, cfg.train.batch_size // self.rt.shard.world
        self.objective = spec.objective(cfg.model, self.rt, local_batch) if spec.objective else None
        tb = cfg.train.logger == "tensorboard" and self.main
        self.log = MetricLog(self.run_dir, TensorBoardSink(self.run_dir, self.state.step + 1)
                             if tb else None)  # fmt: skip
        self.fixed_latent = self.state.latent.join(
            self.state.latent.sample(cfg.train.n_samples, generator_for(cfg.train.seed, "fixed"))
        )
        self._stop = StopRequest()  # Ctrl-C: finish the step, checkpoint, stop
        # NaN/inf and collapse checks; the training paintings' pixel spread is the yardstick
        real = real_spread(self.dataset.images, self.train_idx)
        self.health = RunHealth(self.run_dir, self.ckpts, cfg.train, real, self.rt.shard)
        self._sampler: tuple[int, torch.nn.Module] | None = None
        self.fid = None
        self._last_fid_seconds: float | None = None
        self.fid_precision: str | None = None  # what train.fid_precision resolved to
        if (cfg.train.fid_every > 0 or cfg.train.fid_every_seconds > 0) and self.main:
            self.fid_precision = resolve_precision(cfg.train.fid_precision, self.rt.device)
            self.fid = FIDMonitor.from_imageset(
                self.dataset.subset(self.test_idx),
                n_fake=cfg.train.fid_n,
                precision=self.fid_precision,
                progress=cfg.train.progress,
                device=str(self.rt.device),
            )

    def _build_state(self, resume_state: dict[str, Any] | None) -> GANState | LikelihoodState:
        """A GAN trains by ``gan_step``, a likelihood model (vae, ddpm) by
        ``likelihood_step``; the state is loaded from ``resume_state`` when given."""
        cfg = self.cfg
        state: GANState | LikelihoodState
        if get_model(cfg.model.name).adversarial:
            state, self._step = build_state(cfg, self.rt), gan_step
        else:
            state, self._step = build_likelihood_state(cfg, self.rt), likelihood_step
        if resume_state is not None:
            state.load_state_dict(resume_state)
        return state

    def _batch_source(self) -> BatchSource:
        """The training split on the device, batched and augmented (``train/batches.py``)."""
        d, t = self.cfg.data, self.cfg.train
        labels = self.dataset.labels[self.train_idx]
        return BatchSource(
            self.dataset.images[self.train_idx],
            labels if d.use_labels else np.full_like(labels, -1),
            t.batch_size, t.seed, d.augment, self.rt.device, self.rt.memory_format,
            self.rt.shard,
        )  # fmt: skip

    # ----------------------------------------------------------------- run folder
    def data_info(self) -> dict[str, Any]:
        return data_info(self.dataset, self.train_idx, self.test_idx)

    # ------------------------------------------------------------------- outputs
    def save_checkpoint(self) -> Path:
        """Rank 0 writes; every rank gets the path. Weights that are no longer finite are
        never written: training stops instead (:mod:`artgan.train.health`)."""
        st = self.state
        self.health.check_weights(st.step, [st.G, getattr(st, "D", None), st.E])
        path = self.ckpts.path_for(self.state.step)
        if self.main:
            path = self.ckpts.save(self.state.state_dict(self.data_info()), self.state.step)
        return path

    def sampler(self) -> torch.nn.Module:
        """The EMA generator ready to sample (standing BatchNorm statistics), built once
        per step: sample grids and FID at the same step share it."""
        if self._sampler is None or self._sampler[0] != self.state.step:
            self._sampler = (self.state.step, standing_stats(self.state.G_ema, self.state.latent))
        return self._sampler[1]

    @torch.no_grad()
    def save_samples(self) -> float:
        """Write the fixed-latent grid; returns the samples' pixel spread (0–255)."""
        g = self.sampler()
        with self.rt.autocast():
            imgs = torch.cat([g(chunk.to(self.rt.device)) for chunk in self.fixed_latent.split(64)])
        path = self.run_dir / "samples" / f"step_{self.state.step:07d}.png"
        grid = make_grid(to_uint8(imgs))
        save_png(grid, path)
        save_png(grid, self.run_dir / "samples" / "latest.png")
        self.log.image("samples", grid, self.state.step)
        return spread(imgs)

    @torch.no_grad()
    def log_fid(self) -> dict[str, Any]:
        """FID/KID of ``fid_n`` EMA samples (seeds 0…n−1) vs the test split; logged, plotted."""
        assert self.fid is not None
        g = self.sampler()
        latent = self.state.latent

        def sample(start: int, count: int) -> torch.Tensor:
            z = latents_for_seeds(latent, list(range(start, start + count)), None)
            with self.rt.autocast():
                return g(z.to(self.rt.device)).float()

        row = {"step": self.state.step, **self.fid(sample), "n_fake": self.cfg.train.fid_n,
               "precision": self.fid_precision,
               "train_seconds": self.state.train_seconds}  # fmt: skip
        self.log.append(row)
        self.log.plot()
        self._last_fid_seconds = self.state.train_seconds
        return row

    # ---------------------------------------------------------------------- loop
    def out_of_budget(self) -> bool:
        """``train.time_budget`` seconds of training steps are spent (evaluation, samples
        and checkpoints do not count, so FID frequency does not change the budget)."""
        budget = self.cfg.train.time_budget
        return budget > 0 and self.state.train_seconds >= budget

    def _fid_due(self, step: int) -> bool:
        """``train.fid_every`` steps, or a multiple of ``train.fid_every_seconds`` of
        training time crossed by this step (time spent in the FID itself not counted)."""
        cfg = self.cfg.train
        if cfg.fid_every > 0 and step % cfg.fid_every == 0:
            return True
        every = cfg.fid_every_seconds
        if every <= 0:
            return False
        if self._last_fid_seconds is None:  # first call, maybe after a resume
            self._last_fid_seconds = max(
                (r.get("train_seconds") or 0.0 for r in self.log.read() if "fid" in r),
                default=0.0,
            )
        return self.state.train_seconds // every > self._last_fid_seconds // every

    def fit(self, until_step: int | None = None) -> Path:
        """Train to ``until_step`` (default: ``train.steps``) or until ``train.time_budget``
        is spent; returns the last checkpoint."""
        cfg = self.cfg.train
        end = cfg.steps if until_step is None else until_step
        if self.main:
            write_run_files(self.run_dir, self.cfg, self.dataset, self.train_idx,
                            self.test_idx, str(self.rt.device))  # fmt: skip
            self.log.begin(self.state.step)
        last_ckpt: Path | None = None
        quiet = not (cfg.progress and self.main)
        bar = TrainProgress(f"train {self.cfg.model.name}", self.state.step, end,
                            cfg.time_budget, self.state.train_seconds, quiet)  # fmt: skip
        t0, s0 = time.perf_counter(), self.state.step
        done = self.state.step >= end or self.out_of_budget()
        with bar, self._stop.installed():
            while not done:
                ts = time.perf_counter()
                out = self._step(self.state, self.batches.get, self.rt, self.objective)  # type: ignore[arg-type]
                if self.rt.device.type == "cuda":  # time the work, not the kernel launches
                    torch.cuda.synchronize(self.rt.device)
                took = time.perf_counter() - ts
                self.state.train_seconds += took
                bar.note(self.rt.step_took(took))  # fewer threads while the CPU is busy
                step = self.state.step
                bar.update(step, self.state.train_seconds)
                # Ranks must agree on when to stop (their collectives pair up), and
                # their clocks differ: any rank's interrupt or spent budget stops all.
                self._stop.requested, spent = self.rt.shard.any_of(
                    self._stop.requested, self.out_of_budget()
                )
                done = spent or step >= end
                if step % cfg.log_every == 0 or done or self._stop.requested:
                    row = self._log_row(out, t0, s0)
                    t0, s0 = time.perf_counter(), step
                    self.health.check_row(step, row)
                    losses = {"D": row.get("loss_d"), "G": row["loss_g"]}
                    bar.postfix(**{k: f"{v:.3f}" for k, v in losses.items() if v is not None},
                                img_s=f"{row['img_per_s']:.0f}")  # fmt: skip
                if self._stop.requested:
                    break
                last_ckpt = self._outputs(step, done) or last_ckpt
        if self._stop.requested:
            last_ckpt = self.save_checkpoint()
            if self.main:
                self.log.plot()
            where = f"at step {self.state.step}; checkpoint saved to {last_ckpt}"
            hint = f"Continue with: artgan train --resume {self.run_dir}"
            raise Interrupted(f"{where}. {hint}", where)
        if last_ckpt is None:  # already at or past `end` when called
            last_ckpt = self.save_checkpoint()
        return last_ckpt

    def _outputs(self, step: int, done: bool) -> Path | None:
        """Samples, FID and a checkpoint where their intervals (or the end) fall on
        ``step``; the checkpoint's path if one was written."""
        cfg = self.cfg.train
        if step % cfg.sample_every == 0 or done:
            fake_spread = float("inf")
            if self.main:
                fake_spread = self.save_samples()
                self.log.plot()
            self.health.check_samples(step, fake_spread)
        if self.fid is not None and (self._fid_due(step) or done):
            self.log_fid()
        if step % cfg.ckpt_every == 0 or done:
            return self.save_checkpoint()
        return None

    def _log_row(self, out: dict[str, torch.Tensor], t0: float, s0: int) -> dict[str, Any]:
        """Losses of the global batch (averaged over ranks), throughput, budget spent."""
        out = self.rt.shard.mean(out)
        dt = max(time.perf_counter() - t0, 1e-9)
        n_steps = self.state.step - s0
        imgs = n_steps * self.cfg.train.batch_size * self.cfg.optim.n_critic
        row = {"step": self.state.step, **{k: float(v) for k, v in out.items()}}
        row["img_per_s"] = imgs / dt
        row["s_per_step"] = dt / max(n_steps, 1)
        row["train_seconds"], row["threads"] = self.state.train_seconds, torch.get_num_threads()
        row["time"] = time.time()
        if self.main:
            self.log.append(row)
        return row
