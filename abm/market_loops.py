"""Compiled loops of the market stages (:class:`abm.markets.Market`): a year's delivered costs
and prices in every destination, the logit attraction of each firm, and the capped
proportional sharing of each market's demand among its sellers. The mechanisms are described
where they are used, in :mod:`abm.markets`; these loops compute them in one or two passes
over the firms."""

from __future__ import annotations

import numpy as np

from abm.jit import njit


@njit
def price_markets(
    mix: np.ndarray,
    capacity: np.ndarray,
    unit_cost: np.ndarray,
    trade_unit: np.ndarray,
    emis: np.ndarray,
    cbam_rate: np.ndarray,
    markup: np.ndarray,
    norm_markup: np.ndarray,
    pass_through: float,
    wtp: np.ndarray,
    exports_to: np.ndarray,
    usd_per_million: float,
):
    """Capacity by category, and price, effective price and unit margin in every
    destination (see :meth:`abm.markets.Market.build`); and each destination's sellers,
    their capacity and their capacity-weighted sums of effective and asking prices.

    A unit's delivered cost is the firm's unit cost, plus the CBAM per unit where the
    destination charges one, plus trade cost abroad; it is computed twice (for the
    category means, then for the prices) rather than stored."""
    n, k_n = mix.shape
    d_n = cbam_rate.shape[0]
    cap = np.empty((n, k_n))
    cap_total = np.zeros(k_n)
    for i in range(n):
        for k in range(k_n):
            c = mix[i, k] * capacity[i]
            cap[i, k] = c
            cap_total[k] += c
    base = np.empty((d_n, k_n))  # (1 - pass-through) x each category's mean cost
    cost_sum = np.zeros(k_n)  # capacity-weighted
    cost_plain = np.zeros(k_n)  # unweighted, for a category with no capacity
    for d in range(d_n):
        rate = cbam_rate[d] / usd_per_million  # CBAM per t, USD m
        cost_sum[:] = 0.0
        cost_plain[:] = 0.0
        for i in range(n):
            for k in range(k_n):
                x = unit_cost[i, k] + emis[i, k] * rate[k] + (trade_unit[i, k] if d else 0.0)
                cost_sum[k] += cap[i, k] * x
                cost_plain[k] += x
        for k in range(k_n):
            total = cap_total[k]
            mean = cost_sum[k] / total if total > 0 else cost_plain[k] / max(n, 1)
            base[d, k] = (1.0 - pass_through) * mean
    price = np.empty((d_n, n, k_n))
    eff = np.empty((d_n, n, k_n))
    margin = np.empty((d_n, n, k_n))
    seller = np.empty((d_n, n), np.bool_)
    tot = np.zeros((d_n, k_n))
    s_eff = np.zeros((d_n, k_n))
    s_price = np.zeros((d_n, k_n))
    for d in range(d_n):
        rate = cbam_rate[d] / usd_per_million
        premium = wtp[d] / usd_per_million
        for i in range(n):
            sells = True if d == 0 else exports_to[i, d - 1]
            seller[d, i] = sells
            for k in range(k_n):
                c = unit_cost[i, k] + emis[i, k] * rate[k] + (trade_unit[i, k] if d else 0.0)
                p = (c * pass_through + base[d, k]) * (markup[i] * norm_markup[k])
                e = p + emis[i, k] * premium
                price[d, i, k] = p
                eff[d, i, k] = e
                margin[d, i, k] = p - c
                if sells:
                    w = cap[i, k]
                    tot[d, k] += w
                    s_eff[d, k] += w * e
                    s_price[d, k] += w * p
    return cap, price, eff, margin, seller, tot, s_eff, s_price, cap_total


