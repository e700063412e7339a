"""Markets: wages, unit costs, prices with scarcity mark-ups, and clearing by destination.

Each destination-category market's demand for the cluster's goods (``abm.demand``) is shared
among the firms selling there in proportion to a logit attraction on their relative
effective price (price plus consumers' willingness to pay for lower emissions), weighted by
the capacity a firm has in the category and by its demand appeal (a persistent AR(1) taste
shock, :func:`drift_appeal`). No firm sells more than its capacity: demand a
capped firm cannot serve goes to the others in proportion to their attraction
(:func:`capped_proportional`), and what no firm can serve is unmet. Export destinations
clear first, the domestic market takes the capacity left.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from scipy import special

from abm import abatement
from abm import market_loops as loops
from abm.categories import (
    BASE_EMISSION,
    KNOWLEDGE_INTENSIVE,
    LABOUR_COST,
    MARKUP,
    MATERIAL_COST,
    N_DEST,
    USD_PER_MILLION,
    by_category,
    energy_cost,
    outer_by_category,
    per_category,
    scale_rows,
)
from abm.demand import DemandSystem, cluster_share
from abm.params import Params


def wage(mean_productivity: float, start_productivity: float, elasticity: float) -> float:
    """Wage index (start year = 1): follows the cluster's mean labour productivity."""
    return float((mean_productivity / start_productivity) ** elasticity)


def knowledge_boost(knowledge: np.ndarray | None, elasticity: float, n: int) -> np.ndarray:
    """Knowledge's factor on labour productivity in the knowledge-intensive categories,
    ``knowledge^elasticity`` (knowledge 1 = reference; 1 without knowledge)."""
    if knowledge is None or not elasticity:
        return np.ones(n)
    return np.maximum(knowledge, 1e-6) ** elasticity


def unit_costs(
    productivity: np.ndarray,
    emis: np.ndarray,
    carbon_price: float,
    wage_index: float = 1.0,
    knowledge: np.ndarray | None = None,
    knowledge_elasticity: float = 0.0,
    energy: np.ndarray | None = None,
    energy_price: float = 0.0,
) -> np.ndarray:
    """Unit cost per firm and category: wage x labour / productivity + materials and
    energy + carbon.

    In the knowledge-intensive categories (TIB, DS) labour productivity is also raised by
    the firm's knowledge, ``x knowledge^knowledge_elasticity`` (knowledge 1 = reference).
    ``emis`` is t CO2 per USD m of output, ``carbon_price`` USD per tonne; ``energy`` the
    firm's energy use per unit of output (1 = the start-year technology, whose energy cost
    at ``energy_price`` USD per t CO2 is part of ``MATERIAL_COST``); the result is in USD m
    per USD m of output at base cost.
    """
    n = len(productivity)
    return loops.unit_costs(
        productivity,
        knowledge_boost(knowledge, knowledge_elasticity, n),
        KNOWLEDGE_INTENSIVE,
        wage_index * LABOUR_COST,
        MATERIAL_COST,
        np.ones(n) if energy is None else energy,
        energy_cost(energy_price),
        emis,
        carbon_price,
        USD_PER_MILLION,
    )


def capped_proportional(demand: np.ndarray, weight: np.ndarray, cap: np.ndarray) -> np.ndarray:
    """Share ``demand`` (k,) among firms by ``weight`` (n, k), capped by ``cap`` (n, k).

    The result is ``q = min(cap, lam * weight)`` per column, with ``lam`` chosen so that
    the column sums to ``min(demand, sum of caps over firms with weight > 0)``: uncapped
    firms keep shares proportional to their weights. Solved by water-filling: firms whose
    proportional share would exceed their capacity get their capacity, the rest share what
    is left, until no share exceeds a capacity (each pass O(n); few passes in practice).
    This is how :meth:`Market.allocate` clears each market (:func:`abm.market_loops.clear`).
    """
    weight = np.ascontiguousarray(weight, dtype=float)
    q = np.zeros(weight.shape)
    rest = np.array(cap, dtype=float)
    rows = np.arange(len(weight))
    loops.clear(weight, rows, np.asarray(demand, float), rest, np.zeros(weight.shape), q)
    return q


