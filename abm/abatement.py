"""Abatement cost: deeper decarbonisation costs more to run.

A firm at green level ``g`` (the share of its base emissions it abates) pays, per unit of
output in category ``k``, the running cost of the DICE abatement-cost function (Nordhaus
2017, DICE-2016R): ``BASE_EMISSION[k] x carbon x backstop x g^theta / theta`` USD per USD m
(``carbon``: the CO2 content of its energy per unit of output, its energy use times the
grid's ``Policy.energy_carbon``, 1 at the start year; ``backstop``: this year's backstop
price ``Policy.backstop``, which falls as DICE's), whose
marginal cost ``backstop x g^(theta - 1)`` USD/t reaches the backstop price at full
abatement. So no green level is a ceiling, full decarbonisation pays at a carbon price at
the backstop, and the cost of cleaner output enters unit costs and prices: consumers pay
the green premium of resource-intensive goods, which a carbon price therefore shifts
demand away from.
"""

from __future__ import annotations

import numpy as np

from abm.categories import BASE_EMISSION, USD_PER_MILLION, outer_by_category


def unit_cost(
    green: np.ndarray, backstop: float, exponent: float, carbon: np.ndarray | float = 1.0
) -> np.ndarray:
    """Running abatement cost per unit of output, USD m per USD m, by firm and category:
    ``(n, K)`` for green levels of shape ``(n,)`` (``(K,)`` for a scalar level). The base
    emissions abated scale with ``carbon``, the CO2 content of the energy used per unit of
    output (energy use x ``Policy.energy_carbon``; 1 at the start year; shaped like
    ``green``)."""
    g = np.clip(np.asarray(green, float), 0.0, 1.0)
    level = g**exponent
    level *= backstop  # backstop x g^theta / theta / USD_PER_MILLION x carbon, in place
    level /= exponent
    level /= USD_PER_MILLION
    if level.ndim == 1 and np.shape(carbon) in ((), level.shape):
        level *= carbon
        return outer_by_category(level, BASE_EMISSION)
    return (level * carbon)[..., None] * BASE_EMISSION


def marginal_cost(green: np.ndarray | float, backstop: float, exponent: float) -> np.ndarray:
    """Cost of abating one more tonne at green level ``green``, USD/t."""
    return backstop * np.clip(np.asarray(green, float), 0.0, 1.0) ** (exponent - 1.0)
