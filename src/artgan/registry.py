"""The one registry type: named entries that own behaviour (models, losses, metrics,
augmentations). Registering a name twice is an error; asking for an unknown name is a
user error that lists what exists."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Generic, Protocol, TypeVar

from artgan.errors import ArtganError


class Named(Protocol):
    @property
    def name(self) -> str: ...


T = TypeVar("T", bound=Named)


class Registry(Generic[T]):
    """``kind`` names the entries in messages ("model", "loss", …)."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._items: dict[str, T] = {}

    def register(self, item: T) -> T:
        if item.name in self._items:
            raise ValueError(f"{self.kind} '{item.name}' registered twice")
        self._items[item.name] = item
        return item

    def get(self, name: str) -> T:
        if name not in self._items:
            have = ", ".join(self.names())
            raise ArtganError(f"unknown {self.kind} '{name}' (available: {have})")
        return self._items[name]

    def names(self) -> list[str]:
        """Registered names, sorted (for messages and listings)."""
        return sorted(self._items)

    def __contains__(self, name: object) -> bool:
        return name in self._items

    def __iter__(self) -> Iterator[T]:
        """Entries in registration order (the order reports show them in)."""
        return iter(list(self._items.values()))

    def __len__(self) -> int:
        return len(self._items)
