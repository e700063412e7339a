"""Compiled loops over the firm-firm ties (:class:`abm.network.Ties`): sums, maxima and
leads of a firm attribute over each firm's neighbours, in one pass over the ties; and the
insertion of new ties into the sorted tie arrays."""

from __future__ import annotations

import numpy as np

from abm.jit import njit


@njit
def neighbour_sums(u: np.ndarray, v: np.ndarray, w: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Each firm's sum of ``w x x`` over its neighbours (ties ``u``-``v`` of weight ``w``)."""
    out = np.zeros(len(x))
    for e in range(len(u)):
        a, b = u[e], v[e]
        out[a] += w[e] * x[b]
        out[b] += w[e] * x[a]
    return out


@njit
def neighbour_max(u: np.ndarray, v: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Each firm's maximum of ``x`` over its neighbours (-inf where it has none)."""
    out = np.full(len(x), -np.inf)
    for e in range(len(u)):
        a, b = u[e], v[e]
        out[a] = max(out[a], x[b])
        out[b] = max(out[b], x[a])
    return out


@njit
def neighbour_lead(u: np.ndarray, v: np.ndarray, w: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Each firm's sum of ``w x max(0, x_neighbour - x_own)`` over its neighbours."""
    out = np.zeros(len(x))
    for e in range(len(u)):
        a, b = u[e], v[e]
        lead = x[b] - x[a]
        out[a] += w[e] * max(lead, 0.0)
        out[b] += w[e] * max(-lead, 0.0)
    return out


@njit
def insert_at(a: np.ndarray, at: np.ndarray, values: np.ndarray) -> np.ndarray:
    """``np.insert(a, at, values)`` for sorted positions ``at`` (values at one position
    keep their order)."""
    out = np.empty(len(a) + len(at), a.dtype)
    src = 0
    for j in range(len(at)):
        stop = at[j]
        out[src + j : stop + j] = a[src:stop]  # the old values before this position
        out[stop + j] = values[j]
        src = stop
    out[src + len(at) :] = a[src:]
    return out
