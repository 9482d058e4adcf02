"""The augmentation the discriminator sees (config ``d_augment``): the same
differentiable pipeline on every real and every fake batch, in the critic and in the
generator step, so D never sees an un-augmented image and G is not pushed to draw the
augmentations.

``diffaug`` (Zhao et al. 2020) applies every operation of its policy to every image.
``ada`` (Karras et al. 2020) applies each to each image with probability p, and adjusts
p from the overfitting signal r_t = E[sign D(x_real)]: every ``interval`` generator steps
p moves by ±(images shown in that time)/(speed_kimg·1000) towards r_t = ``target``. The
controller's state is part of the training state, so a resumed run continues exactly.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from artgan.augment.registry import AUGMENTATIONS, AugmentFn
from artgan.errors import ArtganError
from artgan.runtime import Shard


def policy_ops(policy: str) -> list[AugmentFn]:
    """``"color,translation,cutout"`` → the registered differentiable operations."""
    names = [n.strip() for n in policy.split(",") if n.strip()]
    if not names:
        raise ArtganError("the augmentation policy names no operation")
    ops = []
    for name in names:
        spec = AUGMENTATIONS.get(name)
        if not spec.differentiable or spec.name == "affine":
            raise ArtganError(f"'{name}' cannot augment the discriminator's inputs")
        ops.append(spec.apply)
    return ops


class ADAController:
    """Adaptive augmentation probability from r_t = E[sign D(x_real)]."""

    def __init__(self, target: float, interval: int, speed_kimg: float, p: float = 0.0):
        self.target, self.interval, self.speed = target, interval, speed_kimg * 1000
        self.p = p
        self.sign_sum, self.count, self.steps = 0.0, 0, 0
        self.last_rt: float | None = None

    def observe(self, real_scores: Tensor) -> None:
        """Per-image critic scores of a real batch ``[B]``."""
        self.sign_sum += float(torch.sign(real_scores.detach().float()).sum())
        self.count += int(real_scores.shape[0])

    def end_step(self, images: int, shard: Shard) -> None:
        """After a generator step in which D saw ``images`` real images (global batch)."""
        self.steps += 1
        if self.steps % self.interval or self.count == 0:
            return
        total = shard.mean({"s": torch.tensor(self.sign_sum), "n": torch.tensor(float(self.count))})
        self.last_rt = float(total["s"] / total["n"])
        step = images * self.interval / self.speed
        self.p = min(1.0, max(0.0, self.p + (step if self.last_rt > self.target else -step)))
        self.sign_sum, self.count = 0.0, 0

    def state_dict(self) -> dict[str, Any]:
        return {"p": self.p, "sign_sum": self.sign_sum, "count": self.count,
                "steps": self.steps, "last_rt": self.last_rt}  # fmt: skip

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.p, self.sign_sum = float(state["p"]), float(state["sign_sum"])
        self.count, self.steps = int(state["count"]), int(state["steps"])
        self.last_rt = state.get("last_rt")


class DAugment:
    """``aug(x, generator, shard)``: the pipeline on one batch ``[B, 3, H, W]``."""

    def __init__(self, name: str, ops: list[AugmentFn], ada: ADAController | None = None):
        self.name, self.ops, self.ada = name, ops, ada

    @property
    def p(self) -> float:
        return self.ada.p if self.ada is not None else 1.0

    def __call__(self, x: Tensor, generator: torch.Generator, shard: Shard) -> Tensor:
        p = self.p
        if p <= 0.0:
            return x
        for op in self.ops:
            x = op(x, generator, p, shard.world, shard.rank)
        return x

    def observe(self, real_scores: Tensor) -> None:
        if self.ada is not None:
            self.ada.observe(real_scores)

    def end_step(self, images: int, shard: Shard) -> None:
        if self.ada is not None:
            self.ada.end_step(images, shard)

    def state_dict(self) -> dict[str, Any]:
        return {"name": self.name, "ada": self.ada.state_dict() if self.ada else None}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        if self.ada is not None and state.get("ada") is not None:
            self.ada.load_state_dict(state["ada"])


def build_d_augment(cfg: Any) -> DAugment | None:
    """The pipeline a ``d_augment`` config section asks for; None for ``none``."""
    if cfg.name == "none":
        return None
    ops = policy_ops(cfg.policy)
    if cfg.name == "diffaug":
        return DAugment("diffaug", ops)
    return DAugment("ada", ops, ADAController(cfg.target, cfg.interval, cfg.speed_kimg, cfg.p))
