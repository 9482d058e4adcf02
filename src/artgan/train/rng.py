"""Counter-based randomness: every random draw in training comes from a generator seeded
by (run seed, step, stream). Resuming at step t therefore replays exactly the draws an
uninterrupted run makes, whatever happened before, and no generator state has to be
threaded through the data pipeline. The global torch RNG state is still saved in
checkpoints for anything outside our control.
"""

from __future__ import annotations

import hashlib

import torch


def seed_for(*parts: object) -> int:
    digest = hashlib.blake2b(repr(parts).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little") & ((1 << 63) - 1)


def generator_for(*parts: object) -> torch.Generator:
    """A fresh CPU generator seeded from ``parts`` (e.g. ``(seed, step, "noise")``)."""
    return torch.Generator().manual_seed(seed_for(*parts))


def rng_state() -> dict[str, object]:
    state: dict[str, object] = {"torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict[str, object]) -> None:
    torch.set_rng_state(state["torch"])  # type: ignore[arg-type]
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])  # type: ignore[arg-type]
