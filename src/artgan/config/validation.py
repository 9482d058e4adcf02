"""Pydantic validation errors → one line that names the config key and what is wrong."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ValidationError

from artgan.config.migrate import MOVED
from artgan.config.schema import VARIANTS as _VARIANTS
from artgan.config.schema import Config
from artgan.config.sections import AugmentConfig, DataConfig, OptimConfig, TrainConfig

_PLAIN: dict[str, type[BaseModel]] = {
    "": Config, "data": DataConfig, "data.augment": AugmentConfig, "optim": OptimConfig,
    "train": TrainConfig,
}  # fmt: skip
_TYPES = {"int_type": "int", "bool_type": "bool", "float_type": "float", "string_type": "str",
          "int_from_float": "int", "dict_type": "a mapping", "model_type": "a mapping"}  # fmt: skip


def _fields(section: str, variant: str | None) -> list[str]:
    if section in _VARIANTS:
        cls = _VARIANTS[section].get(variant or "")
        return sorted(cls.model_fields) if cls else []
    cls = _PLAIN.get(section)
    return sorted(cls.model_fields) if cls else []


def _key_of(loc: tuple[Any, ...], unknown: bool) -> tuple[str, str | None]:
    """Error location → (dotted key, the variant name it was checked against). Union
    tags and type names that pydantic puts in the location are left out; with
    ``unknown`` the last part is the unknown key itself and is kept."""
    parts: list[str] = []
    variant = None
    for i, item in enumerate(loc):
        part, section = str(item), ".".join(parts)
        if section in _VARIANTS and variant is None and part in _VARIANTS[section]:
            variant = part  # the union tag
        elif part in _fields(section, variant) or (unknown and i == len(loc) - 1):
            parts.append(part)
    return ".".join(parts), variant


def _unknown_key(key: str, variant: str | None) -> str:
    section, _, name = key.rpartition(".")
    if key in MOVED:
        new, note = MOVED[key]
        return f"config key '{key}' is now '{new}'{note}"
    if section in _VARIANTS:
        owners = [v for v, cls in _VARIANTS[section].items() if name in cls.model_fields]
        if owners:
            return (
                f"config key '{key}' does not apply to {section} '{variant}' "
                f"(it is an option of {', '.join(owners)})"
            )
    valid = _fields(section, variant)
    where = f" (valid keys here: {', '.join(valid)})" if valid else ""
    return f"unknown config key '{key}'{where}"


def _one(err: dict[str, Any]) -> str:
    key, variant = _key_of(tuple(err["loc"]), err["type"] == "extra_forbidden")
    kind, got = err["type"], err.get("input")
    if kind == "extra_forbidden":
        return _unknown_key(key, variant)
    if kind == "union_tag_invalid":
        what = {"model": "model", "loss": "loss"}.get(key, "augmentation")
        names = ", ".join(sorted(_VARIANTS.get(key, {})))
        return f"unknown {what} '{err['ctx']['tag']}' (available: {names})"
    if kind == "union_tag_not_found":
        return f"config section '{key}' needs a name"
    if kind in _TYPES:
        return f"config key '{key}' must be {_TYPES[kind]}, got {got!r}"
    if kind == "literal_error":
        return f"config key '{key}' must be one of {err['ctx']['expected']}, got {got!r}"
    if kind == "greater_than_equal":
        bound = err["ctx"]["ge"]
        rule = f"at least {bound}" if bound == 1 else f"≥ {bound}"
        return f"config key '{key}' must be {rule}, got {got!r}"
    if kind == "value_error":
        return str(err["msg"]).removeprefix("Value error, ")
    return f"config key '{key}': {err['msg']}"


def explain(exc: ValidationError, data: Any = None) -> str:
    """The most useful line for a validation error (the first error pydantic found; a
    union's failures against other variants are not shown)."""
    errors = exc.errors(include_url=False)
    # An int-or-"auto" field reports both failures; the int one says more.
    int_first = [e for e in errors if not (e["type"] == "literal_error" and _is_union_alt(e))]
    errors = int_first or errors
    return _one(errors[0])


def _is_union_alt(err: dict[str, Any]) -> bool:
    return any(str(p).startswith("literal[") for p in err["loc"])
