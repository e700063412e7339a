"""Shared helpers for the model tests."""

from __future__ import annotations

import pytest

from abm import TradeClusterModel


def run_model(steps: int = 5, **kw) -> TradeClusterModel:
    """A small model run for ``steps`` years."""
    kw.setdefault("n_firms", 120)
    kw.setdefault("rng", 1)
    model = TradeClusterModel(**kw)
    for _ in range(steps):
        model.step()
    return model


@pytest.fixture(scope="session")
def small_run() -> TradeClusterModel:
    """One small baseline run of 8 years, shared by read-only tests."""
    return run_model(steps=8, n_firms=150, rng=11)
