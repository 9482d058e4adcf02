"""Deterministic, order-independent train/test split."""

from __future__ import annotations

import random

import numpy as np
import pytest

from artgan.data import split_indices
from artgan.errors import ArtganError


def keys(n: int) -> list[str]:
    return [f"class{i % 7}/img_{i}.jpg" for i in range(n)]


@pytest.mark.parametrize(
    ("n", "fraction", "n_train"),
    [(10, 0.6, 6), (6967, 0.6, 4180), (2, 0.6, 1), (3, 0.5, 2), (100, 0.8, 80), (5, 0.05, 1)],
)
def test_sizes(n: int, fraction: float, n_train: int) -> None:
    train, test = split_indices(keys(n), fraction)
    assert len(train) == n_train and len(test) == n - n_train
    assert len(train) > 0 and len(test) > 0


@pytest.mark.parametrize("n", [0, 1, 2, 37, 1000])
def test_disjoint_complete_sorted_int64(n: int) -> None:
    train, test = split_indices(keys(n))
    assert train.dtype == np.int64 and test.dtype == np.int64
    assert np.all(np.diff(train) > 0) and np.all(np.diff(test) > 0)
    assert not set(train.tolist()) & set(test.tolist())
    assert sorted(train.tolist() + test.tolist()) == list(range(n))


def test_deterministic_and_seed_dependent() -> None:
    a = split_indices(keys(500), seed=0)
    b = split_indices(keys(500), seed=0)
    c = split_indices(keys(500), seed=1)
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
    assert not np.array_equal(a[0], c[0])


def test_assignment_follows_the_key_not_its_position() -> None:
    names = keys(300)
    train, _ = split_indices(names, seed=3)
    train_names = {names[i] for i in train}
    shuffled = list(names)
    random.Random(0).shuffle(shuffled)
    train2, _ = split_indices(shuffled, seed=3)
    assert {shuffled[i] for i in train2} == train_names


def test_is_not_just_the_first_items() -> None:
    train, _ = split_indices(keys(100))
    assert train.tolist() != list(range(60))


@pytest.mark.parametrize("fraction", [0.0, 1.0, -0.1, 1.5, float("nan"), "half"])
def test_invalid_fraction(fraction: object) -> None:
    with pytest.raises(ArtganError, match="train fraction"):
        split_indices(keys(10), fraction)  # type: ignore[arg-type]
