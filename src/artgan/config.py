"""Typed run configuration: dataclasses, loaded from YAML presets/files plus CLI overrides.

Resolution order (later wins): dataclass defaults → the model's preset YAML →
``--config FILE`` → ``--set section.key=value`` and dedicated CLI flags.
Unknown keys are errors, values are type-checked, and the resolved config is saved in
every run folder and inside every checkpoint (as a plain dict, so checkpoints load with
``weights_only=True``).
"""

from __future__ import annotations

import types
import typing
from dataclasses import asdict, dataclass, field, fields, is_dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from artgan.errors import ArtganError


@dataclass
class AugmentConfig:
    """Real-image augmentation applied per training batch (dcgan-art-portraits §2.3)."""

    flip: bool = True
    rotate_deg: float = 5.0  # max absolute rotation, degrees
    scale: float = 0.05  # max relative zoom, e.g. 0.05 → scale in [0.95, 1.05]


@dataclass
class DataConfig:
    path: str | None = None  # None → the built-in procedural landscapes (works offline)
    resolution: int = 64
    fit: str = "crop"  # crop | pad
    train_fraction: float = 0.6  # paper §5: 6:4 split
    split_seed: int = 0
    use_labels: bool = True
    cache_dir: str | None = None  # None → $ARTGAN_CACHE or ~/.cache/artgan/datasets
    augment: AugmentConfig = field(default_factory=AugmentConfig)


@dataclass
class ModelConfig:
    name: str = "dcgan"
    z_dim: int = 100
    n_categories: int = 0  # categorical code values (0 = none, -1 = class folders or 10)
    n_continuous: int = 0  # continuous latent codes ~ U(-1, 1)
    g_channels: int = 64  # width of the last generator stage
    d_channels: int = 64  # width of the first discriminator stage
    max_channels: int = 512
    # MIGAN ablations (paper Table 1): a False flag removes the module entirely.
    use_ams: bool = True
    use_sft: bool = True
    use_sa: bool = True
    use_eca: bool = True
    cond_channels: int = 32  # SFT condition-map channels
    # MIGAN: start the codes with as much say in G's first layer as z' (docs/migan.md)
    balance_codes: bool = True
    d_scales: int = 2  # multi-scale discriminator: image + 2x downsampled copy


@dataclass
class LossConfig:
    """Weights of the generator's extra terms (MIGAN eq. 7, 17-20) and of the GP."""

    gp_weight: float = 10.0  # WGAN-GP penalty on D (eq. 19 text)
    drift_weight: float = 0.0  # ε·E[D(x)²] keeps WGAN critic outputs near 0 (ProGAN)
    lambda_info: float = 1.0  # λ_I: InfoGAN bound on the latent cycle (eq. 7)
    info_z_weight: float = 0.1  # share of the z' reconstruction inside L_I
    lambda_ms: float = 1.0  # λ: MS-SSIM + L1 on the image cycle (eq. 18)
    ms_alpha: float = 0.84  # α in L_MS = α(1 - MS-SSIM) + (1 - α)·L1
    eta_per: float = 0.1  # η: VGG19 perceptual loss on the image cycle (eq. 20)
    perceptual_layers: str = "relu1_2,relu2_2,relu3_4"
    cycle_batch: int = 8  # real images per step through x → E → G → x̂ (CPU budget)
    labels_as_code: bool = False  # supervise E's categorical head with class folders


@dataclass
class OptimConfig:
    lr_g: float = 2e-4
    lr_d: float = 2e-4
    beta1: float = 0.5
    beta2: float = 0.999
    n_critic: int = 1  # discriminator steps per generator step


@dataclass
class TrainConfig:
    steps: int = 3000  # generator steps
    time_budget: float = 0.0  # stop after this many seconds of training steps (0 = off)
    batch_size: int = 64
    loss: str = "bce"  # bce (non-saturating, eq. 1-2) | hinge (SAGAN) | wgan-gp (MIGAN)
    seed: int = 0
    ema_decay: float = 0.999
    ema_rampup: bool = True  # decay = min(decay, (1+t)/(10+t)): EMA tracks G early on
    precision: str = "fp32"  # fp32 | bf16 | auto (bf16 where the hardware has it)
    device: str = "auto"  # auto | cpu | cuda | mps
    threads: int = 0  # 0 → min(cores, 8)
    channels_last: bool = True
    log_every: int = 10
    sample_every: int = 500
    ckpt_every: int = 500
    keep_checkpoints: int = 3
    n_samples: int = 64  # images in the fixed-latent sample grid
    fid_every: int = 0  # FID/KID vs the test split every N steps (0 = off; paper: 500)
    # …or every N seconds of training steps: with a wall-clock budget, models of very
    # different cost per step get FID curves with the same number of points.
    fid_every_seconds: float = 0.0
    fid_n: int = 2000  # generated images per FID evaluation (paper: 2000)
    # Where bf16 is native it moved FID by 0.29% vs fp32 on 2,000 artworks and was 2.2x
    # faster (bench_metrics.py on an EPYC with native bf16); the evaluate command stays fp32.
    fid_precision: str = "auto"  # Inception precision for training-time FID (auto: bf16 if native)
    progress: bool = True


