"""``artgan evaluate RUN``: a run's EMA generator against its test split (or a folder).

Generated images are quantised to 8 bits first (as if saved as PNG), so evaluating a run
and evaluating the same images written to a folder give the same numbers. Models with an
encoder also get the image-cycle metrics on x̂ = G(E(x)) for the first ``min(n, len(real))``
real images; the metric conventions are in :mod:`artgan.metrics.builtin`.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from artgan.config import from_saved, read_yaml
from artgan.data import ImageSet, load_dataset, load_folder
from artgan.errors import ArtganError
from artgan.evaluation.floor import floor_metrics, write_closest_pairs
from artgan.evaluation.report import append_eval_row
from artgan.evaluation.suite import MIN_RESOLUTION, compute_metrics
from artgan.io.checkpoint import find_checkpoint
from artgan.io.images import to_uint8
from artgan.metrics import (
    MetricInputs,
    check_counts,
    imageset_key_parts,
    metric_names,
    parse_metrics,
)
from artgan.models import latents_for_seeds
from artgan.runtime import Runtime, resolve_device
from artgan.sampling import LoadedGenerator, generate, load_generator, project


def run_split(run_dir: str | Path, progress: bool = True) -> tuple[ImageSet, ImageSet]:
    """The run's (training, test) images, rebuilt from its ``config.yaml`` data section and
    ``split.json`` (the built-in landscapes are regenerated at the run's resolution)."""
    run_dir = Path(run_dir)
    for name in ("config.yaml", "split.json"):
        if not (run_dir / name).is_file():
            raise ArtganError(f"'{run_dir}' has no {name}; pass the real images with --data")
    d = from_saved(read_yaml(run_dir / "config.yaml")).data
    try:
        split = json.loads((run_dir / "split.json").read_text())
        listed = split["train"] + split["test"]
    except (ValueError, KeyError, TypeError):
        raise ArtganError(
            f"'{run_dir / 'split.json'}' is damaged (not the run's train/test split); pass "
            f"the real images with --data"
        ) from None
    data = load_dataset(d.path, d.resolution, d.fit, d.cache_dir, progress=progress)
    index = {f: i for i, f in enumerate(data.files)}
    missing = [f for f in listed if f not in index]
    if missing:
        raise ArtganError(
            f"{len(missing)} files of the split of '{run_dir}' are no longer in the data "
            f"'{data.source}' (e.g. '{missing[0]}'); pass the real images with --data"
        )
    train, test = ([index[f] for f in split[part]] for part in ("train", "test"))
    return data.subset(np.array(train, np.int64)), data.subset(np.array(test, np.int64))


def run_test_split(run_dir: str | Path, progress: bool = True) -> ImageSet:
    """The run's test images (:func:`run_split`)."""
    return run_split(run_dir, progress)[1]


def sample_uint8(
    lg: LoadedGenerator, start: int, n: int, rt: Runtime, batch_size: int, progress: bool
) -> np.ndarray:
    """``n`` images from seeds ``start…start+n-1`` → ``[n, R, R, 3]`` uint8, chunk by chunk."""
    out = np.empty((n, lg.resolution, lg.resolution, 3), np.uint8)
    for s in tqdm(range(0, n, batch_size), desc="generate", unit="batch", disable=not progress):
        k = min(batch_size, n - s)
        lat = latents_for_seeds(lg.latent, list(range(start + s, start + s + k)), None)
        out[s : s + k] = to_uint8(generate(lg, lat, rt, batch_size))
    return out


def _real_images(
    run_dir: Path, data: str | None, res: int, progress: bool
) -> tuple[ImageSet, str, ImageSet | None]:
    """(the real side, how to name it, the run's training images or None): ``data`` (a
    folder, fitted as the run was) or the run's test split."""
    has_split = (run_dir / "split.json").is_file() and (run_dir / "config.yaml").is_file()
    train, test = run_split(run_dir, progress) if has_split or data is None else (None, None)
    if train is not None and train.resolution != res:
        raise ArtganError(f"'{run_dir}' config.yaml resolution differs from its checkpoint")
    if data is None:
        return test, f"the test split of '{run_dir}'", train
    cfg = run_dir / "config.yaml"
    fit = from_saved(read_yaml(cfg)).data.fit if cfg.is_file() else "crop"
    return load_folder(data, res, fit=fit, progress=progress), f"'{data}'", train


def _reconstruction_pairs(
    lg: LoadedGenerator, real: np.ndarray, n_pairs: int | None, rt: Runtime, batch_size: int
) -> tuple[np.ndarray, np.ndarray] | str:
    """(G(E(x)) ``[P, R, R, 3]`` uint8, x) for the first ``n_pairs`` real images, or why a
    model without an encoder has none."""
    if n_pairs is None:
        return (
            f"model '{lg.model_cfg.get('name')}' has no encoder, so there is no image cycle "
            f"G(E(x)) to compare"
        )
    x = real[:n_pairs]
    recon = [to_uint8(project(lg, x[s : s + batch_size], rt)[1])
             for s in range(0, n_pairs, batch_size)]  # fmt: skip
    return np.concatenate(recon), x


def _extras(
    metrics: list[str],
    inputs: MetricInputs,
    out: dict[str, Any],
    train: ImageSet | None,
    n: int,
    run_dir: Path,
) -> dict[str, Any]:
    """The floor (training images measured like the samples) and the closest-pairs grid."""
    extra: dict[str, Any] = {}
    floor = floor_metrics(metrics, inputs, train, n, "the floor needs the run's test split")
    if floor is not None:
        extra["floor"] = floor
    memo = out.get("memorisation")
    if memo and memo.get("pairs") and inputs.train is not None:
        path = write_closest_pairs(memo["pairs"], inputs.fake, inputs.train,
                                   run_dir / "eval" / "closest_pairs.png")  # fmt: skip
        extra["closest_pairs_png"] = str(path)
    return extra


def evaluate_run(
    run: str | Path,
    metrics: str | Sequence[str] | None = None,
    n: int = 2000,
    data: str | None = None,
    seed: int = 0,
    batch_size: int = 50,
    precision: str = "fp32",
    progress: bool = True,
    device: str = "cpu",
    write: bool = True,
) -> dict[str, Any]:
    """Evaluate a run's EMA generator: ``n`` images from seeds ``seed…seed+n-1`` against
    ``data`` (a folder) or, by default, the run's test split. Models with an encoder also
    get the image-cycle metrics on x̂ = G(E(x)) for the first ``min(n, len(real))`` real
    images. Against the test split, ``results["floor"]`` holds the distribution metrics
    of ``n`` training paintings (:mod:`artgan.evaluation.floor`); the memorisation check
    writes ``RUN/eval/closest_pairs.png``. With ``write``, the results go to
    ``RUN/metrics.jsonl`` with ``"kind": "eval"``.
    """
    t0 = time.time()
    metrics = parse_metrics(metrics if metrics is not None else metric_names())
    if n < 1 or batch_size < 1:
        raise ArtganError(f"n and batch_size must be at least 1, got {n} and {batch_size}")
    ckpt, run_dir = find_checkpoint(run)
    lg = load_generator(ckpt)
    res = lg.resolution
    if res < MIN_RESOLUTION:
        raise ArtganError(f"evaluation needs a resolution of at least {MIN_RESOLUTION}, got {res}")
    real, real_name, train = _real_images(run_dir, data, res, progress)
    n_pairs = min(n, len(real)) if lg.E is not None else None
    check_counts(metrics, len(real), n, n_pairs, real_name, "the generated set")
    dev = resolve_device(device)
    rt = Runtime(dev, "fp32", channels_last=dev.type != "cpu")
    fake = sample_uint8(lg, seed, n, rt, batch_size, progress)
    pairs = _reconstruction_pairs(lg, real.images, n_pairs, rt, batch_size)
    inputs = MetricInputs(
        real=real.images, fake=fake, pairs=pairs, real_key=imageset_key_parts(real, ""),
        batch_size=batch_size, precision=precision, device=dev, progress=progress,
        train=None if train is None else train.images,
        train_key=None if train is None else imageset_key_parts(train, ""),
    )  # fmt: skip
    out = compute_metrics(metrics, inputs)
    out.update(_extras(metrics, inputs, out, train if data is None else None, n, run_dir))
    step = lg.step
    meta = {"run": str(run_dir), "checkpoint": str(ckpt), "real": real.source,
            "real_split": "test" if data is None else "folder", "n_real": len(real),
            "n_fake": n, "seed": seed, "resolution": res, "precision": precision,
            "metrics": metrics, "seconds": time.time() - t0, "time": time.time()}  # fmt: skip
    results = {**out, **meta, **({"step": step} if step is not None else {})}
    if write:
        append_eval_row(run_dir, results)
    return results
