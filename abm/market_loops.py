"""Compiled loops of the market stages (:class:`abm.markets.Market`): a year's unit and
delivered costs and prices in every destination (a would-be seller's too), the capped
proportional sharing of each market's demand among its sellers, and the year's accounts and
margins by destination. The mechanisms are described where they are used, in
:mod:`abm.markets` and :mod:`abm.model`; these loops compute them in one or two passes over
the firms (exponentials stay in numpy, which is faster at them)."""

from __future__ import annotations

import numpy as np

from abm.jit import njit


@njit
def capacity_costs(
    mix: np.ndarray,
    capacity: np.ndarray,
    unit_cost: np.ndarray,
    trade_unit: np.ndarray,
    emis: np.ndarray,
):
    """Capacity by firm and category (n, K) and its total (K,); and, over all firms, the
    sums (3, K) of unit cost, emission intensity and trade cost per unit weighted by
    capacity, and unweighted (for a category with no capacity): what the category mean of
    a delivered unit cost (:func:`quote`) is made of."""
    n, k_n = mix.shape
    cap = np.empty((n, k_n))
    total = np.zeros(k_n)
    weighted = np.zeros((3, k_n))
    plain = np.zeros((3, k_n))
    for i in range(n):
        for k in range(k_n):
            c = mix[i, k] * capacity[i]
            cap[i, k] = c
            total[k] += c
            weighted[0, k] += c * unit_cost[i, k]
            weighted[1, k] += c * emis[i, k]
            weighted[2, k] += c * trade_unit[i, k]
            plain[0, k] += unit_cost[i, k]
            plain[1, k] += emis[i, k]
            plain[2, k] += trade_unit[i, k]
    return cap, total, weighted, plain


@njit
def _cell(
    unit_cost: float,
    emis: float,
    cbam: float,
    trade: float,
    abroad: bool,
    base: float,
    markup: float,
    pass_through: float,
    premium: float,
) -> tuple[float, float, float]:
    """One firm's unit of one category in one destination: its delivered cost (the unit
    cost, the CBAM on its emissions, trade cost ``abroad``), its asking price (the mark-up
    on ``pass_through`` x that cost plus ``base``, (1 - pass-through) x the category's mean
    delivered cost) and its effective price (``premium``, consumers' WTP per t, x its
    emissions on top)."""
    c = unit_cost + emis * cbam
    if abroad:
        c += trade
    p = (c * pass_through + base) * markup
    return c, p, p + emis * premium


@njit
def would_be(
    rows: np.ndarray,
    abroad: bool,
    unit_cost: np.ndarray,
    trade_unit: np.ndarray,
    emis: np.ndarray,
    cbam: np.ndarray,
    base: np.ndarray,
    markup: np.ndarray,
    norm_markup: np.ndarray,
    pass_through: float,
    premium: float,
    p_mean: np.ndarray,
    beta: float,
):
    """For the firms ``rows`` in one destination (arguments as :func:`quote`'s): the
    exponent of their logit attraction, ``-beta x (eff / p_mean - 1)`` capped at 50, and
    their unit margin (len(rows), K each)."""
    k_n = unit_cost.shape[1]
    x = np.empty((len(rows), k_n))
    margin = np.empty((len(rows), k_n))
    for j in range(len(rows)):
        i = rows[j]
        for k in range(k_n):
            c, p, e = _cell(
                unit_cost[i, k],
                emis[i, k],
                cbam[k],
                trade_unit[i, k],
                abroad,
                base[k],
                markup[i] * norm_markup[k],
                pass_through,
                premium,
            )
            x[j, k] = min(-beta * (e / p_mean[k] - 1.0), 50.0)
            margin[j, k] = p - c
    return x, margin