def column_median(a: np.ndarray) -> np.ndarray:
    """``np.median(a, axis=0)`` of a 2-D array, the same numbers with one partition pass."""
    h = len(a) // 2
    if len(a) == 0 or np.isnan(a).any():
        return np.median(a, axis=0)
    part = np.array(a.T, order="C")  # a copy: partitioning must not reorder the caller's a
    part.partition(h, axis=1)
    upper = part[:, h]
    if len(a) % 2:
        return upper
    return (part[:, :h].max(1) + upper) / 2.0


def attraction(
    price: np.ndarray,
    cap: np.ndarray,
    seller: np.ndarray | None,
    beta: float,
    p_mean: np.ndarray | None = None,
) -> np.ndarray:
    """Logit attraction of each firm in each category of one market.

    ``cap * exp(-beta * (p / p_mean - 1))`` on effective prices, where ``cap`` is the
    firm's weight (capacity times demand appeal, ``Market.weight``) and ``p_mean`` the
    capacity-weighted mean effective price of the sellers (``Market.p_mean``; computed from
    ``cap`` and the ``seller`` mask when not given). Every firm gets a value: a
    non-seller's is the attraction it would have if it sold there.
    """
    if p_mean is None:
        capw = cap if seller is None else cap * seller[:, None]
        p_mean = per_category(capw, price) / np.maximum(per_category(capw), 1e-12)
    if np.any(p_mean <= 0):  # no seller in a category: compare with the median price
        fallback = column_median(price) if len(price) else np.ones(price.shape[1])
        p_mean = np.where(p_mean > 0, p_mean, fallback)
    u = by_category(np.divide, price, p_mean)
    u -= 1.0
    u *= -beta
    np.minimum(u, 50.0, out=u)
    np.exp(u, out=u)  # (numpy's vectorised exp: faster than a compiled loop's)
    u *= cap
    return u


def drift_appeal(
    appeal: np.ndarray, p: Params, rng: np.random.Generator, size: np.ndarray | None = None
) -> np.ndarray:
    """Next year's log demand appeal of each firm: an AR(1),
    ``a' = appeal_persistence x a + shock`` (Foster, Haltiwanger & Syverson 2008):
    customers' taste for a firm's varieties drifts, so its sales grow or shrink beyond what
    its price explains.

    The shock comes in lumps (Sutton 2002; Bottazzi & Secchi 2006): a firm wins and loses
    business opportunities, ``N ~ Poisson(lam)`` of them in a year (drawn by inversion,
    :func:`poisson_events`), each moving its appeal
    by a normal step, so ``shock = s x sqrt(N / lam) x Z``. A firm of the median size has
    ``lam = appeal_events`` and ``s = appeal_volatility``; a larger firm has more customers,
    each a smaller part of its sales: ``lam`` grows as ``(size / median) ^ (2 e)`` and ``s``
    falls as ``(size / median) ^ -e``, ``e = appeal_size_elasticity`` (Stanley et al. 1996).
    Few opportunities give a small firm's growth fat (Laplace-like) tails; many give a
    large firm's nearly normal, smaller shocks. ``size`` is each firm's capacity; without
    it every firm is of the median size.
    """
    n = len(appeal)
    lam = np.full(n, float(p.appeal_events))
    scale = np.full(n, float(p.appeal_volatility))
    if size is not None and p.appeal_size_elasticity and n:
        median = column_median(size[:, None])[0]
        if median > 0:
            relative = np.maximum(size, 1e-12 * median) / median
            lam *= relative ** (2.0 * p.appeal_size_elasticity)
            scale *= relative**-p.appeal_size_elasticity
    events = poisson_events(rng.random(n), lam)
    z = rng.standard_normal(n)
    return p.appeal_persistence * appeal + scale * np.sqrt(events / lam) * z


