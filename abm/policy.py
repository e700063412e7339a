"""Government policy: carbon price paths, the CBAM charge and its phase-in, subsidy rates."""

from __future__ import annotations

import numpy as np

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


def cbam_charge(
    foreign_price: float,
    domestic_price: float,
    embedded: np.ndarray,
    coverage: float,
    phase: float = 1.0,
) -> np.ndarray:
    """CBAM charge = max(0, foreign price - domestic price) x embedded emissions x coverage.

    Parameters
    ----------
    foreign_price, domestic_price : float, USD per tonne CO2
    embedded : array, tonnes CO2 embedded in the exported goods
    coverage : float, share of exports in covered sectors (0..1)
    phase : float, share of the charge due this year (see :func:`cbam_phase_in`)

    Returns
    -------
    array, USD
    """
    return max(0.0, foreign_price - domestic_price) * np.asarray(embedded) * coverage * phase


def price_path(start_price: float, growth: float, years: int) -> float:
    """Carbon price after ``years`` of compound growth, USD per tonne."""
    return start_price * (1.0 + growth) ** years