@njit
def appeal_weight(cap: np.ndarray, appeal: np.ndarray) -> np.ndarray:
    """Each firm's weight in the logit: its capacity by category x exp(demand appeal)."""
    n, k_n = cap.shape
    out = np.empty((n, k_n))
    for i in range(n):
        a = np.exp(appeal[i])
        for k in range(k_n):
            out[i, k] = cap[i, k] * a
    return out


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
    ``u`` (one row per seller),
    capped by the capacity they have left ``rest``: sales go to ``q`` (n, K) and out of
    ``rest``; the demand directed at each seller (its attraction share) is added to
    ``directed``. Returns the sellers' total attraction (K,).

    Water-filling (see :func:`abm.markets.capped_proportional`): each seller with weight and
    capacity left gets ``min(capacity, lam x weight)``, with ``lam`` such that the sales add
    up to the demand or to all the capacity left."""
    n_rows = len(rows)
    k_n = u.shape[1]
    total = np.zeros(k_n)
    for j in range(n_rows):
        for k in range(k_n):
            total[k] += u[j, k]
    any_demand = False
    for k in range(k_n):
        if demand[k] > 0:
            any_demand = True
    if not any_demand:
        return total
    for j in range(n_rows):
        r = rows[j]
        for k in range(k_n):
            if total[k] > 0:
                directed[r, k] += u[j, k] / total[k] * demand[k]
    w = np.empty(n_rows)
    m = np.empty(n_rows)
    free = np.empty(n_rows, np.bool_)
    for k in range(k_n):
        dem = demand[k]
        if dem <= 0:
            continue
        caps = 0.0
        for j in range(n_rows):
            r = rows[j]
            wj = max(u[j, k], 0.0) if rest[r, k] > 0 else 0.0
            mj = rest[r, k] if wj > 0 else 0.0
            w[j], m[j] = wj, mj
            free[j] = wj > 0
            caps += mj
        if caps <= dem:  # every seller sells all it has left
            for j in range(n_rows):
                q[rows[j], k] = m[j]
            continue
        left = dem
        while True:
            sw = 0.0
            for j in range(n_rows):
                if free[j]:
                    sw += w[j]
            if sw <= 0:
                break
            ratio = left / sw
            capped = 0.0
            hit = False
            for j in range(n_rows):
                if free[j] and w[j] * ratio >= m[j]:
                    q[rows[j], k] = m[j]
                    capped += m[j]
                    free[j] = False
                    hit = True
            if not hit:
                for j in range(n_rows):
                    if free[j]:
                        q[rows[j], k] = w[j] * ratio
                break
            left -= capped
    for j in range(n_rows):
        r = rows[j]
        for k in range(k_n):
            rest[r, k] -= q[r, k]
    return total


@njit
def settle(q: np.ndarray, wanted: np.ndarray, directed: np.ndarray):
    """After every destination cleared: each firm's exports and output (n, K), the demand
    no firm served (K,), the demand directed at each firm (n,), and each firm's demand by
    category: what it sold plus its share of the customers it turned away that no other
    firm served (the unserved demand shared in proportion to what each turned away)."""
    d_n, n, k_n = q.shape
    q_for = np.zeros((n, k_n))
    output = np.empty((n, k_n))
    served = np.zeros(k_n)
    turned_away = np.zeros(k_n)
    directed_total = np.zeros(n)
    excess = np.empty((n, k_n))
    for i in range(n):
        s = 0.0
        for k in range(k_n):
            x = 0.0
            for d in range(1, d_n):
                x += q[d, i, k]
            q_for[i, k] = x
            sold = q[0, i, k] + x
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
def sales_margins(unit_margin: np.ndarray, q: np.ndarray, coef: np.ndarray):
    """This year's unit margin x sales (D, n, K), summed three ways: by firm and category
    over destinations (n, K); by firm and destination over categories (n, D); and, over
    destinations weighted by ``coef`` (D, K), the margin consumers' green preference wins
    per unit of emissions cut (n, K; see :func:`abm.innovation.green_value_terms`)."""
    d_n, n, k_n = q.shape
    earned = np.zeros((n, k_n))
    by_dest = np.zeros((n, d_n))
    won = np.zeros((n, k_n))
    for d in range(d_n):
        for i in range(n):
            s = 0.0
            for k in range(k_n):
                x = unit_margin[d, i, k] * q[d, i, k]
                earned[i, k] += x
                won[i, k] += x * coef[d, k]
                s += x
            by_dest[i, d] = s
    return earned, by_dest, won


@njit
def book_sales(
    price: np.ndarray,
    q: np.ndarray,
    emis: np.ndarray,
    cbam_rate: np.ndarray,
    unit_cost: np.ndarray,
    trade_unit: np.ndarray,
    usd_per_million: float,
):
    """The year's sales in money and tonnes (see :meth:`abm.model.TradeClusterModel.account`):
    each firm's sales value by destination (n, D), emissions (n), CBAM paid (n), production
    cost (n) and trade cost (n); and the quantities sold (D, K), the sales value of each
    category (K) and the emissions embedded in each destination's purchases (D)."""
    d_n, n, k_n = q.shape
    sales = np.empty((n, d_n))
    emissions = np.zeros(n)
    cbam_paid = np.zeros(n)
    production = np.zeros(n)
    trade_costs = np.zeros(n)
    sold = np.zeros((d_n, k_n))
    value_by_category = np.zeros(k_n)
    emissions_by_dest = np.zeros(d_n)
    for d in range(d_n):
        charged = cbam_rate[d] / usd_per_million
        for i in range(n):
            s = 0.0
            for k in range(k_n):
                x = q[d, i, k]
                v = price[d, i, k] * x
                s += v
                sold[d, k] += x
                value_by_category[k] += v
                tonnes = emis[i, k] * x
                emissions[i] += tonnes
                emissions_by_dest[d] += tonnes
                cbam_paid[i] += tonnes * charged[k]
                production[i] += unit_cost[i, k] * x
                if d:
                    trade_costs[i] += trade_unit[i, k] * x
            sales[i, d] = s
    return (
        sales,
        emissions,
        cbam_paid,
        production,
        trade_costs,
        sold,
        value_by_category,
        emissions_by_dest,
    )