@dataclass
class Config:
    data: DataConfig = field(default_factory=DataConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    optim: OptimConfig = field(default_factory=OptimConfig)
    loss: LossConfig = field(default_factory=LossConfig)
    train: TrainConfig = field(default_factory=TrainConfig)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def to_yaml(self) -> str:
        return yaml.safe_dump(self.to_dict(), sort_keys=False)


CHOICES: dict[str, tuple[str, ...]] = {
    "data.fit": ("crop", "pad"),
    "train.loss": ("bce", "hinge", "wgan-gp"),
    "train.precision": ("auto", "fp32", "bf16"),
    "train.device": ("auto", "cpu", "cuda", "mps"),
    "train.fid_precision": ("auto", "fp32", "bf16"),
}


def _coerce(value: Any, tp: Any, key: str) -> Any:
    """Check ``value`` against the annotation ``tp``; YAML ints are accepted for floats."""
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = typing.get_args(tp)
        if value is None and type(None) in args:
            return None
        errors = []
        for arg in args:
            if arg is type(None):
                continue
            try:
                return _coerce(value, arg, key)
            except ArtganError as exc:
                errors.append(str(exc))
        raise ArtganError(errors[0])
    if tp is bool:
        if isinstance(value, bool):
            return value
    elif tp is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    elif tp is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        if isinstance(value, str):  # YAML 1.1 reads "1e-4" (no dot) as a string
            try:
                return float(value)
            except ValueError:
                pass
    elif tp is str:
        if isinstance(value, str):
            return value
    else:  # pragma: no cover - only the types above are used in the config
        raise TypeError(f"unsupported config type {tp}")
    raise ArtganError(f"config key '{key}' must be {getattr(tp, '__name__', tp)}, got {value!r}")


def merge(obj: Any, updates: dict[str, Any], prefix: str = "") -> None:
    """Apply a nested dict to a dataclass in place; unknown keys are errors."""
    if not isinstance(updates, dict):
        raise ArtganError(f"config section '{prefix.rstrip('.')}' must be a mapping")
    hints = typing.get_type_hints(type(obj))
    names = {f.name for f in fields(obj)}
    for key, value in updates.items():
        full = f"{prefix}{key}"
        if key not in names:
            raise ArtganError(
                f"unknown config key '{full}' (valid keys here: {', '.join(sorted(names))})"
            )
        current = getattr(obj, key)
        if is_dataclass(current):
            merge(current, value, f"{full}.")
        else:
            value = _coerce(value, hints[key], full)
            if full in CHOICES and value not in CHOICES[full]:
                raise ArtganError(
                    f"config key '{full}' must be one of {', '.join(CHOICES[full])}, got {value!r}"
                )
            setattr(obj, key, value)


def parse_override(text: str) -> dict[str, Any]:
    """``'train.steps=100'`` → ``{'train': {'steps': 100}}`` (value parsed as YAML)."""
    if "=" not in text:
        raise ArtganError(f"override '{text}' must look like section.key=value")
    path, raw = text.split("=", 1)
    value = yaml.safe_load(raw) if raw != "" else ""
    out: dict[str, Any] = {}
    node = out
    parts = path.strip().split(".")
    for part in parts[:-1]:
        node = node.setdefault(part, {})
    node[parts[-1]] = value
    return out


def preset_names() -> list[str]:
    root = resources.files("artgan") / "presets"
    return sorted(p.name[:-5] for p in root.iterdir() if p.name.endswith(".yaml"))


def read_preset(name: str) -> dict[str, Any]:
    path = resources.files("artgan") / "presets" / f"{name}.yaml"
    if not path.is_file():
        raise ArtganError(f"unknown preset '{name}' (available: {', '.join(preset_names())})")
    return yaml.safe_load(path.read_text()) or {}


def read_yaml(path: str | Path) -> dict[str, Any]:
    p = Path(path)
    if not p.is_file():
        raise ArtganError(f"config file '{p}' does not exist")
    try:
        data = yaml.safe_load(p.read_text())
    except yaml.YAMLError as exc:
        raise ArtganError(f"config file '{p}' is not valid YAML: {exc}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ArtganError(f"config file '{p}' must hold a mapping of sections")
    return data


def from_dict(data: dict[str, Any]) -> Config:
    cfg = Config()
    merge(cfg, data)
    validate(cfg)
    return cfg


def resolve(
    preset: str | None = None,
    config_file: str | Path | None = None,
    overrides: list[dict[str, Any]] | None = None,
) -> Config:
    """Build a config from defaults, an optional preset, a YAML file and overrides."""
    cfg = Config()
    layers: list[dict[str, Any]] = []
    if preset:
        layers.append(read_preset(preset))
    if config_file:
        layers.append(read_yaml(config_file))
    layers.extend(overrides or [])
    for layer in layers:
        merge(cfg, layer)
    validate(cfg)
    return cfg


def validate(cfg: Config) -> None:
    """Value checks that types alone cannot express."""
    from artgan.data import check_resolution

    check_resolution(cfg.data.resolution)
    positive = {
        "train.steps": cfg.train.steps,
        "train.batch_size": cfg.train.batch_size,
        "train.log_every": cfg.train.log_every,
        "train.sample_every": cfg.train.sample_every,
        "train.ckpt_every": cfg.train.ckpt_every,
        "train.keep_checkpoints": cfg.train.keep_checkpoints,
        "train.n_samples": cfg.train.n_samples,
        "train.fid_n": cfg.train.fid_n,
        "model.z_dim": cfg.model.z_dim,
        "model.g_channels": cfg.model.g_channels,
        "model.d_channels": cfg.model.d_channels,
        "optim.n_critic": cfg.optim.n_critic,
        "model.cond_channels": cfg.model.cond_channels,
        "model.d_scales": cfg.model.d_scales,
        "loss.cycle_batch": cfg.loss.cycle_batch,
    }
    for key, value in positive.items():
        if value < 1:
            raise ArtganError(f"config key '{key}' must be at least 1, got {value}")
    if cfg.train.time_budget < 0:
        raise ArtganError(f"train.time_budget must be ≥ 0 seconds, got {cfg.train.time_budget}")
    if cfg.train.fid_every < 0 or cfg.train.fid_every_seconds < 0:
        raise ArtganError(
            "train.fid_every (steps) and train.fid_every_seconds must be ≥ 0 (0 = off), got "
            f"{cfg.train.fid_every} and {cfg.train.fid_every_seconds}"
        )
    if not 0.0 <= cfg.train.ema_decay < 1.0:
        raise ArtganError(f"train.ema_decay must be in [0, 1), got {cfg.train.ema_decay}")
    if not 0.0 < cfg.data.train_fraction < 1.0:
        raise ArtganError(
            f"data.train_fraction must be between 0 and 1, got {cfg.data.train_fraction}"
        )
    if cfg.model.n_categories < -1 or cfg.model.n_continuous < 0:
        raise ArtganError(
            "model.n_categories must be >= 0 (or -1: one per class folder) and "
            "model.n_continuous >= 0"
        )
    from artgan.models.registry import model_names

    if cfg.model.name not in model_names():
        raise ArtganError(
            f"unknown model '{cfg.model.name}' (available: {', '.join(model_names())})"
        )


def diff(a: dict[str, Any], b: dict[str, Any], prefix: str = "") -> list[str]:
    """Keys (dotted) whose values differ between two nested config dicts."""
    out = []
    for key in sorted(set(a) | set(b)):
        va, vb = a.get(key), b.get(key)
        if isinstance(va, dict) and isinstance(vb, dict):
            out.extend(diff(va, vb, f"{prefix}{key}."))
        elif va != vb:
            out.append(f"{prefix}{key}")
    return out


__all__ = [
    "AugmentConfig",
    "Config",
    "DataConfig",
    "LossConfig",
    "ModelConfig",
    "OptimConfig",
    "TrainConfig",
    "diff",
    "from_dict",
    "merge",
    "parse_override",
    "preset_names",
    "read_preset",
    "resolve",
]
