"""What the collectors record each step: the model reporters (firm reporters: collectors.py).

Each model reporter is a small function of the model with a docstring; ``MODEL_REPORTERS``
maps the public names to them, so ``DataCollector``, ``mesa.batch_run``, the browser app
and the experiment runner all read the same numbers.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from abm.categories import CATEGORIES, DESTINATIONS, EU, EXPORT_DESTINATIONS, RANK, row_sum
from abm.decomposition import TERMS
from abm.policy import cbam_coverage

if TYPE_CHECKING:
    import pandas as pd


def _share(x: np.ndarray) -> np.ndarray:
    tot = x.sum()
    return x / tot if tot > 0 else np.zeros_like(x)


def output_by_category(m) -> np.ndarray:
    """Output by category, USD m at base cost."""
    return m.sold.sum(0)


def exports_by_category(m) -> np.ndarray:
    """Exports by category, USD m at base cost."""
    return m.sold[1:].sum(0)


def _output_share(c: int) -> Callable:
    def reporter(m) -> float:
        return float(_share(output_by_category(m))[c])

    reporter.__doc__ = f"Share of {CATEGORIES[c]} in output (industrial structure)."
    return reporter


def _export_share(c: int) -> Callable:
    def reporter(m) -> float:
        return float(_share(exports_by_category(m))[c])

    reporter.__doc__ = f"Share of {CATEGORIES[c]} in exports (trade structure)."
    return reporter


def _unmet_share(c: int) -> Callable:
    def reporter(m) -> float:
        wanted = float(m.market.demand[:, c].sum())
        return float(m.market.unmet[c] / wanted) if wanted > 0 else 0.0

    reporter.__doc__ = (
        f"Share of the demand for the cluster's {CATEGORIES[c]} that no firm could serve."
    )
    return reporter


def _price_index(c: int) -> Callable:
    def reporter(m) -> float:
        vol = float(m.sold[:, c].sum())  # (sold: destinations x categories, this year)
        if vol <= 0:  # nothing sold: the price firms ask at home
            return float(m.market.price[0][:, c].mean())
        return float(m.sales_value_by_category[c] / vol)

    reporter.__doc__ = (
        f"Sales-weighted mean price of the cluster's {CATEGORIES[c]}, USD m per USD m of "
        "output at start-year base cost; the mean asking price at home when nothing is sold."
    )
    return reporter


def _exports_to(d: int) -> Callable:
    def reporter(m) -> float:
        return float(m.firms.sales[:, d].sum())

    reporter.__doc__ = f"Exports to {DESTINATIONS[d]}, USD m (value at export prices)."
    return reporter


def _export_share_to(c: int, d: int) -> Callable:
    def reporter(m) -> float:
        return float(_share(m.sold[d])[c])

    reporter.__doc__ = (
        f"Share of {CATEGORIES[c]} in exports to {DESTINATIONS[d]} (trade structure by "
        "destination)."
    )
    return reporter


def wage(m) -> float:
    """Wage index (start year = 1); follows the cluster's mean labour productivity."""
    return float(m.wage)


def export_emission_intensity_EU(m) -> float:
    """Emission intensity of exports to the EU, t CO2 embedded per USD m of exports."""
    x = m.firms.sales[:, EU].sum()
    return float(m.export_emissions_by_dest[EU] / x) if x > 0 else 0.0


def covered_export_shares(m) -> float:
    """Share of covered-category exports (exports weighted by CBAM coverage) that go to
    destinations without a CBAM (rest of world); 0 when nothing is covered."""
    x = m.sold[1:] @ cbam_coverage(m.params)  # (sold: destinations x categories)
    tot = x.sum()
    return float(x[-1] / tot) if tot > 0 else 0.0


def cbam_diversion(m) -> float:
    """Share of covered-category exports going to non-CBAM destinations, minus that share
    in the start year (positive: covered exports shifted away from CBAM markets, for any
    reason; compare runs with and without a CBAM for its effect)."""
    start = m.start_covered_share if m.start_covered_share is not None else 0.0
    return covered_export_shares(m) - start


def year(m) -> int:
    """Calendar year of the step."""
    return m.year


def exports(m) -> float:
    """Total exports, USD m (value at export prices)."""
    return float(m.firms.export_sales.sum())


def output(m) -> float:
    """Total output, USD m (revenue at home and abroad)."""
    return float(m.firms.revenue.sum())


def upgrading_index(m) -> float:
    """Industrial-structure upgrading index: sum over categories of rank x output share (1..4)."""
    return float((RANK * _share(output_by_category(m))).sum())


def _upgrading_term(term: str, doc: str) -> Callable:
    def reporter(m) -> float:
        return float(m.upgrading_terms[term])

    reporter.__doc__ = doc
    return reporter


