"""Append-only JSON-lines logs (``metrics.jsonl``, the studio's gallery index).

A crash can cut the last line short. Readers skip a line that does not parse, and a
writer that finds the file not ending in a newline starts a new line first, so one torn
line never takes the next row with it or stops a log from being read.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any


def append_jsonl(path: str | Path, row: dict[str, Any]) -> None:
    """Append ``row`` as one line. NaN/inf are written as Python's json writes them
    (a diverged loss must still be logged); rows meant for other tools are made strict
    by the caller (``artgan.evaluation.report.jsonable``)."""
    line = json.dumps(row) + "\n"
    with open(path, "ab") as f:
        if f.tell() > 0 and not _ends_with_newline(path):
            line = "\n" + line  # after a torn last line
        f.write(line.encode())


def _ends_with_newline(path: str | Path) -> bool:
    with open(path, "rb") as f:
        f.seek(-1, os.SEEK_END)
        return f.read(1) == b"\n"


def read_jsonl(path: str | Path) -> list[dict[str, Any]]:
    """Every row that parses as a JSON object, in order; [] for a missing file."""
    p = Path(path)
    if not p.is_file():
        return []
    rows = []
    for line in p.read_bytes().decode("utf-8", errors="replace").splitlines():
        line = line.strip()
        if not line:
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError:
            continue  # a line cut short by a crash
        if isinstance(row, dict):
            rows.append(row)
    return rows