@njit
def unit_costs(
    productivity: np.ndarray,
    knowledge: np.ndarray,
    knowledge_elasticity: float,
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
    wage over productivity (raised by knowledge in the knowledge-intensive categories),
    materials, energy saved against the start-year technology, and carbon."""
    n, k_n = emis.shape
    cost = np.empty((n, k_n))
    for i in range(n):
        boosted = productivity[i]
        if knowledge_elasticity != 0.0:
            boosted = productivity[i] * max(knowledge[i], 1e-6) ** knowledge_elasticity
        saved = 1.0 - energy[i]
        for k in range(k_n):
            prod = boosted if knowledge_intensive[k] else productivity[i]
            c = labour[k] / prod + material[k]
            c -= saved * energy_cost[k]
            cost[i, k] = c + carbon_price * emis[i, k] / usd_per_million
    return cost


#: Largest Poisson mean :func:`poisson_by_inversion` draws (larger ones are left to numpy).
INVERSION_MAX_MEAN = 30.0


@njit
def poisson_by_inversion(lam: np.ndarray, p0: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Poisson counts with means ``lam`` (``p0 = exp(-lam)``) from uniforms ``u`` by
    inversion of the CDF (exact; about ``lam`` steps each); -1 where ``lam`` exceeds
    :data:`INVERSION_MAX_MEAN`."""
    out = np.empty(len(lam), np.int64)
    for i in range(len(lam)):
        if lam[i] > INVERSION_MAX_MEAN:
            out[i] = -1
            continue
        prob = p0[i]
        cdf = prob
        k = 0
        while u[i] > cdf and prob > 0:
            k += 1
            prob *= lam[i] / k
            cdf += prob
        out[i] = k
    return out


@njit
def firm_costs(
    productivity: np.ndarray,
    knowledge: np.ndarray,
    knowledge_elasticity: float,
    knowledge_intensive: np.ndarray,
    labour: np.ndarray,
    material: np.ndarray,
    energy: np.ndarray,
    energy_cost: np.ndarray,
    green: np.ndarray,
    energy_carbon: float,
    base_emission: np.ndarray,
    carbon_price: float,
    backstop: float,
    exponent: float,
    trade_cost: float,
    trade_factor: np.ndarray,
    usd_per_million: float,
):
    """A year's emission intensity, unit cost and trade cost per unit by firm and category
    (see :meth:`abm.model.TradeClusterModel.compute_costs`): emissions are the base
    emissions not abated at the firm's green level, scaled by the CO2 of its energy per
    unit; the unit cost (:func:`unit_costs`) adds the running cost of its abatement
    (:func:`abm.abatement.unit_cost`); trade cost is ``trade_cost`` x unit cost x the
    firm's ``trade_factor`` (lower on a platform)."""
    n = len(green)
    k_n = len(base_emission)
    emis = np.empty((n, k_n))
    running = np.empty(n)  # abatement cost per unit of base emissions
    for i in range(n):
        carbon = energy[i] * energy_carbon
        g = min(max(green[i], 0.0), 1.0)
        running[i] = g**exponent * backstop / exponent / usd_per_million * carbon
        left = (1.0 - green[i]) * carbon
        for k in range(k_n):
            emis[i, k] = left * base_emission[k]
    cost = unit_costs(
        productivity,
        knowledge,
        knowledge_elasticity,
        knowledge_intensive,
        labour,
        material,
        energy,
        energy_cost,
        emis,
        carbon_price,
        usd_per_million,
    )
    trade = np.empty((n, k_n))
    for i in range(n):
        for k in range(k_n):
            c = cost[i, k] + running[i] * base_emission[k]
            cost[i, k] = c
            trade[i, k] = trade_cost * c * trade_factor[i]
    return emis, cost, trade
