"""Whole runs shared by the statistical tests of several files: a run with the same seed,
length, size and parameters is made once per test session (the paired tests of markets,
stylised facts and linkage compare many of the same baseline and preset runs)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
import pandas as pd

from abm import TradeClusterModel


@dataclass(frozen=True)
class Run:
    """What the tests read from a finished run: its model frame and the firms' final green
    levels (the whole model is not kept: a 2,000-firm run holds about 20 MB)."""

    frame: pd.DataFrame
    green: np.ndarray


def run(seed: int, steps: int = 40, n_firms: int = 2000, **params) -> Run:
    """The run of ``seed`` for ``steps`` years at ``n_firms`` firms and ``params`` (a
    ``preset`` among them); its frame is a copy the caller may change."""
    params = {k: v for k, v in params.items() if not (k == "preset" and v == "baseline")}
    done = _run(seed, steps, n_firms, tuple(sorted(params.items())))
    return Run(done.frame.copy(), done.green.copy())


def frame(seed: int, steps: int = 40, n_firms: int = 2000, **params) -> pd.DataFrame:
    """The model frame of :func:`run`."""
    return run(seed, steps, n_firms, **params).frame


@cache
def _run(seed: int, steps: int, n_firms: int, params: tuple) -> Run:
    m = TradeClusterModel(rng=seed, n_firms=n_firms, firm_data=False, **dict(params))
    for _ in range(steps):
        m.step()
    return Run(m.model_frame(), m.firms.green.copy())
