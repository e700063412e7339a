"""Government policy: carbon price paths (domestic, EU, UK), the adaptive price rule, the
CBAM charge by destination and category with its phase-in, the subsidy rates, and the
carbon content of energy as the power grid decarbonises.

Every policy number of a year is computed here, once, by :func:`policy_of_year`; the
``Government`` agent holds the result for the other stages and the reporters.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from abm.categories import DS, EU, LIB, N_CAT, N_DEST, RIB, TIB, UK
from abm.params import Params

#: Share of the CBAM charge due in the years after the definitive start (EU regulation:
#: 2.5 % in 2026, 5 % 2027, 10 % 2028, 22.5 % 2029, 48.5 % 2030, 61 % 2031, 73.5 % 2032,
#: 86 % 2033, 100 % from 2034), as free allocation is phased out.
CBAM_PHASE_IN = (0.025, 0.05, 0.10, 0.225, 0.485, 0.61, 0.735, 0.86)


def cbam_phase_in(year: int, start_year: int = 2026) -> float:
    """Share of the full CBAM charge due in ``year`` (0 before the start, 1 when phased in)."""
    k = year - start_year
    if k < 0:
        return 0.0
    return CBAM_PHASE_IN[k] if k < len(CBAM_PHASE_IN) else 1.0


def cbam_coverage(p: Params) -> np.ndarray:
    """Share of each category's goods the CBAM covers: RIB by ``cbam_coverage``, LIB and TIB
    by ``cbam_coverage_downstream``, digital services never."""
    cov = np.zeros(N_CAT)
    cov[RIB] = p.cbam_coverage
    cov[[LIB, TIB]] = p.cbam_coverage_downstream
    cov[DS] = 0.0
    return cov


def cbam_charge(
    foreign_price: float,
    domestic_price: float,
    embedded: float | np.ndarray,
    coverage: float | np.ndarray,
    phase: float = 1.0,
) -> np.ndarray:
    """CBAM charge = max(0, foreign price - domestic price) x embedded emissions x coverage.

    Parameters
    ----------
    foreign_price, domestic_price : float, USD per tonne CO2
    embedded : float or array, tonnes CO2 embedded in the exported goods
    coverage : float or array broadcast against ``embedded``, share covered (0..1)
    phase : float, share of the charge due this year (see :func:`cbam_phase_in`)

    Returns
    -------
    array, USD
    """
    return max(0.0, foreign_price - domestic_price) * phase * coverage * np.asarray(embedded)


def energy_carbon(p: Params, years: int) -> float:
    """CO2 of a unit of the cluster's energy after ``years``, start year = 1: the purchased
    power part (``power_share``) gets cleaner at ``grid_decarbonisation`` a year as the grid
    adds non-fossil power (an exogenous path: the power sector is outside the cluster)."""
    grid = (1.0 - p.grid_decarbonisation) ** max(years, 0)
    return 1.0 - p.power_share * (1.0 - grid)


#: The year of DICE-2016R's backstop price (its first period, 2015; Nordhaus 2017).
BACKSTOP_YEAR = 2015


def backstop_price(p: Params, year: int) -> float:
    """This year's backstop price, USD/t CO2: ``abatement_backstop`` (the price in
    :data:`BACKSTOP_YEAR`) falling by ``abatement_backstop_decline`` a year, as DICE-2016R's
    ``pbacktime`` falls by 2.5 % a five-year period (Nordhaus 2017)."""
    return price_path(p.abatement_backstop, -p.abatement_backstop_decline, year - BACKSTOP_YEAR)


def price_path(start_price: float, growth: float, years: int) -> float:
    """Carbon price after ``years`` of compound growth, USD per tonne."""
    return start_price * (1.0 + growth) ** years


@dataclass
class Policy:
    """One year's policy numbers (prices in USD per tonne CO2)."""

    carbon_price: float  # domestic
    carbon_prices: np.ndarray  # (destinations,) carbon price in each destination
    cbam_rate: np.ndarray  # (destinations, categories) CBAM due per tonne embedded, USD/t
    green_wtp: np.ndarray  # (destinations,) consumers' willingness to pay, USD/t
    backstop: float  # this year's backstop price (abm.abatement), USD/t
    energy_carbon: float = 1.0  # CO2 of a unit of the cluster's energy, start year = 1


def reference_policy(policy: Policy) -> Policy:
    """The same year without carbon prices or CBAM (consumers' WTP kept): the world the
    start-year markets are calibrated in."""
    zeros = np.zeros_like(policy.carbon_prices)
    return Policy(
        0.0,
        zeros,
        np.zeros_like(policy.cbam_rate),
        policy.green_wtp.copy(),
        policy.backstop,
        policy.energy_carbon,
    )


def policy_of_year(
    p: Params, year: int, previous_domestic_price: float | None, emissions_rising: bool
) -> Policy:
    """This year's prices: the domestic path (with the adaptive rule after the peak year:
    a further rise of ``adaptive_price_step`` in a year emissions rose), the EU and UK
    paths, the CBAM rate by destination and category, and consumers' green WTP."""
    t = year - p.start_year
    if previous_domestic_price is None or t <= 0:
        home = p.carbon_price
    else:
        home = previous_domestic_price * (1.0 + p.carbon_price_growth)
        if p.adaptive_carbon_price and year > p.peak_year and emissions_rising:
            home *= 1.0 + p.adaptive_price_step
    prices = np.zeros(N_DEST)
    prices[0] = home
    prices[EU] = price_path(p.foreign_carbon_price, p.foreign_carbon_price_growth, max(t, 0))
    prices[UK] = price_path(p.uk_carbon_price, p.uk_carbon_price_growth, max(t, 0))
    phase = np.zeros(N_DEST)
    phase[EU] = cbam_phase_in(year, p.cbam_start_year)
    phase[UK] = cbam_phase_in(year, p.cbam_start_year_UK)
    cov = cbam_coverage(p)
    rate = np.stack([cbam_charge(prices[d], home, 1.0, cov, phase[d]) for d in range(N_DEST)])
    growth = (1.0 + p.green_preference_growth) ** max(t, 0)
    wtp = growth * np.array(
        [p.green_preference, p.green_preference_EU, p.green_preference_UK, p.green_preference_ROW]
    )
    return Policy(home, prices, rate, wtp, backstop_price(p, year), energy_carbon(p, t))