@njit
def quote(
    rows: np.ndarray,
    abroad: bool,
    unit_cost: np.ndarray,
    trade_unit: np.ndarray,
    emis: np.ndarray,
    cbam: np.ndarray,
    base: np.ndarray,
    markup: np.ndarray,
    norm_markup: np.ndarray,
    pass_through: float,
    premium: float,
    cap: np.ndarray,
):
    """Price, effective price and unit margin (len(rows), K) of the firms ``rows`` in one
    destination (see :meth:`abm.markets.Market.build`); and their capacity and its
    weighted sums of effective and asking prices (3, K). ``cbam`` (K,): the CBAM per t;
    ``base`` (K,): (1 - pass-through) x each category's mean delivered cost; each firm's
    mark-up is ``markup x norm_markup``; the unit's prices are :func:`_cell`'s."""
    k_n = unit_cost.shape[1]
    price = np.empty((len(rows), k_n))
    eff = np.empty((len(rows), k_n))
    margin = np.empty((len(rows), k_n))
    sums = np.zeros((3, k_n))
    for j in range(len(rows)):
        i = rows[j]
        for k in range(k_n):
            c, p, e = _cell(
                unit_cost[i, k],
                emis[i, k],
                cbam[k],
                trade_unit[i, k],
                abroad,
                base[k],
                markup[i] * norm_markup[k],
                pass_through,
                premium,
            )
            price[j, k] = p
            eff[j, k] = e
            margin[j, k] = p - c
            w = cap[i, k]
            sums[0, k] += w
            sums[1, k] += w * e
            sums[2, k] += w * p
    return price, eff, margin, sums


@njit
def book_destination(
    rows: np.ndarray,
    abroad: bool,
    price: np.ndarray,
    q: np.ndarray,
    emis: np.ndarray,
    cbam: np.ndarray,
    unit_cost: np.ndarray,
    trade_unit: np.ndarray,
    sales: np.ndarray,
    emissions: np.ndarray,
    cbam_paid: np.ndarray,
    production: np.ndarray,
    trade_costs: np.ndarray,
    sold: np.ndarray,
    value: np.ndarray,
) -> float:
    """Add one destination's sales by its sellers ``rows`` (``price``: one row per seller;
    ``q`` (n, K)) to the year's accounts, in place: each firm's sales value (``sales``, its
    column for the destination), emissions, CBAM paid (``cbam``: per t, USD m), production
    and trade costs; the quantities sold (K,) and the sales value of each category (K,).
    Returns the emissions embedded in the destination's purchases, t CO2."""
    k_n = q.shape[1]
    embedded = 0.0
    for j in range(len(rows)):
        i = rows[j]
        s = 0.0
        for k in range(k_n):
            x = q[i, k]
            v = price[j, k] * x
            s += v
            sold[k] += x
            value[k] += v
            tonnes = emis[i, k] * x
            emissions[i] += tonnes
            embedded += tonnes
            cbam_paid[i] += tonnes * cbam[k]
            production[i] += unit_cost[i, k] * x
            if abroad:
                trade_costs[i] += trade_unit[i, k] * x
        sales[i] = s
    return embedded


@njit
def margin_destination(
    rows: np.ndarray,
    unit_margin: np.ndarray,
    q: np.ndarray,
    coef: np.ndarray,
    earned: np.ndarray,
    by_dest: np.ndarray,
    won: np.ndarray,
) -> None:
    """Add one destination's unit margin x sales of its sellers ``rows`` (``unit_margin``:
    one row per seller; ``q`` (n, K)), in place: to each firm's margin by category
    ``earned`` (n, K), to its margin there ``by_dest`` (n,), and, weighted by ``coef`` (K,),
    to the margin consumers' green preference wins per unit of emissions cut ``won`` (n, K;
    see :func:`abm.innovation.green_value_terms`)."""
    k_n = q.shape[1]
    for j in range(len(rows)):
        i = rows[j]
        s = 0.0
        for k in range(k_n):
            x = unit_margin[j, k] * q[i, k]
            earned[i, k] += x
            won[i, k] += x * coef[k]
            s += x
        by_dest[i] = s


