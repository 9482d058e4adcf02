"""Saved configs of older schema versions → the current one.

Every run folder and checkpoint stores its resolved config with ``schema_version``
(configs written before versions existed count as version 1). ``migrate`` rewrites an old
dict step by step, so a checkpoint written by any earlier artgan still resumes, generates
and evaluates. A migration must preserve what is trained: the golden check
(``scripts/golden_check.py``) resumes a version-1 checkpoint with the current code and
compares it, tensor for tensor, with an uninterrupted run.

Version 1 → 2 (the per-model config):

- ``model`` held every model's options; only the chosen model's are kept (the others were
  ignored by that model, so dropping them changes nothing);
- ``train.loss`` became ``loss.name``; ``loss.gp_weight``/``drift_weight`` stay under
  ``loss`` for wgan-gp; MIGAN's objective weights (``lambda_info``, ``lambda_ms``, …) moved
  from ``loss`` to ``model``;
- ``model.n_categories: -1`` became ``"auto"``.
"""

from __future__ import annotations

import copy
from typing import Any

from artgan.config.models import MODEL_SECTIONS, section_names
from artgan.config.sections import LOSS_SECTIONS
from artgan.errors import ArtganError

# Keys a user may still type from version 1: where they went, and a note (error messages).
MOVED: dict[str, tuple[str, str]] = {
    "train.loss": ("loss.name", ""),
    **{
        f"loss.{k}": (f"model.{k}", " (a migan option)")
        for k in (
            "lambda_info", "info_z_weight", "lambda_ms", "ms_alpha", "eta_per",
            "perceptual_layers", "cycle_batch", "labels_as_code",
        )
    },
}  # fmt: skip


def _v1_to_v2(d: dict[str, Any]) -> dict[str, Any]:
    d = copy.deepcopy(d)
    models, losses = section_names(MODEL_SECTIONS), section_names(LOSS_SECTIONS)
    model = d.get("model") or {}
    old_loss = d.get("loss") or {}
    train = d.get("train") or {}
    name = model.get("name", "dcgan")
    loss_name = train.pop("loss", "bce")
    if name not in models:
        raise ArtganError(f"saved config names unknown model '{name}'")
    if loss_name not in losses:
        raise ArtganError(f"saved config names unknown loss '{loss_name}'")
    fields = models[name].model_fields
    merged = {**old_loss, **model}  # objective weights lived in `loss`
    new_model = {k: v for k, v in merged.items() if k in fields}
    if new_model.get("n_categories") == -1:
        new_model["n_categories"] = "auto"
    loss_fields = losses[loss_name].model_fields
    new_loss = {"name": loss_name, **{k: v for k, v in old_loss.items() if k in loss_fields}}
    d.update(model=new_model, loss=new_loss, train=train, schema_version=2)
    return d


MIGRATIONS = {1: _v1_to_v2}  # from version → function returning the next version


def migrate(d: dict[str, Any], current: int) -> dict[str, Any]:
    """A saved config dict of any version → a dict of version ``current``."""
    version = d.get("schema_version", 1)
    if not isinstance(version, int) or version < 1:
        raise ArtganError(f"saved config has an invalid schema_version {version!r}")
    if version > current:
        raise ArtganError(
            f"this config was written by a newer artgan (schema {version}; this one reads "
            f"≤ {current}): upgrade artgan"
        )
    while version < current:
        d = MIGRATIONS[version](d)
        version = d["schema_version"]
    return d


def migrate_model(model: dict[str, Any], version: int, current: int) -> dict[str, Any]:
    """Only a ``model`` section (what an exported generator file stores)."""
    return migrate({"schema_version": version, "model": model}, current)["model"]
