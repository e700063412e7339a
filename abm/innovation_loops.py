"""Compiled loops of the innovation stages (:mod:`abm.innovation`): the first step of each
firm's R&D draw, what a green or a process success is worth to it this year, and the end of
collaborations. The mechanisms are described where they are used, in :mod:`abm.innovation`;
these loops compute them in one pass over the firms."""

from __future__ import annotations

import numpy as np

from abm.jit import njit


@njit
def gain_value(
    gain: np.ndarray,
    energy: np.ndarray,
    output: np.ndarray,
    saved: np.ndarray,
    won: np.ndarray,
    rows: np.ndarray,
    running: np.ndarray,
    energy_carbon: float,
    base_emission: np.ndarray,
) -> np.ndarray:
    """The yearly value, USD m, of raising the green level of the firms ``rows`` by
    ``gain`` (see :func:`abm.innovation.green_gain_value`); 0 for the other firms.
    ``running`` (len(rows), K): the rise in the running cost of abatement per unit of
    output it brings (:func:`abm.abatement.unit_cost`)."""
    n, k_n = output.shape
    value = np.zeros(n)
    for j in range(len(rows)):
        i = rows[j]
        cut = gain[i] * energy[i] * energy_carbon
        worth = 0.0
        extra = 0.0
        for k in range(k_n):
            worth += cut * base_emission[k] * (saved[i, k] + won[i, k])
            extra += running[j, k] * output[i, k]
        value[i] = worth / 1e6 - extra
    return value


@njit
def process_value(
    productivity: np.ndarray,
    energy: np.ndarray,
    green: np.ndarray,
    output: np.ndarray,
    saved: np.ndarray,
    won: np.ndarray,
    energy_carbon: float,
    labour_cost: np.ndarray,
    energy_cost: np.ndarray,
    base_emission: np.ndarray,
    process_width: float,
    energy_width: float,
    kept_gain: float,
) -> np.ndarray:
    """The yearly value, USD m, of each firm's expected process success (see
    :func:`abm.innovation.choose_green_share`): the labour and energy it saves, with the
    carbon payments, CBAM and green margin of the emissions the saved energy carried."""
    n, k_n = output.shape
    value = np.empty(n)
    for i in range(n):
        carbon = (1.0 - green[i]) * energy[i] * energy_carbon
        labour = 0.0
        power = 0.0
        emitted = 0.0
        for k in range(k_n):
            out = output[i, k]
            labour += labour_cost[k] / productivity[i] * out
            power += energy[i] * energy_cost[k] * out
            emitted += carbon * base_emission[k] * (saved[i, k] + won[i, k])
        value[i] = kept_gain * (process_width * labour + energy_width * (power + emitted / 1e6))
    return value


@njit
def rd_outcomes(
    rd_spend: np.ndarray,
    revenue: np.ndarray,
    green_share: np.ndarray,
    partner_firm: np.ndarray,
    partner_inst: np.ndarray,
    frontier: np.ndarray,
    green: np.ndarray,
    hurdle: np.ndarray,
    effectiveness: float,
    bonus: float,
    green_step: float,
):
    """The first step of each firm's R&D draw (see :func:`abm.innovation.do_rd`): whether
    its green and its process projects succeed, and the green level a green success would
    add. A project succeeds with probability ``1 - exp(-zeta x intensity)``: when ``zeta x
    intensity`` exceeds its ``hurdle`` (n, 2), a unit exponential draw (``-log(1 - u)`` of
    a uniform ``u``: the same event as ``u < 1 - exp(-zeta x intensity)``)."""
    n = len(green)
    green_ok = np.empty(n, np.bool_)
    process_ok = np.empty(n, np.bool_)
    gain = np.empty(n)
    for i in range(n):
        x = rd_spend[i] / revenue[i] if revenue[i] > 0 else 0.0
        partnered = partner_firm[i] >= 0 or partner_inst[i] >= 0
        zeta = effectiveness * (1.0 + bonus * partnered)
        green_x = x * green_share[i]
        process_x = x * (1.0 - green_share[i])
        green_ok[i] = zeta * max(green_x, 0.0) > hurdle[i, 0]
        process_ok[i] = zeta * max(process_x, 0.0) > hurdle[i, 1]
        g = green_step * (1.0 - green[i])
        if green_ok[i] and partner_inst[i] >= 0:  # toward its partner institute's frontier
            g = max(g, 0.3 * (frontier[partner_inst[i]] - green[i]))
        gain[i] = g
    return green_ok, process_ok, gain


@njit
def end_collaborations(
    partner_firm: np.ndarray, partner_inst: np.ndarray, partner_years: np.ndarray
) -> np.ndarray:
    """Count down each collaboration's years and end those that ran out, in place (two
    partner firms start with the same years, so they end together; a leaving firm's
    partner is freed on exit, :func:`abm.demography.renew`). Returns the firms without a
    partner (n,)."""
    n = len(partner_firm)
    free = np.empty(n, np.bool_)
    for i in range(n):
        partner_years[i] -= 1
        if partner_years[i] <= 0:
            partner_firm[i] = -1
            partner_inst[i] = -1
            partner_years[i] = 0
        free[i] = partner_firm[i] < 0 and partner_inst[i] < 0
    return free
