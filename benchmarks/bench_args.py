"""Argument checks the benchmarks' parent processes share. Kept free of torch and artgan:
those parents stay light while their children measure."""

from __future__ import annotations

import sys


def workloads(text: str) -> list[str]:
    """``"dcgan@32,migan+hinge@64"`` → its ``NAME@PX`` items; exits with a one-line error
    naming the first malformed one, before any measurement starts."""
    items = [w.strip() for w in text.split(",")]
    for w in items:
        name, _, px = w.partition("@")
        if not name or not px.isdigit() or int(px) < 1:
            sys.exit(f"error: workload '{w}': use NAME@PIXELS, e.g. dcgan@32")
    return items