#: Mean above which a Poisson draw is read off its normal approximation.
POISSON_NORMAL_ABOVE = 100.0


def poisson_events(u: np.ndarray, lam: np.ndarray) -> np.ndarray:
    """Poisson(``lam``) draws by inversion of the uniforms ``u``: each draw uses exactly
    its own uniform, so runs whose firms differ in size still give each firm row the same
    luck (common random numbers); above :data:`POISSON_NORMAL_ABOVE` the quantile of the
    normal approximation (mean and variance ``lam``, rounded, at least 0)."""
    big = lam > POISSON_NORMAL_ABOVE
    out = loops.poisson_quantile(u, np.where(big, 0.0, lam)).astype(float)
    if big.any():
        x = lam[big] + np.sqrt(lam[big]) * special.ndtri(u[big])
        out[big] = np.maximum(np.floor(x + 0.5), 0.0)
    return out


def update_scarcity(
    scarcity: np.ndarray,
    utilisation: np.ndarray,
    target: float,
    speed: float,
    shortage_speed: float = 0.0,
    sensitivity: float | np.ndarray = 0.0,
) -> np.ndarray:
    """Next year's mark-up factor of each firm.

    The log change is ``speed x (U - target) + shortage_speed x max(U - 1, 0)``, where ``U``
    is the demand directed at the firm over its capacity: a busy firm raises its price, an
    idle one cuts it, and one turning customers away rations by price faster. A rise is at
    most ``log(U / target) / sensitivity``, the rise that brings the firm's own demand back
    to its target utilisation at the logit's price ``sensitivity`` (the rivals' prices
    given): a firm far cheaper than its rivals does not overshoot to a price that loses all
    its customers and then cycle. ``sensitivity`` is a number or one per firm; where it is
    0 rises are uncapped (the caller's choice where rivals have no capacity to spare). The
    factor is kept in [0.8, 2].
    """
    change = speed * (utilisation - target) + shortage_speed * np.maximum(utilisation - 1.0, 0.0)
    capped = (utilisation > target) & (np.asarray(sensitivity) > 0)
    if capped.any():
        sens = np.where(capped, sensitivity, 1.0)
        clearing = np.log(np.maximum(utilisation, target) / target) / sens
        change = np.where(capped, np.minimum(change, clearing), change)
    # above a log change of 5 every factor (>= 0.8) is clipped to 2 anyway: no overflow
    return np.clip(scarcity * np.exp(np.minimum(change, 5.0)), 0.8, 2.0)


#: Share of each category's goods under the EU and UK emission trading systems, which other
#: suppliers in those markets pay whatever the CBAM covers: the heavy industries of the
#: resource-intensive goods (EU ETS Directive 2003/87/EC, Annex I).
ETS_COVERAGE = np.array([0.0, 1.0, 0.0, 0.0])


def capacity_mean(f, values: np.ndarray) -> float:
    """Capacity-weighted mean over the firms of a per-firm array, such as the green level or
    energy use (plain mean when no capacity is left)."""
    total = float(f.capacity.sum())
    return float((values * f.capacity).sum() / total) if total > 0 else float(values.mean())