@njit
def clear(
    u: np.ndarray,
    rows: np.ndarray,
    demand: np.ndarray,
    rest: np.ndarray,
    directed: np.ndarray,
    q: np.ndarray,
) -> np.ndarray:
    """Share one destination's demand (K,) among its sellers ``rows`` by their attraction
    ``u`` (one row per seller), capped by the capacity they have left ``rest``: sales go to
    ``q`` (n, K) and out of ``rest``; the demand directed at each seller (its attraction
    share) is added to ``directed``. Returns the sellers' total attraction (K,)."""
    n_rows = len(rows)
    k_n = u.shape[1]
    total = np.zeros(k_n)
    for j in range(n_rows):
        for k in range(k_n):
            total[k] += u[j, k]
    if not (demand > 0).any():
        return total
    for j in range(n_rows):
        r = rows[j]
        for k in range(k_n):
            if total[k] > 0:
                directed[r, k] += u[j, k] / total[k] * demand[k]
    w = np.empty(n_rows)
    m = np.empty(n_rows)
    free = np.empty(n_rows, np.int64)
    for k in range(k_n):
        if demand[k] > 0:
            _water_fill(u, rows, k, demand[k], rest, q, w, m, free)
    for j in range(n_rows):
        r = rows[j]
        for k in range(k_n):
            rest[r, k] -= q[r, k]
    return total


@njit
def _water_fill(u, rows, k, demand, rest, q, w, m, free) -> None:
    """Category ``k`` of :func:`clear` (see :func:`abm.markets.capped_proportional`): each
    seller with weight and capacity left gets ``min(capacity, lam x weight)``, with ``lam``
    such that the sales add up to the demand or to all the capacity left. ``w``, ``m`` and
    ``free`` are work arrays, one entry per seller."""
    n_rows = len(rows)
    caps = 0.0
    n_free = 0  # the sellers still sharing are free[:n_free], by position in rows
    weights = 0.0  # their weights' sum
    for j in range(n_rows):
        r = rows[j]
        wj = max(u[j, k], 0.0) if rest[r, k] > 0 else 0.0
        mj = rest[r, k] if wj > 0 else 0.0
        w[j], m[j] = wj, mj
        caps += mj
        if wj > 0:
            free[n_free] = j
            n_free += 1
            weights += wj
    if caps <= demand:  # every seller sells all it has left
        for j in range(n_rows):
            q[rows[j], k] = m[j]
        return
    left = demand
    while n_free > 0 and weights > 0:
        ratio = left / weights
        capped = 0.0
        still = 0
        weights = 0.0
        for t in range(n_free):  # the capped get their capacity, the others go on
            j = free[t]
            if w[j] * ratio >= m[j]:
                q[rows[j], k] = m[j]
                capped += m[j]
            else:
                free[still] = j
                still += 1
                weights += w[j]
        if still == n_free:  # nobody capped: the rest share in proportion
            for t in range(n_free):
                j = free[t]
                q[rows[j], k] = w[j] * ratio
            return
        n_free = still
        left -= capped


