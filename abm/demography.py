"""Growth, exit and entry: capacity follows retained profit; firms with negative net worth
for ``exit_years`` years exit; entrants near the industry average take their place."""

from __future__ import annotations

import numpy as np

from abm.categories import CAPITAL_COST, per_firm
from abm.params import Params
from abm.state import FirmState, draw_mix

#: Utilisation above which firms invest in new capacity.
INVEST_UTILISATION = 0.8
#: Smallest viable capacity, USD m.
MIN_CAPACITY = 0.5


def grow(f: FirmState, p: Params) -> None:
    """Book profit into net worth; depreciate capacity and invest retained profit when busy."""
    f.net_worth += f.profit
    util = per_firm(f.output) / np.maximum(f.capacity, 1e-12)
    invest = np.where(util > INVEST_UTILISATION, p.reinvestment * np.maximum(f.profit, 0.0), 0.0)
    f.capacity *= 1.0 - p.depreciation
    f.capacity += invest / CAPITAL_COST
    f.age += 1


def exiting(f: FirmState, p: Params) -> np.ndarray:
    """Rows of firms that exit: negative net worth for ``exit_years`` years, or too small."""
    f.loss_years = np.where(f.net_worth < 0, f.loss_years + 1, 0)
    return np.flatnonzero((f.loss_years >= p.exit_years) | (f.capacity < MIN_CAPACITY))


def renew(f: FirmState, rows: np.ndarray, p: Params, rng: np.random.Generator) -> None:
    """Replace the firms in ``rows`` by entrants drawn near the industry average."""
    k = len(rows)
    if k == 0:
        return
    alive = np.ones(f.n, bool)
    alive[rows] = False
    if not alive.any():
        alive[:] = True
    digital = rng.random(k) < f.digital[alive].mean()
    f.capacity[rows] = np.median(f.capacity[alive]) * rng.lognormal(0.0, 0.5, k)
    f.productivity[rows] = np.exp(np.log(f.productivity[alive]).mean()) * rng.lognormal(0, 0.15, k)
    f.green[rows] = np.clip(f.green[alive].mean() * rng.uniform(0.8, 1.2, k), 0.0, 1.0)
    f.knowledge[rows] = f.knowledge[alive].mean() * rng.lognormal(0.0, 0.2, k)
    f.mix[rows] = draw_mix(rng, k, digital)
    f.rd_taste[rows] = rng.lognormal(0.0, 0.3, k)
    f.green_rd_share[rows] = np.clip(p.green_rd_share + rng.normal(0, 0.1, k), 0.0, 1.0)
    f.exporter[rows] = False
    f.digital[rows] = digital
    f.net_worth[rows] = 0.4 * f.capacity[rows]
    f.age[rows] = 0
    f.loss_years[rows] = 0
    f.partner_firm[rows] = -1
    f.partner_inst[rows] = -1
    f.partner_years[rows] = 0