@dataclass
class Fringe:
    """The other suppliers of each destination-category market: imports and non-cluster
    producers at home, other exporters abroad. Their base price is the cluster's start-year
    cost-based price; they pay the destination's carbon price on the goods its emission
    trading covers (``ETS_COVERAGE``: resource-intensive goods in the EU and the UK,
    whatever the CBAM covers; the domestic price on all goods at home) and the running cost
    of their abatement (``abm.abatement``); abroad they
    decarbonise at ``foreign_abatement_rate``, at home as the cluster does. Energy-saving
    technology is traded worldwide: everywhere they use the cluster's mean energy per unit
    of output, and pay for it at ``energy_price``; at home their power comes from the same
    grid as the cluster's (``Policy.energy_carbon``)."""

    base_price: np.ndarray  # (K,) USD m per USD m of output
    green0: float  # their start-year green level

    @classmethod
    def from_population(cls, f, p: Params) -> Fringe:
        """Fringe prices and technology like the cluster's average in the start year."""
        cap = f.capacity[:, None] * f.mix
        cost = LABOUR_COST / f.productivity[:, None] + MATERIAL_COST
        weight = per_category(cap)
        mean = np.divide(per_category(cap, cost), weight, out=cost.mean(0), where=weight > 0)
        return cls((1.0 + MARKUP) * mean, capacity_mean(f, f.green))

    def green(self, p: Params, t: int, home_green: float | None = None) -> np.ndarray:
        """(D,) the fringe's green level in each destination in year ``t``: the world trend
        abroad, the cluster's mean ``home_green`` at home when given."""
        abroad = 1.0 - (1.0 - self.green0) * (1.0 - p.foreign_abatement_rate) ** max(t, 0)
        green = np.full(N_DEST, abroad)
        if home_green is not None:
            green[0] = home_green
        return green

    def prices(
        self,
        pol,
        p: Params,
        t: int,
        home_green: float | None = None,
        energy: float = 1.0,
    ) -> np.ndarray:
        """(D, K) the fringe's effective prices (carbon costs and green WTP included), with
        green levels from :meth:`green` and energy use per unit of output ``energy``: its
        base price falls by the marked-up energy it saves, and at home its energy carries
        the grid's ``pol.energy_carbon``."""
        green = self.green(p, t, home_green)
        content = np.full(N_DEST, energy)  # CO2 of their energy per unit of output
        content[0] *= pol.energy_carbon  # at home their power is the cluster's grid's
        e = outer_by_category((1.0 - green) * content, BASE_EMISSION)
        cover = np.ones_like(e)
        cover[1:] = ETS_COVERAGE[None, :]
        carbon = pol.carbon_prices[:, None] * cover * e
        running = abatement.unit_cost(green, pol.backstop, p.abatement_exponent, content)
        saving = (1.0 + MARKUP) * (1.0 - energy) * energy_cost(p.energy_price)
        return (
            (self.base_price - saving)[None, :]
            + running
            + (carbon + pol.green_wtp[:, None] * e) / USD_PER_MILLION
        )


def varieties(mix: np.ndarray, capacity: np.ndarray) -> np.ndarray:
    """(K,) the cluster's varieties in each category (Krugman 1980; Melitz 2003): each firm
    is one variety spread over its categories by its product mix, counted in full from the
    median firm's size up and in proportion to its size below it, as a small firm's goods
    reach only part of a market's buyers (Arkolakis 2010; Eaton, Kortum & Kramarz 2011).
    Relative to the start year's, raised to ``variety_elasticity``, they scale the
    cluster's weight in every market (``abm.demand``)."""
    if not len(capacity):
        return np.zeros(mix.shape[1])
    median = column_median(capacity[:, None])[0]
    reach = np.minimum(capacity / median, 1.0) if median > 0 else np.ones(len(capacity))
    return per_category(scale_rows(mix, reach))


def _destination(inputs: tuple, d: int, rows: np.ndarray) -> tuple:
    """The leading arguments of :func:`abm.market_loops.quote` and
    :func:`abm.market_loops.would_be` for the firms ``rows`` in destination ``d``, from a
    market's inputs (see :meth:`Market.build`)."""
    unit_cost, trade_unit, emis, cbam, base, markup, norm, pass_through, premium = inputs
    return (
        rows,
        d > 0,
        unit_cost,
        trade_unit,
        emis,
        cbam[d],
        base[d],
        markup,
        norm,
        pass_through,
        float(premium[d]),
    )


def _unset() -> np.ndarray:
    """An empty array: a market quantity not computed yet this year."""
    return np.empty(0)


