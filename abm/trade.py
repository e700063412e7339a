"""Trade: export entry and exit (heterogeneous-firm selection) and digital-platform adoption."""

from __future__ import annotations

import numpy as np

from abm.categories import BASE_EMISSION, DS, MARKUP, per_category, per_firm
from abm.network import Ties
from abm.params import Params
from abm.state import FirmState


def export_fixed_cost(digital: np.ndarray, p: Params) -> np.ndarray:
    """Yearly fixed cost of exporting, USD m: lower on a digital platform."""
    return p.export_fixed_cost * (1.0 - p.platform_export_saving * digital)


def potential_export_profit(
    f: FirmState,
    export_cost: np.ndarray,
    price_for: np.ndarray,
    emis: np.ndarray,
    demand_for: np.ndarray,
    beta: float,
    gamma: float,
    fixed: np.ndarray,
) -> np.ndarray:
    """Export profit each firm expects, USD m: variable margin on the foreign sales its logit
    attraction would win against current exporters, minus the fixed export cost ``fixed``.

    Exporters' own attraction is already in the market total; a non-exporter's is added.
    """
    cap = f.capacity[:, None] * f.mix
    ex = f.exporter
    capw = cap * ex[:, None]
    p_mean = per_category(capw, price_for) / np.maximum(per_category(capw), 1e-12)
    if np.any(p_mean <= 0):  # no exporter in a category: use the median price
        p_mean = np.where(p_mean > 0, p_mean, np.median(price_for, axis=0))
    u = cap * np.exp(
        np.minimum(50.0, -beta * (price_for / p_mean - 1.0) - gamma * emis / BASE_EMISSION)
    )
    total = per_category(u[ex])
    denom = total + np.where(ex[:, None], 0.0, u)
    share = np.divide(u, denom, out=np.zeros_like(u), where=denom > 0)
    q = np.minimum(cap, demand_for * share)
    margin = MARKUP * export_cost  # price - cost per unit exported
    return per_firm(margin, q) - fixed


def update_exporters(
    f: FirmState,
    expected: np.ndarray,
    realised: np.ndarray,
    fixed: np.ndarray,
    rng: np.random.Generator,
) -> tuple[int, int]:
    """Non-exporters enter when expected export profit beats the fixed cost once more (a
    sunk entry hurdle); exporters leave when realised export profit is negative. Each
    decision is taken with probability 1/2 a year (inertia). Returns (entries, exits)."""
    draw = rng.random(f.n) < 0.5
    enter = ~f.exporter & (expected > fixed) & draw
    leave = f.exporter & (realised < 0.0) & draw
    f.exporter[enter] = True
    f.exporter[leave] = False
    return int(enter.sum()), int(leave.sum())


def adopt_platform(
    f: FirmState,
    ties: Ties,
    p: Params,
    infrastructure: float,
    trade_unit: np.ndarray,
    expected_with_platform: np.ndarray,
    rng: np.random.Generator,
) -> np.ndarray:
    """Firms join a cross-border digital platform when its benefit beats its yearly cost.

    Benefit: the trade cost saved on exports, the fixed export cost saved (for exporters and
    for firms the platform would make exporters), and the option to sell digital services
    (for firms with the knowledge for DS), all raised by the share of neighbours on
    platforms (network effect) and by public infrastructure. Cost: ``platform_cost``,
    halved at full infrastructure. A firm reviews the choice with probability
    0.01 + 0.05 x infrastructure + 0.1 x (share of neighbours on platforms) a year.
    Returns the adopters.
    """
    saved_trade = p.digital_trade_saving * per_firm(trade_unit, f.q_for)
    would_export = f.exporter | (expected_with_platform > 0)
    saved_fixed = p.platform_export_saving * p.export_fixed_cost * would_export
    ds_option = 0.02 * f.capacity * (f.knowledge >= p.knowledge_DS) * (1.0 - f.mix[:, DS])
    nb = ties.neighbour_mean(f.digital.astype(float))
    benefit = (saved_trade + saved_fixed + ds_option) * (
        1.0 + p.platform_network_effect * nb + 0.5 * infrastructure
    )
    cost = platform_fee(p, infrastructure)
    review = rng.random(f.n) < 0.01 + 0.05 * infrastructure + 0.1 * nb
    go = ~f.digital & review & (benefit > cost)
    f.digital[go] = True
    return go


def platform_fee(p: Params, infrastructure: float) -> float:
    """Yearly platform cost for a firm, USD m, after the infrastructure discount."""
    return p.platform_cost * (1.0 - 0.5 * infrastructure)
