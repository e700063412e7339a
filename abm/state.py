"""Firms' and institutes' state as numpy arrays: one row per firm, one per institute.

Agents are views on these rows (``abm.agents``); mechanisms are functions of these arrays.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from abm.categories import DS, INITIAL_MIX, N_CAT, TIB
from abm.params import Params


@dataclass
class FirmState:
    """State variables (persist across years) and flows (this year's) of all firms."""

    # --- state ---
    cluster: np.ndarray  # int, cluster id
    capacity: np.ndarray  # USD m of output a year
    mix: np.ndarray  # (n, 4) capacity shares over categories, rows sum to 1
    productivity: np.ndarray  # labour productivity, 1 = reference
    green: np.ndarray  # green technology level, 0..1
    knowledge: np.ndarray  # process knowledge, knowledge units (about 1 at start)
    rd_taste: np.ndarray  # firm's multiplier on its category R&D intensity
    green_rd_share: np.ndarray  # share of R&D aimed at green technology
    exporter: np.ndarray  # bool
    digital: np.ndarray  # bool, on a cross-border digital platform
    net_worth: np.ndarray  # USD m
    age: np.ndarray  # years
    loss_years: np.ndarray  # consecutive years with negative net worth
    partner_firm: np.ndarray  # row of the partner firm, -1 if none
    partner_inst: np.ndarray  # index of the partner institute, -1 if none
    partner_years: np.ndarray  # years left in the current collaboration
    # --- flows of the current year ---
    q_dom: np.ndarray  # (n, 4) sales to the domestic market, USD m at base cost
    q_for: np.ndarray  # (n, 4) exports, same unit
    revenue: np.ndarray  # USD m
    cost: np.ndarray  # USD m, all costs incl. carbon, CBAM, R&D, adoption, adjustment
    subsidy: np.ndarray  # USD m received
    profit: np.ndarray  # USD m = revenue - cost + subsidy
    emissions: np.ndarray  # t CO2
    carbon_paid: np.ndarray  # USD m paid at the domestic carbon price
    cbam_paid: np.ndarray  # USD m paid at the border
    export_sales: np.ndarray  # USD m
    rd_spend: np.ndarray  # USD m
    green_rd_spend: np.ndarray  # USD m

    @property
    def n(self) -> int:
        """Number of firm rows."""
        return len(self.capacity)

    @property
    def output(self) -> np.ndarray:
        """(n, 4) output by category, USD m at base cost."""
        return self.q_dom + self.q_for

    def copy_row(self, dst: np.ndarray, src: np.ndarray) -> None:
        """Copy rows ``src`` into rows ``dst`` for every array."""
        for f in fields(self):
            arr = getattr(self, f.name)
            arr[dst] = arr[src]


def zeros_flows(n: int) -> dict[str, np.ndarray]:
    """Zeroed flow arrays for ``n`` firms."""
    z = {
        name: np.zeros(n)
        for name in (
            "revenue",
            "cost",
            "subsidy",
            "profit",
            "emissions",
            "carbon_paid",
            "cbam_paid",
            "export_sales",
            "rd_spend",
            "green_rd_spend",
        )
    }
    z["q_dom"] = np.zeros((n, N_CAT))
    z["q_for"] = np.zeros((n, N_CAT))
    return z


def draw_mix(rng: np.random.Generator, n: int, digital: np.ndarray) -> np.ndarray:
    """Initial product mixes: a main category (DS only on a platform) plus a spread."""
    p = np.broadcast_to(INITIAL_MIX, (n, N_CAT)).copy()
    p[~digital, DS] = 0.0
    p /= p.sum(axis=1, keepdims=True)
    main = (rng.random(n)[:, None] > np.cumsum(p, axis=1)).sum(axis=1).clip(0, N_CAT - 1)
    spread = rng.dirichlet(INITIAL_MIX * 4, n)
    spread[~digital, DS] = 0.0
    spread /= spread.sum(axis=1, keepdims=True)
    mix = 0.4 * spread
    mix[np.arange(n), main] += 0.6
    return mix


def init_firms(params: Params, cluster: np.ndarray, rng: np.random.Generator) -> FirmState:
    """Draw the initial firm population (sizes, productivity, technology, mixes)."""
    n = len(cluster)
    productivity = rng.lognormal(0.0, 0.25, n)
    capacity = 15.0 * productivity**2 * rng.lognormal(0.0, 0.8, n)
    digital = rng.random(n) < 0.1
    mix = draw_mix(rng, n, digital)
    knowledge = rng.lognormal(0.0, 0.3, n) * (1.0 + 0.3 * (mix[:, TIB] + mix[:, DS]))
    green = rng.beta(2.0, 9.0, n)
    # Exporters: the more productive and larger firms, about a fifth to a quarter (Melitz).
    score = np.log(productivity) * 4 + 0.3 * np.log(capacity) + rng.normal(0, 0.6, n)
    exporter = score > np.quantile(score, 0.78)
    green_rd_share = np.clip(params.green_rd_share + rng.normal(0, 0.1, n), 0.0, 1.0)
    return FirmState(
        cluster=cluster.astype(np.int64),
        capacity=capacity,
        mix=mix,
        productivity=productivity,
        green=green,
        knowledge=knowledge,
        rd_taste=rng.lognormal(0.0, 0.3, n),
        green_rd_share=green_rd_share,
        exporter=exporter,
        digital=digital,
        net_worth=0.4 * capacity,
        age=rng.integers(0, 30, n),
        loss_years=np.zeros(n, np.int64),
        partner_firm=np.full(n, -1, np.int64),
        partner_inst=np.full(n, -1, np.int64),
        partner_years=np.zeros(n, np.int64),
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
        frontier=rng.uniform(0.5, 0.7, len(cl)),
        funding=np.full(len(cl), float(params.research_funding)),
        partner_capacity=np.maximum(3, np.ceil(0.1 * cluster_size[cl] / max(k, 1))).astype(
            np.int64
        ),
        partners=np.zeros(len(cl), np.int64),
    )
