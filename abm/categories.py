"""Product categories, destinations and the per-category constants of the cost structure.

Categories follow seed 000 (Table 1: labour-, resource-, technology-intensive goods) plus
digital / knowledge-intensive services (servitisation, seeds 001 and 002). Destinations are
the domestic market, the EU, the UK and the rest of the world. Arrays below are indexed by
category in the order of ``CATEGORIES`` and by destination in the order of ``DESTINATIONS``.
"""

from __future__ import annotations

import numpy as np

CATEGORIES = ("LIB", "RIB", "TIB", "DS")
N_CAT = len(CATEGORIES)
LIB, RIB, TIB, DS = range(N_CAT)

#: Destinations: index 0 is the domestic market, the others are export markets.
DESTINATIONS = ("domestic", "EU", "UK", "ROW")
EXPORT_DESTINATIONS = DESTINATIONS[1:]
N_DEST = len(DESTINATIONS)
DOMESTIC, EU, UK, ROW = range(N_DEST)

#: Rank of each category on the upgrading path LIB -> RIB -> TIB -> DS (seed 000).
RANK = np.array([1.0, 2.0, 3.0, 4.0])

#: USD in one USD m: prices per tonne (USD/t) times tonnes give USD; money stocks are USD m.
USD_PER_MILLION = 1e6

#: Emission intensity at green level 0, t CO2 per USD m of output. Order of magnitude of
#: Chinese manufacturing (about 0.3-2 kg CO2 per USD); resource-intensive goods highest.
#: A green level g removes the share g of it (no ceiling: g -> 1 is carbon-free).
BASE_EMISSION = np.array([400.0, 1500.0, 250.0, 40.0])

#: Labour cost per unit of output at productivity 1 and the start-year wage, USD m per USD m.
LABOUR_COST = np.array([0.40, 0.25, 0.30, 0.40])

#: Material and energy cost per unit of output at the start-year technology, USD m per USD m
#: of output; the energy part is ``BASE_EMISSION x energy_price`` (:func:`energy_cost`).
MATERIAL_COST = np.array([0.45, 0.60, 0.45, 0.25])

#: Normal mark-up over unit cost: value added rises along the upgrading path.
MARKUP = np.array([0.12, 0.14, 0.25, 0.30])

#: R&D intensity (R&D over operating revenue) by category, China's industrial enterprises
#: above designated size (NBS, MOST and MOF, Statistical Communiques on National Expenditures
#: on Science and Technology in 2020 and 2021, R&D by industry): LIB 0.9 % (textiles 0.99 %,
#: apparel 0.76 % in 2020; leather and footwear 0.91 %, furniture 1.23 %, toys 0.73 % in
#: 2021), RIB 1.0 % (chemicals 1.03 %, paper 0.90 % in 2021), TIB 2.7 % (high-technology
#: manufacturing 2.66 % in 2020). DS at the TIB value: the communiques cover industry only.
RD_INTENSITY = np.array([0.009, 0.010, 0.027, 0.027])

#: Categories whose productivity also rises with firms' knowledge (TIB, DS).
KNOWLEDGE_INTENSIVE = np.array([False, False, True, True])

#: Yearly public spending on digital infrastructure per firm at level 1, USD m.
INFRASTRUCTURE_COST = 0.05


def _four_doubles(a: np.ndarray) -> bool:
    """Whether ``a`` is a C-contiguous float64 array of firm rows with four columns."""
    return a.ndim == 2 and a.shape[1] == 4 and a.dtype == np.float64 and a.flags.c_contiguous


def per_firm(a: np.ndarray, b: np.ndarray | None = None) -> np.ndarray:
    """Sum over categories for each firm: of ``a``, or of ``a * b`` when ``b`` is given.

    The numbers of ``np.einsum("ij->i", a)`` (``"ij,ij->i"``): on contiguous rows of four
    numpy's einsum adds in two lanes, ``(x0 + x2) + (x1 + x3)``, from 0 (so never -0.0);
    computed column by column here, which is faster than einsum's loop over short rows
    (and, as einsum, silent on floating-point errors).
    """
    if _four_doubles(a) and (b is None or (_four_doubles(b) and b.shape == a.shape)):
        out = np.empty(len(a))
        with np.errstate(all="ignore"):
            for rows in _row_blocks(len(a)):
                x = a[rows] if b is None else a[rows] * b[rows]
                o = out[rows]
                np.add(x[:, 0], x[:, 2], out=o)
                o += x[:, 1] + x[:, 3]
                o += 0.0  # -0.0 becomes 0.0, as einsum's sum from 0
        return out
    return np.einsum("ij->i", a) if b is None else np.einsum("ij,ij->i", a, b)


