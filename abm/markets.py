"""Markets: demand per category and market, unit costs and prices, logit clearing.

Demand is a model-level array (market x category). Each market-category's demand goes to
the firms selling there in proportion to a logit attraction on relative price plus the
consumers' green penalty on emission intensity, weighted by the capacity a firm has in the
category; no firm sells more than its capacity, and demand a capped firm cannot serve goes
to the others in proportion to their attraction (:func:`capped_proportional`).
"""

from __future__ import annotations

import numpy as np

from abm.categories import (
    BASE_EMISSION,
    LABOUR_COST,
    MARKUP,
    MATERIAL_COST,
    per_category,
)


def unit_costs(productivity: np.ndarray, emis: np.ndarray, carbon_price: float) -> np.ndarray:
    """Unit cost per firm and category: labour / productivity + materials + carbon.

    ``emis`` is t CO2 per USD m of output, ``carbon_price`` USD per tonne; the result is in
    USD m per USD m of output at base cost.
    """
    return LABOUR_COST / productivity[:, None] + MATERIAL_COST + carbon_price * emis / 1e6


def prices(cost: np.ndarray, cap: np.ndarray, pass_through: float) -> np.ndarray:
    """Mark-up prices on a blend of own and average unit cost.

    ``price = (1 + MARKUP) x (pass_through x cost + (1 - pass_through) x mean cost)``, with
    the capacity-weighted mean cost of the category: a firm passes on only part of a cost
    advantage (or handicap), so more productive and cleaner firms earn higher margins.
    """
    weight = per_category(cap)
    mean = np.divide(per_category(cap, cost), weight, out=cost.mean(0), where=weight > 0)
    return (1.0 + MARKUP) * (pass_through * cost + (1.0 - pass_through) * mean)


def capped_proportional(demand: np.ndarray, weight: np.ndarray, cap: np.ndarray) -> np.ndarray:
    """Share ``demand`` (k,) among firms by ``weight`` (n, k), capped by ``cap`` (n, k).

    The result is ``q = min(cap, lam * weight)`` per column, with ``lam`` chosen so that
    the column sums to ``min(demand, sum of caps over firms with weight > 0)``: uncapped
    firms keep shares proportional to their weights. Solved by water-filling: firms whose
    proportional share would exceed their capacity get their capacity, the rest share what
    is left, until no share exceeds a capacity (each pass O(n); few passes in practice).
    """
    weight = np.where(cap > 0, np.maximum(weight, 0.0), 0.0)
    cap = np.where(weight > 0, cap, 0.0)
    n, k = weight.shape
    q = np.zeros((n, k))
    for c in range(k):
        w, m, d = weight[:, c], cap[:, c], float(demand[c])
        if d <= 0:
            continue
        if m.sum() <= d:
            q[:, c] = m
            continue
        free = np.flatnonzero(w > 0)
        left = d
        while len(free):
            share = w[free] * (left / w[free].sum())
            full = share >= m[free]
            if not full.any():
                q[free, c] = share
                break
            q[free[full], c] = m[free[full]]
            left -= m[free[full]].sum()
            free = free[~full]
    return q


def attraction(
    price: np.ndarray,
    emis: np.ndarray,
    cap: np.ndarray,
    seller: np.ndarray,
    beta: float,
    gamma: float,
) -> np.ndarray:
    """Logit attraction of each firm in each category of one market.

    ``cap * exp(-beta * (p / p_mean - 1) - gamma * emis / base_emission)``, where ``p_mean``
    is the capacity-weighted mean price of the sellers; zero for non-sellers.
    """
    capw = cap * seller[:, None]
    p_mean = per_category(capw, price) / np.maximum(per_category(capw), 1e-12)
    u = -beta * (price / np.where(p_mean > 0, p_mean, 1.0) - 1.0) - gamma * emis / BASE_EMISSION
    u -= np.array([u[:, c].max() for c in range(u.shape[1])])
    return capw * np.exp(u)


def mean_price(price: np.ndarray, cap: np.ndarray, seller: np.ndarray) -> np.ndarray:
    """Capacity-weighted mean price per category among sellers (NaN where none)."""
    capw = cap * seller[:, None]
    tot = per_category(capw)
    nan = np.full(price.shape[1], np.nan)
    return np.divide(per_category(capw, price), tot, out=nan, where=tot > 0)


def realised_demand(
    base: np.ndarray, p_mean: np.ndarray, p_ref: np.ndarray, elasticity: float
) -> np.ndarray:
    """Demand at this year's category price level: base x (p / p_ref)^-elasticity."""
    rel = np.where(np.isfinite(p_mean), p_mean / p_ref, 1.0)
    return base * rel ** (-elasticity)
