"""Product mix: capacity shifts toward categories with higher margins, paying adjustment
("precipitation") costs (seed 000); technology-intensive goods need knowledge above a
threshold, digital services need knowledge and a digital platform."""

from __future__ import annotations

import numpy as np

from abm import structure_loops
from abm.categories import DS, N_CAT, TIB, per_category, scale_rows
from abm.params import Params
from abm.state import FirmState

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


def _cluster_margin(earned: np.ndarray, cap: np.ndarray) -> np.ndarray:
    """(4,) the cluster's margin per unit of capacity in each category."""
    return per_category(earned) / np.maximum(per_category(cap), 1e-12)


def category_profit_rates(f: FirmState, earned: np.ndarray) -> np.ndarray:
    """(4,) the cluster's margin per unit of capacity in each category (entry signal), from
    the margin ``earned`` (n, K) on this year's sales summed over destinations."""
    return _cluster_margin(earned, scale_rows(f.mix, f.capacity))


def shift_mix(f: FirmState, p: Params, earned: np.ndarray) -> np.ndarray:
    """Move ``mix_speed`` of capacity toward the best allowed category when the margin
    gain over ``SHIFT_HORIZON`` years beats the adjustment cost; return that cost, USD m.
    ``earned`` (n, K): the margin earned on this year's sales summed over destinations."""
    market = _cluster_margin(earned, scale_rows(f.mix, f.capacity))
    return structure_loops.shift(
        f.mix,
        f.capacity,
        earned,
        market,
        allowed_categories(f.knowledge, f.digital, p, f.mix),
        PRESENT,
        p.mix_speed,
        p.adjustment_cost,
        SHIFT_HORIZON,
    )
