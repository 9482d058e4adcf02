"""Metrics by name: what ``artgan evaluate --metrics``, ``compare`` and the training-time
FID monitor compute, and how every report shows them.

A :class:`MetricSpec` is what a user asks for (``fid``, ``lpips``…); it reports one or
more :class:`Column` values (``lpips`` reports a reconstruction distance and a diversity).
``compute`` reads a :class:`~artgan.metrics.inputs.MetricInputs`, which runs each feature
pass once however many metrics read it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from artgan.errors import ArtganError
from artgan.registry import Registry

if TYPE_CHECKING:  # only for annotations: inputs imports the networks
    from artgan.metrics.inputs import MetricInputs


@dataclass(frozen=True)
class Column:
    """One reported value: result key, table label, which direction is better, format."""

    key: str
    label: str
    better: Literal["lower", "higher"]
    fmt: str


@dataclass(frozen=True)
class MetricSpec:
    name: str
    description: str
    columns: tuple[Column, ...]
    compute: Callable[[MetricInputs], dict[str, Any]]
    what: str = ""  # how size errors name it ("FID", "sample diversity"); default: name
    aliases: tuple[str, ...] = ()
    paired: bool = False  # compares estimates x̂ with references x (G(E(x)) vs x)
    min_real: int = 0  # images each set needs for the metric to mean anything
    min_fake: int = 0
    unavailable: Callable[[], str | None] | None = None  # why it cannot run here, if so


METRICS: Registry[MetricSpec] = Registry("metric")


def metric_names() -> list[str]:
    """Every registered metric, in registration order (the default of ``--metrics``)."""
    return [m.name for m in METRICS]


def columns() -> list[Column]:
    """Every registered column, in registration order (report and table order)."""
    return [c for spec in METRICS for c in spec.columns]


def parse_metrics(spec: str | Sequence[str]) -> list[str]:
    """``"fid,kid"`` or ``["fid", "kid"]`` → registered names in order, aliases resolved,
    duplicates dropped; anything else is an error listing the choices."""
    aliases = {a: m.name for m in METRICS for a in m.aliases}
    items = spec.split(",") if isinstance(spec, str) else list(spec)
    choices = ",".join(m.name for m in METRICS)
    out: list[str] = []
    for item in items:
        name = aliases.get(item.strip().lower(), item.strip().lower())
        if name not in METRICS:
            raise ArtganError(f"unknown metric '{item.strip()}'; choose from {choices}")
        if name not in out:
            out.append(name)
    if not out:
        raise ArtganError(f"no metrics asked for; choose from {choices}")
    return out


def check_counts(
    metrics: list[str], n_real: int, n_fake: int, n_pairs: int | None, real: str, fake: str
) -> None:
    """Fail before any slow work when a set is too small for an asked metric."""
    need = []
    for name in metrics:
        spec = METRICS.get(name)
        if spec.unavailable is not None and spec.unavailable() is not None:
            continue  # reported as unavailable, whatever the counts
        label = spec.what or spec.name
        if spec.min_real:
            need.append((label, spec.min_real, n_real, real))
        if spec.min_fake:
            need.append((label, spec.min_fake, n_fake, fake))
        if spec.paired and n_pairs is not None:
            need.append(("paired metrics", 1, n_pairs, f"{real} / {fake}"))
    for what, k, have, name in need:
        if have < k:
            raise ArtganError(f"{what} needs at least {k} images, but {name} has {have}")
