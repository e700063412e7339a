"""Compiled loop of the product-mix stage (:func:`abm.structure.shift_mix`): each firm's
best allowed category and whether moving capacity there pays, in one pass over the firms.
The mechanism is described where it is used, in :mod:`abm.structure`."""

from __future__ import annotations

import numpy as np

from abm.jit import njit


@njit
def shift(
    mix: np.ndarray,
    capacity: np.ndarray,
    earned: np.ndarray,
    market: np.ndarray,
    allowed: np.ndarray,
    present: float,
    mix_speed: float,
    adjustment_cost: float,
    horizon: float,
) -> np.ndarray:
    """Move ``mix_speed`` of each firm's capacity toward its best allowed category (the
    highest expected margin per unit of capacity: its own where it makes the category, the
    cluster's ``market`` elsewhere) when the gain over ``horizon`` years beats the
    adjustment cost, in place (rows renormalised); return the cost paid (n,)."""
    n, k_n = mix.shape
    paid = np.zeros(n)
    own = np.empty(k_n)
    for i in range(n):
        best = -1
        top = -np.inf
        current = 0.0
        for k in range(k_n):
            c = mix[i, k] * capacity[i]
            own[k] = earned[i, k] / c if c > 1e-9 else 0.0
            current += mix[i, k] * own[k]
            x = own[k] if mix[i, k] > present else market[k]
            if allowed[i, k] and (best < 0 or x > top):
                best, top = k, x
        if best >= 0:
            moved = mix_speed * (1.0 - mix[i, best])
            gain = (top - current) * moved * capacity[i]
            cost = adjustment_cost * moved * capacity[i]
            if np.isfinite(top) and horizon * gain > cost and moved > 1e-9:
                for k in range(k_n):
                    mix[i, k] *= 1.0 - mix_speed
                mix[i, best] += mix_speed
                paid[i] = cost
        row = 0.0
        for k in range(k_n):
            row += mix[i, k]
        for k in range(k_n):
            mix[i, k] /= row
    return paid
