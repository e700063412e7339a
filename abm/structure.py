"""Product mix: capacity shifts toward categories with higher margins, paying adjustment
("precipitation") costs (seed 000); technology-intensive goods need knowledge above a
threshold, digital services need knowledge and a digital platform."""

from __future__ import annotations

import numpy as np

from abm.categories import DS, N_CAT, TIB, per_category, per_firm, row_argmax, scale_rows
from abm.params import Params
from abm.state import FirmState, normalise_mix

#: Years over which a firm weighs the margin gain of a shift against its one-off cost.
SHIFT_HORIZON = 5


#: Share of a firm's capacity above which it counts as making a category: it may expand a
#: category it makes whatever its knowledge (it has the capability in use).
PRESENT = 0.05


def allowed_categories(
    knowledge: np.ndarray, digital: np.ndarray, p: Params, mix: np.ndarray | None = None
) -> np.ndarray:
    """(n, 4) mask of the categories a firm may expand: any it already makes (``mix`` above
    ``PRESENT``), technology-intensive goods with knowledge above ``knowledge_TIB``, digital
    services with knowledge above ``knowledge_DS``; digital services only on a platform."""
    ok = np.ones((len(knowledge), N_CAT), bool)
    ok[:, TIB] = knowledge >= p.knowledge_TIB
    ok[:, DS] = knowledge >= p.knowledge_DS
    if mix is not None:
        ok |= mix > PRESENT
    ok[:, DS] &= digital
    return ok


def margins_per_capacity(
    f: FirmState, unit_margin: np.ndarray, earned: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Each firm's realised margin per unit of capacity by category, and the cluster's.

    ``unit_margin`` is (destinations, n, 4): price minus delivered unit cost; ``earned``
    (n, 4), the margin earned on this year's sales summed over destinations, when the
    caller has it.
    """
    cap = scale_rows(f.mix, f.capacity)
    if earned is None:
        earned = np.einsum("dnk,dnk->nk", unit_margin, f.q)
    own = np.empty_like(cap)
    ok = cap > 1e-9
    for j in range(cap.shape[1]):  # column by column: a mask only where some cap is 0
        if ok[:, j].all():
            np.divide(earned[:, j], cap[:, j], out=own[:, j])
        else:
            own[:, j] = 0.0
            np.divide(earned[:, j], cap[:, j], out=own[:, j], where=ok[:, j])
    return own, _cluster_margin(earned, cap)


def _cluster_margin(earned: np.ndarray, cap: np.ndarray) -> np.ndarray:
    """(4,) the cluster's margin per unit of capacity in each category."""
    return per_category(earned) / np.maximum(per_category(cap), 1e-12)


def category_profit_rates(
    f: FirmState, unit_margin: np.ndarray, earned: np.ndarray | None = None
) -> np.ndarray:
    """(4,) the cluster's margin per unit of capacity in each category (entry signal)."""
    if earned is None:
        earned = np.einsum("dnk,dnk->nk", unit_margin, f.q)
    return _cluster_margin(earned, scale_rows(f.mix, f.capacity))


def shift_mix(
    f: FirmState, unit_margin: np.ndarray, p: Params, earned: np.ndarray | None = None
) -> np.ndarray:
    """Move ``mix_speed`` of capacity toward the best allowed category when the margin
    gain over ``SHIFT_HORIZON`` years beats the adjustment cost; return that cost, USD m.
    ``earned`` as in :func:`margins_per_capacity`."""
    own, market = margins_per_capacity(f, unit_margin, earned)
    allowed = allowed_categories(f.knowledge, f.digital, p, f.mix)
    by_column = np.empty((N_CAT, f.n))  # expected margins, column by column
    for k in range(N_CAT):
        mine = np.where(f.mix[:, k] > PRESENT, own[:, k], market[k])
        by_column[k] = np.where(allowed[:, k], mine, -np.inf)
    expected = by_column.T
    best = row_argmax(expected)
    rows = np.arange(f.n)
    current = per_firm(f.mix, own)
    moved = p.mix_speed * (1.0 - f.mix[rows, best])
    best_expected = expected[rows, best]
    gain = (best_expected - current) * moved * f.capacity
    cost = p.adjustment_cost * moved * f.capacity
    go = np.isfinite(best_expected) & (SHIFT_HORIZON * gain > cost) & (moved > 1e-9)
    shift = np.flatnonzero(go)  # the other rows keep their mix (up to the normalisation)
    f.mix[shift] *= 1.0 - p.mix_speed
    f.mix[shift, best[shift]] += p.mix_speed
    normalise_mix(f.mix)
    return np.where(go, cost, 0.0)
