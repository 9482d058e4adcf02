"""Building a config: defaults → the model's preset YAML → ``--config FILE`` → overrides.

Layers are nested dicts merged in order, then validated once into a frozen
:class:`~artgan.config.schema.Config`. Where a layer switches ``model.name`` or
``loss.name``, the keys earlier layers set for the previous variant that the new one does
not have are dropped (a preset's MIGAN weights do not follow ``--model dcgan``); keys the
same layer sets must apply. Validation errors become one-line :class:`ArtganError`
messages naming the dotted key.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from artgan.config.migrate import migrate
from artgan.config.schema import SCHEMA_VERSION, VARIANTS, Config
from artgan.config.validation import explain
from artgan.errors import ArtganError

Layer = dict[str, Any]


def parse_override(text: str) -> Layer:
    """``'train.steps=100'`` → ``{'train': {'steps': 100}}`` (value parsed as YAML)."""
    if "=" not in text:
        raise ArtganError(f"override '{text}' must look like section.key=value")
    path, raw = text.split("=", 1)
    try:
        value = yaml.safe_load(raw) if raw != "" else ""
    except yaml.YAMLError as exc:
        # e.g. `data.path=*paintings` (a YAML alias) or `train.steps=[100`
        problem = getattr(exc, "problem", None) or type(exc).__name__
        raise ArtganError(
            f"override '{text}': the value is not valid YAML ({problem}); quote a value "
            f"meant as text, e.g. {path}='\"{raw}\"'"
        ) from None
    out: Layer = {}
    node = out
    parts = path.strip().split(".")
    for part in parts[:-1]:
        node = node.setdefault(part, {})
    node[parts[-1]] = value
    return out


def flag_layer(dotted: str, value: Any) -> Layer:
    """``("train.steps", 5)`` → ``{"train": {"steps": 5}}``."""
    *sections, key = dotted.split(".")
    layer: Layer = {key: value}
    for section in reversed(sections):
        layer = {section: layer}
    return layer


def preset_names() -> list[str]:
    root = resources.files("artgan") / "presets"
    return sorted(p.name[:-5] for p in root.iterdir() if p.name.endswith(".yaml"))


def read_preset(name: str) -> Layer:
    path = resources.files("artgan") / "presets" / f"{name}.yaml"
    if not path.is_file():
        raise ArtganError(f"unknown preset '{name}' (available: {', '.join(preset_names())})")
    return yaml.safe_load(path.read_text()) or {}


def read_yaml(path: str | Path) -> Layer:
    p = Path(path)
    if p.is_dir():
        raise ArtganError(f"config file '{p}' is a folder; pass a .yaml file")
    if not p.is_file():
        raise ArtganError(f"config file '{p}' does not exist")
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise ArtganError(f"config file '{p}' is not UTF-8 text") from None
    except yaml.YAMLError as exc:
        # one line: where, and what (PyYAML's message spans several with a caret diagram)
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        what = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ArtganError(f"config file '{p}' is not valid YAML{where}: {what}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ArtganError(f"config file '{p}' must hold a mapping of sections")
    return data


def _merge(base: Layer, layer: Layer, prefix: str = "") -> Layer:
    """``layer`` deep-merged over ``base`` (a new dict; neither input is changed)."""
    if not isinstance(layer, dict):
        raise ArtganError(f"config section '{prefix.rstrip('.') or '(top)'}' must be a mapping")
    out = copy.deepcopy(base)
    for key, value in layer.items():
        full = f"{prefix}{key}"
        if full in VARIANTS and isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _switch_variant(out[key], value, VARIANTS[full])
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value, f"{full}.")
        else:
            out[key] = copy.deepcopy(value)
    return out


def _switch_variant(section: Layer, update: Layer, variants: dict[str, type]) -> Layer:
    """Drop the keys of ``section`` that the variant ``update`` switches to does not have."""
    new = update.get("name")
    # None: no switch; a non-string name or an unknown one: the schema refuses it later
    if not isinstance(new, str) or new == section.get("name") or new not in variants:
        return section
    fields = variants[new].model_fields
    return {k: v for k, v in section.items() if k in fields}


def merge_layers(layers: Iterable[Layer], base: Layer | None = None) -> Layer:
    out: Layer = base or {}
    for layer in layers:
        out = _merge(out, layer)
    return out


def _with_names(data: Layer) -> Layer:
    """A variant section given without ``name`` is the default variant's."""
    missing = [k for k in VARIANTS if isinstance(data.get(k), dict) and "name" not in data[k]]
    if not missing:
        return data
    defaults = Config().to_dict()
    return {**data, **{k: {"name": defaults[k]["name"], **data[k]} for k in missing}}


def from_dict(data: Layer) -> Config:
    """A current-schema dict → validated config (unknown keys, bad types are errors)."""
    if not isinstance(data, dict):
        raise ArtganError("a config must be a mapping of sections")
    try:
        return Config.model_validate(_with_names(data))
    except ValidationError as exc:
        raise ArtganError(explain(exc, data)) from None


def from_saved(data: Layer) -> Config:
    """A config saved by any artgan version (``config.yaml``, a checkpoint) → current."""
    if not isinstance(data, dict):
        raise ArtganError("saved config is not a mapping of sections")
    return from_dict(migrate(data, SCHEMA_VERSION))


def resolve(
    preset: str | None = None,
    config_file: str | Path | None = None,
    overrides: list[Layer] | None = None,
) -> Config:
    """Build a config from defaults, an optional preset, a YAML file and overrides."""
    layers: list[Layer] = []
    if preset:
        layers.append(read_preset(preset))
    if config_file:
        layers.append(read_yaml(config_file))
    layers.extend(overrides or [])
    return from_dict(merge_layers(layers))


def replace(cfg: Config, *layers: Layer) -> Config:
    """A new config: ``cfg`` with ``layers`` merged over it, validated again."""
    return from_dict(merge_layers(layers, cfg.to_dict()))


def diff(a: Layer, b: Layer, prefix: str = "") -> list[str]:
    """Keys (dotted) whose values differ between two nested config dicts."""
    out = []
    for key in sorted(set(a) | set(b)):
        va, vb = a.get(key), b.get(key)
        if isinstance(va, dict) and isinstance(vb, dict):
            out.extend(diff(va, vb, f"{prefix}{key}."))
        elif va != vb:
            out.append(f"{prefix}{key}")
    return out


def lookup(d: Layer, dotted: str) -> Any:
    """``d["a"]["b"]`` for ``"a.b"``; None where a part is missing."""
    for part in dotted.split("."):
        d = d.get(part) if isinstance(d, dict) else None  # type: ignore[assignment]
    return d
