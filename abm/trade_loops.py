"""Compiled loop of the export decision (:func:`abm.trade.potential_export_profit`): the
margin each firm expects on the sales its attraction would win in a destination, in one
pass over the firms. The mechanism is described where it is used, in :mod:`abm.trade`."""

from __future__ import annotations

import numpy as np

from abm.jit import njit


@njit
def expected_margin(
    u: np.ndarray,
    per_unit: np.ndarray,
    cap: np.ndarray,
    unit_margin: np.ndarray,
    first: np.ndarray,
    first_sales: np.ndarray,
) -> np.ndarray:
    """Each firm's margin (n,) on ``u x per_unit`` sales by category, capped by its
    capacity ``cap``; in a category where ``first`` (K,) is set, on ``first_sales`` (n, K)
    instead (what it would sell as the category's first seller)."""
    n, k_n = u.shape
    out = np.zeros(n)
    for i in range(n):
        s = 0.0
        for k in range(k_n):
            q = first_sales[i, k] if first[k] else u[i, k] * per_unit[k]
            s += unit_margin[i, k] * min(cap[i, k], q)
        out[i] = s
    return out
