"""Compiled loop of the export decision (:func:`abm.trade.potential_export_profit`): the
margin each firm expects on the sales its attraction would win in a destination, in one
pass over the firms. The mechanism is described where it is used, in :mod:`abm.trade`."""

from __future__ import annotations

import numpy as np

from abm.jit import njit


@njit
def expected_margin(
    eff: np.ndarray,
    weight: np.ndarray,
    p_mean: np.ndarray,
    beta: float,
    rows: np.ndarray,
    per_unit: np.ndarray,
    cap: np.ndarray,
    unit_margin: np.ndarray,
    first: np.ndarray,
    first_sales: np.ndarray,
) -> np.ndarray:
    """The margin (len(rows),) each firm of ``rows`` would earn in a destination on the
    sales its logit attraction ``weight x exp(-beta x (eff / p_mean - 1))`` wins at
    ``per_unit`` sales per unit of attraction (see :func:`abm.markets.attraction`), capped by
    its capacity ``cap``; in a category where ``first`` (K,) is set, on ``first_sales``
    (n, K) instead (what it would sell as the category's first seller)."""
    k_n = eff.shape[1]
    out = np.zeros(len(rows))
    for j in range(len(rows)):
        i = rows[j]
        s = 0.0
        for k in range(k_n):
            if cap[i, k] <= 0:  # nothing to sell there
                continue
            if first[k]:
                q = first_sales[i, k]
            else:
                x = min(-beta * (eff[i, k] / p_mean[k] - 1.0), 50.0)
                q = weight[i, k] * np.exp(x) * per_unit[k]
            s += unit_margin[i, k] * min(cap[i, k], q)
        out[j] = s
    return out
