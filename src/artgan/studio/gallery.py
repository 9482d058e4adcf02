"""Everything the studio made, on disk: ``STUDIO_DIR/gallery/NNNN-kind.ext`` plus one
``index.jsonl`` line per item (its recipe). Names are made here, never taken from a
request, so nothing is written outside the studio folder."""

from __future__ import annotations

import re
import threading
import time
from pathlib import Path
from typing import Any

from artgan.errors import ArtganError
from artgan.io.atomic import atomic_write, make_dir
from artgan.io.jsonl import append_jsonl, read_jsonl

_NAME_RE = re.compile(r"^\d{4,}-[a-z]+\.(png|gif)$")


class Gallery:
    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder) / "gallery"
        make_dir(self.folder, "studio gallery")
        self.index = self.folder / "index.jsonl"
        self._lock = threading.Lock()
        self._last: int | None = None  # the largest id written, once known

    def items(self) -> list[dict[str, Any]]:
        rows = read_jsonl(self.index)  # a line torn by a crash is skipped
        return [r for r in rows if isinstance(r.get("file"), str)
                and _NAME_RE.match(r["file"]) and (self.folder / r["file"]).is_file()]  # fmt: skip

    def add(self, data: bytes, kind: str, ext: str, recipe: dict[str, Any]) -> dict[str, Any]:
        """Store ``data`` as the next numbered file; returns its index entry."""
        with self._lock:
            n = self._next_id()
            while True:
                name = f"{n:04d}-{kind}.{ext}"
                if not (self.folder / name).exists():
                    break
                n += 1
            with atomic_write(self.folder / name, fsync=False) as f:
                f.write(data)
            entry = {"id": n, "file": name, "kind": kind, "recipe": recipe, "time": time.time()}
            append_jsonl(self.index, entry)
            self._last = n
        return entry

    def _next_id(self) -> int:
        """One more than the largest id so far: read from the index once, then counted
        here (an add does not re-read the whole index)."""
        if self._last is None:
            self._last = max((int(r["id"]) for r in self.items()
                              if isinstance(r.get("id"), int)), default=0)  # fmt: skip
        return self._last + 1

    def path(self, name: str) -> Path:
        """The file for a gallery name from a URL, refusing anything else."""
        if not _NAME_RE.match(name):
            raise ArtganError(f"no gallery item named '{name}'")
        p = self.folder / name
        if not p.is_file():
            raise ArtganError(f"no gallery item named '{name}'")
        return p

    def recipe(self, item_id: int) -> dict[str, Any]:
        for r in self.items():
            if r["id"] == item_id:
                return r["recipe"]
        raise ArtganError(f"no gallery item {item_id}")