@dataclass
class Market:
    """One year's costs, prices and clearing of every destination-category market.

    ``rows[d]`` lists the firms that sell in destination ``d`` (every firm at home,
    exporters abroad); ``price[d]``, ``eff[d]`` and ``unit_margin[d]`` hold one row per
    seller there. What a firm not selling there would ask and earn is quoted on demand
    (:meth:`quote`).
    """

    cap: np.ndarray  # (n, K) capacity by category
    price: list[np.ndarray]  # per destination (sellers, K)
    eff: list[np.ndarray]  # per destination (sellers, K): price + green WTP x emissions
    p_cluster: np.ndarray  # (D, K) cluster sellers' mean effective price
    p_sellers: np.ndarray  # (D, K) cluster sellers' mean price
    margin: np.ndarray  # (D, K) extensive margin: varieties x share of capacity selling there
    p_fringe: np.ndarray  # (D, K) fringe's effective price
    carbon_price: float
    cbam_rate: np.ndarray  # (D, K) USD/t
    wtp: np.ndarray  # (D,) USD/t
    beta: float
    unit_margin: list[np.ndarray]  # per destination (sellers, K): price - delivered unit cost
    rows: list[np.ndarray]  # per destination, the sellers' rows
    _quote_inputs: tuple  # what :meth:`quote` prices from
    share: np.ndarray = field(default_factory=_unset)  # (D, K) cluster's expenditure share
    index: np.ndarray = field(default_factory=_unset)  # (D, K) category price index
    expenditure: np.ndarray = field(default_factory=_unset)  # (D, K) USD m
    demand: np.ndarray = field(
        default_factory=_unset
    )  # (D, K) demand for the cluster, USD m at base cost
    unmet: np.ndarray = field(default_factory=_unset)  # (K,) demand no cluster firm could serve
    utilisation: np.ndarray = field(
        default_factory=_unset
    )  # (K,) demand for the cluster over its capacity
    directed: np.ndarray = field(
        default_factory=_unset
    )  # (n,) demand directed at each firm, served or not
    kappa: np.ndarray | None = None  # (D, K) the cluster's weight against the fringe
    sigma: float = 4.0  # trade elasticity
    attraction_total: np.ndarray = field(default_factory=_unset)  # (D, K) sellers' total attraction
    p_mean: np.ndarray = field(
        default_factory=_unset
    )  # (D, K) sellers' capacity-weighted mean effective price
    weight: np.ndarray = field(
        default_factory=_unset
    )  # (n, K) capacity x demand appeal: a firm's weight in the logit attraction
    energy_carbon: float = 1.0  # CO2 of a unit of the cluster's energy, start year = 1
    backstop: float = math.nan  # this year's backstop price (abm.abatement), USD/t
    cap_total: np.ndarray = field(default_factory=_unset)  # (K,) capacity by category
    varieties: np.ndarray | float = 1.0  # (K,) varieties over the start year's, ^ elasticity

    @classmethod
    def build(
        cls,
        f,
        unit_cost: np.ndarray,
        trade_unit: np.ndarray,
        emis: np.ndarray,
        pol,
        markup: np.ndarray,
        p_fringe: np.ndarray,
        p: Params,
        varieties: np.ndarray | float = 1.0,
    ) -> Market:
        """Costs and prices of this year for every destination. A unit's delivered cost
        is the firm's unit cost, plus the CBAM per unit where the destination charges one,
        plus trade cost abroad; its price a mark-up on a blend of that cost and the
        category's capacity-weighted mean of it (``cost_pass_through``), times the firm's
        scarcity factor ``markup``: a firm passes on only part of a cost advantage (or
        handicap), so more productive and cleaner firms earn higher margins.
        ``varieties`` (K,): the cluster's varieties in each category over the start
        year's, to the power ``variety_elasticity`` (see :func:`varieties`), which scale
        its extensive margin everywhere."""
        n = f.n
        cap, cap_total, weighted, plain = loops.capacity_costs(
            f.mix, f.capacity, unit_cost, trade_unit, emis
        )
        cbam = pol.cbam_rate / USD_PER_MILLION  # (D, K) per t CO2, USD m
        abroad = (np.arange(N_DEST) > 0)[:, None]
        ok = cap_total > 0
        mean = np.where(
            ok,
            (weighted[0] + cbam * weighted[1] + abroad * weighted[2])
            / np.where(ok, cap_total, 1.0),
            (plain[0] + cbam * plain[1] + abroad * plain[2]) / max(n, 1),
        )
        base = (1.0 - p.cost_pass_through) * mean  # (D, K)
        inputs = (
            unit_cost,
            trade_unit,
            emis,
            cbam,
            base,
            np.array(markup, float),  # a copy: mark-ups move after the market is priced
            1.0 + MARKUP,
            p.cost_pass_through,
            pol.green_wtp / USD_PER_MILLION,
        )
        rows, price, eff, unit_margin = [], [], [], []
        sums = np.empty((3, N_DEST, cap.shape[1]))
        for d in range(N_DEST):
            r = np.arange(n) if d == 0 else np.flatnonzero(f.exports_to[:, d - 1])
            pr, ef, mg, sums[:, d] = loops.quote(*_destination(inputs, d, r), cap)
            rows.append(r)
            price.append(pr)
            eff.append(ef)
            unit_margin.append(mg)
        tot, s_eff, s_price = sums
        nan = np.full(tot.shape, np.nan)
        p_cluster = np.divide(s_eff, tot, out=nan.copy(), where=tot > 0)
        p_sellers = np.divide(s_price, tot, out=nan, where=tot > 0)
        margin = tot / np.maximum(tot[0], 1e-12)[None, :]
        margin *= varieties
        return cls(
            cap,
            price,
            eff,
            p_cluster,
            p_sellers,
            margin,
            p_fringe,
            pol.carbon_price,
            pol.cbam_rate,
            pol.green_wtp,
            p.price_sensitivity,
            unit_margin,
            rows,
            inputs,
            p_mean=s_eff / np.maximum(tot, 1e-12),
            weight=scale_rows(cap, np.exp(f.appeal)) if f.appeal.any() else cap,
            energy_carbon=pol.energy_carbon,
            backstop=pol.backstop,
            cap_total=cap_total,
            varieties=varieties,
        )

    def quote(self, d: int, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Price, effective price and unit margin (len(rows), K) of the firms ``rows`` in
        destination ``d``, whether they sell there or not: what a non-seller would ask and
        earn there, which export decisions weigh."""
        price, eff, margin, _ = loops.quote(*_destination(self._quote_inputs, d, rows), self.cap)
        return price, eff, margin

    def would_be(self, d: int, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The exponential of the logit exponent and the unit margin (len(rows), K) of the
        firms ``rows`` in destination ``d``, whether they sell there or not: the
        attraction a non-seller would have there over its weight (see :meth:`logit`), and
        what it would earn a unit, which export decisions weigh."""
        x, margin = loops.would_be(
            *_destination(self._quote_inputs, d, rows), self.logit_means(d), self.beta
        )
        return np.exp(x, out=x), margin

    def book(self, q: np.ndarray) -> tuple:
        """The year's sales (D, n, K) in money and tonnes: each firm's sales value by
        destination (n, D), emissions (n), CBAM paid (n), production cost (n) and trade
        cost (n); and the quantities sold (D, K), the sales value of each category (K)
        and the emissions embedded in each destination's purchases (D)."""
        unit_cost, trade_unit, emis, cbam = self._quote_inputs[:4]
        n, k = self.cap.shape
        sales = np.zeros((N_DEST, n))
        emissions, cbam_paid, production, trade_costs = (np.zeros(n) for _ in range(4))
        sold, value = np.zeros((N_DEST, k)), np.zeros(k)
        embedded = np.zeros(N_DEST)
        for d in range(N_DEST):
            embedded[d] = loops.book_destination(
                self.rows[d],
                d > 0,
                self.price[d],
                q[d],
                emis,
                cbam[d],
                unit_cost,
                trade_unit,
                sales[d],
                emissions,
                cbam_paid,
                production,
                trade_costs,
                sold[d],
                value,
            )
        return sales.T.copy(), emissions, cbam_paid, production, trade_costs, sold, value, embedded

    def margins(self, q: np.ndarray, coef: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Unit margin x sales (D, n, K) summed three ways: by firm and category over
        destinations (n, K); by firm and destination (n, D); and over destinations
        weighted by ``coef`` (D, K) (n, K)."""
        n, k = self.cap.shape
        earned, won = np.zeros((n, k)), np.zeros((n, k))
        by_dest = np.zeros((N_DEST, n))
        for d in range(N_DEST):
            loops.margin_destination(
                self.rows[d], self.unit_margin[d], q[d], coef[d], earned, by_dest[d], won
            )
        return earned, by_dest.T.copy(), won

    def demand_for_cluster(self, demand: DemandSystem, t: int, p: Params) -> None:
        """Category expenditure in each destination and the cluster's part of it."""
        if demand.kappa is None:
            raise RuntimeError("the demand system is not calibrated yet (see calibrate)")
        self.kappa, self.sigma = demand.kappa, demand.sigma
        self.share, self.index = cluster_share(
            demand.kappa, self.margin, self.p_cluster, self.p_fringe, demand.sigma
        )
        self.expenditure = demand.expenditure(t, self.index)
        value = self.expenditure * self.share
        self.demand = np.divide(
            value, self.p_sellers, out=np.zeros_like(value), where=np.isfinite(self.p_sellers)
        )

    def logit(self, d: int, eff: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """The logit attraction (len(rows), K) of the firms ``rows`` at effective prices
        ``eff`` (one row per firm) in destination ``d`` (:func:`attraction` against the
        sellers' mean effective price): a non-seller's is the attraction it would have if
        it sold there, which export decisions use."""
        weight = self.weight if len(rows) == len(self.weight) else self.weight.take(rows, 0)
        return attraction(eff, weight, None, self.beta, self.logit_means(d))

    def logit_means(self, d: int) -> np.ndarray:
        """(K,) the prices the logit compares with in destination ``d``: the sellers' mean
        effective price, or where a category has no seller the median firm's."""
        p_mean = self.p_mean[d]
        if np.any(p_mean <= 0):
            n = len(self.cap)
            everyone = self.eff[0] if d == 0 else self.quote(d, np.arange(n))[1]
            fallback = column_median(everyone) if n else 1.0
            p_mean = np.where(p_mean > 0, p_mean, fallback)
        return p_mean

    def allocate(self, f, beta: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Share each market's demand among its sellers (export markets first), capped by
        the capacity left; return sales (D, n, K), exports and output (n, K), and each
        firm's demand by category (n, K): what it sold plus the customers it turned away
        that no other firm served."""
        q = np.zeros((N_DEST, f.n, self.cap.shape[1]))
        directed = np.zeros_like(self.cap)
        rest = self.cap.copy()
        self.attraction_total = np.zeros_like(self.demand)
        for d in (*range(1, N_DEST), 0):  # export markets first, home takes what is left
            rows = self.rows[d]
            u = self.logit(d, self.eff[d], rows)
            self.attraction_total[d] = loops.clear(u, rows, self.demand[d], rest, directed, q[d])
        q_for, output, self.unmet, self.directed, demand = loops.settle(
            q, tuple(self.rows[1:]), self.demand.sum(0), directed
        )
        cap_total = self.cap_total if len(self.cap_total) else per_category(self.cap)
        self.utilisation = self.demand.sum(0) / np.maximum(cap_total, 1e-12)
        return q, q_for, output, demand
