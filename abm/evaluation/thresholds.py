"""Quantitative indicators: moving-average smoothing and threshold scoring.

A quantitative indicator's yearly series ``x_t`` is smoothed by a trailing
moving average over ``n`` years (over the years available at the start of a
run), then scored on 0-100 by piecewise-linear interpolation between
user-set thresholds (the threshold method of seed 000, section 5).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike

__all__ = ["Direction", "moving_average", "threshold_score", "validate_thresholds"]

Direction = Literal["higher", "lower"]


def moving_average(values: ArrayLike, years: int) -> np.ndarray:
    """Trailing moving average over ``years`` steps (fewer at the start).

    ``MA_t = (x_{t-m+1} + ... + x_t) / m`` with ``m = min(years, t + 1)``. The
    sum is taken oldest first, so the result is bit-for-bit the same whether a
    whole series is smoothed at once or one step at a time.

    Parameters
    ----------
    values : array_like, shape (T,) or (T, k)
        Series (rows are steps); several series may be smoothed at once.
    years : int
        Window length n >= 1, in steps (years).

    Returns
    -------
    numpy.ndarray
        Smoothed series, same shape as ``values``.
    """
    if isinstance(years, bool) or not isinstance(years, (int, np.integer)) or years < 1:
        raise ValueError(f"the moving-average window must be a positive integer, got {years!r}")
    x = np.asarray(values, dtype=float)
    if x.ndim == 0:
        raise ValueError("moving_average needs a series, got a scalar")
    total = np.zeros_like(x)
    steps = x.shape[0]
    for lag in range(int(years) - 1, -1, -1):  # oldest first
        if lag < steps:
            total[lag:] += x[: steps - lag]
    count = np.minimum(np.arange(1, steps + 1), years).astype(float)
    return total / count.reshape((steps,) + (1,) * (x.ndim - 1))


def validate_thresholds(
    thresholds: Sequence[float], scores: Sequence[float] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Check thresholds (strictly increasing, at least two) and their scores.

    Returns
    -------
    tuple of numpy.ndarray
        The thresholds and the scores attached to them (default: evenly
        spaced from 0 to 100).

    Raises
    ------
    ValueError
        If the thresholds are fewer than two, not finite or not strictly
        increasing, or the scores do not match them or leave [0, 100].
    """
    t = np.asarray(thresholds, dtype=float)
    if t.ndim != 1 or t.size < 2 or not np.all(np.isfinite(t)) or np.any(np.diff(t) <= 0):
        raise ValueError(
            "thresholds must be at least two finite, strictly increasing numbers, "
            f"got {thresholds!r}"
        )
    if scores is None:
        s = np.linspace(0.0, 100.0, t.size)
    else:
        s = np.asarray(scores, dtype=float)
        if s.shape != t.shape or np.any(s < 0) or np.any(s > 100) or np.any(np.diff(s) < 0):
            raise ValueError(
                "scores must be non-decreasing numbers in [0, 100], one per threshold, "
                f"got {scores!r}"
            )
    return t, s


def threshold_score(
    value: ArrayLike,
    thresholds: Sequence[float],
    direction: Direction = "higher",
    scores: Sequence[float] | None = None,
) -> np.ndarray:
    """Score a value on 0-100 against thresholds.

    With thresholds ``t_0 < t_1 < ... < t_K`` and scores ``s_0 <= ... <= s_K``
    (default ``s_k = 100 k / K``), a higher-is-better indicator scores ``s_k``
    at ``t_k``, linearly in between, ``s_0`` below ``t_0`` and ``s_K`` above
    ``t_K``. A lower-is-better indicator is scored with the scores reversed:
    ``s_K`` at ``t_0`` down to ``s_0`` at ``t_K``. NaN scores NaN.

    Parameters
    ----------
    value : array_like
        Smoothed indicator value(s).
    thresholds : sequence of float
        Strictly increasing breakpoints, in the indicator's unit.
    direction : {"higher", "lower"}
        Whether larger values are better.
    scores : sequence of float, optional
        Scores at the thresholds (for ``"higher"``), non-decreasing in [0, 100].

    Returns
    -------
    numpy.ndarray
        Scores in [0, 100] (a 0-d array for a scalar input).
    """
    if isinstance(thresholds, str) or not isinstance(thresholds, Sequence | np.ndarray):
        raise ValueError(f"thresholds must be a sequence of increasing numbers, got {thresholds!r}")
    t, levels = _table(
        tuple(float(v) for v in thresholds),
        None if scores is None else tuple(float(v) for v in scores),
        direction,
    )
    x = np.asarray(value, dtype=float)
    # interp's rounding can step a hair past the end scores (100.00000000000001)
    y = np.clip(np.interp(x, t, levels), levels.min(), levels.max())
    return np.where(np.isnan(x), np.nan, y)


@lru_cache(maxsize=1024)
def _table(
    thresholds: tuple[float, ...], scores: tuple[float, ...] | None, direction: str
) -> tuple[np.ndarray, np.ndarray]:
    t, s = validate_thresholds(thresholds, scores)
    if direction == "higher":
        return t, s
    if direction == "lower":
        return t, s[::-1].copy()
    raise ValueError(f"direction must be 'higher' or 'lower', got {direction!r}")
