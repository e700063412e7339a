"""Where each year's change of the upgrading index comes from: firms changing their own
output mix, output moving between firms, or firms entering and exiting.

The index is ``U = sum_i s_i u_i``: firm ``i``'s share ``s_i`` of the cluster's output
(USD m at base cost) times its own index ``u_i``, the category ranks (1-4) weighted by its
output in each category. Between two years its change splits exactly into the five terms
of Foster, Haltiwanger & Krizan (2001), with continuing firms ``C`` (the same firm id in
both years), entrants ``N`` and exiting firms ``X`` (counted in the year they still sold)::

    within  = sum_C s_i,0 (u_i,1 - u_i,0)          continuing firms' own mix
    between = sum_C (s_i,1 - s_i,0) (u_i,0 - U_0)  output moving to higher-index firms
    cross   = sum_C (s_i,1 - s_i,0) (u_i,1 - u_i,0)
    entry   = sum_N s_i,1 (u_i,1 - U_0)
    exit    = -sum_X s_i,0 (u_i,0 - U_0)

A firm with no output has its own index set to the cluster's (its share is 0, so the
identity holds whatever it is).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from abm.categories import RANK

#: The terms, in the order of the reporters ``upgrading_<term>``.
TERMS = ("within", "between", "cross", "entry", "exit")

#: The terms grouped as ``abm run`` and the app show them: firms' own mixes (within and
#: cross), the growth of firms (between), entry and exit.
SOURCES = (("within", "cross"), ("between",), ("entry", "exit"))


@dataclass(frozen=True)
class Structure:
    """The firms' output structure in one year: ids, output shares and own indices."""

    ids: np.ndarray
    share: np.ndarray
    own: np.ndarray
    index: float


def structure(output: np.ndarray, ids: np.ndarray) -> Structure:
    """The structure of firms with ``ids`` and output ``output`` (n, 4) by category."""
    output = np.asarray(output, float)
    firm = output.sum(axis=1)
    total = firm.sum()
    share = firm / total if total > 0 else np.zeros(len(firm))
    index = float((output.sum(axis=0) * RANK).sum() / total) if total > 0 else float("nan")
    own = np.full(len(firm), index)
    np.divide(output @ RANK, firm, out=own, where=firm > 0)
    return Structure(np.asarray(ids).copy(), share, own, index)


def decompose(before: Structure, after: Structure) -> dict[str, float]:
    """The five terms of the change of the index from ``before`` to ``after`` (they sum to
    ``after.index - before.index``). Firms keep their rows and an entrant takes the row of
    a firm that left, so a row with the same id in both years is a continuing firm."""
    if len(before.ids) != len(after.ids):
        raise ValueError(
            f"rows: {len(before.ids)} before and {len(after.ids)} after; allowed: the same "
            "rows in both years"
        )
    same = before.ids == after.ids
    new = ~same
    ds = after.share[same] - before.share[same]
    du = after.own[same] - before.own[same]
    u0 = before.index
    return {
        "within": float((before.share[same] * du).sum()),
        "between": float((ds * (before.own[same] - u0)).sum()),
        "cross": float((ds * du).sum()),
        "entry": float((after.share[new] * (after.own[new] - u0)).sum()),
        "exit": float(-(before.share[new] * (before.own[new] - u0)).sum()),
    }


def accumulated(frame, terms: tuple[str, ...] = TERMS) -> np.ndarray:
    """The upgrading index's change since the start year from ``terms``: a model frame's
    reporters ``upgrading_<term>`` summed and accumulated over its years."""
    return frame[[f"upgrading_{t}" for t in terms]].to_numpy().sum(axis=1).cumsum()
