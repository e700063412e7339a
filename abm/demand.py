"""Demand by destination: category expenditure that responds to income and relative prices.

Each destination ``d`` spends ``E_d(t) = E_d0 x Y_d(t)`` on the four categories, where
``Y_d(t) = Y_d(t-1) x (1 + g_d + s x e_dt)`` is its real income index: trend growth ``g_d``
and independent yearly shocks ``e_dt ~ N(0, 1)`` of standard deviation ``s``
(``income_growth_volatility``; with ``s = 0``, ``Y_d(t) = (1 + g_d)^t``). The expenditure share
of category ``c`` follows a non-homothetic CES in share form (after Comin, Lashkari &
Mestieri 2021):

    omega_dc  proportional to  a_dc x Y_d^(eta_c - 1) x (P_dc / P_dc0)^(1 - epsilon_d)

normalised over categories: ``a_dc`` is the start-year composition, ``eta_c`` the income
elasticity (above 1: the category gains share as income grows), ``P_dc`` the category's
price index in ``d`` (the CES index over the cluster's and other suppliers' effective prices,
green willingness to pay included) and ``epsilon_d`` the elasticity of substitution between
categories (above 1: a category whose price rises loses share).

Within a destination-category market the cluster competes with other suppliers (imports and
non-cluster producers at home, other exporters abroad: the competitive fringe). The
cluster's expenditure share is Armington / CES:

    S_dc = A_dc / (A_dc + F_dc),  A_dc = kappa_dc x x_dc x Pcl_dc^(-sigma),  F_dc = Pf_dc^(-sigma)

with ``Pcl`` the cluster sellers' mean effective price, ``Pf`` the fringe's, ``x_dc`` the
share of the cluster's capacity in the category that sells in ``d`` (the extensive margin)
and ``sigma`` the trade elasticity; ``kappa_dc`` is calibrated so that the start year has the
stated market shares.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from abm.categories import CATEGORIES, DESTINATIONS
from abm.params import Params


def expenditure_shares(
    weights: np.ndarray,
    income_index: np.ndarray,
    income_elasticity: np.ndarray,
    price_rel: np.ndarray,
    elasticity: np.ndarray,
) -> np.ndarray:
    """(D, K) expenditure shares over categories in each destination (rows sum to one).

    Parameters
    ----------
    weights : (D, K) start-year composition
    income_index : (D,) real income relative to the start year
    income_elasticity : (K,) income elasticity of each category
    price_rel : (D, K) category price index relative to the start year
    elasticity : (D,) elasticity of substitution between categories
    """
    w = (
        weights
        * income_index[:, None] ** (income_elasticity[None, :] - 1.0)
        * price_rel ** (1.0 - elasticity[:, None])
    )
    tot = w.sum(1, keepdims=True)
    return np.divide(w, tot, out=np.zeros_like(w), where=tot > 0)


def category_expenditure(
    base: np.ndarray,
    weights: np.ndarray,
    income_index: np.ndarray,
    income_elasticity: np.ndarray,
    price_rel: np.ndarray,
    elasticity: np.ndarray,
) -> np.ndarray:
    """(D, K) expenditure on each category in each destination, USD m: ``E_d0 x Y_d x
    omega_dc`` (see :func:`expenditure_shares`)."""
    shares = expenditure_shares(weights, income_index, income_elasticity, price_rel, elasticity)
    return (base * income_index)[:, None] * shares


def cluster_share(
    kappa: np.ndarray, margin: np.ndarray, p_cluster: np.ndarray, p_fringe: np.ndarray, sigma: float
) -> tuple[np.ndarray, np.ndarray]:
    """The cluster's expenditure share in each destination-category market and the
    market's CES price index ``(A + F)^(-1/sigma)``; both (D, K).

    ``margin`` is the extensive margin (share of the category's capacity selling there);
    where the cluster has no seller its share is 0 and the index is the fringe's price.
    """
    pc = np.where(np.isfinite(p_cluster) & (p_cluster > 0), p_cluster, 1.0)
    a = np.where(margin > 0, kappa * margin * pc ** (-sigma), 0.0)
    f = p_fringe ** (-sigma)
    return a / (a + f), (a + f) ** (-1.0 / sigma)


#: Smallest extensive margin (share of a category's capacity selling in a destination) the
#: start-year calibration divides by (see :func:`calibrate_kappa`).
MIN_MARGIN = 0.01


def calibrate_kappa(
    target: np.ndarray,
    margin: np.ndarray,
    p_cluster: np.ndarray,
    p_fringe: np.ndarray,
    sigma: float,
) -> np.ndarray:
    """``kappa`` that gives the cluster the share ``target`` at these prices (D, K), where the
    extensive margin is at least ``MIN_MARGIN``.

    A market no cluster capacity sells in is calibrated as if all of it did (margin 1); a
    thinner extensive margin than ``MIN_MARGIN`` counts as ``MIN_MARGIN``, so that a market
    entered by a sliver of capacity (a firm with a trace of a category in its mix) does not
    get a weight that hands the cluster the whole market once real sellers come."""
    t = np.clip(target, 1e-6, 0.99)
    pc = np.where(np.isfinite(p_cluster) & (p_cluster > 0), p_cluster, 1.0)
    f = p_fringe ** (-sigma)
    m = np.where(margin > 0, np.maximum(margin, MIN_MARGIN), 1.0)
    return f * t / (1.0 - t) / (m * pc ** (-sigma))


@dataclass
class DemandSystem:
    """Each destination's demand for the four categories (see the module docstring)."""

    weights: np.ndarray  # (D, K) start-year composition
    income_growth: np.ndarray  # (D,) 1/yr
    income_elasticity: np.ndarray  # (K,)
    elasticity: np.ndarray  # (D,) between categories
    sigma: float  # trade elasticity
    volatility: float = 0.0  # s.d. of yearly income growth around the trend
    base: np.ndarray | None = None  # (D,) start-year expenditure, USD m
    kappa: np.ndarray | None = None  # (D, K) cluster weight against the fringe
    index0: np.ndarray | None = None  # (D, K) start-year category price index
    path: list[np.ndarray] = field(default_factory=list)  # income index of years 0, 1, ...

    def __post_init__(self) -> None:
        if not self.path:  # the start year's income index is 1
            self.path.append(np.ones_like(self.income_growth, dtype=float))

    @classmethod
    def from_params(cls, p: Params) -> DemandSystem:
        """The demand system of a parameter set (calibrated later to the population)."""
        w = np.array([[p[f"demand_share_{c}_{d}"] for c in CATEGORIES] for d in DESTINATIONS])
        w = w / np.maximum(w.sum(1, keepdims=True), 1e-12)
        return cls(
            weights=w,
            income_growth=np.array([p[f"income_growth_{d}"] for d in DESTINATIONS]),
            income_elasticity=np.array([p[f"income_elasticity_{c}"] for c in CATEGORIES]),
            elasticity=np.array([p[f"category_elasticity_{d}"] for d in DESTINATIONS]),
            sigma=p.trade_elasticity,
            volatility=p.income_growth_volatility,
        )

    def start_split(self, p: Params) -> np.ndarray:
        """(D, K) split of each category's start-year sales over destinations: the export
        share, the destination weights, and each destination's composition."""
        lam = np.array(
            [
                1.0 - p.initial_export_share,
                *(p.initial_export_share * p[f"destination_weight_{d}"] for d in DESTINATIONS[1:]),
            ]
        )
        lam[1:] = lam[1:] / max(sum(p[f"destination_weight_{d}"] for d in DESTINATIONS[1:]), 1e-12)
        x = lam[:, None] * self.weights
        return x / np.maximum(x.sum(0, keepdims=True), 1e-12)

    def calibrate(
        self,
        base: np.ndarray,
        value: np.ndarray,
        margin: np.ndarray,
        p_cluster: np.ndarray,
        p_fringe: np.ndarray,
        damping: float | None = None,
    ) -> None:
        """Set start-year expenditure ``base`` (D,) and the cluster weights so that the
        cluster sells ``value`` (D, K) at the start-year prices. With ``damping`` in (0, 1)
        the weights move only that part of the way (in logs) from their current values, so
        repeated calibration while exporters settle converges."""
        self.base = base
        denom = base[:, None] * self.weights
        target = np.divide(value, denom, out=np.zeros_like(value), where=denom > 0)
        kappa = calibrate_kappa(target, margin, p_cluster, p_fringe, self.sigma)
        if damping is not None and self.kappa is not None:
            kappa = self.kappa ** (1.0 - damping) * kappa**damping
        self.kappa = kappa
        _, self.index0 = cluster_share(self.kappa, margin, p_cluster, p_fringe, self.sigma)

    def advance(self, rng: np.random.Generator) -> None:
        """Draw the next year's income index of every destination (no draw without shocks)."""
        growth = 1.0 + self.income_growth
        if self.volatility > 0:
            growth = growth + self.volatility * rng.standard_normal(len(growth))
        self.path.append(self.path[-1] * np.maximum(growth, 0.0))

    def income(self, t: int) -> np.ndarray:
        """(D,) real income index of year ``t`` (start year = 1), as :meth:`advance` drew it."""
        return self.path[t]

    def expenditure(self, t: int, index: np.ndarray) -> np.ndarray:
        """(D, K) expenditure in year ``t`` at category price indices ``index``."""
        if self.base is None:
            raise RuntimeError("the demand system is not calibrated yet (see calibrate)")
        income = self.income(t)
        return category_expenditure(
            self.base,
            self.weights,
            income,
            self.income_elasticity,
            index / self.index0,
            self.elasticity,
        )
