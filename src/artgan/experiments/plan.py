"""What an experiment trains: variants (a model, ablations, training options), seeds, a budget.

A variant name is a registered model, optionally followed by that model's ablation
suffixes (its spec's ``ablations``) and by ``+OPTION`` training options any model takes
(:data:`OPTIONS`): ``dcgan``, ``migan-no-ams``, ``migan-no-sft-no-eca``, ``dcgan+diffaug``,
``fastgan+proj``, ``sagan+ada+proj``…
Every variant uses its model's own preset; the experiment only fixes what must be equal
for a fair comparison: data, split, resolution, precision, threads, seeds and budget.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any

from artgan.config import MODEL_SECTIONS, Config, parse_override, preset_names, resolve
from artgan.config.models import section_names
from artgan.data.images import scan_folder
from artgan.errors import ArtganError
from artgan.evaluation.suite import MIN_RESOLUTION
from artgan.metrics import parse_metrics
from artgan.models import get_model

UNLIMITED_STEPS = 10**9  # a wall-clock budget ends the run, not the step count

_BUDGET_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|min|h|steps?)?\s*$", re.IGNORECASE)


def parse_budget(text: str) -> tuple[str, float]:
    """``"60m"`` → ("seconds", 3600); ``"2h"``, ``"90s"``; ``"3000"`` or ``"3000steps"`` →
    ("steps", 3000). Seconds count training steps only (not evaluation)."""
    m = _BUDGET_RE.match(str(text))
    if not m or float(m.group(1)) <= 0:
        raise ArtganError(
            f"budget '{text}' not understood: use minutes/hours/seconds like 60m, 2h, 90s, "
            f"or a step count like 3000"
        )
    value, unit = float(m.group(1)), (m.group(2) or "steps").lower()
    if unit.startswith("step"):
        if value != int(value):
            raise ArtganError(f"a step budget must be a whole number, got '{text}'")
        return "steps", value
    return "seconds", value * {"s": 1, "m": 60, "min": 60, "h": 3600}[unit]


# "+NAME" options of a variant: config layers on top of the model's preset. The first
# four any model takes; the rest are the readings of MIGAN's training that docs/migan.md
# measures (an option a model's section lacks is the usual unknown-key error).
OPTIONS: dict[str, dict[str, Any]] = {
    "diffaug": {"d_augment": {"name": "diffaug"}},
    "ada": {"d_augment": {"name": "ada"}},
    "noaug": {"d_augment": {"name": "none"}},
    "proj": {"model": {"d_backbone": "efficientnet-lite0"}},
    # "gradient penalty" read as R1 on real images with the hinge loss, one critic step;
    # γ = 0.0002·R²/B at 64 px and batch 32 (StyleGAN2-ADA's heuristic), every 4th step.
    "hinge-r1": {"loss": {"name": "hinge", "r1_gamma": 0.025, "reg_every": 4},
                 "optim": {"n_critic": 1}},
    # the hinge loss and one critic step with no penalty at all, as SAGAN and Projected
    # GAN train (the frozen-feature critic did without one in the pilots): R1 through it
    # is a double backward through EfficientNet (docs/migan.md)
    "hinge": {"loss": {"name": "hinge", "r1_gamma": 0.0}, "optim": {"n_critic": 1}},
    "lazy-gp": {"loss": {"reg_every": 4}},  # the WGAN-GP penalty on every 4th critic step
    "ncritic1": {"optim": {"n_critic": 1}},
    "pixnorm": {"model": {"g_norm": "pixel"}},
    "light-cycle": {"model": {"lambda_ms": 1.0, "eta_per": 0.1}},  # the section's defaults
    "enc-cycle": {"model": {"cycle_trains": "encoder"}},
    "ramp-cycle": {"model": {"cycle_ramp": 1000}},
    # a diagnosis, not a reading: no InfoGAN term (λ_I = 0, for G and E, and the
    # --labels-as-code term it scales), so the codes lose their meaning; with +enc-cycle G
    # then learns from D alone, isolating the architecture
    "no-info": {"model": {"lambda_info": 0.0}},
    # a cheaper MIGAN step, no module removed: each part alone, and all three ("lean")
    "lazy-cycle": {"model": {"cycle_every": 4}},
    "half-ams": {"model": {"ams_branch_ratio": 0.5}},
    "low-sft": {"model": {"sft_resolution": 16}},
    "lean": {"model": {"cycle_every": 4, "ams_branch_ratio": 0.5, "sft_resolution": 16}},
    # half the generator's widths below the cap (16 at 64 px, 32 at 32 px …); D and E keep
    # theirs (max_channels is shared with them)
    "narrow": {"model": {"g_channels": 16}},
    # how G upsamples (the paper does not say): against the period-2 checkerboard
    "bilinear-up": {"model": {"g_upsample": "bilinear"}},
    "tconv": {"model": {"g_upsample": "transposed"}},
}  # fmt: skip


def split_variant(name: str) -> tuple[str, list[str]]:
    """``"Migan-no-sa+lean+proj"`` → ("migan-no-sa", ["lean", "proj"]): the model with its
    ablations, then its ``+OPTION``s in order (lower-cased; nothing is checked here)."""
    base, *options = name.strip().lower().split("+")
    return base, options


def lead_variant(variants: list[str]) -> str:
    """The variant a report measures the others against: the first MIGAN one (the paper's
    claims are MIGAN's, e.g. ``migan+proj`` or ``migan`` in an ablation), else the first."""
    migan = [v for v in variants if split_variant(v)[0].split("-no-")[0] == "migan"]
    return (migan or variants or [""])[0]


def variant_layers(name: str) -> tuple[str, list[dict[str, Any]]]:
    """``"dcgan-no-x+diffaug"`` → (model, config layers: its ablations, then its options)."""
    base, options = split_variant(name)
    model, flags = parse_variant(base)
    layers: list[dict[str, Any]] = [{"model": {"name": model, **flags}}]
    for option in options:
        if option not in OPTIONS:
            raise ArtganError(f"variant '{name}': unknown option '+{option}' (use "
                              f"{', '.join('+' + o for o in OPTIONS)})")  # fmt: skip
        layers.append(OPTIONS[option])
    return model, layers


def parse_variant(name: str) -> tuple[str, dict[str, bool]]:
    """``"migan-no-sa"`` → ("migan", {"use_sa": False}); unknown parts are errors."""
    parts = name.strip().lower().split("-no-")
    spec = get_model(parts[0])  # raises with the list of models
    flags = {}
    for part in parts[1:]:
        try:
            flags[spec.ablation(part).field] = False
        except ArtganError as exc:
            raise ArtganError(f"variant '{name}': {exc}") from None
    return spec.name, flags


def _applies(override: str, model: str) -> bool:
    """Whether ``--set override`` applies to ``model``: any non-model key does; a
    ``model.KEY`` only where the model's config section has KEY."""
    section = parse_override(override).get("model")
    if not isinstance(section, dict):
        return True
    fields = section_names(MODEL_SECTIONS)[model].model_fields
    return all(key in fields for key in section)


def ablate_variants(model: str = "migan") -> list[str]:
    """``model`` and each of its single ablations (the paper's Table 1 for migan).

    ``model`` may carry ``+OPTION``s, which every variant keeps: ``"migan+lean+proj"`` →
    ``["migan+lean+proj", "migan-no-ams+lean+proj", …]``. It names one model without
    ablations of its own (an ablation of an ablation is not Table 1).
    """
    base, options = split_variant(model)
    name, flags = parse_variant(base)
    if flags:
        raise ArtganError(f"ablate: give the full model to ablate, not '{base}'")
    variant_layers(model)  # the options must exist before any run starts
    suffix = "".join(f"+{o}" for o in options)
    return [f"{name}{suffix}", *(f"{name}-no-{a.name}{suffix}" for a in get_model(name).ablations)]


@dataclass
class ExperimentPlan:
    """Everything that defines an experiment; saved as ``plan.json`` so a rerun of the
    same command continues it and a different command is refused."""

    data: str | None
    variants: list[str]
    budget: str = "60m"
    resolution: int = 64
    seeds: int = 1
    precision: str = "auto"
    threads: int = 0
    fid_every: int | str = 500  # steps, or training time like "10m"
    fid_n: int = 500
    eval_n: int = 2000
    labels_as_code: bool = False
    metrics: str | None = None  # final metrics, comma-separated; None = every registered one
    # --set KEY=VALUE for every variant; a model.* key only for the models that have it
    extra: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.variants:
            raise ArtganError("give at least one model to train")
        # variant names are read lower-cased: DCGAN and dcgan are one model
        if len({v.strip().lower() for v in self.variants}) != len(self.variants):
            raise ArtganError(f"a model is listed twice: {', '.join(self.variants)}")
        for v in self.variants:
            variant_layers(v)
        parse_budget(self.budget)
        self._fid_every()  # "500" steps, "10m" of training or "0"
        models = {variant_layers(v)[0] for v in self.variants}
        for s in self.extra:
            if not any(_applies(s, m) for m in models):
                raise ArtganError(f"--set {s}: no model in {', '.join(sorted(models))} has it")
        if self.metrics is not None:
            parse_metrics(self.metrics)
        if self.seeds < 1 or self.eval_n < 2 or self.fid_n < 2:
            raise ArtganError("seeds must be ≥ 1, eval_n and fid_n ≥ 2")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def check_runnable(self) -> None:
        """What would otherwise fail only after ``plan.json`` is written (a rerun with
        the argument mended would then be refused as a different experiment) or after a
        whole run has trained: every run's config resolves (resolution, threads, …), the
        resolution can be evaluated, and the data folder holds images."""
        if self.resolution < MIN_RESOLUTION:
            raise ArtganError(f"--resolution {self.resolution}: the final evaluation needs at "
                              f"least {MIN_RESOLUTION} px")  # fmt: skip
        for v in self.variants:
            self.config_for(v, 0)
        if self.data is not None:
            scan_folder(self.data)  # missing, not a folder, or no image files: an ArtganError

    def run_names(self) -> list[tuple[str, int, str]]:
        """(variant, seed, run folder name) in training order: seed-major, so a stopped
        experiment already has one complete comparison at the first seed."""
        return [(v, s, f"{v}-s{s}") for s in range(self.seeds) for v in self.variants]

    def _fid_every(self) -> dict[str, Any]:
        """``fid_every`` as trainer settings: a step count or seconds of training."""
        if str(self.fid_every).strip() == "0":
            return {"fid_every": 0}
        try:
            kind, amount = parse_budget(str(self.fid_every))
        except ArtganError:
            raise ArtganError(
                f"--fid-every '{self.fid_every}' not understood: use a step count like 500, "
                f"training time like 15m, or 0 for no FID curve"
            ) from None
        if kind == "steps":
            return {"fid_every": int(amount)}
        return {"fid_every": 0, "fid_every_seconds": amount}

    def config_for(self, variant: str, seed: int) -> Config:
        """The variant's own preset with the experiment's shared settings on top."""
        model, variant_config = variant_layers(variant)
        kind, amount = parse_budget(self.budget)
        train = {
            "seed": seed,
            "precision": self.precision,
            "threads": self.threads,
            "steps": int(amount) if kind == "steps" else UNLIMITED_STEPS,
            "time_budget": amount if kind == "seconds" else 0.0,
            **self._fid_every(),
            "fid_n": self.fid_n,
            "sample_every": 500,
            "ckpt_every": 250,
        }
        layers: list[dict[str, Any]] = [
            {"data": {"path": self.data, "resolution": self.resolution}},
            *variant_config,
            {"train": train},
        ]
        if self.labels_as_code and get_model(model).encoder is not None:
            layers.append({"model": {"labels_as_code": True}})
        layers.extend(parse_override(s) for s in self.extra if _applies(s, model))
        preset = model if model in preset_names() else None
        return resolve(preset, None, layers)