@njit
def settle(q: np.ndarray, exporters, wanted: np.ndarray, directed: np.ndarray):
    """After every destination cleared: each firm's exports (the sales of ``exporters``,
    each export destination's sellers) and output (n, K), the demand
    no firm served (K,), the demand directed at each firm (n,), and each firm's demand by
    category: what it sold plus its share of the customers it turned away that no other
    firm served (the unserved demand shared in proportion to what each turned away)."""
    d_n, n, k_n = q.shape
    q_for = np.zeros((n, k_n))
    for d in range(1, d_n):  # exports: only the destination's sellers sold there
        for i in exporters[d - 1]:
            for k in range(k_n):
                q_for[i, k] += q[d, i, k]
    output = np.empty((n, k_n))
    served = np.zeros(k_n)
    turned_away = np.zeros(k_n)
    directed_total = np.zeros(n)
    excess = np.empty((n, k_n))
    for i in range(n):
        s = 0.0
        for k in range(k_n):
            sold = q[0, i, k] + q_for[i, k]
            output[i, k] = sold
            served[k] += sold
            s += directed[i, k]
            e = max(directed[i, k] - sold, 0.0)
            excess[i, k] = e
            turned_away[k] += e
        directed_total[i] = s
    unmet = np.maximum(wanted - served, 0.0)
    lost = np.zeros(k_n)
    for k in range(k_n):
        if turned_away[k] > 0:
            lost[k] = min(unmet[k] / turned_away[k], 1.0)
    for i in range(n):
        for k in range(k_n):
            excess[i, k] = excess[i, k] * lost[k] + output[i, k]
    return q_for, output, unmet, directed_total, excess


@njit
def unit_costs(
    productivity: np.ndarray,
    boost: np.ndarray,
    knowledge_intensive: np.ndarray,
    labour: np.ndarray,
    material: np.ndarray,
    energy: np.ndarray,
    energy_cost: np.ndarray,
    emis: np.ndarray,
    carbon_price: float,
    usd_per_million: float,
) -> np.ndarray:
    """Unit cost per firm and category (see :func:`abm.markets.unit_costs`): labour at the
    wage over productivity (times ``boost``, knowledge's, in the knowledge-intensive
    categories), materials, energy saved against the start-year technology, and carbon."""
    n, k_n = emis.shape
    cost = np.empty((n, k_n))
    for i in range(n):
        boosted = productivity[i] * boost[i]
        saved = 1.0 - energy[i]
        for k in range(k_n):
            prod = boosted if knowledge_intensive[k] else productivity[i]
            c = labour[k] / prod + material[k]
            c -= saved * energy_cost[k]
            cost[i, k] = c + carbon_price * emis[i, k] / usd_per_million
    return cost


@njit
def firm_costs(
    productivity: np.ndarray,
    boost: np.ndarray,
    knowledge_intensive: np.ndarray,
    labour: np.ndarray,
    material: np.ndarray,
    energy: np.ndarray,
    energy_cost: np.ndarray,
    emis: np.ndarray,
    running: np.ndarray,
    carbon_price: float,
    trade_cost: float,
    trade_factor: np.ndarray,
    usd_per_million: float,
):
    """A year's unit cost and trade cost per unit by firm and category (see
    :meth:`abm.model.TradeClusterModel.compute_costs`): the unit cost of :func:`unit_costs`
    (``boost``: knowledge's factor on productivity) plus the ``running`` cost of abatement
    (:func:`abm.abatement.unit_cost`); trade cost is ``trade_cost`` x unit cost x the
    firm's ``trade_factor`` (lower on a platform)."""
    cost = unit_costs(
        productivity,
        boost,
        knowledge_intensive,
        labour,
        material,
        energy,
        energy_cost,
        emis,
        carbon_price,
        usd_per_million,
    )
    n, k_n = cost.shape
    trade = np.empty((n, k_n))
    for i in range(n):
        for k in range(k_n):
            c = cost[i, k] + running[i, k]
            cost[i, k] = c
            trade[i, k] = trade_cost * c * trade_factor[i]
    return cost, trade


@njit
def poisson_quantile(u: np.ndarray, lam: np.ndarray) -> np.ndarray:
    """The Poisson(``lam``) quantile of each uniform ``u``: the smallest ``k`` whose
    cumulative probability reaches ``u`` (one uniform per draw, whatever ``lam``)."""
    n = len(u)
    out = np.empty(n, np.int64)
    for i in range(n):
        p = np.exp(-lam[i])
        c = p
        k = 0
        while c < u[i] and p > 0.0:
            k += 1
            p *= lam[i] / k
            c += p
        out[i] = k
    return out