#: Firm rows per block of the column-by-column helpers: a block of an (n, 4) array of
#: doubles (256 KiB) stays in cache while its columns are visited in turn.
_ROWS_PER_BLOCK = 8192


def _row_blocks(n: int) -> list[slice]:
    """Slices of ``_ROWS_PER_BLOCK`` rows covering ``n`` rows (one slice for small ``n``)."""
    return [slice(i, min(i + _ROWS_PER_BLOCK, n)) for i in range(0, max(n, 1), _ROWS_PER_BLOCK)]


def per_category(a: np.ndarray, b: np.ndarray | None = None) -> np.ndarray:
    """Sum over firms for each category: of ``a``, or of ``a * b`` when ``b`` is given.

    Each category's firms are added in order, from 0, as ``np.einsum("ij->j", a)`` does;
    on contiguous rows of four, einsum is told to run over the firms of one category at a
    time (the same sums, faster than its loop over short rows)."""
    if _four_doubles(a) and (b is None or (_four_doubles(b) and b.shape == a.shape)):
        if b is None:
            return np.einsum("ji->j", a.T, order="C")
        return np.einsum("ji,ji->j", a.T, b.T, order="C")
    return np.einsum("ij->j", a) if b is None else np.einsum("ij,ij->j", a, b)


#: Firm rows per block in :func:`by_category`.
_BLOCK = 64


def by_category(
    op: np.ufunc,
    a: np.ndarray,
    v: np.ndarray,
    out: np.ndarray | None = None,
    *,
    first: bool = False,
) -> np.ndarray:
    """``op(a, v)`` (``op(v, a)`` with ``first``) for firm rows ``a`` (n, K) and a
    per-category ``v`` (K,): the numbers of numpy's broadcast, computed on blocks of rows
    (numpy loops row by row over the short category axis, which is slow)."""
    n, k = a.shape
    if out is None:
        out = np.empty((n, k), np.result_type(a, v))
    m = n - n % _BLOCK if a.flags.c_contiguous and out.flags.c_contiguous else 0
    if m:
        y = np.empty((_BLOCK, k), np.asarray(v).dtype)
        y[:] = v  # v repeated for every row of a block
        x, y = a[:m].reshape(-1, _BLOCK * k), y.reshape(-1)
        op(*((y, x) if first else (x, y)), out=out[:m].reshape(-1, _BLOCK * k))
    if m < n:
        op(*((v, a[m:]) if first else (a[m:], v)), out=out[m:])
    return out


def outer_by_category(x: np.ndarray, v: np.ndarray) -> np.ndarray:
    """``x[:, None] * v[None, :]`` for a per-firm ``x`` (n,) and a per-category ``v`` (K,),
    the same numbers, faster: column by column (see :func:`by_category`)."""
    out = np.empty((len(x), len(v)), np.result_type(x, v))
    for rows in _row_blocks(len(x)):
        for k in range(len(v)):
            np.multiply(x[rows], v[k], out=out[rows, k])
    return out


def scale_rows(a: np.ndarray, x: np.ndarray) -> np.ndarray:
    """``a * x[:, None]`` for firm rows ``a`` (n, K) and a per-firm ``x`` (n,), the same
    numbers, faster: column by column (see :func:`by_category`)."""
    out = np.empty(a.shape, np.result_type(a, x))
    for rows in _row_blocks(len(a)):
        for k in range(a.shape[1]):
            np.multiply(a[rows, k], x[rows], out=out[rows, k])
    return out


def row_sum(a: np.ndarray) -> np.ndarray:
    """``a.sum(1)`` of an (n, K) array, the same numbers (numpy adds a row's K values in
    order, starting from 0), column by column: faster than numpy on short rows."""
    out = np.empty(len(a), np.result_type(a, 0.0))
    for rows in _row_blocks(len(a)):
        o = out[rows]
        np.add(a[rows, 0], 0.0, out=o)
        for j in range(1, a.shape[1]):
            o += a[rows, j]
    return out


def emission_intensity(green: np.ndarray, carbon: np.ndarray | None = None) -> np.ndarray:
    """Emission intensity per firm and category (t CO2 per USD m) from green levels and the
    CO2 content of the energy used per unit of output (``carbon``: energy use x the grid's
    ``Policy.energy_carbon``, 1 at the start year; None for 1)."""
    left = 1.0 - green
    return outer_by_category(left if carbon is None else left * carbon, BASE_EMISSION)


def energy_cost(energy_price: float) -> np.ndarray:
    """(K,) energy cost per unit of output at the start-year technology, USD m per USD m:
    the energy behind ``BASE_EMISSION`` at ``energy_price`` USD per t CO2 of it."""
    return BASE_EMISSION * energy_price / USD_PER_MILLION
