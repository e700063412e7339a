"""Product categories and markets, with the per-category constants of the calibration.

Categories follow seed 000 (Table 1: labour-, resource-, technology-intensive goods) plus
digital / knowledge-intensive services (servitisation, seeds 001 and 002). Arrays below are
indexed by category in the order of ``CATEGORIES``.
"""

from __future__ import annotations

import numpy as np

CATEGORIES = ("LIB", "RIB", "TIB", "DS")
MARKETS = ("domestic", "foreign")
N_CAT = len(CATEGORIES)
LIB, RIB, TIB, DS = range(N_CAT)

#: Rank of each category on the upgrading path LIB -> RIB -> TIB -> DS (seed 000).
RANK = np.array([1.0, 2.0, 3.0, 4.0])

#: Emission intensity at green level 0, t CO2 per USD m of output. Order of magnitude of
#: Chinese manufacturing (about 0.3-2 kg CO2 per USD); resource-intensive goods highest.
BASE_EMISSION = np.array([400.0, 1500.0, 250.0, 40.0])

#: Share of the base emission intensity that a green level of 1 removes.
GREEN_ABATEMENT = 0.8

#: Labour cost per unit of output at productivity 1, USD m per USD m of output.
LABOUR_COST = np.array([0.40, 0.25, 0.30, 0.40])

#: Material and energy cost per unit of output, USD m per USD m of output.
MATERIAL_COST = np.array([0.45, 0.60, 0.45, 0.25])

#: Mark-up over unit cost: value added rises along the upgrading path.
MARKUP = np.array([0.12, 0.14, 0.25, 0.30])

#: R&D intensity (share of revenue) by category: LIB about 0.3 %, RIB about 1 %,
#: TIB 5-15 % (orders of magnitude of R&D intensity by sector); DS taken between.
RD_INTENSITY = np.array([0.003, 0.01, 0.08, 0.05])

#: Initial output mix of the cluster population (LIB, RIB, TIB, DS).
INITIAL_MIX = np.array([0.35, 0.30, 0.30, 0.05])

#: Yearly overhead (capital cost of capacity), USD m per USD m of capacity.
OVERHEAD = 0.02

#: Investment needed for one unit of extra capacity, USD m per USD m of capacity.
CAPITAL_COST = 0.3

#: Value of a unit of green preference, as a share of revenue in that market per unit of
#: green level gained (used in adoption decisions).
GREEN_PREMIUM = 0.05

#: Yearly public spending on digital infrastructure per firm at level 1, USD m.
INFRASTRUCTURE_COST = 0.05


def per_firm(a: np.ndarray, b: np.ndarray | None = None) -> np.ndarray:
    """Sum over categories for each firm: of ``a``, or of ``a * b`` when ``b`` is given."""
    return np.einsum("ij->i", a) if b is None else np.einsum("ij,ij->i", a, b)


def per_category(a: np.ndarray, b: np.ndarray | None = None) -> np.ndarray:
    """Sum over firms for each category: of ``a``, or of ``a * b`` when ``b`` is given."""
    return np.einsum("ij->j", a) if b is None else np.einsum("ij,ij->j", a, b)


def emission_intensity(green: np.ndarray) -> np.ndarray:
    """Emission intensity per firm and category (t CO2 per USD m) from green levels."""
    return BASE_EMISSION[None, :] * (1.0 - GREEN_ABATEMENT * green[:, None])
