"""Firms' and institutes' state as numpy arrays: one row per firm, one per institute.

Agents are views on these rows (``abm.agents``); mechanisms are functions of these arrays.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from abm.categories import CATEGORIES, DS, N_CAT, N_DEST, TIB, row_sum
from abm.params import Params


@dataclass
class FirmState:
    """State variables (persist across years) and flows (this year's) of all firms."""

    # --- state ---
    cluster: np.ndarray  # int, cluster id
    capacity: np.ndarray  # USD m of output a year
    mix: np.ndarray  # (n, 4) capacity shares over categories, rows sum to 1
    productivity: np.ndarray  # labour productivity, 1 = reference
    energy: np.ndarray  # energy use per unit of output, 1 = the start-year technology
    green: np.ndarray  # green technology level, 0..1 (share of base emissions removed)
    knowledge: np.ndarray  # process knowledge, knowledge units (about 1 at start)
    rd_taste: np.ndarray  # firm's multiplier on its category R&D intensity
    green_rd_share: np.ndarray  # share of R&D aimed at green technology
    exports_to: np.ndarray  # (n, 3) bool, sells in the EU, UK, rest of world
    digital: np.ndarray  # bool, on a cross-border digital platform
    net_worth: np.ndarray  # USD m
    debt: np.ndarray  # USD m
    age: np.ndarray  # years
    loss_years: np.ndarray  # consecutive years with negative net worth
    partner_firm: np.ndarray  # row of the partner firm, -1 if none
    partner_inst: np.ndarray  # index of the partner institute, -1 if none
    partner_years: np.ndarray  # years left in the current collaboration
    markup: np.ndarray  # mark-up factor set by the firm's own excess demand (1 = normal)
    appeal: np.ndarray  # log demand appeal: customers' taste for its varieties (0 = average)
    # --- flows of the current year ---
    q: np.ndarray  # (destinations, n, 4) sales, USD m at base cost
    q_for: np.ndarray  # (n, 4) exports to all destinations, USD m at base cost
    output: np.ndarray  # (n, 4) output by category, USD m at base cost
    export_sales: np.ndarray  # export sales value, USD m
    demand: np.ndarray  # (n, 4) demand for the firm's goods this year (sold + turned away)
    sales: np.ndarray  # (n, destinations) sales value, USD m
    revenue: np.ndarray  # USD m
    cost: np.ndarray  # USD m, all costs incl. carbon, CBAM, R&D, adoption, adjustment
    subsidy: np.ndarray  # USD m received
    profit: np.ndarray  # USD m = revenue - cost + subsidy
    emissions: np.ndarray  # t CO2
    carbon_paid: np.ndarray  # USD m paid at the domestic carbon price
    cbam_paid: np.ndarray  # USD m paid at the border
    rd_spend: np.ndarray  # USD m
    green_rd_spend: np.ndarray  # USD m

    @property
    def n(self) -> int:
        """Number of firm rows."""
        return len(self.capacity)

    @property
    def exporter(self) -> np.ndarray:
        """Firms that sell in at least one export destination."""
        out = self.exports_to[:, 0].copy()
        for j in range(1, self.exports_to.shape[1]):
            out |= self.exports_to[:, j]
        return out

    @property
    def destinations_served(self) -> np.ndarray:
        """Number of export destinations each firm sells in (integer counts)."""
        out = self.exports_to[:, 0].astype(np.int64)
        for j in range(1, self.exports_to.shape[1]):  # column by column: faster than .sum(1)
            out += self.exports_to[:, j]
        return out

    @property
    def q_dom(self) -> np.ndarray:
        """(n, 4) domestic sales, USD m at base cost."""
        return self.q[0]

    def set_sales(self, q: np.ndarray, q_for: np.ndarray, output: np.ndarray) -> None:
        """Store this year's sales (destinations, n, 4), keeping the array (not a copy),
        with their sums by firm: exports ``q[1:].sum(0)`` and output ``q[0] + q_for``."""
        self.q, self.q_for, self.output = q, q_for, output

    def set_sales_value(self, sales: np.ndarray) -> None:
        """Store this year's sales value by destination (n, destinations), USD m."""
        self.sales[:] = sales
        self.export_sales = row_sum(sales[:, 1:])
        self.revenue = sales[:, 0] + self.export_sales


def zeros_flows(n: int) -> dict[str, np.ndarray]:
    """Zeroed flow arrays for ``n`` firms."""
    z = {
        name: np.zeros(n)
        for name in (
            "revenue",
            "export_sales",
            "cost",
            "subsidy",
            "profit",
            "emissions",
            "carbon_paid",
            "cbam_paid",
            "rd_spend",
            "green_rd_spend",
        )
    }
    z["q"] = np.zeros((N_DEST, n, N_CAT))
    z["demand"] = np.zeros((n, N_CAT))
    z["q_for"] = np.zeros((n, N_CAT))
    z["output"] = np.zeros((n, N_CAT))
    z["sales"] = np.zeros((n, N_DEST))
    return z


def initial_mix(p: Params) -> np.ndarray:
    """(4,) the population's output mix, ``initial_mix_<category>`` normalised to sum to 1."""
    w = np.array([p[f"initial_mix_{c}"] for c in CATEGORIES])
    return w / w.sum()


def draw_mix(
    rng: np.random.Generator,
    n: int,
    digital: np.ndarray,
    main_share: float,
    population: np.ndarray,
    weights: np.ndarray | None = None,
    allowed: np.ndarray | None = None,
) -> np.ndarray:
    """Product mixes: a main category drawn by ``weights`` (by default the population mix
    ``population``; DS only on a platform) holding ``main_share`` of capacity, the rest a
    Dirichlet spread around the population mix. With ``allowed`` ((n, 4) bool), a firm
    makes only the categories its row allows (labour- and resource-intensive goods must
    stay allowed)."""
    p = np.broadcast_to(population if weights is None else weights, (n, N_CAT)).copy()
    p[~digital, DS] = 0.0
    if allowed is not None:
        p[~allowed] = 0.0
        none = p.sum(axis=1) == 0  # the weights fall only on categories it may not make
        p[none] = allowed[none]
    p /= p.sum(axis=1, keepdims=True)
    main = (rng.random(n)[:, None] > np.cumsum(p, axis=1)).sum(axis=1).clip(0, N_CAT - 1)
    spread = rng.dirichlet(population * 4, n)
    spread[~digital, DS] = 0.0
    if allowed is not None:
        spread[~allowed] = 0.0
    spread /= spread.sum(axis=1, keepdims=True)
    mix = (1.0 - main_share) * spread
    mix[np.arange(n), main] += main_share
    return mix


def pareto_factor(rng: np.random.Generator, n: int, tail: float) -> np.ndarray:
    """``n`` Pareto draws of tail index ``tail`` divided by their median ``2 ^ (1 / tail)``:
    a size factor of median 1 whose upper tail falls as ``x ^ -tail`` (Zipf at 1)."""
    return (1.0 + rng.pareto(tail, n)) / 2.0 ** (1.0 / tail)


def opening_debt(p: Params, capacity: np.ndarray) -> np.ndarray:
    """Debt of a new firm (initial or entrant), USD m: the capital its capacity needs
    (``capital_cost`` per unit) beyond its net worth (``initial_net_worth`` per unit)."""
    return max(p.capital_cost - p.initial_net_worth, 0.0) * capacity


def init_firms(params: Params, cluster: np.ndarray, rng: np.random.Generator) -> FirmState:
    """Draw the initial firm population (sizes, productivity, technology, mixes).

    Exporters start as the more productive and larger firms (Melitz sorting) with a
    provisional share; the model then settles exporters and platforms by its own rules.
    """
    p = params
    n = len(cluster)
    productivity = rng.lognormal(0.0, p.initial_productivity_dispersion, n)
    capacity = p.initial_size * productivity**2 * rng.lognormal(0.0, p.initial_size_dispersion, n)
    capacity *= pareto_factor(rng, n, p.initial_size_tail)
    digital = rng.random(n) < p.initial_digital_share
    mix = draw_mix(rng, n, digital, p.initial_specialisation, initial_mix(p))
    knowledge = rng.lognormal(0.0, p.initial_knowledge_dispersion, n) * (
        1.0 + p.initial_knowledge_premium * (mix[:, TIB] + mix[:, DS])
    )
    a = p.initial_green_shape
    green = rng.beta(a, a * (1.0 - p.initial_green_mean) / p.initial_green_mean, n)
    score = (
        np.log(productivity) * p.exporter_sorting_productivity
        + p.exporter_sorting_size * np.log(capacity)
        + rng.normal(0, p.exporter_sorting_noise, n)
    )
    exporter = score > np.quantile(score, 1.0 - p.initial_exporter_share)
    exports_to = np.repeat(exporter[:, None], N_DEST - 1, axis=1)
    green_rd_share = np.clip(
        params.green_rd_share + rng.normal(0, p.green_rd_share_dispersion, n), 0.0, 1.0
    )
    return FirmState(
        cluster=cluster.astype(np.int64),
        capacity=capacity,
        mix=mix,
        productivity=productivity,
        energy=np.ones(n),
        green=green,
        knowledge=knowledge,
        rd_taste=rng.lognormal(0.0, p.rd_taste_dispersion, n),
        green_rd_share=green_rd_share,
        exports_to=exports_to,
        digital=digital,
        net_worth=p.initial_net_worth * capacity,
        debt=opening_debt(p, capacity),
        age=rng.integers(0, p.initial_max_age, n),
        loss_years=np.zeros(n, np.int64),
        partner_firm=np.full(n, -1, np.int64),
        partner_inst=np.full(n, -1, np.int64),
        partner_years=np.zeros(n, np.int64),
        markup=np.ones(n),
        appeal=np.zeros(n),
        **zeros_flows(n),
    )


@dataclass
class InstituteState:
    """Research institutes: cluster, green knowledge frontier, funding, partner capacity."""

    cluster: np.ndarray
    frontier: np.ndarray  # green level an institute can pass on, 0..1
    funding: np.ndarray  # USD m this year
    partner_capacity: np.ndarray  # most firm partners at once
    partners: np.ndarray  # current number of firm partners

    @property
    def n(self) -> int:
        """Number of institutes."""
        return len(self.cluster)


def init_institutes(
    params: Params, n_clusters: int, cluster_size: np.ndarray, rng: np.random.Generator
) -> InstituteState:
    """Institutes of every cluster, with frontiers ahead of the firms."""
    k = params.institutes_per_cluster
    cl = np.repeat(np.arange(n_clusters), k)
    return InstituteState(
        cluster=cl.astype(np.int64),
        frontier=rng.uniform(
            params.institute_frontier,
            params.institute_frontier + params.institute_frontier_spread,
            len(cl),
        ),
        funding=np.full(len(cl), float(params.research_funding)),
        partner_capacity=np.maximum(
            params.institute_min_places,
            np.ceil(params.institute_places_share * cluster_size[cl] / max(k, 1)),
        ).astype(np.int64),
        partners=np.zeros(len(cl), np.int64),
    )
