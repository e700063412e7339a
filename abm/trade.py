"""Trade: export entry and exit by destination (heterogeneous-firm selection, Melitz 2003)
and digital-platform adoption."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from abm import trade_loops
from abm.categories import DS, per_category, per_firm
from abm.demand import cluster_share
from abm.markets import Market
from abm.network import Ties
from abm.params import Params
from abm.state import FirmState


def export_fixed_cost(digital: np.ndarray, p: Params, scale: float = 1.0) -> np.ndarray:
    """Yearly fixed cost of serving one export destination, USD m: lower on a platform.

    ``scale`` is the firms' mean size relative to the start year: each agent stands for a
    constant share of the cluster, so costs that are fixed per real firm grow with it and
    keep their weight against revenue as the cluster grows."""
    return scale * p.export_fixed_cost * (1.0 - p.platform_export_saving * digital)


def potential_export_profit(
    f: FirmState, m: Market, d: int, p: Params, rows: np.ndarray
) -> np.ndarray:
    """Export profit before fixed costs that the firms ``rows`` expect in destination ``d``,
    USD m: the margin on the sales their logit attraction wins at the market's demand per
    unit of attraction, capped by their capacity. A new seller widens the cluster's
    extensive margin (``abm.demand``), so it expects what a seller like it gets, without
    taking it from the others."""
    total = m.attraction_total[d]
    per_unit = np.divide(m.demand[d], total, out=np.zeros_like(total), where=total > 0)
    first = m.kappa is not None and bool((total <= 0).any())  # a first seller somewhere
    if not len(rows) or (not first and not per_unit.any()):  # nothing to win there
        return np.zeros(len(rows))
    opening = total <= 0 if first else np.zeros(len(total), bool)
    first_sales = first_seller_sales(m, d) if first else np.zeros((0, len(total)))
    exp_x, margin = m.would_be(d, rows)
    return trade_loops.expected_margin(
        exp_x, m.weight, rows, per_unit, m.cap, margin, opening, first_sales
    )


def first_seller_sales(m: Market, d: int) -> np.ndarray:
    """(n, K) what each firm would sell in destination ``d`` as the cluster's only seller of
    a category there: the demand system's share for an extensive margin equal to its share
    of the category's capacity (times the cluster's varieties, as every margin), at its own
    effective price."""
    if m.kappa is None:
        raise RuntimeError("the market's demand is not computed yet (see demand_for_cluster)")
    cap_k = np.maximum(per_category(m.cap), 1e-12)
    price, eff, _ = m.quote(d, np.arange(len(m.cap)))
    share, _ = cluster_share(
        np.broadcast_to(m.kappa[d], m.cap.shape),
        m.cap / cap_k * m.varieties,
        eff,
        np.broadcast_to(m.p_fringe[d], m.cap.shape),
        m.sigma,
    )
    return np.divide(m.expenditure[d] * share, price, out=np.zeros_like(share), where=price > 0)


def reviewing(n: int, p: Params, rng: np.random.Generator | None) -> np.ndarray:
    """The firms that review an export decision this year: each with probability
    ``export_review_rate`` (inertia); with ``rng=None`` every firm (the start settles this
    way)."""
    if rng is None:
        return np.ones(n, bool)
    return rng.random(n) < p.export_review_rate


def update_exporters(
    f: FirmState,
    j: int,
    expected: np.ndarray,
    realised: np.ndarray,
    review: np.ndarray,
) -> tuple[int, int]:
    """Export destination ``j`` (0 = EU, 1 = UK, 2 = rest of world): non-sellers enter when
    expected export profit is positive after the fixed cost; sellers leave when realised
    export profit is negative; only the firms that ``review`` (see :func:`reviewing`)
    decide. Returns (entries, exits)."""
    serving = f.exports_to[:, j]
    enter = ~serving & (expected > 0.0) & review
    leave = serving & (realised < 0.0) & review
    f.exports_to[:, j] = (serving & ~leave) | enter
    return int(np.count_nonzero(enter)), int(np.count_nonzero(leave))


def adopt_platform(
    f: FirmState,
    ties: Ties,
    p: Params,
    infrastructure: float,
    trade_unit: np.ndarray,
    expected_with_platform: Callable[[np.ndarray], np.ndarray],
    rng: np.random.Generator,
    scale: float = 1.0,
) -> np.ndarray:
    """Firms join a cross-border digital platform when its benefit beats its yearly cost.

    Benefit: the trade cost saved on exports, the fixed export cost saved on the destinations
    an exporter serves (for a non-exporter: the export profit the platform would make it
    earn, ``expected_with_platform(rows)`` when positive), and the option to sell digital
    services (``ds_option_value`` per unit of capacity, for firms with the knowledge for DS),
    all raised by the share of neighbours on platforms (network effect) and by public
    infrastructure (``infrastructure_effect``). Cost: ``platform_cost``, lowered by
    ``infrastructure_effect`` at full infrastructure. A firm reviews the choice with
    probability ``platform_review_rate`` x (1 + ``platform_review_infrastructure`` x
    infrastructure + ``platform_review_network`` x share of neighbours on platforms) a year;
    only the reviewing firms not yet on a platform weigh it. Returns the adopters.
    """
    nb = ties.neighbour_mean(f.digital.astype(float))
    rate = p.platform_review_rate * (
        1.0 + p.platform_review_infrastructure * infrastructure + p.platform_review_network * nb
    )
    review = rng.random(f.n) < rate
    rows = np.flatnonzero(~f.digital & review)
    served = f.destinations_served[rows]
    saved_trade = p.digital_trade_saving * per_firm(
        trade_unit.take(rows, axis=0), f.q_for.take(rows, axis=0)
    )
    saved_fixed = scale * p.platform_export_saving * p.export_fixed_cost * served
    new = served == 0  # a non-exporter: the export profit the platform would bring
    saved_fixed[new] = np.maximum(expected_with_platform(rows[new]), 0.0)
    ds_option = (
        p.ds_option_value
        * f.capacity[rows]
        * (f.knowledge[rows] >= p.knowledge_DS)
        * (1.0 - f.mix[rows, DS])
    )
    benefit = (saved_trade + saved_fixed + ds_option) * (
        1.0 + p.platform_network_effect * nb[rows] + p.infrastructure_effect * infrastructure
    )
    go = np.zeros(f.n, bool)
    go[rows[benefit > platform_fee(p, infrastructure, scale)]] = True
    f.digital[go] = True
    return go


def platform_fee(p: Params, infrastructure: float, scale: float = 1.0) -> float:
    """Yearly platform cost for a firm, USD m, after the infrastructure discount (grows with
    the firms' mean size, as :func:`export_fixed_cost`)."""
    return scale * p.platform_cost * (1.0 - p.infrastructure_effect * infrastructure)