#: What the reporters ``upgrading_<term>`` hold, for each of :data:`abm.decomposition.TERMS`:
#: the yearly change of the upgrading index by source (Foster, Haltiwanger & Krizan 2001);
#: the five sum to the change of ``upgrading_index`` over the year and are 0 in the start
#: year.
UPGRADING_DOCS: dict[str, str] = {
    "within": "Change of the upgrading index this year from continuing firms' own output "
    "mixes (within term), index points.",
    "between": "Change of the upgrading index this year from output moving between "
    "continuing firms (between term), index points.",
    "cross": "Change of the upgrading index this year from continuing firms that changed "
    "both their mix and their share (cross term), index points.",
    "entry": "Change of the upgrading index this year from entrants, index points.",
    "exit": "Change of the upgrading index this year from the firms that exited, index points.",
}


def export_hhi(m) -> float:
    """Export concentration: Herfindahl index of firms' shares in exports (0..1)."""
    s = _share(m.firms.export_sales)
    return float((s * s).sum())


def exporter_share(m) -> float:
    """Share of firms that export."""
    return float(m.firms.exporter.mean())


def digital_share(m) -> float:
    """Share of firms on a cross-border digital platform."""
    return float(m.firms.digital.mean())


def green_share(m) -> float:
    """Share of firms whose green level is at least ``green_threshold`` (green adopters)."""
    return float((m.firms.green >= m.params.green_threshold).mean())


def technology_emissions(f) -> np.ndarray:
    """Each firm's technology emission factor: the CO2 its technology emits per unit of
    output against the start-year technology at the start-year grid (energy use x (1 -
    green level)); the grid's path is left out, so the factor moves with firms' own
    adoption and process innovation only."""
    return f.energy * (1.0 - f.green)


