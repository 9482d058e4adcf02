"""What a run folder records besides checkpoints: ``config.yaml``, ``split.json`` (which
files trained and which are held out) and ``run.json`` (versions, machine, data)."""

from __future__ import annotations

import json
import platform
from pathlib import Path
from typing import Any

import numpy as np
import torch

from artgan import __version__
from artgan.config import Config, replace
from artgan.data import ImageSet, absolute_data_path
from artgan.errors import ArtganError
from artgan.io.atomic import atomic_write, make_dir, remove_stale_temps


def resolved_config(cfg: Config, n_classes: int) -> Config:
    """What a run records: ``cfg`` with its data folder absolute (so evaluate and resume
    work from any working directory) and ``"auto"`` codes turned into numbers for a data
    set of ``n_classes`` class folders. A new config; ``cfg`` is not changed."""
    model = cfg.model.for_classes(n_classes)
    path = absolute_data_path(cfg.data.path)
    return replace(cfg, {"data": {"path": path}, "model": {"n_categories": model.n_categories}})


def data_info(dataset: ImageSet, train_idx: np.ndarray, test_idx: np.ndarray) -> dict[str, Any]:
    """The data summary stored in checkpoints and ``run.json``."""
    return {
        "source": dataset.source,
        "fingerprint": dataset.fingerprint,
        "content": dataset.content_digest(),
        "n_images": len(dataset),
        "n_skipped": len(dataset.skipped),
        "class_names": list(dataset.class_names),
        "n_train": len(train_idx),
        "n_test": len(test_idx),
    }


def check_same_data(dataset: ImageSet, ckpt: dict[str, Any]) -> None:
    """Refuse to resume on changed data: the split and the batches would differ.

    Compares the decoded content (names, labels, pixels), so a folder copied with new
    timestamps still resumes. Checkpoints written before the content digest existed only
    hold the timestamp fingerprint, which is compared instead.
    """
    info = ckpt.get("data", {})
    legacy = "content" not in info
    if legacy:
        same = info.get("fingerprint") in (None, dataset.fingerprint)
    else:
        same = info["content"] == dataset.content_digest()
    if not same:
        what = (
            "file paths, sizes or timestamps changed (this checkpoint predates content "
            "checks, so a copy with new timestamps also counts as changed)"
            if legacy
            else "files were added, removed, renamed or their pixels changed"
        )
        raise ArtganError(
            f"the training data changed since this run's checkpoint (source "
            f"'{dataset.source}'): {what}, so the train/test split and the resumed run "
            f"would differ; restore the folder or start a new run"
        )


def check_new_run_folder(run_dir: Path, has_checkpoints: bool) -> None:
    """Refuse to start a new run where one would destroy something: another run's
    checkpoints, or a user's own ``config.yaml`` (one without a run's ``run.json``)."""
    if has_checkpoints:
        raise ArtganError(
            f"run folder '{run_dir}' already holds checkpoints; continue it with "
            f"`artgan train --resume {run_dir}` or choose another --out"
        )
    if (run_dir / "config.yaml").is_file() and not (run_dir / "run.json").is_file():
        raise ArtganError(f"'{run_dir}' holds a config.yaml that is not an artgan run's; a "
                          "run would overwrite it: choose another --out")  # fmt: skip


def write_run_files(
    run_dir: Path,
    cfg: Config,
    dataset: ImageSet,
    train_idx: np.ndarray,
    test_idx: np.ndarray,
    device: str,
) -> None:
    make_dir(run_dir, "run folder")
    # A run killed mid-write (kill -9, power loss) leaves atomic writes' temp files.
    for folder in (run_dir, run_dir / "checkpoints", run_dir / "samples"):
        remove_stale_temps(folder)
    _write_if_changed(run_dir / "config.yaml", cfg.to_yaml())
    files = dataset.files
    split = {
        "train_fraction": cfg.data.train_fraction,
        "seed": cfg.data.split_seed,
        "train": [files[i] for i in train_idx],
        "test": [files[i] for i in test_idx],
    }
    _write_if_changed(run_dir / "split.json", json.dumps(split))
    meta = {
        "artgan_version": __version__,
        "torch_version": torch.__version__,
        "python": platform.python_version(),
        "machine": platform.machine(),
        "device": device,
        "threads": torch.get_num_threads(),
        "data": data_info(dataset, train_idx, test_idx),
        "skipped_files": list(dataset.skipped)[:100],
    }
    _write_if_changed(run_dir / "run.json", json.dumps(meta, indent=2))


def _write_if_changed(path: Path, text: str) -> None:
    """Write ``path`` atomically, and only when its text changes: a resume rewrites the
    run's files, and a crash or a full disk during that must not truncate the ones a
    run with checkpoints already has (``evaluate``, ``--resume`` read them)."""
    try:
        if path.read_text() == text:
            return
    except (OSError, UnicodeDecodeError):
        pass  # missing or unreadable: (re)write it
    with atomic_write(path) as f:
        f.write(text.encode())
