"""Investment, finance, exit and entry.

Investment follows expected demand (K+S: firms plan capacity for the demand they expect at
their target utilisation, Dosi, Fagiolo & Roventini 2010), only while they make a profit,
financed by net worth and credit up to ``leverage`` times net worth. Firms with negative net
worth for ``exit_years`` years, or below the smallest viable size, exit; entrants take their
rows, small and young, in the categories the cluster makes, tilted toward the highest profit
rates.
"""

from __future__ import annotations

import numpy as np

from abm.categories import N_CAT, by_category, divide_rows, per_category, row_sum, scale_rows
from abm.params import Params
from abm.state import FirmState, draw_mix, initial_mix, normalise_mix


def grow(
    f: FirmState, p: Params, allowed: np.ndarray, growth: np.ndarray | float = 1.0
) -> np.ndarray:
    """Book profit into net worth; depreciate capacity; invest toward the capacity that
    next year's expected demand needs in each allowed category, within the credit limit;
    return investment, USD m. A firm expects its demand in a category to grow as the
    cluster's demand for the category grew this year (``growth``, (4,) ratios).

    New capacity goes where the firm expects demand, so investment moves its product mix,
    by at most ``mix_speed`` (the largest change of a category's share in a year); with
    ``mix_speed = 0`` investment keeps the mix.
    """
    f.net_worth += np.where(f.profit > 0, p.retained_share * f.profit, f.profit)
    cap = scale_rows(f.mix, f.capacity)
    cap *= 1.0 - p.depreciation
    if np.ndim(growth):
        wanted = by_category(np.multiply, f.demand, np.asarray(growth))
    else:
        wanted = f.demand * growth
    wanted /= p.target_utilisation
    add = np.maximum(wanted - cap, 0.0, out=wanted)
    add *= allowed  # 0 where not allowed (add >= 0: the same as np.where, faster)
    add[np.flatnonzero(~(f.profit > 0))] = 0.0  # (row numbers: faster than a mask)
    kept = row_sum(cap)
    limit = np.maximum(
        (1.0 + p.leverage) * np.maximum(f.net_worth, 0.0) / p.capital_cost - kept, 0.0
    )
    total = row_sum(add)
    scale = np.divide(np.minimum(total, limit), total, out=np.zeros(f.n), where=total > 0)
    add = scale_rows(add, scale)
    new = cap + add
    capacity = row_sum(new)
    if (capacity > 0).all():
        diff = divide_rows(new, capacity)  # the target mix, less the mix below
    else:
        diff = np.divide(new, capacity[:, None], out=f.mix.copy(), where=capacity[:, None] > 0)
    diff -= f.mix
    change = np.abs(diff)
    step = change[:, 0].copy()  # the largest change of a share, column by column
    for j in range(1, change.shape[1]):
        np.maximum(step, change[:, j], out=step)
    lam = np.divide(p.mix_speed, step, out=np.ones(f.n), where=step > p.mix_speed)
    f.mix += scale_rows(diff, np.minimum(lam, 1.0))
    normalise_mix(f.mix)
    f.capacity = capacity
    f.debt = np.maximum(p.capital_cost * f.capacity - f.net_worth, 0.0)
    f.age += 1
    return row_sum(add) * p.capital_cost


def exiting(f: FirmState, p: Params) -> np.ndarray:
    """Rows of firms that exit: negative net worth for ``exit_years`` years, or too small."""
    f.loss_years = np.where(f.net_worth < 0, f.loss_years + 1, 0)
    return np.flatnonzero((f.loss_years >= p.exit_years) | (f.capacity < p.min_capacity))


def entry_weights(
    rates: np.ndarray, choice: float, present: np.ndarray | None = None
) -> np.ndarray:
    """Probabilities of an entrant's main category: logit on the categories' profit rates
    (margin per unit of capacity), each weighted by ``present``, the cluster's firms making
    the category (their product mixes summed), when given. Entrants come from the cluster's
    own firms, workers and suppliers and start in what it already makes (Klepper 2007 on
    spinoffs inheriting their parents' capabilities; Neffke, Henning & Boschma 2011 on
    regions entering industries related to their own), tilted toward where profits are: a
    category the cluster hardly makes gets few entrants however profitable it is."""
    r = np.where(np.isfinite(rates), rates, 0.0)
    w = np.exp(choice * (r - r.max()))
    if present is not None and present.sum() > 0:
        w *= present
    return w / w.sum()


def renew(
    f: FirmState, rows: np.ndarray, rates: np.ndarray, p: Params, rng: np.random.Generator
) -> None:
    """Replace the firms in ``rows`` by entrants: small (``entrant_size`` of the median
    capacity), young, with the cluster's average technology, in categories drawn by
    :func:`entry_weights` (on the surviving firms' product mixes)."""
    k = len(rows)
    if k == 0:
        return
    alive = np.ones(f.n, bool)
    alive[rows] = False
    if not alive.any():
        alive[:] = True
    digital = rng.random(k) < f.digital[alive].mean()
    present = per_category(f.mix[alive])  # firms making each category
    weights = entry_weights(rates, p.entry_choice, present) if len(rates) == N_CAT else None
    mean = f.capacity[alive].mean()
    f.capacity[rows] = p.entrant_size * mean * rng.lognormal(0.0, p.entrant_size_dispersion, k)
    f.productivity[rows] = np.exp(np.log(f.productivity[alive]).mean()) * rng.lognormal(
        0, p.entrant_productivity_dispersion, k
    )
    f.energy[rows] = np.exp(np.log(f.energy[alive]).mean())
    spread = p.entrant_green_spread
    green = f.green[alive].mean() * rng.uniform(1.0 - spread, 1.0 + spread, k)
    f.green[rows] = np.clip(green, 0.0, 1.0)
    f.knowledge[rows] = f.knowledge[alive].mean() * rng.lognormal(
        0.0, p.entrant_knowledge_dispersion, k
    )
    f.mix[rows] = draw_mix(rng, k, digital, p.initial_specialisation, initial_mix(p), weights)
    f.rd_taste[rows] = rng.lognormal(0.0, p.rd_taste_dispersion, k)
    f.green_rd_share[rows] = np.clip(
        p.green_rd_share + rng.normal(0, p.green_rd_share_dispersion, k), 0.0, 1.0
    )
    f.exports_to[rows] = False
    f.digital[rows] = digital
    f.net_worth[rows] = p.initial_net_worth * f.capacity[rows]
    f.debt[rows] = np.maximum(p.capital_cost - p.initial_net_worth, 0.0) * f.capacity[rows]
    f.markup[rows] = np.exp(np.log(f.markup[alive]).mean())  # priced like the incumbents
    f.appeal[rows] = 0.0
    f.age[rows] = 0
    f.loss_years[rows] = 0
    f.partner_firm[rows] = -1
    f.partner_inst[rows] = -1
    f.partner_years[rows] = 0
