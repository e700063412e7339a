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

from abm import demography_loops, structure
from abm.categories import N_CAT
from abm.params import Params
from abm.state import FirmState, draw_mix, initial_mix, opening_debt


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
    capacity, added = demography_loops.invest(
        f.mix,
        f.capacity,
        f.demand,
        np.broadcast_to(np.asarray(growth, float), (N_CAT,)).copy(),
        allowed,
        f.profit,
        f.net_worth,
        p.depreciation,
        p.target_utilisation,
        p.leverage,
        p.capital_cost,
        p.mix_speed,
    )
    f.capacity = capacity
    f.debt = np.maximum(p.capital_cost * f.capacity - f.net_worth, 0.0)
    f.age += 1
    return added * p.capital_cost


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
    """Replace the firms in ``rows`` by entrants: small (``entrant_size`` of the mean
    capacity), young, with the cluster's average technology, in categories drawn by
    :func:`entry_weights` (on the surviving firms' product mixes): any of them with
    ``entrant_capabilities = "cluster"``, only those its own knowledge opens
    (:func:`abm.structure.allowed_categories`) with ``"own"``. The leaving firms'
    collaborations end on both sides."""
    k = len(rows)
    if k == 0:
        return
    partners = f.partner_firm[rows]
    partners = partners[partners >= 0]
    f.partner_firm[partners] = -1  # a leaving firm's partner is free again
    f.partner_years[partners] *= f.partner_inst[partners] >= 0  # unless with an institute
    alive = np.ones(f.n, bool)
    alive[rows] = False
    if not alive.any():
        alive[:] = True
    present, on_platform, mean, productivity, energy, green, knowledge, markup = (
        demography_loops.survivors(
            alive,
            f.digital,
            f.mix,
            f.capacity,
            np.log(f.productivity),
            np.log(f.energy),
            f.green,
            f.knowledge,
            np.log(f.markup),
        )
    )
    productivity, energy, markup = np.exp([productivity, energy, markup])  # geometric means
    digital = rng.random(k) < on_platform
    weights = entry_weights(rates, p.entry_choice, present) if len(rates) == N_CAT else None
    f.capacity[rows] = p.entrant_size * mean * rng.lognormal(0.0, p.entrant_size_dispersion, k)
    f.productivity[rows] = productivity * rng.lognormal(0, p.entrant_productivity_dispersion, k)
    f.energy[rows] = energy
    spread = p.entrant_green_spread
    f.green[rows] = np.clip(green * rng.uniform(1.0 - spread, 1.0 + spread, k), 0.0, 1.0)
    f.knowledge[rows] = knowledge * rng.lognormal(0.0, p.entrant_knowledge_dispersion, k)
    allowed = None
    if p.entrant_capabilities == "own":  # only what its own knowledge opens (section 7.8)
        allowed = structure.allowed_categories(f.knowledge[rows], digital, p)
    f.mix[rows] = draw_mix(
        rng, k, digital, p.initial_specialisation, initial_mix(p), weights, allowed
    )
    f.rd_taste[rows] = rng.lognormal(0.0, p.rd_taste_dispersion, k)
    f.green_rd_share[rows] = np.clip(
        p.green_rd_share + rng.normal(0, p.green_rd_share_dispersion, k), 0.0, 1.0
    )
    f.exports_to[rows] = False
    f.digital[rows] = digital
    f.net_worth[rows] = p.initial_net_worth * f.capacity[rows]
    f.debt[rows] = opening_debt(p, f.capacity[rows])
    f.markup[rows] = markup  # priced like the incumbents
    f.appeal[rows] = 0.0
    f.age[rows] = 0
    f.loss_years[rows] = 0
    f.partner_firm[rows] = -1
    f.partner_inst[rows] = -1
    f.partner_years[rows] = 0
