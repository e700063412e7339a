"""Compiled loop of the export decision (:func:`abm.trade.potential_export_profit`): the
margin each firm expects on the sales its attraction would win in a destination, in one
pass over the firms. The mechanism is described where it is used, in :mod:`abm.trade`."""

from __future__ import annotations

import numpy as np

from abm.jit import njit


@njit
def expected_margin(
    exp_x: np.ndarray,
    weight: np.ndarray,
    rows: np.ndarray,
    per_unit: np.ndarray,
    cap: np.ndarray,
    unit_margin: np.ndarray,
    first: np.ndarray,
    first_sales: np.ndarray,
) -> np.ndarray:
    """The margin (len(rows),) each firm of ``rows`` would earn in a destination at its
    ``unit_margin`` on the sales its logit attraction ``weight x exp_x`` (``exp_x``: the
    exponential of its logit exponent, one row per firm of ``rows``) wins at ``per_unit``
    sales per unit of attraction, capped by its capacity ``cap``; in a category where
    ``first`` (K,) is set, on ``first_sales`` (n, K) instead (what it would sell as the
    category's first seller)."""
    k_n = exp_x.shape[1]
    out = np.zeros(len(rows))
    for j in range(len(rows)):
        i = rows[j]
        s = 0.0
        for k in range(k_n):
            q = first_sales[i, k] if first[k] else weight[i, k] * exp_x[j, k] * per_unit[k]
            s += unit_margin[j, k] * min(cap[i, k], q)
        out[j] = s
    return out