def best_practice(f) -> float:
    """The start year's best practice: the mean technology emission factor of the cleanest
    10 % of firms (the EU ETS benchmark rule: the average performance of the 10 % most
    efficient installations, Directive 2003/87/EC, Art. 10a(2))."""
    factor = np.sort(technology_emissions(f))
    return float(factor[: max(1, len(factor) // 10)].mean())


def best_practice_share(m) -> float:
    """Share of firms whose technology emits no more than the start year's best practice
    (:func:`best_practice`): how far the cleaner technology of 2020 has diffused."""
    return float((technology_emissions(m.firms) <= m.start_best_practice).mean())


def mean_green_level(m) -> float:
    """Mean green technology level of firms (0..1)."""
    return float(m.firms.green.mean())


def mean_energy_use(m) -> float:
    """Output-weighted mean energy use per unit of output (1 = the start-year technology)."""
    f = m.firms
    out = row_sum(f.output)
    total = float(out.sum())
    return float((f.energy * out).sum() / total) if total > 0 else float(f.energy.mean())


def emissions(m) -> float:
    """Total emissions, t CO2."""
    return float(m.firms.emissions.sum())


def emission_intensity(m) -> float:
    """Emission intensity of output, t CO2 per USD m of output value."""
    out = m.firms.revenue.sum()
    return float(m.firms.emissions.sum() / out) if out > 0 else 0.0


def export_emission_intensity(m) -> float:
    """Emission intensity of exports, t CO2 embedded per USD m of exports."""
    x = m.firms.export_sales.sum()
    return float(m.export_emissions / x) if x > 0 else 0.0


def carbon_revenue(m) -> float:
    """Domestic carbon payments collected by government, USD m."""
    return float(m.firms.carbon_paid.sum())


def subsidies(m) -> float:
    """Green R&D and adoption subsidies paid to firms, USD m."""
    return float(m.firms.subsidy.sum())


def cbam_paid(m) -> float:
    """Carbon border adjustment paid on exports, USD m."""
    return float(m.firms.cbam_paid.sum())


def rd_intensity(m) -> float:
    """R&D spending as a share of revenue, all firms together."""
    rev = m.firms.revenue.sum()
    return float(m.firms.rd_spend.sum() / rev) if rev > 0 else 0.0


def green_rd_share(m) -> float:
    """Share of R&D spending aimed at green technology."""
    rd = m.firms.rd_spend.sum()
    return float(m.firms.green_rd_spend.sum() / rd) if rd > 0 else 0.0


def green_rd(m) -> float:
    """Green R&D spending of all firms this year, USD m (R&D aimed at green technology, its
    subsidised part included)."""
    return float(m.firms.green_rd_spend.sum())


def collaborations(m) -> int:
    """Active collaborations: firm-firm pairs plus firm-institute partnerships."""
    f = m.firms
    return int((f.partner_firm >= 0).sum() // 2 + (f.partner_inst >= 0).sum())


def mean_knowledge(m) -> float:
    """Mean process knowledge of firms."""
    return float(m.firms.knowledge.mean())


def n_firms(m) -> int:
    """Number of firms."""
    return int(m.firms.n)


def entries(m) -> int:
    """Firms that entered this year."""
    return int(m.entries)


def exits(m) -> int:
    """Firms that exited this year."""
    return int(m.exits)


def energy_carbon(m) -> float:
    """CO2 of a unit of the cluster's energy this year, start year = 1 (the grid's part
    gets cleaner)."""
    return float(m.government.current_policy.energy_carbon)


def carbon_price(m) -> float:
    """Domestic carbon price this year, USD per tonne."""
    return float(m.government.carbon_price)


def green_rd_subsidy_rate(m) -> float:
    """Share of green R&D spending the government reimburses this year (its policy rate)."""
    return float(m.government.green_rd_subsidy)


def adoption_subsidy_rate(m) -> float:
    """Share of green-technology adoption costs the government reimburses this year."""
    return float(m.government.adoption_subsidy)


def ties_per_firm(m) -> float:
    """Firm-firm ties in the cluster network, per firm."""
    return float(len(m.ties.u) / max(m.n_firms, 1))


def research_funding(m) -> float:
    """Public research funding paid to institutes this year, USD m."""
    return float(m.institutes.funding.sum())


def digital_infrastructure(m) -> float:
    """Public digital-infrastructure level (0..1)."""
    return float(m.government.digital_infrastructure)


def carbon_productivity(m) -> float:
    """Output value per tonne of CO2, USD per t."""
    e = m.firms.emissions.sum()
    return float(m.firms.revenue.sum() * 1e6 / e) if e > 0 else 0.0


def innovation_index(m) -> float:
    """Low-carbon innovation performance index of the year (0..100), see ``abm.evaluation``:
    scored from the reporters recorded so far (its smoothing and cumulative indicators read
    the run to date), when the run's frame is read (:data:`FRAME_REPORTERS`)."""
    return float(m.model_frame()["innovation_index"].iloc[-1])


def budget_balance(m) -> float:
    """Government budget: carbon revenue - subsidies - research - infrastructure, USD m."""
    return float(m.government.budget)


MODEL_REPORTERS: dict[str, Callable] = {
    "year": year,
    **{f"output_share_{c}": _output_share(i) for i, c in enumerate(CATEGORIES)},
    **{f"export_share_{c}": _export_share(i) for i, c in enumerate(CATEGORIES)},
    "output": output,
    "exports": exports,
    "upgrading_index": upgrading_index,
    **{f"upgrading_{t}": _upgrading_term(t, UPGRADING_DOCS[t]) for t in TERMS},
    "export_hhi": export_hhi,
    "exporter_share": exporter_share,
    "digital_share": digital_share,
    "green_share": green_share,
    "mean_green_level": mean_green_level,
    "best_practice_share": best_practice_share,
    "mean_energy_use": mean_energy_use,
    "emissions": emissions,
    "emission_intensity": emission_intensity,
    "export_emission_intensity": export_emission_intensity,
    "carbon_revenue": carbon_revenue,
    "subsidies": subsidies,
    "cbam_paid": cbam_paid,
    "rd_intensity": rd_intensity,
    "green_rd_share": green_rd_share,
    "green_rd": green_rd,
    "collaborations": collaborations,
    "mean_knowledge": mean_knowledge,
    "n_firms": n_firms,
    "entries": entries,
    "exits": exits,
    "carbon_price": carbon_price,
    "energy_carbon": energy_carbon,
    "green_rd_subsidy_rate": green_rd_subsidy_rate,
    "adoption_subsidy_rate": adoption_subsidy_rate,
    "ties_per_firm": ties_per_firm,
    "research_funding": research_funding,
    "digital_infrastructure": digital_infrastructure,
    "carbon_productivity": carbon_productivity,
    "budget_balance": budget_balance,
    "innovation_index": innovation_index,
    **{f"unmet_demand_share_{c}": _unmet_share(i) for i, c in enumerate(CATEGORIES)},
    **{f"price_index_{c}": _price_index(i) for i, c in enumerate(CATEGORIES)},
    "wage": wage,
    **{f"exports_{d}": _exports_to(j + 1) for j, d in enumerate(EXPORT_DESTINATIONS)},
    **{
        f"export_share_{c}_{d}": _export_share_to(i, j + 1)
        for j, d in enumerate(EXPORT_DESTINATIONS)
        for i, c in enumerate(CATEGORIES)
    },
    "export_emission_intensity_EU": export_emission_intensity_EU,
    "cbam_diversion": cbam_diversion,
}

#: Reporters computed from the other reporters of the whole run when its frame is read
#: (``TradeClusterModel.model_frame``), not collected every step: the innovation index
#: (``abm.evaluation.score_run``, the same numbers as scoring it step by step).
FRAME_REPORTERS: tuple[str, ...] = ("innovation_index",)


def with_frame_reporters(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` (the collected reporters, one row per step) with the
    :data:`FRAME_REPORTERS` inserted where they stand in ``MODEL_REPORTERS``."""
    from abm.evaluation import score_run

    scored = score_run(frame) if len(frame) else None
    order = [name for name in MODEL_REPORTERS if name in frame or name in FRAME_REPORTERS]
    for name in FRAME_REPORTERS:
        values = scored[name].to_numpy() if scored is not None else np.zeros(0)
        frame.insert(order.index(name), name, values)
    return frame
