"""Compiled loops of investment and entry (:mod:`abm.demography`): each firm's new capacity
by category and the product mix it moves toward (:func:`abm.demography.grow`), and what
entrants inherit from the surviving firms (:func:`abm.demography.renew`), each in one pass
over the firms. The mechanisms are described where they are used, in
:mod:`abm.demography`."""

from __future__ import annotations

import numpy as np

from abm.jit import njit


@njit
def invest(
    mix: np.ndarray,
    capacity: np.ndarray,
    demand: np.ndarray,
    growth: np.ndarray,
    allowed: np.ndarray,
    profit: np.ndarray,
    net_worth: np.ndarray,
    depreciation: float,
    target_utilisation: float,
    leverage: float,
    capital_cost: float,
    mix_speed: float,
):
    """Depreciate each firm's capacity, invest toward the capacity its expected demand
    needs in each allowed category (only while it makes a profit, within its credit limit)
    and move its mix toward the new capacity's by at most ``mix_speed``, in place; return
    the new capacity (n,) and the capacity added (n,)."""
    n, k_n = mix.shape
    new_capacity = np.empty(n)
    added = np.empty(n)
    cap = np.empty(k_n)
    add = np.empty(k_n)
    for i in range(n):
        kept = 0.0
        total = 0.0
        for k in range(k_n):
            c = mix[i, k] * capacity[i] * (1.0 - depreciation)
            a = max(demand[i, k] * growth[k] / target_utilisation - c, 0.0)
            if not allowed[i, k] or not profit[i] > 0:
                a = 0.0
            cap[k] = c
            add[k] = a
            kept += c
            total += a
        limit = max((1.0 + leverage) * max(net_worth[i], 0.0) / capital_cost - kept, 0.0)
        scale = min(total, limit) / total if total > 0 else 0.0
        size = 0.0
        done = 0.0
        for k in range(k_n):
            add[k] *= scale
            done += add[k]
            cap[k] += add[k]
            size += cap[k]
        new_capacity[i] = size
        added[i] = done
        if not size > 0:  # nothing left: the mix stays
            continue
        step = 0.0  # the largest change of a share
        for k in range(k_n):
            cap[k] = cap[k] / size - mix[i, k]
            step = max(step, abs(cap[k]))
        lam = mix_speed / step if step > mix_speed else 1.0
        lam = min(lam, 1.0)
        row = 0.0
        for k in range(k_n):
            mix[i, k] += cap[k] * lam
            row += mix[i, k]
        for k in range(k_n):
            mix[i, k] /= row
    return new_capacity, added


@njit
def survivors(
    alive: np.ndarray,
    digital: np.ndarray,
    mix: np.ndarray,
    capacity: np.ndarray,
    productivity: np.ndarray,
    energy: np.ndarray,
    green: np.ndarray,
    knowledge: np.ndarray,
    markup: np.ndarray,
):
    """What entrants copy from the surviving firms (``alive``): their summed product mixes
    (K,), and their share on a platform, mean capacity, mean log productivity, energy use
    and mark-up (``productivity``, ``energy`` and ``markup`` are given as logs), and mean
    green level and knowledge."""
    n, k_n = mix.shape
    present = np.zeros(k_n)
    count = 0
    on = 0.0
    cap = 0.0
    prod = 0.0
    power = 0.0
    clean = 0.0
    know = 0.0
    price = 0.0
    for i in range(n):
        if not alive[i]:
            continue
        count += 1
        for k in range(k_n):
            present[k] += mix[i, k]
        on += digital[i]
        cap += capacity[i]
        prod += productivity[i]
        power += energy[i]
        clean += green[i]
        know += knowledge[i]
        price += markup[i]
    c = max(count, 1)
    return (
        present,
        on / c,
        cap / c,
        prod / c,
        power / c,
        clean / c,
        know / c,
        price / c,
    )
